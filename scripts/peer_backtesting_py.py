"""Peer benchmark: the same sma_cross backtest in backtesting.py 0.6.6.

Usage: python3 scripts/peer_backtesting_py.py BARS.csv [CASH]

Runs backtesting.py's README strategy (SMA 10/20 cross, close then reverse, shorting
allowed, no commission, fills at the next open) over a minute-bar CSV with header
timestamp,open,high,low,close,volume, and prints load and run times, the number of
closed trades and the final equity, to compare with
`tradelab backtest --data BARS.csv --strategy sma_cross --param fast=10 --param slow=20
--allow-short --output json`.
"""

import sys
import time

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover


def sma(values, n):
    return pd.Series(values).rolling(n).mean()


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(sma, self.data.Close, self.n1)
        self.sma2 = self.I(sma, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


def main():
    path = sys.argv[1]
    cash = float(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    t0 = time.perf_counter()
    df = pd.read_csv(path, parse_dates=["timestamp"], index_col="timestamp")
    df.columns = [c.capitalize() for c in df.columns]
    t1 = time.perf_counter()
    bt = Backtest(df, SmaCross, cash=cash, commission=0.0, finalize_trades=False)
    stats = bt.run()
    t2 = time.perf_counter()
    print(f"load {t1 - t0:.2f} s, run {t2 - t1:.2f} s, total {t2 - t0:.2f} s")
    print(f"closed trades {len(stats['_trades'])}, final equity {stats['Equity Final [$]']:.2f}")


if __name__ == "__main__":
    main()
