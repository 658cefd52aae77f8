import { useCallback, useEffect, useState, type ReactNode } from "react";
import { fetchStatus, toApiError } from "./api";
import { displayLocale, formatBytes, formatCount, formatMinor } from "./format";
import type {
  ApiError,
  ChangeLogInfo,
  RecordCounts,
  SnapshotInfo,
  StatusReport,
  StoreInfo,
  TodaySales,
  VenueInfo,
} from "./types";

export type LoadState =
  | { kind: "loading" }
  | { kind: "error"; error: ApiError }
  | { kind: "ready"; report: StatusReport; loadedAt: Date };

interface AppProps {
  /** Replaces the Tauri call, for tests and previews. */
  load?: () => Promise<StatusReport>;
  /** BCP 47 locale for numbers and dates; the webview's default when absent. */
  locale?: string | undefined;
}

export function App({ load = fetchStatus, locale = displayLocale() }: AppProps) {
  const [state, setState] = useState<LoadState>({ kind: "loading" });
  const [refreshing, setRefreshing] = useState(false);

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      const report = await load();
      setState({ kind: "ready", report, loadedAt: new Date() });
    } catch (reason) {
      setState({ kind: "error", error: toApiError(reason) });
    } finally {
      setRefreshing(false);
    }
  }, [load]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return <Shell state={state} refreshing={refreshing} onRefresh={refresh} locale={locale} />;
}

interface ShellProps {
  state: LoadState;
  refreshing?: boolean;
  onRefresh?: (() => void) | undefined;
  locale?: string | undefined;
}

/** The whole screen for one load state; pure, so tests can render it without Tauri. */
export function Shell({ state, refreshing = false, onRefresh, locale }: ShellProps) {
  return (
    <div className="app">
      <Header state={state} refreshing={refreshing} onRefresh={onRefresh} locale={locale} />
      <main className="content">
        {state.kind === "loading" && <LoadingView />}
        {state.kind === "error" && <ErrorView error={state.error} onRetry={onRefresh} />}
        {state.kind === "ready" && <StatusView report={state.report} locale={locale} />}
      </main>
    </div>
  );
}

function headerTitle(state: LoadState): { text: string; muted: boolean } {
  switch (state.kind) {
    case "loading":
      return { text: "Loading…", muted: true };
    case "error":
      return { text: "Store unavailable", muted: true };
    case "ready":
      return state.report.venue
        ? { text: state.report.venue.name, muted: false }
        : { text: "No venue set up yet", muted: true };
  }
}

function Header({ state, refreshing, onRefresh, locale }: ShellProps) {
  const title = headerTitle(state);
  return (
    <header className="header">
      <div className="header-titles">
        <span className="brand">Venue Console</span>
        {/* The test id sits on an inner span: WebKit's WebDriver reports any element with
            overflow: hidden and only text inside as not displayed, and then reads its text as "". */}
        <h1 className={title.muted ? "venue-name muted" : "venue-name"} title={title.text}>
          <span data-testid="venue-name">{title.text}</span>
        </h1>
      </div>
      <div className="header-actions">
        {state.kind === "ready" && (
          <span className="updated">
            Updated{" "}
            {new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(state.loadedAt)}
          </span>
        )}
        {onRefresh && state.kind === "ready" && (
          <button type="button" onClick={onRefresh} disabled={refreshing}>
            {refreshing ? "Refreshing…" : "Refresh"}
          </button>
        )}
      </div>
    </header>
  );
}

function LoadingView() {
  return (
    <div className="state-message" role="status" data-testid="status-loading">
      Reading the store…
    </div>
  );
}

