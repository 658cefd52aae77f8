import type { SearchHit } from "../../types";

export function SearchResults({ query, hits, onOpen, selected }: { query: string; hits: SearchHit[]; onOpen: (hit: SearchHit) => void; selected: string | null }) {
  if (hits.length === 0) {
    return (
      <p className="empty" data-testid="search-empty">
        No guests or reservations match “{query}”.
      </p>
    );
  }
  return (
    <ul className="results" aria-label="Search results">
      {hits.map((hit) => (
        <li key={`${hit.entity}-${hit.id}`} data-testid="search-result" className={selected === hit.id ? "selected" : undefined}>
          <button type="button" className="result" onClick={() => onOpen(hit)}>
            <span className={`badge ${hit.entity === "customer" ? "badge-muted" : "badge-info"}`}>{hit.entity === "customer" ? "Guest" : "Reservation"}</span>
            <span className="result-name">{hit.name || "Unnamed"}</span>
            <span className="result-meta dim">
              {[hit.room && `Room ${hit.room}`, hit.number && `#${hit.number}`, hit.email].filter(Boolean).join(" · ")}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
