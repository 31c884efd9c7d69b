// The bars behind a run's price chart and its buy-and-hold line, loaded in bounded
// amounts: `GET /data/bars` answers at most 10,000 bars from `from` on (with
// `next_from` when there are more), so a run of a million minute bars shows its last
// 10,000 candles, and its buy-and-hold line is drawn from a sample of closes across
// the period instead of from every bar.

import { api, query } from "../../lib/api";
import type { Bar, BarsPage, SeriesInfo } from "./types";

/** Bars per request at most (the server's limit), and candles shown at most. */
export const MAX_BARS = 10_000;
/** Closes sampled across a long run for its buy-and-hold line, over all its symbols. */
const SAMPLES = 80;
/** Requests at once while sampling. */
const CONCURRENCY = 6;

const DAY_MS = 86_400_000;

/** Milliseconds of an RFC 3339 time. */
export function ms(t: string): number {
  // The server writes nanoseconds; Date reads milliseconds.
  return new Date(t.replace(/(\.\d{3})\d+/, "$1")).getTime();
}

function iso(msValue: number): string {
  return new Date(msValue).toISOString();
}

/** The period a run's bars are read over: its own, else its series' whole extent. */
export interface Period {
  from: string;
  to: string;
}

/** Candles of one symbol: all of the period's, or its last MAX_BARS. */
export interface Candles {
  bars: Bar[];
  /** Only the period's last bars are here (it has more than MAX_BARS). */
  truncated: boolean;
}

/** Buy-and-hold over the run, as a multiple of the initial cash, at some times. */
export interface BuyAndHold {
  /** Epoch seconds and the equal-weight multiple `mean(close / first close)`. */
  points: { time: number; ratio: number }[];
  /** Drawn from sampled closes (the period has more than MAX_BARS bars of a symbol). */
  sampled: boolean;
}

/** How many bars of a series fall in a period, estimated from its stored count. */
type Density = (symbol: string, period: Period) => number | undefined;

/**
 * Loads bars of one run's symbols and timeframe, each request once. The server reads
 * every bar of a request's window before it keeps `limit` of them, so windows are
 * sized from the series' density (`GET /data/series`) to hold about one answer.
 */
export class BarsLoader {
  private readonly cache = new Map<string, Promise<BarsPage>>();
  private series: Promise<SeriesInfo[]> | undefined;
  constructor(private readonly timeframe: string) {}

  /** At most `limit` bars of `symbol` from `from` to `to`. */
  page(symbol: string, from: string, to: string, limit: number): Promise<BarsPage> {
    const url = `/data/bars${query({ symbol, timeframe: this.timeframe, from, to, limit })}`;
    let p = this.cache.get(url);
    if (!p) {
      p = api.get<BarsPage>(url);
      this.cache.set(url, p);
      p.catch(() => this.cache.delete(url));
    }
    return p;
  }

  /** The series of the timeframe the caller sees (asked once). */
  private listed(): Promise<SeriesInfo[]> {
    this.series ??= listSeries(this.timeframe).catch(() => []);
    return this.series;
  }

  /**
   * The period a run's bars are read over: its own where it has one, else the extent
   * of its symbols' series (undefined when none is stored).
   */
  async period(symbols: string[], start: string | null, end: string | null): Promise<Period | undefined> {
    if (start && end) return { from: start, to: end };
    const found = (await this.listed()).filter((s) => symbols.includes(s.symbol));
    if (!found.length) return undefined;
    const first = found.map((s) => s.first).sort()[0];
    const last = found.map((s) => s.last).sort()[found.length - 1];
    return { from: start ?? first, to: end ?? last };
  }

  /** Bars of `symbol` expected in `period` (undefined when its series is not listed). */
  private async density(): Promise<Density> {
    const all = await this.listed();
    return (symbol, period) => {
      const s = all.find((x) => x.symbol === symbol);
      if (!s) return undefined;
      const span = Math.max(ms(s.last) - ms(s.first), 1);
      const from = Math.max(ms(period.from), ms(s.first));
      const to = Math.min(ms(period.to), ms(s.last));
      return to < from ? 0 : Math.ceil(((to - from) / span) * s.bars) + 1;
    };
  }

