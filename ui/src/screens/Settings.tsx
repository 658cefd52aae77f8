import { useState } from "react";
import { ErrorBanner, Loading } from "../components/States";
import { useVenue } from "../context";
import { useView } from "../hooks/useView";
import { atLeast } from "../lib/roles";
import { TOPICS } from "../lib/topics";
import { About } from "./settings/About";
import { AlertRules } from "./settings/AlertRules";
import { Credentials } from "./settings/Credentials";
import { HubSection } from "./settings/HubSection";
import { Integrations } from "./settings/Integrations";
import { NotificationsSection } from "./settings/Notifications";
import { StaffSection } from "./settings/Staff";
import { VenueSection } from "./settings/VenueSection";

type Tab = "venue" | "hub" | "integrations" | "credentials" | "alerts" | "notifications" | "staff";
const TABS: ReadonlyArray<{ id: Tab; label: string; admin?: boolean }> = [
  { id: "venue", label: "Venue & app" },
  { id: "hub", label: "Hub", admin: true },
  { id: "integrations", label: "Integrations" },
  { id: "credentials", label: "Credentials" },
  { id: "alerts", label: "Alert rules" },
  { id: "notifications", label: "Notifications" },
  { id: "staff", label: "Staff" },
];

/** Manager and admin settings; the backend enforces the same gates. */
export function Settings() {
  const { session } = useVenue();
  const [tab, setTab] = useState<Tab>("venue");
  const view = useView((api) => api.settings(), TOPICS.settings, []);

  if (!atLeast(session.role, "manager")) {
    return (
      <div className="screen">
        <ErrorBanner error={{ code: "forbidden", message: "Settings are for managers and admins." }} />
      </div>
    );
  }
  const data = view.data;
  return (
    <div className="screen screen-settings">
      <div className="screen-head">
        <h2 className="screen-title">Settings</h2>
        <div className="tabs" role="tablist" aria-label="Settings">
          {TABS.filter((t) => !t.admin || atLeast(session.role, "admin")).map((t) => (
            <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? "tab active" : "tab"} onClick={() => setTab(t.id)} data-testid={`settings-tab-${t.id}`}>
              {t.label}
            </button>
          ))}
        </div>
      </div>
      {view.error && <ErrorBanner error={view.error} onRetry={() => void view.reload()} />}
      {tab === "staff" ? (
        <StaffSection />
      ) : tab === "hub" ? (
        <HubSection />
      ) : tab === "alerts" ? (
        <AlertRules />
      ) : tab === "notifications" ? (
        <NotificationsSection />
      ) : !data ? (
        !view.error && <Loading label="Reading settings…" lines={4} />
      ) : (
        <div className="settings-grid">
          {tab === "venue" && (
            <>
              <VenueSection key={`${data.venue.name}|${data.venue.timezone}|${data.venue.currency}|${data.venue.capacity}|${data.venue.share_guest_contacts}`} venue={data.venue} onSaved={() => void view.reload()} />
              <About settings={data} />
            </>
          )}
          {tab === "integrations" && <Integrations settings={data} />}
          {tab === "credentials" && <Credentials secrets={data.secrets} onSaved={() => void view.reload()} />}
        </div>
      )}
    </div>
  );
}
