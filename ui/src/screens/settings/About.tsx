import { Card, ErrorBanner, Loading } from "../../components/States";
import { useVenue } from "../../context";
import { formatBytes } from "../../format";
import { useView } from "../../hooks/useView";
import type { SettingsView } from "../../types";
import { UpdateStatus } from "./UpdateStatus";

/** App version and updates, where the data lives, and the store's health. */
export function About({ settings }: { settings: SettingsView }) {
  const { fmt } = useVenue();
  const info = useView((api) => api.appInfo(), [], []);
  const status = useView((api) => api.status(), ["venue", "snapshot"], []);
  const store = status.data?.store;
  return (
    <Card title="About this console" className="card-about">
      <dl className="kv">
        <div>
          <dt>Version</dt>
          <dd>{info.data ? <span data-testid="app-version">{info.data.version}</span> : info.error ? <span className="error-text">{info.error.message}</span> : "…"}</dd>
        </div>
        <UpdateStatus />
        <div>
          <dt>Data folder</dt>
          <dd><code className="small">{settings.data_dir}</code></dd>
        </div>
        <div>
          <dt>Configuration</dt>
          <dd><code className="small">{settings.config_path}</code></dd>
        </div>
        {store && (
          <>
            <div>
              <dt>Store</dt>
              <dd>
                <code className="small">{store.path}</code> · {formatBytes(store.size_bytes, fmt.locale)} · {store.journal_mode}
              </dd>
            </div>
            <div>
              <dt>Schema</dt>
              <dd>
                {store.schema_version} of {store.latest_schema_version}{" "}
                {store.schema_version < store.latest_schema_version ? <span className="badge badge-warn">migration pending</span> : <span className="badge badge-ok">up to date</span>}
              </dd>
            </div>
            <div>
              <dt>Node</dt>
              <dd><code className="small">{store.node_id}</code></dd>
            </div>
            <div>
              <dt>Change log</dt>
              <dd>{fmt.count(status.data!.change_log.total)} entries · {fmt.count(status.data!.change_log.pending_sync)} not yet synced</dd>
            </div>
          </>
        )}
      </dl>
      {status.error && <ErrorBanner error={status.error} />}
      {!store && !status.error && <Loading label="Reading the store…" lines={1} />}
    </Card>
  );
}
