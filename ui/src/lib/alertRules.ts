// Alert rules as people read and write them: what each metric means and in which unit its
// threshold is entered (shares as percentages), and a rule's condition in one sentence.
import type { Condition, Metric, AlertRuleConfig, AlertRuleView, Severity } from "../types";

type Unit = "percent" | "people" | "seconds" | "count";

export const METRICS: ReadonlyArray<{ id: Metric; label: string; unit: Unit }> = [
  { id: "occupancy_share", label: "Occupancy, share of capacity", unit: "percent" },
  { id: "occupancy", label: "People inside", unit: "people" },
  { id: "breaker_open", label: "Connector not answering (breaker open)", unit: "count" },
  { id: "snapshot_failed", label: "Connector's last fetch failed or partial", unit: "count" },
  { id: "rate_limit_ratio", label: "Connector rate-limited, share of requests", unit: "percent" },
  { id: "pms_socket_down_seconds", label: "PMS live connection down", unit: "seconds" },
  { id: "sensor_offline", label: "Door sensor offline", unit: "count" },
  { id: "sensor_auth_failed", label: "Door sensor refuses its credentials", unit: "count" },
  { id: "charge_failed", label: "Room charge failed to post", unit: "count" },
  { id: "vip_arrival", label: "VIP arriving today", unit: "count" },
  { id: "task_failing_seconds", label: "Console task failing (door counts not recorded, sales not fetched…)", unit: "seconds" },
  { id: "sync_failing_seconds", label: "Sync with the hub failing (changes waiting on this console)", unit: "seconds" },
];

export const CONDITIONS: ReadonlyArray<{ id: Condition; label: string }> = [
  { id: ">=", label: "at or above" },
  { id: ">", label: "above" },
  { id: "<=", label: "at or below" },
  { id: "<", label: "below" },
  { id: "==", label: "equal to" },
];

export function metricInfo(metric: Metric | string) {
  return METRICS.find((m) => m.id === metric) ?? { id: metric as Metric, label: metric, unit: "count" as Unit };
}

/** The threshold as typed in the form: shares as percentages (0.8 → 80). */
export function thresholdForDisplay(metric: Metric, threshold: number): number {
  return metricInfo(metric).unit === "percent" ? Math.round(threshold * 10_000) / 100 : threshold;
}

/** The threshold the core stores: percentages back to shares (80 → 0.8). */
export function thresholdFromDisplay(metric: Metric, shown: number): number {
  return metricInfo(metric).unit === "percent" ? shown / 100 : shown;
}

function amount(metric: Metric, threshold: number): string {
  const shown = thresholdForDisplay(metric, threshold);
  switch (metricInfo(metric).unit) {
    case "percent":
      return `${shown} %`;
    case "people":
      return `${shown} ${shown === 1 ? "person" : "people"}`;
    case "seconds":
      return duration(shown);
    case "count":
      return `${shown}`;
  }
}

/** "2 min", "1 h 30 min", "45 s". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** One sentence: "People inside above 60 people for 5 min, 18:00-02:00". */
export function describeRule(rule: Pick<AlertRuleView, "metric" | "condition" | "threshold" | "window_seconds" | "active_hours">): string {
  const cond = CONDITIONS.find((c) => c.id === rule.condition)?.label ?? rule.condition;
  const parts = [`${metricInfo(rule.metric).label} ${cond} ${amount(rule.metric, rule.threshold)}`];
  if (rule.window_seconds > 0) parts[0] += ` for ${duration(rule.window_seconds)}`;
  if (rule.active_hours) parts.push(rule.active_hours);
  return parts.join(", ");
}

/** The rule form's fields, as strings the inputs hold. */
export interface RuleForm {
  id: string;
  title: string;
  metric: Metric;
  condition: Condition;
  threshold: string;
  windowMinutes: string;
  severity: Severity;
  coolDownMinutes: string;
  activeFrom: string;
  activeTo: string;
  enabled: boolean;
}

export const EMPTY_FORM: RuleForm = {
  id: "",
  title: "",
  metric: "occupancy",
  condition: ">=",
  threshold: "",
  windowMinutes: "0",
  severity: "warning",
  coolDownMinutes: "15",
  activeFrom: "",
  activeTo: "",
  enabled: true,
};

export function formFromRule(rule: AlertRuleView): RuleForm {
  const [from = "", to = ""] = rule.active_hours ? rule.active_hours.split("-") : [];
  return {
    id: rule.id,
    title: rule.title ?? "",
    metric: rule.metric,
    condition: rule.condition,
    threshold: String(thresholdForDisplay(rule.metric, rule.threshold)),
    windowMinutes: String(rule.window_seconds / 60),
    severity: rule.severity,
    coolDownMinutes: String(rule.cool_down_seconds / 60),
    activeFrom: from,
    activeTo: to,
    enabled: rule.enabled,
  };
}

/** The form as the core takes it, or the first problem in words. The core checks again. */
export function inputFromForm(form: RuleForm): { rule: AlertRuleConfig } | { problem: string } {
  const id = form.id.trim();
  if (!id) return { problem: "Give the rule a short id, e.g. terrace-busy." };
  const threshold = Number(form.threshold);
  if (form.threshold.trim() === "" || !Number.isFinite(threshold)) return { problem: "The threshold must be a number." };
  const minutes = (text: string, what: string): number | string => {
    const n = Number(text.trim() === "" ? "0" : text);
    return Number.isFinite(n) && n >= 0 ? Math.round(n * 60) : `${what} must be a number of minutes, 0 or more.`;
  };
  const window = minutes(form.windowMinutes, "The window");
  if (typeof window === "string") return { problem: window };
  const coolDown = minutes(form.coolDownMinutes, "The cool-down");
  if (typeof coolDown === "string") return { problem: coolDown };
  const from = form.activeFrom.trim();
  const to = form.activeTo.trim();
  if (Boolean(from) !== Boolean(to)) return { problem: "Active hours need both a start and an end, or neither for all day." };
  const rule: AlertRuleConfig = {
    id,
    metric: form.metric,
    condition: form.condition,
    threshold: thresholdFromDisplay(form.metric, threshold),
    window_seconds: window,
    severity: form.severity,
    cool_down_seconds: coolDown,
    enabled: form.enabled,
  };
  if (from) rule.active_hours = `${from}-${to}`;
  if (form.title.trim()) rule.title = form.title.trim();
  return { rule };
}
