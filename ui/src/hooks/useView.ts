import { useCallback, useEffect, useMemo, useRef, useState, type DependencyList } from "react";
import type { Api } from "../api";
import { toApiError } from "../api";
import { useApi, useBus } from "../context";
import { coalesce } from "../lib/coalesce";
import { touches } from "../lib/topics";
import type { ApiError } from "../types";

export interface ViewState<T> {
  data: T | null;
  error: ApiError | null;
  /** Loading with no data to show yet. */
  loading: boolean;
  /** Date.now() of the last successful load. */
  loadedAt: number | null;
}

export interface View<T> extends ViewState<T> {
  /** Loads again (coalesced with any load in flight). */
  reload: () => Promise<void>;
}

/**
 * Loads a view on mount and whenever `deps` change, and again when a `store-changed` event
 * carries one of `topics`. Reloads are coalesced: a burst of events causes at most one request
 * in flight plus one queued. A change of `deps` drops the data of the old arguments and ignores
 * answers to them that arrive late.
 */
export function useView<T>(load: (api: Api) => Promise<T>, topics: readonly string[], deps: DependencyList): View<T> {
  const api = useApi();
  const bus = useBus();
  const [state, setState] = useState<ViewState<T>>({ data: null, error: null, loading: true, loadedAt: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const topicsKey = topics.join(",");

  const run = useMemo(
    () =>
      coalesce(async () => {
        const started = generation.current;
        // A re-read with data on screen keeps it there without a render for the flag.
        setState((s) => (s.loading || s.data !== null ? s : { ...s, loading: true }));
        try {
          const data = await loadRef.current(api);
          if (started === generation.current) setState((s) => ({ data: sameOrNew(s.data, data), error: null, loading: false, loadedAt: Date.now() }));
        } catch (reason) {
          if (started === generation.current) setState((s) => ({ ...s, error: toApiError(reason), loading: false }));
        }
      }),
    [api],
  );

  const first = useRef(true);
  useEffect(() => {
    if (!first.current) {
      generation.current += 1;
      setState({ data: null, error: null, loading: true, loadedAt: null });
    }
    first.current = false;
    void run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [run, ...deps]);

  useEffect(() => {
    const wanted = topicsKey.split(",");
    return bus.subscribe((changed) => {
      if (touches(changed, wanted)) void run();
    });
  }, [bus, run, topicsKey]);

  const reload = useCallback(() => run(), [run]);
  return { ...state, reload };
}

/**
 * The fresh answer, with every part equal to what is held replaced by the held part (so the
 * whole answer is the held object when nothing changed). Memoised work and memoised components
 * keyed on those parts (charts, cards, tables) are skipped: most re-reads follow writes that
 * change one corner of a screen or nothing it shows, and an idle console should not redraw.
 */
export function sameOrNew<T>(held: T | null, fresh: T): T {
  if (held === null) return fresh;
  return shareEqual(held, fresh) as T;
}

function shareEqual(held: unknown, fresh: unknown): unknown {
  if (held === fresh) return held;
  if (Array.isArray(held) && Array.isArray(fresh)) {
    const parts = fresh.map((item, i) => (i < held.length ? shareEqual(held[i], item) : item));
    const same = held.length === fresh.length && parts.every((part, i) => part === held[i]);
    return same ? held : parts;
  }
  if (isPlainObject(held) && isPlainObject(fresh)) {
    const keys = Object.keys(fresh);
    const parts: Record<string, unknown> = {};
    for (const key of keys) parts[key] = key in held ? shareEqual(held[key], fresh[key]) : fresh[key];
    const same = keys.length === Object.keys(held).length && keys.every((key) => key in held && parts[key] === held[key]);
    return same ? held : parts;
  }
  return fresh;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
