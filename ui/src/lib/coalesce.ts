/**
 * Runs `task` so that a burst of requests causes at most one run in flight plus one queued:
 * a request while a run is in flight marks one follow-up run; more requests fold into it.
 * The returned promise settles when the run that covers the request has finished.
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  const start = (): Promise<void> => {
    inFlight = (async () => {
      try {
        await task();
      } catch {
        // The task reports its own errors; a failed run must not block the next one.
      }
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return () => {
    if (!inFlight) return start();
    if (!queued) {
      queued = inFlight.then(() => {
        queued = null;
        return start();
      });
    }
    return queued;
  };
}

/** Delays calls until `waitMs` have passed without another call; `cancel` drops a pending call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, waitMs);
  };
  debounced.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return debounced;
}
