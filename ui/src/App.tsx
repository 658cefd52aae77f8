import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { guardSession, tauriApi, toApiError, type Api } from "./api";
import { Console } from "./Console";
import { Header } from "./components/Header";
import { ErrorBanner, Loading } from "./components/States";
import { ApiContext, BusContext } from "./context";
import { displayLocale } from "./format";
import { createTopicBus } from "./lib/bus";
import { NAV, type ScreenId } from "./lib/roles";
import { markOnce } from "./lib/timing";
import { SignIn } from "./screens/SignIn";
import type { ApiError, SessionInfo, Venue } from "./types";

// The venue alone (not `status`, whose row counts scan the biggest tables): the first paint waits for it.
type Boot = { kind: "loading" } | { kind: "error"; error: ApiError } | { kind: "ready"; venue: Venue | null };

interface AppProps {
  /** The desktop shell's API; a fake in tests and in a plain browser. */
  api?: Api;
  /** BCP 47 locale for numbers and dates; the webview's default when absent. */
  locale?: string | undefined;
  initialScreen?: ScreenId;
}

/**
 * The root: reads the venue (name, timezone, currency) and the session, shows the
 * PIN screen or the console, and turns the shell's events into view reloads.
 */
export function App({ api: rawApi = tauriApi, locale = displayLocale(), initialScreen }: AppProps) {
  const [boot, setBoot] = useState<Boot>({ kind: "loading" });
  // undefined: not known yet; null: signed out.
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  // The screen a clicked desktop notification asked for; `seq` makes a second click count.
  const [navigateTo, setNavigateTo] = useState<{ screen: ScreenId; seq: number } | null>(null);
  const bus = useMemo(createTopicBus, []);
  const sessionRef = useRef(session);
  sessionRef.current = session;
  const signedOut = useRef<(message: string) => void>(() => {});
  signedOut.current = (message) => {
    if (sessionRef.current) setNotice(message);
    setSession(null);
  };
  const api = useMemo(() => guardSession(rawApi, (e) => signedOut.current(e.message)), [rawApi]);

  const loadStatus = useCallback(async () => {
    try {
      const venue = await api.venue();
      markOnce("venue-read");
      setBoot({ kind: "ready", venue });
    } catch (reason) {
      setBoot({ kind: "error", error: toApiError(reason) });
    }
  }, [api]);

  useEffect(() => {
    let live = true;
    void loadStatus();
    api.session().then(
      (s) => live && setSession(s),
      () => live && setSession(null),
    );
    return () => {
      live = false;
    };
  }, [api, loadStatus]);

  // One listener per event for the whole app; views subscribe to the bus.
  useEffect(() => {
    const stops: Array<() => void> = [];
    let live = true;
    const keep = (p: Promise<() => void>) =>
      p.then(
        (stop) => (live ? stops.push(stop) : stop()),
        () => {
          // Not inside Tauri: no events; the screens still load on mount.
        },
      );
    keep(
      api.onStoreChanged((topics) => {
        if (topics.includes("venue")) void loadStatus();
        bus.publish(topics);
      }),
    );
    keep(api.onSessionLocked(() => signedOut.current("The console was locked.")));
    keep(
      api.onNavigate((target) => {
        const screen = NAV.find((item) => item.id === target.screen)?.id;
        if (!screen) return;
        // While locked, the console opens on this screen after sign-in (it reads the hash).
        if (typeof history !== "undefined") history.replaceState(null, "", `#/${screen}`);
        setNavigateTo((last) => ({ screen, seq: (last?.seq ?? 0) + 1 }));
      }),
    );
    return () => {
      live = false;
      stops.forEach((stop) => stop());
    };
  }, [api, bus, loadStatus]);

  const lock = useCallback(
    (reason: string | null) => {
      setSession(null);
      setNotice(reason);
      api.signOut().catch(() => {
        // Already signed out, or the shell is gone: the PIN screen is shown either way.
      });
    },
    [api],
  );

  const refreshVenue = useCallback(() => void loadStatus(), [loadStatus]);

  const venue = boot.kind === "ready" ? boot.venue : null;

  let body;
  if (boot.kind === "error") {
    body = (
      <>
        <Header title="Store unavailable" muted venue={null} locale={locale} />
        <main className="content content-narrow">
          <ErrorBanner error={boot.error} title="The store could not be read" onRetry={() => void loadStatus()} />
        </main>
      </>
    );
  } else if (boot.kind === "loading" || session === undefined) {
    body = (
      <>
        <Header title="Loading…" muted venue={null} locale={locale} />
        <main className="content content-narrow">
          <Loading label="Opening the store…" />
        </main>
      </>
    );
  } else if (session === null || !venue) {
    body = (
      <>
        <Header title={venue?.name ?? "No venue set up yet"} muted={!venue} venue={venue} locale={locale} />
        <SignIn
          noVenue={boot.kind === "ready" && !venue}
          notice={session && !venue ? "No venue set up yet." : notice}
          onSignedIn={(s) => {
            setNotice(null);
            setSession(s);
          }}
        />
      </>
    );
  } else {
    return (
      <ApiContext.Provider value={api}>
        <BusContext.Provider value={bus}>
          <Console
            session={session}
            venue={venue}
            locale={locale}
            onLock={lock}
            refreshVenue={refreshVenue}
            navigateTo={navigateTo}
            {...(initialScreen ? { initialScreen } : {})}
          />
        </BusContext.Provider>
      </ApiContext.Provider>
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <BusContext.Provider value={bus}>
        <div className="app app-plain">{body}</div>
      </BusContext.Provider>
    </ApiContext.Provider>
  );
}
