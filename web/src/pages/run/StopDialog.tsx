// The kill switch of a run (`POST /runs/{id}/stop`): a running run stops at its next
// step, closing every position first or leaving them open; a queued one never starts.

import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../lib/api";
import type { Run } from "../../lib/types";
import { Dialog } from "./Dialog";

interface Props {
  run: Run;
  open: boolean;
  onClose: () => void;
  /** The server took the stop: 200 (a queued run, stopped now) or 202 (at its next step). */
  onStopped: (now: boolean) => void;
}

export function StopDialog({ run, open, onClose, onStopped }: Props) {
  const [flatten, setFlatten] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const queued = run.status === "queued";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const after = await api.post<Run>(`/runs/${run.id}/stop`, { flatten });
      onStopped(after.status !== "running" && after.status !== "paused");
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} labelledBy="stop-heading">
      <form onSubmit={submit}>
        <h2 id="stop-heading">Stop {run.label}?</h2>
        <p>
          {queued
            ? "The run has not started: it ends as stopped and never runs."
            : "The kill switch stops the run before its next step. Its trail and metrics so far are kept."}
        </p>
        {!queued && (
          <fieldset className="run-fieldset">
            <legend>Open positions</legend>
            <label className="checkbox" htmlFor="stop-flatten">
              <input id="stop-flatten" type="radio" name="flatten" checked={flatten} onChange={() => setFlatten(true)} />
              Close every position at the last close first (flatten)
            </label>
            <label className="checkbox" htmlFor="stop-keep">
              <input id="stop-keep" type="radio" name="flatten" checked={!flatten} onChange={() => setFlatten(false)} />
              Leave positions open
            </label>
          </fieldset>
        )}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="row run-dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy}>
            {busy ? "Stopping…" : "Stop the run"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
