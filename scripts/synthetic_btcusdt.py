#!/usr/bin/env python3
"""Writes data/sample/btcusdt_daily_2024_synthetic.csv: a SYNTHETIC (made-up, not real
market data) daily BTCUSDT random walk, every calendar day, for trying fractional
crypto backtests. Deterministic: a fixed-seed LCG, so re-running writes the same file."""
import datetime
import math

state = 20240101


def rnd():
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return (state >> 11) / float(1 << 53)


def gauss():
    u1, u2 = max(rnd(), 1e-12), rnd()
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


d = datetime.date(2024, 1, 1)
close = 42_000.0
rows = ["Ticker,Date,Open,High,Low,Close,Volume"]
for k in range(183):
    o = close * (1 + 0.004 * gauss())
    c = o * (1 + 0.03 * gauss() + 0.0015)
    hi = max(o, c) * (1 + abs(0.01 * gauss()))
    lo = min(o, c) * (1 - abs(0.01 * gauss()))
    vol = 10_000 + 5_000 * rnd()
    rows.append(f"BTCUSDT,{d.isoformat()},{o:.2f},{hi:.2f},{lo:.2f},{c:.2f},{vol:.5f}")
    close = c
    d += datetime.timedelta(days=1)
open("data/sample/btcusdt_daily_2024_synthetic.csv", "w").write("\n".join(rows) + "\n")
