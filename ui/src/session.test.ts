import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createIdleTimer, lockDelayMs, watchInactivity } from "./session";

describe("inactivity lock", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("locks after the timeout without input", () => {
    const onIdle = vi.fn();
    createIdleTimer({ timeoutMs: 300_000, onIdle });
    vi.advanceTimersByTime(299_999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(600_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("counts from the last input", () => {
    const onIdle = vi.fn();
    const timer = createIdleTimer({ timeoutMs: 60_000, onIdle });
    vi.advanceTimersByTime(50_000);
    timer.activity();
    vi.advanceTimersByTime(50_000);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("never fires once stopped", () => {
    const onIdle = vi.fn();
    const timer = createIdleTimer({ timeoutMs: 1_000, onIdle });
    timer.stop();
    vi.advanceTimersByTime(10_000);
    expect(onIdle).not.toHaveBeenCalled();
  });

  it("watches keyboard and mouse events on a target", () => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    const stop = watchInactivity(target, 10_000, onIdle);
    for (let i = 0; i < 5; i += 1) {
      vi.advanceTimersByTime(9_000);
      target.dispatchEvent(new Event(i % 2 ? "keydown" : "mousemove"));
    }
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    stop();
  });

  it("takes the delay from the session, 300 s by default", () => {
    expect(lockDelayMs(300)).toBe(300_000);
    expect(lockDelayMs(30)).toBe(30_000);
    expect(lockDelayMs(undefined)).toBe(300_000);
    expect(lockDelayMs(Number.NaN)).toBe(300_000);
    expect(lockDelayMs(0)).toBe(1_000);
  });
});
