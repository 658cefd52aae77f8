import { useEffect, useState, type ReactNode } from "react";
import { ROLE_LABEL } from "../lib/roles";
import type { SessionInfo, Venue } from "../types";

function Clock({ timeZone, locale }: { timeZone: string; locale: string | undefined }) {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 30_000);
    return () => clearInterval(timer);
  }, []);
  let text: string;
  try {
    text = new Intl.DateTimeFormat(locale, { timeZone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(now);
  } catch {
    text = "";
  }
  return (
    <span className="clock" title={`Venue time (${timeZone})`}>
      {text}
    </span>
  );
}

export function Header({
  title,
  muted = false,
  venue,
  session,
  locale,
  onLock,
  status,
}: {
  title: string;
  muted?: boolean;
  venue: Venue | null;
  session?: SessionInfo | null;
  locale: string | undefined;
  onLock?: () => void;
  /** Shown before the clock (the hub's sync badge once signed in). */
  status?: ReactNode;
}) {
  return (
    <header className="header">
      <div className="header-titles">
        <span className="brand">Venue Console</span>
        {/* The test id sits on an inner span: WebKit's WebDriver reports any element with
            overflow: hidden and only text inside as not displayed, and then reads its text as "". */}
        <h1 className={muted ? "venue-name muted" : "venue-name"} title={title}>
          <span data-testid="venue-name">{title}</span>
        </h1>
      </div>
      <div className="header-actions">
        {status}
        {venue && <Clock timeZone={venue.timezone} locale={locale} />}
        {session && (
          <>
            <span className="who">
              <span className="who-name" data-testid="session-name">
                {session.name}
              </span>
              <span className={`role role-${session.role}`} data-testid="session-role">
                {ROLE_LABEL[session.role] ?? session.role}
              </span>
            </span>
            {onLock && (
              <button type="button" className="btn-secondary" onClick={onLock} data-testid="lock" title="Sign out and show the PIN screen">
                Lock
              </button>
            )}
          </>
        )}
      </div>
    </header>
  );
}
