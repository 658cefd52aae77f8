import { useEffect, useState } from "react";
import { useVenue } from "../context";
import { useView } from "../hooks/useView";
import { agoText, syncState, waitingText } from "../lib/syncText";

/** The header's word on the hub: "synced 12 s ago", or "offline since 10:42 · 3 changes
 * waiting". Nothing while this console works alone. */
export function SyncBadge() {
  const { fmt } = useVenue();
  const view = useView((api) => api.syncStatus(), [], []);
  const [now, setNow] = useState(() => Date.now());
  const { reload } = view;
  useEffect(() => {
    // Sync runs in the background: ask again now and then, and keep "N s ago" moving.
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
    return (
      <span className="sync-badge sync-offline" data-testid="sync-badge" title={status.last_error ?? undefined}>
        {state.since ? `Offline since ${fmt.time(state.since)}` : "Offline"}
        {waiting}
      </span>
    );
  }
  return (
    <span className="sync-badge sync-ok" data-testid="sync-badge" title={status.hub_url ?? undefined}>
      {agoText(state.secondsAgo)}
      {waiting}
    </span>
  );
}
