// The run's closed round trips (`GET /runs/{id}/trades`), a page at a time.

import { EmptyState, ErrorState } from "../../components/States";
import * as format from "../../lib/format";
import { useWhen } from "./time";
import type { Trade } from "./types";
import { usePaged } from "../../lib/usePaged";
import { LoadMore } from "./LoadMore";

export function TradesTable({ runId, live }: { runId: number; live: boolean }) {
  const trades = usePaged<Trade>(`/runs/${runId}/trades`, 50);
  const when = useWhen();
  return (
    <section className="card run-section" aria-labelledby="trades-heading">
      <h2 id="trades-heading">Closed trades</h2>
      {trades.error && !trades.items.length ? (
        <ErrorState error={trades.error} retry={trades.reload} />
      ) : !trades.items.length && !trades.loading ? (
        <EmptyState title="No closed trades">
          {live ? "Round trips show here as the run closes them." : "The run closed no position."}
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Closed trades">
              <thead>
                <tr>
                  <th>Symbol</th>
                  <th>Side</th>
                  <th className="num">Quantity</th>
                  <th>Entry</th>
                  <th className="num">Entry price</th>
                  <th>Exit</th>
                  <th className="num">Exit price</th>
                  <th className="num">P&amp;L</th>
                  <th className="num">Return</th>
                  <th className="num">Commissions</th>
                </tr>
              </thead>
              <tbody>
                {trades.items.map((t) => (
                  <tr key={t.seq}>
                    <td>{t.symbol}</td>
                    <td>{t.side}</td>
                    <td className="num">{format.quantity(String(t.qty).replace(/^-/, ""))}</td>
                    <td className="when">{when(t.entry_time)}</td>
                    <td className="num">{format.price(t.entry_price)}</td>
                    <td className="when">{when(t.exit_time)}</td>
                    <td className="num">{format.price(t.exit_price)}</td>
                    <td className={`num ${format.signClass(t.pnl)}`}>{signedMoney(t.pnl)}</td>
                    <td className={`num ${format.signClass(t.return_pct)}`}>{format.pct(t.return_pct)}</td>
                    <td className="num">{format.money(t.commissions)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore paged={trades} what="trades" />
        </>
      )}
    </section>
  );
}

/** Money with its sign: +$1,234.56, −$12.00. */
export function signedMoney(v: string | number | null | undefined): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return format.DASH;
  const text = format.money(Math.abs(n));
  return n > 0 ? `+${text}` : n < 0 ? `−${text}` : text;
}
