import { describe, expect, it } from "vitest";
import { navFor } from "../lib/roles";
import { shortcutFor } from "./useShortcuts";

const key = (k: string, mods: Partial<{ alt: boolean; ctrl: boolean; meta: boolean; shift: boolean; code: string }> = {}) => ({
  key: k,
  code: mods.code ?? (/^\d$/.test(k) ? `Digit${k}` : `Key${k.toUpperCase()}`),
  altKey: !!mods.alt,
  ctrlKey: !!mods.ctrl,
  metaKey: !!mods.meta,
  shiftKey: !!mods.shift,
});

describe("shortcutFor", () => {
  const admin = navFor("admin");
  const staff = navFor("staff");

  it("opens screens with Alt+digit, even while typing", () => {
    expect(shortcutFor(key("1", { alt: true }), false, false, admin)).toEqual({ kind: "go", screen: "today" });
    expect(shortcutFor(key("6", { alt: true }), true, false, admin)).toEqual({ kind: "go", screen: "settings" });
    // Layouts where Alt+digit types another character still have the physical digit code.
    expect(shortcutFor({ ...key("¡", { alt: true }), code: "Digit2" }, false, false, admin)).toEqual({ kind: "go", screen: "reservations" });
  });

  it("gates Settings by role", () => {
    expect(shortcutFor(key("6", { alt: true }), false, false, staff)).toBeNull();
    expect(shortcutFor(key("x"), false, true, staff)).toBeNull();
  });

  it("opens screens with g then a letter", () => {
    expect(shortcutFor(key("g"), false, false, admin)).toEqual({ kind: "g" });
    expect(shortcutFor(key("s"), false, true, admin)).toEqual({ kind: "go", screen: "sales" });
    expect(shortcutFor(key("c"), false, true, admin)).toEqual({ kind: "go", screen: "connections" });
    expect(shortcutFor(key("s"), false, false, admin)).toBeNull();
  });

  it("focuses search with / and Ctrl+K", () => {
    expect(shortcutFor(key("/"), false, false, admin)).toEqual({ kind: "search" });
    expect(shortcutFor(key("k", { ctrl: true }), true, false, admin)).toEqual({ kind: "search" });
    expect(shortcutFor(key("k", { meta: true }), false, false, admin)).toEqual({ kind: "search" });
  });

  it("leaves typing alone", () => {
    expect(shortcutFor(key("/"), true, false, admin)).toBeNull();
    expect(shortcutFor(key("g"), true, false, admin)).toBeNull();
    expect(shortcutFor(key("t"), true, true, admin)).toBeNull();
  });
});