  /** The candles of `symbol` over `period`: all of them, or the last MAX_BARS. */
  async candles(symbol: string, period: Period): Promise<Candles> {
    const expected = (await this.density())(symbol, period);
    if (expected === undefined || expected <= MAX_BARS * 0.9) {
      const all = await this.page(symbol, period.from, period.to, MAX_BARS);
      if (all.next_from === null || all.bars.length === 0) return { bars: all.bars, truncated: false };
    }
    // More bars than one answer holds: look for a start that leaves about the last
    // MAX_BARS, first as the series' density says, then by what the answers hold.
    const fromMs = ms(period.from);
    const endMs = ms(period.to);
    const span = endMs - fromMs;
    let start = Math.max(fromMs, endMs - span * Math.min(1, (MAX_BARS * 0.9) / Math.max(expected ?? MAX_BARS * 2, 1)));
    let best: Bar[] | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      const p = await this.page(symbol, iso(start), period.to, MAX_BARS);
      if (p.next_from === null) {
        best = p.bars;
        // Enough bars, or as far back as the period goes.
        if (p.bars.length >= MAX_BARS * 0.7 || start <= fromMs) break;
        const widen = Math.min(4, (MAX_BARS * 0.9) / Math.max(p.bars.length, 1));
        start = Math.max(fromMs, endMs - (endMs - start) * widen);
      } else {
        // Still more than one answer from there: start later.
        start = start + (endMs - start) / 2;
      }
    }
    return { bars: best ?? [], truncated: true };
  }

  /**
   * Equal-weight buy-and-hold of `symbols` over `period` as a multiple of the start:
   * from every bar when each symbol's period fits one answer, else from closes
   * sampled at evenly spaced times.
   */
  async buyAndHold(symbols: string[], period: Period): Promise<BuyAndHold> {
    const density = await this.density();
    const small = symbols.every((s) => (density(s, period) ?? 0) <= MAX_BARS * 0.9);
    let closes: { time: number; close: number }[][] | undefined;
    if (small) {
      const pages = await Promise.all(symbols.map((s) => this.page(s, period.from, period.to, MAX_BARS)));
      if (pages.every((p) => p.next_from === null)) {
        closes = pages.map((p) => p.bars.map((b) => ({ time: ms(b.t) / 1000, close: b.c })));
      }
    }
    const sampled = closes === undefined;
    closes ??= await this.sampledCloses(symbols, period);
    const times = [...new Set(closes.flatMap((c) => c.map((p) => p.time)))].sort((a, b) => a - b);
    const points = times.map((time) => {
      let sum = 0;
      for (const c of closes) {
        if (c.length === 0) {
          sum += 1;
          continue;
        }
        const i = lastAtOrBefore(c, time);
        sum += i < 0 ? 1 : c[i].close / c[0].close;
      }
      return { time, ratio: sum / closes.length };
    });
    return { points, sampled };
  }

  /** Each symbol's closes at the period's start and at evenly spaced times after it. */
  private async sampledCloses(symbols: string[], period: Period) {
    const fromMs = ms(period.from);
    const endMs = ms(period.to);
    const n = Math.max(20, Math.floor(SAMPLES / symbols.length));
    const step = (endMs - fromMs) / n;
    const jobs: (() => Promise<void>)[] = [];
    const out: { time: number; close: number }[][] = symbols.map(() => []);
    symbols.forEach((symbol, i) => {
      for (let k = 0; k <= n; k++) {
        const at = Math.min(fromMs + step * k, endMs);
        jobs.push(async () => {
          // The first bar at or after `at`: in the day after it, else in the four
          // days after that (weekends and holidays have no bars).
          for (const [a, b] of [
            [at, at + DAY_MS],
            [at + DAY_MS, at + 5 * DAY_MS],
          ]) {
            if (a > endMs) break;
            const p = await this.page(symbol, iso(a), iso(Math.min(b, endMs)), 1);
            const bar = p.bars[0];
            if (bar) {
              out[i].push({ time: ms(bar.t) / 1000, close: bar.c });
              return;
            }
          }
        });
      }
    });
    await pool(jobs, CONCURRENCY);
    for (const c of out) {
      c.sort((a, b) => a.time - b.time);
      // Unique times (two samples may find the same bar).
      for (let j = c.length - 1; j > 0; j--) if (c[j].time === c[j - 1].time) c.splice(j, 1);
    }
    return out;
  }
}

/** Every series of `timeframe` the caller sees (`GET /data/series`, all pages). */
async function listSeries(timeframe: string): Promise<SeriesInfo[]> {
  const found: SeriesInfo[] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: { items: SeriesInfo[]; next_after: string | null } = await api.get(
      `/data/series${query({ limit: 1000, after: after ?? undefined })}`,
    );
    found.push(...page.items.filter((s) => s.timeframe === timeframe));
    if (!page.next_after) break;
    after = page.next_after;
  }
  return found;
}

/** Runs `jobs` with at most `n` at once. */
async function pool(jobs: (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}

/** Index of the last item with `time` at or before `t` (−1 when none). */
export function lastAtOrBefore<T extends { time: number }>(items: T[], t: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].time <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
