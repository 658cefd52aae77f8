import { useState } from "react";
import { toApiError } from "../../api";
import { Badge, Card, ErrorBanner, type Tone } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { atLeast } from "../../lib/roles";
import type { ApiError, SecretStatus } from "../../types";

function secretBadge(s: SecretStatus): [Tone, string] {
  if (s.source === "unavailable") return ["crit", "Keyring unavailable"];
  if (!s.set || s.source === "missing") return ["crit", "Missing"];
  return ["ok", s.source === "environment" ? "Set · environment" : "Set · OS keyring"];
}

function SecretRow({ secret, admin, onSaved }: { secret: SecretStatus; admin: boolean; onSaved: () => void }) {
  const api = useApi();
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [tone, label] = secretBadge(secret);

  const save = async () => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await api.setSecret(secret.name, value);
      setSaved(true);
      onSaved();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      // The value never stays in the page, whether it was stored or not.
      setValue("");
      setBusy(false);
    }
  };

  return (
    <tr data-testid={`secret-${secret.name}`}>
      <td>
        <code>{secret.name}</code>
        <div className="dim small">{secret.purpose}</div>
      </td>
      <td>
        <Badge tone={tone} testId={`secret-status-${secret.name}`}>
          {label}
        </Badge>
        {secret.message && <div className="dim small wrap">{secret.message}</div>}
      </td>
      {admin && (
        <td>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (value) void save();
            }}
          >
            <input
              type="password"
              autoComplete="new-password"
              value={value}
              placeholder={secret.set ? "Replace the value" : "Paste the value"}
              aria-label={`New value for ${secret.name}`}
              onChange={(e) => {
                setValue(e.target.value);
                setSaved(false);
              }}
              data-testid={`secret-input-${secret.name}`}
            />
            <button type="submit" className="btn-small" disabled={busy || value === ""} data-testid={`secret-save-${secret.name}`}>
              {busy ? "Saving…" : "Save"}
            </button>
          </form>
          {saved && (
            <span className="ok-text small" role="status" data-testid={`secret-saved-${secret.name}`}>
              Saved to the OS keyring.
            </span>
          )}
          {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
        </td>
      )}
    </tr>
  );
}

/** The secrets the configured integrations need: whether each is set, and (admin) a way to set it. */
export function Credentials({ secrets, onSaved }: { secrets: SecretStatus[]; onSaved: () => void }) {
  const { session } = useVenue();
  const admin = atLeast(session.role, "admin");
  return (
    <Card title="Credentials" className="card-credentials">
      <p className="dim small">Values are stored in the operating system's keyring and are never shown again.</p>
      {secrets.length === 0 ? (
        <p className="empty">No integration needs a secret.</p>
      ) : (
        <table className="table" data-testid="secrets">
          <thead>
            <tr>
              <th>Secret</th>
              <th>Status</th>
              {admin && <th>Set a new value</th>}
            </tr>
          </thead>
          <tbody>
            {secrets.map((s) => (
              <SecretRow key={s.name} secret={s} admin={admin} onSaved={onSaved} />
            ))}
          </tbody>
        </table>
      )}
      {!admin && <p className="dim small">Only an admin can set credentials.</p>}
    </Card>
  );
}
