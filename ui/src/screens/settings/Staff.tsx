import { useState, type FormEvent } from "react";
import { toApiError } from "../../api";
import { Dialog } from "../../components/Dialog";
import { Badge, Card, ErrorBanner, Loading } from "../../components/States";
import { useApi, useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { atLeast, ROLE_LABEL } from "../../lib/roles";
import { TOPICS } from "../../lib/topics";
import type { ApiError, Role, StaffAccount } from "../../types";

const PIN_RULE = /^\d{4,8}$/;

function PinDialog({ account, onClose, onDone }: { account: StaffAccount; onClose: () => void; onDone: () => void }) {
  const api = useApi();
  const [pin, setPin] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!PIN_RULE.test(pin)) {
      setError({ code: "bad_input", message: "A PIN has 4 to 8 digits." });
      return;
    }
    setBusy(true);
    try {
      await api.staffSetPin(account.id, pin);
      onDone();
      onClose();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setPin("");
      setBusy(false);
    }
  };
  return (
    <Dialog title={`New PIN for ${account.name}`} onClose={onClose} testId="pin-dialog">
      <form onSubmit={submit} className="dialog-body">
        <label className="field">
          <span className="field-label">PIN (4–8 digits)</span>
          <input type="password" inputMode="numeric" autoComplete="new-password" maxLength={8} value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ""))} data-testid="staff-pin-input" />
        </label>
        {error && <ErrorBanner error={error} />}
        <div className="row-actions">
          <button type="submit" disabled={busy} data-testid="staff-pin-save">
            Set PIN
          </button>
          <button type="button" className="btn-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function AddStaff({ onAdded }: { onAdded: () => void }) {
  const api = useApi();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("staff");
  const [pin, setPin] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    if (!name.trim()) return setError({ code: "bad_input", message: "Enter the person's name." });
    if (!PIN_RULE.test(pin)) return setError({ code: "bad_input", message: "A PIN has 4 to 8 digits." });
    setError(null);
    setBusy(true);
    try {
      const account = await api.staffCreate({ name: name.trim(), role, pin });
      setAdded(account.name);
      setName("");
      setRole("staff");
      onAdded();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setPin("");
      setBusy(false);
    }
  };
  return (
    <form className="inline-form add-staff" onSubmit={submit} noValidate>
      <label className="field">
        <span className="field-label">Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} data-testid="staff-add-name" />
      </label>
      <label className="field">
        <span className="field-label">Role</span>
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="staff-add-role">
          <option value="staff">Staff</option>
          <option value="manager">Manager</option>
          <option value="admin">Admin</option>
        </select>
      </label>
      <label className="field">
        <span className="field-label">PIN</span>
        <input type="password" inputMode="numeric" autoComplete="new-password" maxLength={8} value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ""))} data-testid="staff-add-pin" />
      </label>
      <button type="submit" disabled={busy} data-testid="staff-add-submit">
        Add staff
      </button>
      {added && <span className="ok-text small" role="status">Added {added}.</span>}
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
    </form>
  );
}

/** Staff accounts; admins add, deactivate and reset PINs, anyone can change their own PIN. */
export function StaffSection() {
  const api = useApi();
  const { fmt, session } = useVenue();
  const admin = atLeast(session.role, "admin");
  const view = useView((a) => a.staffList(), TOPICS.staff, []);
  const [pinFor, setPinFor] = useState<StaffAccount | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const setActive = async (account: StaffAccount, active: boolean) => {
    setError(null);
    try {
      await api.staffSetActive(account.id, active);
      setDone(`${account.name} ${active ? "reactivated" : "deactivated"}.`);
      void view.reload();
    } catch (reason) {
      setError(toApiError(reason));
    }
  };

  return (
    <Card title="Staff accounts" className="card-staff">
      {admin && <AddStaff onAdded={() => void view.reload()} />}
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
      {done && <p className="ok-text small" role="status">{done}</p>}
      {!view.data ? (
        view.error ? <ErrorBanner error={view.error} onRetry={() => void view.reload()} /> : <Loading label="Reading staff…" />
      ) : (
        <table className="table" data-testid="staff-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Status</th>
              <th>Last sign-in</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {view.data.map((a) => (
              <tr key={a.id} data-testid={`staff-${a.id}`} className={a.active ? undefined : "inactive"}>
                <td>
                  {a.name}
                  {a.id === session.staff_id && <span className="dim small"> (you)</span>}
                </td>
                <td>{ROLE_LABEL[a.role] ?? a.role}</td>
                <td>
                  <Badge tone={a.active ? "ok" : "muted"}>{a.active ? "Active" : "Inactive"}</Badge>
                </td>
                <td>{a.last_sign_in_at ? fmt.dateTime(a.last_sign_in_at) : <span className="dim">never</span>}</td>
                <td className="row-actions">
                  {(admin || a.id === session.staff_id) && (
                    <button type="button" className="btn-small btn-secondary" onClick={() => setPinFor(a)} data-testid={`staff-pin-${a.id}`}>
                      {a.id === session.staff_id ? "Change my PIN" : "Reset PIN"}
                    </button>
                  )}
                  {admin && (
                    <button type="button" className="btn-small btn-secondary" onClick={() => void setActive(a, !a.active)} data-testid={`staff-active-${a.id}`}>
                      {a.active ? "Deactivate" : "Reactivate"}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pinFor && <PinDialog account={pinFor} onClose={() => setPinFor(null)} onDone={() => setDone(`PIN changed for ${pinFor.name}.`)} />}
    </Card>
  );
}
