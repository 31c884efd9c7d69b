// What admins did, newest first: who, what, on what, when, and what changed.

import { useEffect } from "react";
import * as fmt from "../../lib/format";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import type { AdminAction } from "./types";
import { usePaged } from "../../lib/usePaged";

const ACTIONS: Record<string, string> = {
  "user.change": "Changed an account",
  "setting.put": "Changed a setting",
  "emergency.stop": "Emergency stop",
  "emergency.resume": "Resumed runs",
};

/** An action's detail in words: `role: admin · disabled: —`. */
function detailText(detail: Record<string, unknown>): string {
  const parts = Object.entries(detail ?? {})
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => {
      const text = Array.isArray(v) ? (v.length ? v.map((x) => `#${x}`).join(", ") : "none") : typeof v === "object" ? JSON.stringify(v) : String(v);
      return `${k.replace(/_/g, " ")}: ${text}`;
    });
  return parts.length ? parts.join(" · ") : fmt.DASH;
}

/** `version` changes whenever an admin action was just taken here, to show it. */
export function AdminLog({ version }: { version: number }) {
  const log = usePaged<AdminAction>("/admin/log", 25);
  const { reload } = log;
  useEffect(() => {
    if (version > 0) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
  return (
    <section className="card" aria-labelledby="log-title">
      <h2 id="log-title">Admin log</h2>
      {log.loading && log.items.length === 0 && <Loading what="Loading the log" />}
      {log.error && <ErrorState error={log.error} retry={log.reload} />}
      {!log.loading && !log.error && log.items.length === 0 && <EmptyState title="No admin actions yet">Role changes, settings and emergency stops are recorded here.</EmptyState>}
      {log.items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Admin log" className="admin-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">On</th>
                <th scope="col">Who</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {log.items.map((a) => (
                <tr key={a.id}>
                  <td className="nowrap">{fmt.dateTime(a.at)}</td>
                  <td title={a.action}>{ACTIONS[a.action] ?? a.action}</td>
                  <td>{a.target ?? fmt.DASH}</td>
                  <td>{a.actor}</td>
                  <td className="wrap">{detailText(a.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.more && (
        <button type="button" onClick={log.loadMore} disabled={log.loading}>
          {log.loading ? "Loading…" : "Load older actions"}
        </button>
      )}
    </section>
  );
}
