import { useEffect, useRef } from "react";
import type { NavItem, ScreenId } from "../lib/roles";

export interface ShortcutTargets {
  nav: readonly NavItem[];
  go: (screen: ScreenId) => void;
  focusSearch: () => void;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

/** What a keydown means for navigation, or null. Pure, so it can be tested without a DOM. */
export function shortcutFor(
  event: Pick<KeyboardEvent, "key" | "code" | "altKey" | "ctrlKey" | "metaKey" | "shiftKey">,
  typing: boolean,
  pendingG: boolean,
  nav: readonly NavItem[],
): { kind: "go"; screen: ScreenId } | { kind: "search" } | { kind: "g" } | null {
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") return { kind: "search" };
  if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const digit = /^Digit([1-9])$/.exec(event.code)?.[1] ?? (/^[1-9]$/.test(event.key) ? event.key : null);
    const item = digit ? nav.find((n) => n.digit === digit) : undefined;
    return item ? { kind: "go", screen: item.id } : null;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return null;
  if (event.key === "/") return { kind: "search" };
  if (pendingG) {
    const item = nav.find((n) => n.letter === event.key.toLowerCase());
    return item ? { kind: "go", screen: item.id } : null;
  }
  if (event.key === "g" && !event.shiftKey) return { kind: "g" };
  return null;
}

/** Alt+1..6 or g-then-letter open screens; "/" and Ctrl+K focus the guest search. */
export function useShortcuts({ nav, go, focusSearch }: ShortcutTargets) {
  const targets = useRef({ nav, go, focusSearch });
  targets.current = { nav, go, focusSearch };

  useEffect(() => {
    let pendingUntil = 0;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.repeat) return;
      const { nav: items, go: open, focusSearch: search } = targets.current;
      const action = shortcutFor(event, isTyping(event.target), Date.now() < pendingUntil, items);
      pendingUntil = 0;
      if (!action) return;
      if (action.kind === "g") {
        pendingUntil = Date.now() + 1500;
        return;
      }
      event.preventDefault();
      if (action.kind === "go") open(action.screen);
      else search();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
