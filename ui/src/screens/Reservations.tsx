import { useEffect, useMemo, useRef, useState } from "react";
import { toApiError } from "../api";
import { ErrorBanner } from "../components/States";
import { useApi, useBus, useNav, useVenue } from "../context";
import { debounce } from "../lib/coalesce";
import { zonedDate } from "../lib/time";
import { TOPICS, touches } from "../lib/topics";
import type { ApiError, SearchHit, StayKind } from "../types";
import { GuestPanel } from "./reservations/GuestPanel";
import { ReservationDetail } from "./reservations/ReservationDetail";
import { SearchResults } from "./reservations/SearchResults";
import { StayList } from "./reservations/StayList";

export const SEARCH_DEBOUNCE_MS = 120;

const TABS: ReadonlyArray<{ kind: StayKind; label: string }> = [
  { kind: "arrivals", label: "Arrivals" },
  { kind: "departures", label: "Departures" },
  { kind: "in_house", label: "In house" },
];

type Selection = { kind: "reservation"; id: string } | { kind: "guest"; id: string } | null;

interface SearchState {
  query: string;
  hits: SearchHit[] | null;
  error: ApiError | null;
}

/** Arrivals / departures / in-house lists, instant guest search, and the reservation panel. */
export function Reservations() {
  const api = useApi();
  const bus = useBus();
  const { venue } = useVenue();
  const { searchFocus } = useNav();
  const [tab, setTab] = useState<StayKind>("arrivals");
  const [date, setDate] = useState(() => zonedDate(new Date(), venue.timezone));
  const [query, setQuery] = useState("");
  const [search, setSearch] = useState<SearchState>({ query: "", hits: null, error: null });
  const [selected, setSelected] = useState<Selection>(null);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);

  const runSearch = useMemo(
    () =>
      debounce((q: string) => {
        const mine = ++seq.current;
        api.search(q, 25).then(
          (hits) => mine === seq.current && setSearch({ query: q, hits, error: null }),
          (reason) => mine === seq.current && setSearch({ query: q, hits: null, error: toApiError(reason) }),
        );
      }, SEARCH_DEBOUNCE_MS),
    [api],
  );
  useEffect(() => () => runSearch.cancel(), [runSearch]);

  const onQuery = (value: string) => {
    setQuery(value);
    const q = value.trim();
    if (q === "") {
      runSearch.cancel();
      seq.current += 1;
      setSearch({ query: "", hits: null, error: null });
    } else {
      runSearch(q);
    }
  };

  // New guests or reservations can change the results of the current query.
  const current = query.trim();
  useEffect(() => {
    if (!current) return;
    return bus.subscribe((topics) => touches(topics, TOPICS.search) && runSearch(current));
  }, [bus, current, runSearch]);

  useEffect(() => {
    if (searchFocus > 0) {
      input.current?.focus();
      input.current?.select();
    }
  }, [searchFocus]);

  // Esc outside a text field closes the panel.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const t = event.target as HTMLElement | null;
      if (event.key !== "Escape" || event.defaultPrevented) return;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
      setSelected(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const openHit = (hit: SearchHit) => setSelected(hit.entity === "customer" ? { kind: "guest", id: hit.id } : { kind: "reservation", id: hit.id });
  const close = () => setSelected(null);
  const searching = current !== "";

  return (
    <div className="screen screen-reservations">
      <div className="screen-head">
        <h2 className="screen-title">Reservations</h2>
      </div>
      <div className={selected ? "split split-open" : "split"}>
        <div className="split-main">
          <div className="search-box">
            <input
              ref={input}
              type="search"
              className="search-input"
              placeholder="Search guests, rooms, reservation numbers, emails…  ( / )"
              aria-label="Search guests and reservations"
              value={query}
              onChange={(e) => onQuery(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Escape" && query) {
                  e.preventDefault();
                  onQuery("");
                }
              }}
              data-testid="guest-search"
            />
          </div>
          {searching ? (
            search.error && search.query === current ? (
              <ErrorBanner error={search.error} title="Search failed" />
            ) : search.hits === null ? (
              <p className="dim" role="status">
                Searching…
              </p>
            ) : (
              <SearchResults query={search.query} hits={search.hits} onOpen={openHit} selected={selected?.id ?? null} />
            )
          ) : (
            <>
              <div className="toolbar">
                <div className="tabs" role="tablist" aria-label="Stays">
                  {TABS.map((t) => (
                    <button key={t.kind} type="button" role="tab" aria-selected={tab === t.kind} className={tab === t.kind ? "tab active" : "tab"} onClick={() => setTab(t.kind)} data-testid={`stays-${t.kind}`}>
                      {t.label}
                    </button>
                  ))}
                </div>
                <label className="field field-inline">
                  <span className="field-label">Day</span>
                  <input type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} data-testid="stays-date" />
                </label>
              </div>
              <StayList kind={tab} date={date} selected={selected?.kind === "reservation" ? selected.id : null} onOpen={(id) => setSelected({ kind: "reservation", id })} />
            </>
          )}
        </div>
        {selected && (
          <aside className="split-side">
            {selected.kind === "reservation" ? <ReservationDetail key={selected.id} id={selected.id} onClose={close} /> : <GuestPanel key={selected.id} customerId={selected.id} onClose={close} />}
          </aside>
        )}
      </div>
    </div>
  );
}
