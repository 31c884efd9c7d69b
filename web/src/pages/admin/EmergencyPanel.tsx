// The emergency stop: its state shown first and large, and the buttons that turn it
// on (every running run stops, waiting runs are given up, new runs refused) or off,
// each after an explicit confirmation.

import { useState } from "react";
import { ApiError, api } from "../../lib/api";
import * as fmt from "../../lib/format";
import type { EmergencyAnswer } from "./types";

interface Props {
  /** Whether the stop is on, as the stats last said; undefined while unknown. */
  on: boolean | undefined;
  running: number | undefined;
  queued: number | undefined;
  onChanged: () => void;
}

export function EmergencyPanel({ on, running, queued, onChanged }: Props) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [stopped, setStopped] = useState<number[] | undefined>();
  const act = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.post<EmergencyAnswer>(on ? "/admin/resume" : "/admin/emergency-stop");
      setStopped(answer.emergency_stop ? answer.stopped_runs : undefined);
      setConfirming(false);
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const state = on === undefined ? "unknown" : on ? "on" : "off";
  return (
    <section className={`card emergency emergency-${state}`} aria-labelledby="emergency-title">
      <div className="row spread">
        <div>
          <h2 id="emergency-title">Emergency stop</h2>
          <p className="emergency-state" role="status" aria-live="polite">
            {on === undefined
              ? "Checking…"
              : on
                ? "ON — running runs were told to stop and new runs are refused until you resume."
                : `Off — runs are accepted (${fmt.count(running)} running, ${fmt.count(queued)} waiting).`}
          </p>
          {stopped && <p className="muted">{stopped.length ? `Runs told to stop: ${stopped.map((id) => `#${id}`).join(", ")}.` : "No run was running."}</p>}
        </div>
        {!confirming && on !== undefined && (
          <button type="button" className={on ? "primary" : "danger"} onClick={() => setConfirming(true)}>
            {on ? "Resume runs…" : "Emergency stop…"}
          </button>
        )}
      </div>
      {confirming && (
        <div className="confirm" role="group" aria-label={on ? "Confirm resume" : "Confirm emergency stop"}>
          <p>
            {on
              ? "Accept new runs again? Runs stopped by the emergency stop stay stopped."
              : "Stop every running run at its next step, give up every waiting run, and refuse new runs until resumed?"}
          </p>
          <div className="row">
            <button type="button" className={on ? "primary" : "danger"} onClick={act} disabled={busy} autoFocus>
              {busy ? "Working…" : on ? "Yes, resume" : "Yes, stop everything"}
            </button>
            <button type="button" className="ghost" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
