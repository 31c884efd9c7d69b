// A destructive button that asks first, in the page (no browser dialog): the first
// click shows the question with "yes" and "no" buttons, focus on "no".

import { useEffect, useRef, useState } from "react";

interface Props {
  /** The button's text, e.g. "Delete model". */
  label: string;
  /** The question, e.g. "Delete the model AAPL swing?". */
  question: string;
  /** The confirming button's text, e.g. "Yes, delete it". */
  confirm: string;
  onConfirm: () => Promise<void> | void;
  className?: string;
  /** An accessible name when `label` alone is ambiguous (e.g. in a table row). */
  ariaLabel?: string;
}

export function ConfirmButton({ label, question, confirm, onConfirm, className = "danger", ariaLabel }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const no = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) no.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className={className} onClick={() => setAsking(true)} aria-label={ariaLabel}>
        {label}
      </button>
    );
  }
  const yes = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button type="button" className="danger" onClick={yes} disabled={busy}>
        {busy ? "Working…" : confirm}
      </button>
      <button type="button" ref={no} onClick={() => setAsking(false)} disabled={busy}>
        Cancel
      </button>
    </span>
  );
}
