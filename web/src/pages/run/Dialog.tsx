// A modal dialog on the browser's own <dialog>: focus stays inside, Escape closes it.

import { useEffect, useRef, type ReactNode } from "react";

interface Props {
  open: boolean;
  onClose: () => void;
  /** The id of the dialog's heading (its accessible name). */
  labelledBy: string;
  children: ReactNode;
  wide?: boolean;
}

export function Dialog({ open, onClose, labelledBy, children, wide }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className={`run-dialog ${wide ? "wide" : ""}`} aria-labelledby={labelledBy} onClose={onClose}>
      {open && children}
    </dialog>
  );
}
