// Resuming an interrupted live paper run (`POST /runs/{id}/resume`): the run is rebuilt
// from its trail and trades on from the first bar after its last step, on the feed
// chosen here. The form starts from the feed the run keeps in its snapshot; for a run
// that does not say, from a guess: a run whose period has an end replayed stored bars
// (a market feed has none).
// A run that cannot be resumed answers 409 with the reason, shown in the dialog.

import { useState, type FormEvent } from "react";
import { FieldError } from "../../components/States";
import { fieldErrors, type FieldErrors } from "../../components/models/fields";
import { LIVE_KEYS, LiveFeedFields, NEW_LIVE_CHOICE, keptFeed, liveBody, type LiveChoice } from "../../components/models/LiveFeedFields";
import { api } from "../../lib/api";
import type { Run } from "../../lib/types";
import { Dialog } from "./Dialog";

interface Props {
  run: Run;
  open: boolean;
  onClose: () => void;
  /** The server took it (202): the run is running again. */
  onResumed: () => void;
}

export function ResumeDialog({ run, open, onClose, onResumed }: Props) {
  const [choice, setChoice] = useState<LiveChoice>(
    () => keptFeed(run.snapshot) ?? { ...NEW_LIVE_CHOICE, feed: run.period_end ? "replay" : "market" },
  );
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await api.post<Run>(`/runs/${run.id}/resume`, liveBody(choice));
      onClose();
      onResumed();
    } catch (err) {
      setErrors(fieldErrors(err, LIVE_KEYS));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} labelledBy="resume-heading">
      <form onSubmit={submit} noValidate>
        <h2 id="resume-heading">Resume {run.label}?</h2>
        <p>The run is rebuilt from its trail and trades on from the first bar after its last step; the bars it missed are fetched and applied in order, each once.</p>
        <LiveFeedFields id="resume" value={choice} onChange={setChoice} errors={errors} />
        <FieldError id="resume-error" message={errors.form} />
        <div className="row run-dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Resuming…" : "Resume the run"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
