// The stored status of a going live paper run, read again every few seconds: the
// server moves such a run to `paused` (and back) as its feed loses and regains data,
// and says why in `status_reason`, but its stream sends no new `status` for that, and
// the feed's notices reach the stream only with the next step the run commits — which
// a run waiting for data does not make.

import { useEffect, useState } from "react";
import { api } from "../../lib/api";
import type { Run } from "../../lib/types";

/** How often the status is read. */
const EVERY_MS = 4000;

export interface StoredStatus {
  status: string;
  status_reason: string | null;
}

/** Run `id`'s stored status while `enabled` (undefined until first read). */
export function useLiveStatus(id: number, enabled: boolean): StoredStatus | undefined {
  const [status, setStatus] = useState<StoredStatus | undefined>(undefined);
  useEffect(() => {
    if (!enabled) return;
    let gone = false;
    let timer: number | undefined;
    const read = async () => {
      try {
        const run = await api.get<Run>(`/runs/${id}`);
        if (!gone) setStatus({ status: run.status, status_reason: run.status_reason });
      } catch {
        // A failed read leaves the last status; the stream reports lost connections.
      }
      if (!gone) timer = window.setTimeout(() => void read(), EVERY_MS);
    };
    timer = window.setTimeout(() => void read(), EVERY_MS);
    return () => {
      gone = true;
      window.clearTimeout(timer);
    };
  }, [id, enabled]);
  return status;
}
