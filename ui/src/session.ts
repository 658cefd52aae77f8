// Inactivity lock: after `lock_after_seconds` with no keyboard or mouse input the console signs
// the session out. One timer, re-armed lazily: input only records the time, and when the timer
// fires it either locks or sleeps again for the remainder, so mouse moves cost no timer churn.

export interface IdleTimer {
  /** Records input now. */
  activity(): void;
  /** Stops the timer for good. */
  stop(): void;
}

export interface IdleTimerOptions {
  timeoutMs: number;
  onIdle: () => void;
  now?: () => number;
}

export function createIdleTimer({ timeoutMs, onIdle, now = Date.now }: IdleTimerOptions): IdleTimer {
  let last = now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const arm = (delay: number) => {
    timer = setTimeout(check, Math.max(0, delay));
  };
  function check() {
    timer = undefined;
    if (stopped) return;
    const idle = now() - last;
    if (idle >= timeoutMs) {
      stopped = true;
      onIdle();
    } else {
      arm(timeoutMs - idle);
    }
  }
  arm(timeoutMs);

  return {
    activity() {
      last = now();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** DOM events that count as someone using the console. */
export const ACTIVITY_EVENTS = ["keydown", "pointerdown", "pointermove", "mousedown", "mousemove", "wheel", "touchstart"] as const;

/** Lock delay in ms from the session (default 300 s when missing; at least 1 s). */
export function lockDelayMs(lockAfterSeconds: number | null | undefined): number {
  const seconds = typeof lockAfterSeconds === "number" && Number.isFinite(lockAfterSeconds) ? lockAfterSeconds : 300;
  return Math.max(1, seconds) * 1000;
}

/**
 * Watches `target` for input and calls `onIdle` once after `timeoutMs` without any.
 * Returns the cleanup.
 */
export function watchInactivity(target: EventTarget, timeoutMs: number, onIdle: () => void): () => void {
  const idle = createIdleTimer({ timeoutMs, onIdle });
  const onInput = () => idle.activity();
  for (const type of ACTIVITY_EVENTS) target.addEventListener(type, onInput, { passive: true, capture: true });
  return () => {
    idle.stop();
    for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, onInput, { capture: true });
  };
}
