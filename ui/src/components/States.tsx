import type { ReactNode } from "react";
import type { ApiError } from "../types";

/** Loading placeholder: grey bars in the shape of the content, plus text for screen readers. */
export function Loading({ label = "Loading…", lines = 3 }: { label?: string; lines?: number }) {
  return (
    <div className="loading" role="status" aria-live="polite" data-testid="loading">
      <span className="loading-label">{label}</span>
      {Array.from({ length: lines }, (_, i) => (
        <span key={i} className="skeleton" aria-hidden="true" />
      ))}
    </div>
  );
}

function errorTitle(error: ApiError): string {
  switch (error.code) {
    case "forbidden":
      return "Your role does not allow this";
    case "not_signed_in":
      return "You are signed out";
    case "not_found":
      return "Not found";
    case "bad_input":
      return "Please check the input";
    case "not_initialized":
      return "No venue set up yet";
    case "ui.invoke_failed":
      return "The desktop shell did not answer";
    default:
      return "Something went wrong";
  }
}

/** An error with its message and code, optionally with a retry. */
export function ErrorBanner({
  error,
  title,
  onRetry,
  onDismiss,
}: {
  error: ApiError;
  title?: string;
  onRetry?: (() => void) | undefined;
  onDismiss?: (() => void) | undefined;
}) {
  return (
    <div className={error.code === "forbidden" ? "banner banner-forbidden" : "banner banner-error"} role="alert" data-testid="error-banner">
      <div className="banner-text">
        <strong>{title ?? errorTitle(error)}</strong>
        <span className="banner-message" data-testid="error-message">
          {error.message}
        </span>
        <span className="banner-code">
          Code <code data-testid="error-code">{error.code}</code>
        </span>
      </div>
      <div className="banner-actions">
        {onRetry && (
          <button type="button" className="btn-secondary" onClick={onRetry}>
            Try again
          </button>
        )}
        {onDismiss && (
          <button type="button" className="btn-link" onClick={onDismiss} aria-label="Dismiss">
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}

export function Empty({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId}>
      {children}
    </div>
  );
}

export function StaleBadge({ title, testId = "stale-badge" }: { title: string; testId?: string }) {
  return (
    <span className="badge badge-warn" title={title} data-testid={testId}>
      Stale
    </span>
  );
}

export type Tone = "ok" | "warn" | "crit" | "info" | "muted";

export function Badge({ tone, children, testId, title }: { tone: Tone; children: ReactNode; testId?: string; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      <span data-testid={testId}>{children}</span>
    </span>
  );
}

/** A card with a heading and an optional right-hand slot. */
export function Card({
  title,
  actions,
  className,
  children,
  testId,
}: {
  title: ReactNode;
  actions?: ReactNode;
  className?: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className={className ? `card ${className}` : "card"} data-testid={testId}>
      <header className="card-head">
        <h2 className="card-title">{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
