import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Header } from "./components/Header";
import { SyncBadge } from "./components/SyncBadge";
import { Nav } from "./components/Nav";
import { NavContext, VenueContext, type VenueScope } from "./context";
import { useShortcuts } from "./hooks/useShortcuts";
import { createFormatter } from "./lib/formatter";
import { navFor, type ScreenId } from "./lib/roles";
import { Connections } from "./screens/Connections";
import { Reservations } from "./screens/Reservations";
import { Sales } from "./screens/Sales";
import { Sensors } from "./screens/Sensors";
import { Settings } from "./screens/Settings";
import { Today } from "./screens/Today";
import { lockDelayMs, watchInactivity } from "./session";
import type { SessionInfo, Venue } from "./types";

function screenFromHash(): ScreenId | null {
  if (typeof location === "undefined") return null;
  const id = location.hash.replace(/^#\/?/, "");
  return (["today", "reservations", "sales", "sensors", "connections", "settings"] as const).find((s) => s === id) ?? null;
}

/** The signed-in console: header, left nav and the current screen. */
export function Console({
  session,
  venue,
  locale,
  onLock,
  refreshVenue,
  initialScreen,
  navigateTo,
}: {
  session: SessionInfo;
  venue: Venue;
  locale: string | undefined;
  /** Signs out; `reason` is shown on the PIN screen. */
  onLock: (reason: string | null) => void;
  refreshVenue: () => void;
  initialScreen?: ScreenId;
  /** A clicked desktop notification's screen; each new `seq` opens it once. */
  navigateTo?: { screen: ScreenId; seq: number } | null;
}) {
  const items = useMemo(() => navFor(session.role), [session.role]);
  const allowed = useCallback((id: ScreenId | null) => (id && items.some((i) => i.id === id) ? id : null), [items]);
  const [screen, setScreen] = useState<ScreenId>(() => allowed(initialScreen ?? screenFromHash()) ?? "today");
  const [searchFocus, setSearchFocus] = useState(0);

  const go = useCallback(
    (id: ScreenId) => {
      const ok = allowed(id);
      if (!ok) return;
      setScreen(ok);
      if (typeof history !== "undefined") history.replaceState(null, "", `#/${ok}`);
    },
    [allowed],
  );
  const focusSearch = useCallback(() => {
    go("reservations");
    setSearchFocus((n) => n + 1);
  }, [go]);

  useShortcuts({ nav: items, go, focusSearch });

  // Clicks from before this sign-in already set the hash the first screen is read from.
  const navigated = useRef(navigateTo?.seq);
  useEffect(() => {
    if (!navigateTo || navigateTo.seq === navigated.current) return;
    navigated.current = navigateTo.seq;
    go(navigateTo.screen);
  }, [navigateTo, go]);

  useEffect(() => {
    const delay = lockDelayMs(session.lock_after_seconds);
    const minutes = delay / 60_000;
    const reason = Number.isInteger(minutes)
      ? `Locked after ${minutes} minute${minutes === 1 ? "" : "s"} without input.`
      : `Locked after ${Math.round(delay / 1000)} seconds without input.`;
    return watchInactivity(window, delay, () => onLock(reason));
  }, [session.lock_after_seconds, session.staff_id, onLock]);

  const scope = useMemo<VenueScope>(
    () => ({ venue, session, fmt: createFormatter(venue.timezone, venue.currency, locale), refreshVenue }),
    [venue, session, locale, refreshVenue],
  );
  const navigation = useMemo(() => ({ screen, go, searchFocus }), [screen, go, searchFocus]);

  return (
    <VenueContext.Provider value={scope}>
      <NavContext.Provider value={navigation}>
        <div className="app">
          <Header title={venue.name} venue={venue} session={session} locale={locale} onLock={() => onLock(null)} status={<SyncBadge />} />
          <div className="body">
            <Nav items={items} current={screen} onGo={go} />
            <main className="content" id="content" tabIndex={-1}>
              {screen === "today" && <Today />}
              {screen === "reservations" && <Reservations />}
              {screen === "sales" && <Sales />}
              {screen === "sensors" && <Sensors />}
              {screen === "connections" && <Connections />}
              {screen === "settings" && <Settings />}
            </main>
          </div>
        </div>
      </NavContext.Provider>
    </VenueContext.Provider>
  );
}
