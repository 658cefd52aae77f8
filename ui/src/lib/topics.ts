import type { StoreTopic } from "../types";

/** Which store-changed topics make each view stale (contract.md "Events"); StoreTopic is
 * generated from the topics the store announces, so a misspelt one fails to typecheck. */
export const TOPICS = {
  today: ["sensor_reading", "sensor_state", "transaction", "reservation", "alert", "connector_state", "snapshot", "pms_charge", "venue", "resource"],
  stays: ["reservation", "customer", "resource", "desk_note"],
  search: ["reservation", "customer"],
  reservation: ["reservation", "customer", "resource", "pms_charge", "desk_note"],
  sales: ["transaction", "location", "venue"],
  sensors: ["sensor_reading", "sensor_state", "sensor_device"],
  traffic: ["sensor_reading"],
  connections: ["connector_state", "snapshot", "pms_charge"],
  settings: ["venue", "audit"],
  staff: ["audit"],
  alertRules: ["alert_rules", "venue"],
  venue: ["venue"],
} as const satisfies Record<string, readonly StoreTopic[]>;

/** True when any changed topic is one the view depends on. */
export function touches(changed: readonly string[], dependsOn: readonly string[]): boolean {
  return changed.some((topic) => dependsOn.includes(topic));
}