export function ErrorView({ error, onRetry }: { error: ApiError; onRetry?: (() => void) | undefined }) {
  return (
    <div className="state-message error" role="alert" data-testid="status-error">
      <h2>The store could not be read</h2>
      <p className="error-message" data-testid="error-message">
        {error.message}
      </p>
      <p className="error-code">
        Error code <code data-testid="error-code">{error.code}</code>
      </p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function StatusView({ report, locale }: { report: StatusReport; locale?: string | undefined }) {
  return (
    <section className="status" data-testid="store-status" aria-label="Store status">
      <VenueCard venue={report.venue} locale={locale} />
      <StoreCard store={report.store} locale={locale} />
      <TodayCard today={report.today} hasVenue={report.venue !== null} locale={locale} />
      <CountsCard counts={report.counts} locale={locale} />
      <ChangeLogCard changeLog={report.change_log} locale={locale} />
      <SnapshotCard snapshot={report.last_snapshot} locale={locale} />
    </section>
  );
}

function Card({ title, className, children }: { title: string; className?: string; children: ReactNode }) {
  return (
    <article className={className ? `card ${className}` : "card"}>
      <h2 className="card-title">{title}</h2>
      {children}
    </article>
  );
}

function Row({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="row">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function VenueCard({ venue, locale }: { venue: VenueInfo | null; locale?: string | undefined }) {
  if (!venue) {
    return (
      <Card title="Venue" className="card-venue">
        <div className="notice" data-testid="no-venue">
          <strong>No venue set up yet.</strong>
          <p>
            Create one with <code>venue init</code> (or <code>venue init --demo</code> for a sample venue),
            then press Refresh.
          </p>
        </div>
      </Card>
    );
  }
  return (
    <Card title="Venue" className="card-venue">
      <dl>
        <Row label="Name">{venue.name}</Row>
        <Row label="Timezone">{venue.timezone}</Row>
        <Row label="Currency">{venue.currency}</Row>
        <Row label="Capacity" testId="capacity">
          {formatCount(venue.capacity, locale)}
        </Row>
      </dl>
    </Card>
  );
}

function StoreCard({ store, locale }: { store: StoreInfo; locale?: string | undefined }) {
  const behind = store.schema_version < store.latest_schema_version;
  return (
    <Card title="Store" className="card-store">
      <dl>
        <Row label="Path">
          <code className="path" title={store.path}>
            {store.path}
          </code>
        </Row>
        <Row label="Schema">
          <span data-testid="schema-version">{store.schema_version}</span>
          <span className="dim"> of {store.latest_schema_version}</span>{" "}
          <span className={behind ? "badge warn" : "badge ok"}>{behind ? "migration pending" : "up to date"}</span>
        </Row>
        <Row label="Journal mode">{store.journal_mode}</Row>
        <Row label="Size">{formatBytes(store.size_bytes, locale)}</Row>
        <Row label="Node">
          <code>{store.node_id}</code>
        </Row>
      </dl>
    </Card>
  );
}

function formatDay(isoDate: string, locale?: string): string {
  const parsed = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) {
    return isoDate;
  }
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeZone: "UTC" }).format(parsed);
}

function TodayCard({
  today,
  hasVenue,
  locale,
}: {
  today: TodaySales | null;
  hasVenue: boolean;
  locale?: string | undefined;
}) {
  if (!today) {
    return (
      <Card title="Today's sales" className="card-today">
        <p className="empty">{hasVenue ? "No sales recorded today." : "Sales appear once a venue is set up."}</p>
      </Card>
    );
  }
  const money = (minor: number) => formatMinor(minor, today.currency, locale);
  return (
    <Card title="Today's sales" className="card-today">
      <p className="today-date">{formatDay(today.date, locale)}</p>
      <p className="today-net" data-testid="today-net">
        {money(today.net_minor)}
        <span className="today-net-label">net</span>
      </p>
      <dl className="money">
        <Row label="Transactions">{formatCount(today.transactions, locale)}</Row>
        <Row label="Gross">{money(today.gross_minor)}</Row>
        <Row label="Tax">{money(today.tax_minor)}</Row>
        <Row label="Tips">{money(today.tip_minor)}</Row>
        <Row label="Discounts">{money(today.discount_minor)}</Row>
        <Row label="Refunds">{money(today.refunded_minor)}</Row>
      </dl>
    </Card>
  );
}

const COUNT_LABELS: ReadonlyArray<[keyof RecordCounts, string]> = [
  ["transactions", "Transactions"],
  ["customers", "Customers"],
  ["reservations", "Reservations"],
  ["resources", "Resources"],
  ["sensor_readings", "Sensor readings"],
  ["snapshots", "Snapshots"],
  ["alerts_open", "Open alerts"],
  ["audit_entries", "Audit entries"],
];

function CountsCard({ counts, locale }: { counts: RecordCounts; locale?: string | undefined }) {
  return (
    <Card title="Records" className="card-counts">
      <ul className="counts">
        {COUNT_LABELS.map(([key, label]) => (
          <li key={key} className={key === "alerts_open" && counts[key] > 0 ? "count alert" : "count"}>
            <span className="count-value">{formatCount(counts[key], locale)}</span>
            <span className="count-label">{label}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function ChangeLogCard({ changeLog, locale }: { changeLog: ChangeLogInfo; locale?: string | undefined }) {
  return (
    <Card title="Change log" className="card-changes">
      <dl>
        <Row label="Entries">{formatCount(changeLog.total, locale)}</Row>
        <Row label="Pending sync">{formatCount(changeLog.pending_sync, locale)}</Row>
        <Row label="Last HLC">{changeLog.last_hlc ? <code>{changeLog.last_hlc}</code> : <span className="dim">none</span>}</Row>
      </dl>
    </Card>
  );
}

function formatInstant(value: string | null | undefined, locale?: string): string {
  if (!value) {
    return "—";
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    return value;
  }
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(parsed);
}

function SnapshotCard({ snapshot, locale }: { snapshot: SnapshotInfo | null; locale?: string | undefined }) {
  return (
    <Card title="Last snapshot" className="card-snapshot">
      {snapshot ? (
        <dl>
          <Row label="Connector">{snapshot.connector}</Row>
          <Row label="Status">
            <span className={snapshot.status === "ok" ? "badge ok" : "badge warn"}>{snapshot.status}</span>
            {snapshot.error && <span className="dim"> {snapshot.error}</span>}
          </Row>
          <Row label="Started">{formatInstant(snapshot.started_at, locale)}</Row>
          <Row label="Records">
            {formatCount(snapshot.records_written, locale)} written of {formatCount(snapshot.records_seen, locale)} seen
          </Row>
        </dl>
      ) : (
        <p className="empty">No connector runs yet.</p>
      )}
    </Card>
  );
}
