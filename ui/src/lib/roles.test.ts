import { describe, expect, it } from "vitest";
import { atLeast, navFor } from "./roles";

describe("role gates", () => {
  it("orders staff < manager < admin", () => {
    expect(atLeast("staff", "staff")).toBe(true);
    expect(atLeast("staff", "manager")).toBe(false);
    expect(atLeast("manager", "manager")).toBe(true);
    expect(atLeast("manager", "admin")).toBe(false);
    expect(atLeast("admin", "manager")).toBe(true);
    expect(atLeast(null, "staff")).toBe(false);
  });

  it("hides Settings from staff", () => {
    expect(navFor("staff").map((n) => n.id)).toEqual(["today", "reservations", "sales", "sensors", "connections"]);
    expect(navFor("manager").map((n) => n.id)).toContain("settings");
    expect(navFor("admin").map((n) => n.id)).toHaveLength(6);
    expect(navFor(null)).toEqual([]);
  });

  it("gives every screen its own digit and letter", () => {
    const all = navFor("admin");
    expect(new Set(all.map((n) => n.digit)).size).toBe(all.length);
    expect(new Set(all.map((n) => n.letter)).size).toBe(all.length);
  });
});
