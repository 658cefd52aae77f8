import { afterEach, describe, expect, it, vi } from "vitest";
import { coalesce, debounce } from "./coalesce";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("coalesce", () => {
  it("runs a burst as one run in flight plus one queued", async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    const task = vi.fn(() => {
      const gate = deferred();
      gates.push(gate);
      return gate.promise;
    });
    const run = coalesce(task);
    const settled = Array.from({ length: 10 }, () => run());
    expect(task).toHaveBeenCalledTimes(1);
    gates[0]!.resolve();
    await vi.waitFor(() => expect(task).toHaveBeenCalledTimes(2));
    // More requests while the follow-up runs queue exactly one more.
    run();
    run();
    gates[1]!.resolve();
    await vi.waitFor(() => expect(task).toHaveBeenCalledTimes(3));
    gates[2]!.resolve();
    await Promise.all(settled);
    expect(task).toHaveBeenCalledTimes(3);
  });

  it("runs again after a failed run", async () => {
    let n = 0;
    const run = coalesce(async () => {
      n += 1;
      if (n === 1) throw new Error("boom");
    });
    await run();
    await run();
    expect(n).toBe(2);
  });
});

describe("debounce", () => {
  afterEach(() => vi.useRealTimers());

  it("calls once with the last arguments after the quiet period", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = debounce(fn, 120);
    d("g");
    vi.advanceTimersByTime(100);
    d("ga");
    vi.advanceTimersByTime(100);
    d("gar");
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(120);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith("gar");
  });

  it("can be cancelled", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = debounce(fn, 120);
    d("x");
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).not.toHaveBeenCalled();
  });
});
