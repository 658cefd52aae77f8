import { useEffect, useState } from "react";
import { useVenue } from "../context";
import { useView } from "../hooks/useView";
import { agoText, syncState, waitingText } from "../lib/syncText";

/** How this console stands with its hub, in a line: "synced 12 s ago · 2 changes waiting" or
 * "Offline since 10:42 · 3 changes waiting"; null while it works alone (or before the first
 * answer). Asked again every 10 s, since sync runs in the background. */
function useSyncLine(): { text: string; offline: boolean; title: string | undefined } | null {
  const { fmt } = useVenue();
  const view = useView((api) => api.syncStatus(), [], []);
  const [now, setNow] = useState(() => Date.now());
  const { reload } = view;
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
      void reload();
    }, 10_000);
    return () => clearInterval(timer);
  }, [reload]);
  const status = view.data;
  if (!status) return null;
  const state = syncState(status, now);
  if (state.kind === "alone") return null;
  const waiting = status.changes_waiting > 0 ? ` · ${waitingText(status.changes_waiting)}` : "";
  if (state.kind === "offline") {
    return { text: `${state.since ? `Offline since ${fmt.time(state.since)}` : "Offline"}${waiting}`, offline: true, title: status.last_error ?? undefined };
  }
  return { text: `${agoText(state.secondsAgo)}${waiting}`, offline: false, title: status.hub_url ?? undefined };
}

/** The header's word on the hub; nothing while this console works alone. */
export function SyncBadge() {
  const line = useSyncLine();
  if (!line) return null;
  return (
    <span className={`sync-badge ${line.offline ? "sync-offline" : "sync-ok"}`} data-testid="sync-badge" title={line.title}>
      {line.text}
    </span>
  );
}

/** The same line for the Today health card, with `fallback` until the status is read. */
export function SyncLine({ fallback }: { fallback: string }) {
  const line = useSyncLine();
  return (
    <span className={line?.offline ? "error-text" : undefined} data-testid="sync-status" title={line?.title}>
      {line ? line.text : fallback}
    </span>
  );
}
