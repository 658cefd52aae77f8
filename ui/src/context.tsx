import { createContext, useContext } from "react";
import type { Api } from "./api";
import type { Formatter } from "./lib/formatter";
import type { ScreenId } from "./lib/roles";
import type { TopicBus } from "./lib/bus";
import type { SessionInfo, Venue } from "./types";

export const ApiContext = createContext<Api | null>(null);

/** The Api the app was started with (Tauri, or a fake in tests). */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside <ApiContext.Provider>");
  return api;
}

export const BusContext = createContext<TopicBus | null>(null);

export function useBus(): TopicBus {
  const bus = useContext(BusContext);
  if (!bus) throw new Error("useBus outside <BusContext.Provider>");
  return bus;
}

export interface VenueScope {
  venue: Venue;
  fmt: Formatter;
  session: SessionInfo;
  /** Re-reads the venue after an edit. */
  refreshVenue: () => void;
}

export const VenueContext = createContext<VenueScope | null>(null);

/** The signed-in venue scope: venue, its formatter and the session. */
export function useVenue(): VenueScope {
  const scope = useContext(VenueContext);
  if (!scope) throw new Error("useVenue outside <VenueContext.Provider>");
  return scope;
}

export interface Navigation {
  screen: ScreenId;
  go: (screen: ScreenId) => void;
  /** Bumped by "/" and Ctrl+K; the Reservations screen focuses its search box when it changes. */
  searchFocus: number;
}

export const NavContext = createContext<Navigation>({ screen: "today", go: () => {}, searchFocus: 0 });

export function useNav(): Navigation {
  return useContext(NavContext);
}
