import { useState } from "react";
import { toApiError } from "../../api";
import { useApi, useVenue } from "../../context";
import { useView } from "../../hooks/useView";
import { atLeast } from "../../lib/roles";
import type { ApiError } from "../../types";

/**
 * The "Updates" row of the About card: asks the update server on mount and offers a newer
 * version. Only managers and admins get the install button (the shell enforces the same); the
 * shell verifies the download's signature before installing and then restarts the app.
 */
export function UpdateStatus() {
  const api = useApi();
  const { session, fmt } = useVenue();
  const check = useView((a) => a.checkUpdate(), [], []);
  const [installing, setInstalling] = useState(false);
  const [installError, setInstallError] = useState<ApiError | null>(null);
  const offer = check.data;
  const canInstall = atLeast(session.role, "manager");

  async function install(version: string) {
    setInstalling(true);
    setInstallError(null);
    try {
      // On success the shell restarts the app into the new version; nothing more to show.
      await api.installUpdate(version);
    } catch (reason) {
      setInstallError(toApiError(reason));
      setInstalling(false);
    }
  }

  const again = (
    <button type="button" className="btn-small btn-secondary" onClick={() => void check.reload()} disabled={installing} data-testid="update-check">
      Check again
    </button>
  );

  return (
    <div>
      <dt>Updates</dt>
      <dd data-testid="update-status">
        {check.loading ? (
          "Checking for updates…"
        ) : check.error ? (
          <>
            <span className="error-text" data-testid="update-error">{check.error.message}</span> {again}
          </>
        ) : offer ? (
          <>
            <span data-testid="update-offer">
              Version <strong>{offer.version}</strong> is available{offer.date ? ` (published ${fmt.dateTime(offer.date)})` : ""}.
            </span>
            {offer.notes && <p className="small" data-testid="update-notes">{offer.notes}</p>}
            {canInstall ? (
              <button type="button" className="btn-small" onClick={() => void install(offer.version)} disabled={installing} data-testid="update-install">
                {installing ? `Installing ${offer.version}… the console restarts when done` : `Install update ${offer.version}`}
              </button>
            ) : (
              <span className="small"> A manager or admin can install it.</span>
            )}
            {installError && (
              <span className="error-text" data-testid="update-install-error">
                {" "}
                {installError.message}
              </span>
            )}
          </>
        ) : (
          <>
            <span data-testid="update-none">Up to date.</span> {again}
          </>
        )}
      </dd>
    </div>
  );
}
