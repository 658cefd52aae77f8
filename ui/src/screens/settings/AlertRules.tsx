import { useState, type FormEvent } from "react";
import { toApiError } from "../../api";
import { Dialog } from "../../components/Dialog";
import { Badge, Card, ErrorBanner, Loading } from "../../components/States";
import { useApi } from "../../context";
import { useView } from "../../hooks/useView";
import { CONDITIONS, describeRule, duration, EMPTY_FORM, formFromRule, inputFromForm, metricInfo, METRICS, type RuleForm } from "../../lib/alertRules";
import { severityTone } from "../../lib/labels";
import { TOPICS } from "../../lib/topics";
import type { Condition, Metric, AlertRuleView, ApiError, RuleSource, Severity } from "../../types";

const SOURCE_LABEL: Record<RuleSource, string> = { builtin: "Built-in", config: "venue.toml", custom: "Custom" };

function RuleDialog({ editing, onClose, onSaved }: { editing: AlertRuleView | null; onClose: () => void; onSaved: (rule: AlertRuleView) => void }) {
  const api = useApi();
  const [form, setForm] = useState<RuleForm>(() => (editing ? formFromRule(editing) : EMPTY_FORM));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const unit = metricInfo(form.metric).unit;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = inputFromForm(form);
    if ("problem" in checked) return setError({ code: "bad_input", message: checked.problem });
    setError(null);
    setBusy(true);
    try {
      onSaved(await api.saveAlertRule(checked.rule));
      onClose();
    } catch (reason) {
      setError(toApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={editing ? `Edit rule ${editing.id}` : "New alert rule"} onClose={onClose} testId="rule-dialog">
      <form onSubmit={submit} className="dialog-body rule-form" noValidate>
        <label className="field">
          <span className="field-label">Id</span>
          <input value={form.id} readOnly={Boolean(editing)} onChange={(e) => set("id", e.target.value)} placeholder="terrace-busy" data-testid="rule-id" />
        </label>
        <label className="field">
          <span className="field-label">Title (optional)</span>
          <input value={form.title} onChange={(e) => set("title", e.target.value)} placeholder="Terrace is filling up" data-testid="rule-title" />
        </label>
        <label className="field">
          <span className="field-label">Measure</span>
          <select value={form.metric} onChange={(e) => set("metric", e.target.value as Metric)} data-testid="rule-metric">
            {METRICS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <div className="field-row">
          <label className="field">
            <span className="field-label">When it is</span>
            <select value={form.condition} onChange={(e) => set("condition", e.target.value as Condition)} data-testid="rule-condition">
              {CONDITIONS.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Threshold{unit === "percent" ? " (%)" : unit === "seconds" ? " (seconds)" : unit === "people" ? " (people)" : ""}</span>
            <input inputMode="decimal" value={form.threshold} onChange={(e) => set("threshold", e.target.value)} data-testid="rule-threshold" />
          </label>
          <label className="field">
            <span className="field-label">For at least (min)</span>
            <input inputMode="numeric" value={form.windowMinutes} onChange={(e) => set("windowMinutes", e.target.value)} data-testid="rule-window" />
          </label>
        </div>
        <div className="field-row">
          <label className="field">
            <span className="field-label">Severity</span>
            <select value={form.severity} onChange={(e) => set("severity", e.target.value as Severity)} data-testid="rule-severity">
              <option value="info">Info</option>
              <option value="warning">Warning</option>
              <option value="critical">Critical</option>
            </select>
          </label>
          <label className="field">
            <span className="field-label">Quiet after resolving (min)</span>
            <input inputMode="numeric" value={form.coolDownMinutes} onChange={(e) => set("coolDownMinutes", e.target.value)} data-testid="rule-cool-down" />
          </label>
        </div>
        <div className="field-row">
          <label className="field">
            <span className="field-label">Active from (venue time)</span>
            <input type="time" value={form.activeFrom} onChange={(e) => set("activeFrom", e.target.value)} data-testid="rule-active-from" />
          </label>
          <label className="field">
            <span className="field-label">until</span>
            <input type="time" value={form.activeTo} onChange={(e) => set("activeTo", e.target.value)} data-testid="rule-active-to" />
          </label>
        </div>
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set("enabled", e.target.checked)} data-testid="rule-enabled" /> On
        </label>
        {error && <ErrorBanner error={error} />}
        <div className="row-actions">
          <button type="submit" disabled={busy} data-testid="rule-save">
            Save rule
          </button>
          <button type="button" className="btn-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * Alert rules (managers and admins): the built-ins and venue.toml's, read-only here, and the
 * venue's custom rules, made, changed, turned off and deleted here. The core checks, stores and
 * audits each change; the alerts of a rule turned off or deleted resolve on the next evaluation.
 */
export function AlertRules() {
  const api = useApi();
  const view = useView((a) => a.alertRules(), TOPICS.alertRules, []);
  const [dialog, setDialog] = useState<{ editing: AlertRuleView | null } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const act = async (what: () => Promise<unknown>, message: string) => {
    setError(null);
    setDone(null);
    try {
      await what();
      setDone(message);
      void view.reload();
    } catch (reason) {
      setError(toApiError(reason));
    }
  };
  const toggle = (rule: AlertRuleView) => {
    const checked = inputFromForm({ ...formFromRule(rule), enabled: !rule.enabled });
    if ("rule" in checked) void act(() => api.saveAlertRule(checked.rule), `${rule.id} turned ${rule.enabled ? "off" : "on"}.`);
  };

  return (
    <Card title="Alert rules" className="card-alert-rules">
      <div className="row-actions">
        <button type="button" onClick={() => setDialog({ editing: null })} data-testid="rule-new">
          New rule
        </button>
        <span className="dim small">Built-in and venue.toml rules are changed in venue.toml.</span>
      </div>
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} />}
      {done && (
        <p className="ok-text small" role="status">
          {done}
        </p>
      )}
      {!view.data ? (
        view.error ? <ErrorBanner error={view.error} onRetry={() => void view.reload()} /> : <Loading label="Reading alert rules…" />
      ) : (
        <table className="table" data-testid="rules-table">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Alerts when</th>
              <th>Severity</th>
              <th>Quiet after</th>
              <th>Status</th>
              <th>From</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {view.data.map((rule) => (
              <tr key={rule.id} data-testid={`rule-${rule.id}`} className={rule.enabled ? undefined : "inactive"}>
                <td>
                  <code>{rule.id}</code>
                  {rule.title && <div className="dim small">{rule.title}</div>}
                </td>
                <td>{describeRule(rule)}</td>
                <td>
                  <Badge tone={severityTone(rule.severity)}>{rule.severity}</Badge>
                </td>
                <td>{duration(rule.cool_down_seconds)}</td>
                <td>
                  <Badge tone={rule.enabled ? "ok" : "muted"}>{rule.enabled ? "On" : "Off"}</Badge>
                </td>
                <td className="dim">{SOURCE_LABEL[rule.source]}</td>
                <td className="row-actions">
                  {rule.source === "custom" && (
                    <>
                      <button type="button" className="btn-small btn-secondary" onClick={() => setDialog({ editing: rule })} data-testid={`rule-edit-${rule.id}`}>
                        Edit
                      </button>
                      <button type="button" className="btn-small btn-secondary" onClick={() => toggle(rule)} data-testid={`rule-toggle-${rule.id}`}>
                        {rule.enabled ? "Turn off" : "Turn on"}
                      </button>
                      <button type="button" className="btn-small btn-danger" onClick={() => void act(() => api.deleteAlertRule(rule.id), `${rule.id} deleted.`)} data-testid={`rule-delete-${rule.id}`}>
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {dialog && (
        <RuleDialog
          editing={dialog.editing}
          onClose={() => setDialog(null)}
          onSaved={(rule) => {
            setDone(`${rule.id} saved.`);
            void view.reload();
          }}
        />
      )}
    </Card>
  );
}
