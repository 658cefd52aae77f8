// Renders screens and the app with the demo API standing in for Tauri (DOM tests run under
// happy-dom: put `// @vitest-environment happy-dom` at the top of the test file).
import { cleanup, render } from "@testing-library/react";
import type { ReactElement } from "react";
import { afterEach } from "vitest";
import type { Api } from "../api";
import { ApiContext, BusContext, NavContext, VenueContext } from "../context";
import { createDemoApi, type DemoApi } from "../dev/demoApi";
import { DEMO_STAFF, DEMO_VENUE } from "../dev/fixtures";
import { createTopicBus } from "../lib/bus";
import { createFormatter } from "../lib/formatter";
import type { ScreenId } from "../lib/roles";
import type { Role, SessionInfo, Venue } from "../types";

afterEach(() => cleanup());

export const LOCALE = "en-GB";

/** Intl output may use narrow/non-breaking spaces; compare on plain ones. */
export const plain = (s: string | null | undefined) => (s ?? "").replace(/[\u00a0\u202f]/g, " ");

export function sessionAs(role: Role): SessionInfo {
  const who = DEMO_STAFF.find((s) => s.role === role)!;
  return { staff_id: who.id, name: who.name, role, signed_in_at: "2026-11-29T08:00:00Z", lock_after_seconds: 300 };
}

export interface ScreenOptions {
  api?: Api;
  role?: Role;
  venue?: Venue;
  go?: (screen: ScreenId) => void;
}

/** Renders one screen inside the providers the console gives it. */
export function renderScreen(ui: ReactElement, options: ScreenOptions = {}) {
  const role = options.role ?? "staff";
  const api = options.api ?? createDemoApi({ signedInAs: sessionAs(role).name });
  const bus = createTopicBus();
  const venue = options.venue ?? DEMO_VENUE;
  const scope = { venue, session: sessionAs(role), fmt: createFormatter(venue.timezone, venue.currency, LOCALE), refreshVenue: () => {} };
  const result = render(
    <ApiContext.Provider value={api}>
      <BusContext.Provider value={bus}>
        <VenueContext.Provider value={scope}>
          <NavContext.Provider value={{ screen: "today", go: options.go ?? (() => {}), searchFocus: 0 }}>{ui}</NavContext.Provider>
        </VenueContext.Provider>
      </BusContext.Provider>
    </ApiContext.Provider>,
  );
  return { ...result, api, bus };
}

export function demoApiAs(role: Role | null, extra: Parameters<typeof createDemoApi>[0] = {}): DemoApi {
  return createDemoApi({ signedInAs: role ? sessionAs(role).name : null, ...extra });
}
