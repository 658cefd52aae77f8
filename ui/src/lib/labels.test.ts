import { describe, expect, it } from "vitest";
import { breakerLabel, syncText } from "./labels";

describe("labels", () => {
  it("spells breaker states for people", () => {
    expect(breakerLabel("closed")).toBe("CLOSED");
    expect(breakerLabel("open")).toBe("OPEN");
    expect(breakerLabel("half_open")).toBe("HALF OPEN");
  });

  it("is honest about sync", () => {
    const sync = { pending_changes: 42, total_changes: 100, last_hlc: null, hub_configured: false, state: "local_only" };
    expect(syncText(sync)).toBe("Local only · 42 changes waiting for the hub");
    expect(syncText({ ...sync, pending_changes: 1 })).toBe("Local only · 1 change waiting for the hub");
    expect(syncText({ ...sync, pending_changes: 0 })).toBe("Local only · nothing waiting for the hub");
    expect(syncText({ ...sync, pending_changes: 1234 }, (n) => n.toLocaleString("en-US"))).toBe("Local only · 1,234 changes waiting for the hub");
  });
});
