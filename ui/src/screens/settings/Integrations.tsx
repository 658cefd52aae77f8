import { Card } from "../../components/States";
import type { SettingsView } from "../../types";

/** What venue.toml configures: connectors, PMS, sensors. Read-only here. */
export function Integrations({ settings }: { settings: SettingsView }) {
  return (
    <>
      <Card title="Sales connectors" className="card-config">
        {settings.connectors.length === 0 ? (
          <p className="empty">None configured — add a <code>[[connector]]</code> block to <code>venue.toml</code>.</p>
        ) : (
          <table className="table" data-testid="config-connectors">
            <thead>
              <tr><th>Name</th><th>Kind</th><th>Base URL</th><th>Every</th><th>Locations</th></tr>
            </thead>
            <tbody>
              {settings.connectors.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.kind}</td>
                  <td><code className="small">{c.base_url}</code></td>
                  <td>{c.interval_minutes} min</td>
                  <td>{c.location_ids.length ? c.location_ids.join(", ") : <span className="dim">all</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="PMS" className="card-config">
        {settings.pms ? (
          <dl className="kv">
            <div><dt>Name</dt><dd>{settings.pms.name} ({settings.pms.kind})</dd></div>
            <div><dt>API</dt><dd><code className="small">{settings.pms.api_url}</code></dd></div>
            <div><dt>Live socket</dt><dd><code className="small">{settings.pms.ws_url}</code></dd></div>
          </dl>
        ) : (
          <p className="empty">None configured — add a <code>[pms]</code> block to <code>venue.toml</code>.</p>
        )}
      </Card>
      <Card title="Sensors" className="card-config">
        {settings.sensors.length === 0 ? (
          <p className="empty">No sensors configured — add a <code>[[sensor]]</code> block to <code>venue.toml</code>.</p>
        ) : (
          <table className="table" data-testid="config-sensors">
            <thead>
              <tr><th>Name</th><th>Kind</th><th>Zone</th><th>URL</th><th>Every</th></tr>
            </thead>
            <tbody>
              {settings.sensors.map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td>{s.kind}</td>
                  <td>{s.zone}</td>
                  <td>{s.url ? <code className="small">{s.url}</code> : <span className="dim">push (MQTT)</span>}</td>
                  <td>{s.interval_seconds} s</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <p className="dim small">
        These come from <code>{settings.config_path}</code>; edit that file to change them.
      </p>
    </>
  );
}
