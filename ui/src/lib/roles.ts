import type { Role } from "../types";

const RANK: Record<Role, number> = { staff: 0, manager: 1, admin: 2 };

/** staff < manager < admin */
export function atLeast(role: Role | null | undefined, required: Role): boolean {
  if (!role || !(role in RANK)) return false;
  return RANK[role] >= RANK[required];
}

export type ScreenId = "today" | "reservations" | "sales" | "sensors" | "connections" | "settings";

export interface NavItem {
  id: ScreenId;
  label: string;
  /** Alt+digit */
  digit: string;
  /** g then this letter */
  letter: string;
  minRole: Role;
}

export const NAV: readonly NavItem[] = [
  { id: "today", label: "Today", digit: "1", letter: "t", minRole: "staff" },
  { id: "reservations", label: "Reservations", digit: "2", letter: "r", minRole: "staff" },
  { id: "sales", label: "Sales", digit: "3", letter: "s", minRole: "staff" },
  { id: "sensors", label: "Sensors", digit: "4", letter: "n", minRole: "staff" },
  { id: "connections", label: "Connections", digit: "5", letter: "c", minRole: "staff" },
  { id: "settings", label: "Settings", digit: "6", letter: "x", minRole: "manager" },
];

/** The screens a role may open, in nav order (Settings is manager+). */
export function navFor(role: Role | null | undefined): NavItem[] {
  return NAV.filter((item) => atLeast(role, item.minRole));
}

export const ROLE_LABEL: Record<Role, string> = { staff: "Staff", manager: "Manager", admin: "Admin" };
