import { useEffect, useRef, useState, type FormEvent } from "react";
import { toApiError } from "../api";
import { useApi } from "../context";
import { markOnce } from "../lib/timing";
import type { ApiError, SessionInfo } from "../types";

const PAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
/** How long the PIN field keeps focus without a key or a click (see the effect below). */
export const PIN_FOCUS_MS = 20_000;

/** PIN sign-in. `notice` explains why the session ended (inactivity lock, signed out elsewhere). */
export function SignIn({ noVenue, notice, onSignedIn }: { noVenue: boolean; notice: string | null; onSignedIn: (session: SessionInfo) => void }) {
  const api = useApi();
  const [pin, setPin] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    markOnce("signin-shown");
    input.current?.focus();
  }, []);

  // The PIN screen is what a locked console shows all night, and a focused field's blinking
  // caret repaints the page twice a second (measured: a few % of a core with software
  // painting). After a quiet spell the field lets go of focus; typing a digit anywhere on the
  // screen still goes to it, so the screen is always ready for a PIN.
  const pinRef = useRef(pin);
  pinRef.current = pin;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const rest = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        if (document.activeElement === input.current) input.current?.blur();
      }, PIN_FOCUS_MS);
    };
    const onKey = (event: KeyboardEvent) => {
      rest();
      const field = input.current;
      if (!field || document.activeElement === field || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target && target !== document.body && target.closest("input, textarea, select, button, [contenteditable]")) return;
      if (/^\d$/.test(event.key)) {
        event.preventDefault();
        field.focus();
        setPin((p) => (p.length < 8 ? p + event.key : p));
      } else if (event.key === "Backspace") {
        event.preventDefault();
        field.focus();
        setPin((p) => p.slice(0, -1));
      } else if (event.key === "Enter" && pinRef.current) {
        event.preventDefault();
        field.form?.requestSubmit();
      }
    };
    rest();
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", rest);
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", rest);
    };
  }, []);

  const press = (digit: string) => {
    setPin((p) => (p.length < 8 ? p + digit : p));
    input.current?.focus();
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy) return;
    if (!/^\d{4,8}$/.test(pin)) {
      setError({ code: "bad_input", message: "A PIN has 4 to 8 digits." });
      return;
    }
    setBusy(true);
    setError(null);
    markOnce("signin-submit");
    try {
      const session = await api.signIn(pin);
      markOnce("signed-in");
      onSignedIn(session);
    } catch (reason) {
      setError(toApiError(reason));
      setPin("");
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in</h2>
        <p className="dim">Enter your staff PIN.</p>
        {notice && (
          <p className="signin-notice" role="status" data-testid="signin-notice">
            {notice}
          </p>
        )}
        {noVenue && (
          <p className="signin-notice" data-testid="no-venue">
            No venue set up yet. Create one with <code>venue init</code> (or <code>venue init --demo</code>).
          </p>
        )}
        <label className="field">
          <span className="field-label">PIN</span>
          <input
            ref={input}
            type="password"
            inputMode="numeric"
            autoComplete="off"
            pattern="[0-9]*"
            maxLength={8}
            className="pin-input"
            value={pin}
            onChange={(e) => setPin(e.target.value.replace(/\D/g, "").slice(0, 8))}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "signin-error" : undefined}
            data-testid="signin-pin"
          />
        </label>
        {error && (
          <p className="field-error" id="signin-error" role="alert">
            <span data-testid="signin-error">{error.message}</span>
            {error.code === "locked_out" && <span className="dim"> (sign-in paused)</span>}
          </p>
        )}
        <div className="pinpad" aria-label="PIN pad">
          {PAD.map((d) => (
            <button key={d} type="button" className="pinpad-key" onClick={() => press(d)} tabIndex={-1}>
              {d}
            </button>
          ))}
          <button type="button" className="pinpad-key pinpad-aux" onClick={() => setPin("")} tabIndex={-1} aria-label="Clear">
            Clear
          </button>
          <button type="button" className="pinpad-key" onClick={() => press("0")} tabIndex={-1}>
            0
          </button>
          <button type="button" className="pinpad-key pinpad-aux" onClick={() => setPin((p) => p.slice(0, -1))} tabIndex={-1} aria-label="Delete last digit">
            ⌫
          </button>
        </div>
        <button type="submit" className="signin-submit" disabled={busy} data-testid="signin-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
