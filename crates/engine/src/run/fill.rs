//! How an order becomes fills: its size resolved at the trigger price, the risk
//! rules and the broker's checks applied, then each fill booked in the ledger with
//! its events. Part of the run's state ([`RunState`]), split from it to keep each file
//! readable in one sitting.

use super::failure::Stepped;
use super::state::{RunState, Working, closing_side};
use crate::broker::{self, Trigger};
use crate::event::{RejectReason, RunEvent};
use crate::portfolio::{Ledger, LedgerFill};
use crate::risk_engine::{self, Proposed, Verdict};
use rust_decimal::Decimal;
use tradelab_core::overflow;
use tradelab_core::{Fill, Money, Order, Price, Quantity, Side, Sizing, Timestamp};

impl RunState<'_> {
    /// Resolves the order's size at the trigger price, applies the risk rules and the
    /// broker's checks, and books the fill(s).
    pub(super) fn execute(
        &mut self,
        w: Working,
        trigger: Trigger,
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        let Working {
            order,
            symbol: i,
            engine,
        } = w;
        let side = order.intent.side;
        let bps = self.config.slippage_bps;
        let price = broker::slipped(trigger.base, side, trigger.slips, bps)?;
        let commission = &self.config.commission;
        let position = self.portfolio.position(i).get();
        // `None` (whole units) unless the run gives this symbol a lot step.
        let lot_step = self.config.lot_step(&order.intent.symbol);
        let mut qty = match order.intent.sizing {
            Sizing::Shares(q) => q,
            Sizing::Cash(m) => broker::cash_units(m, price, commission, lot_step)?,
            Sizing::ClosePosition => {
                let closes = match side {
                    Side::Buy => position < Decimal::ZERO,
                    Side::Sell => position > Decimal::ZERO,
                };
                if !closes {
                    let reason = RejectReason::NoPosition {
                        symbol: order.intent.symbol.clone(),
                    };
                    return self.reject(now, Some(order.id), order.intent, reason);
                }
                Quantity(position.abs())
            }
            Sizing::AllIn => {
                if !position.is_zero() {
                    let close_side = closing_side(position);
                    let close_price =
                        broker::slipped(trigger.base, close_side, trigger.slips, bps)?;
                    let units = Quantity(position.abs());
                    self.book(
                        &order,
                        i,
                        close_side,
                        units,
                        close_price,
                        trigger.base,
                        now,
                        step,
                    )?;
                }
                let budget = self.portfolio.equity_f64() - self.portfolio.gross_exposure_except(i);
                broker::all_in_units(budget, price, commission, lot_step)?
            }
        };
        if qty.is_zero() {
            let reason = RejectReason::ZeroQuantity {
                sizing: order.intent.sizing.to_string(),
            };
            return self.reject(now, Some(order.id), order.intent, reason);
        }
        if !engine && !self.risk.is_empty() {
            let proposed = Proposed {
                symbol_index: i,
                symbol: &order.intent.symbol,
                side,
                qty,
                price: price.to_f64(),
                commission: broker::commission(commission, price, qty)?.to_f64(),
                now,
                lot_step,
            };
            match self.risk.check_execution(&proposed, &self.portfolio) {
                Verdict::Approve(q) => qty = q,
                Verdict::Reject { rule, denial } => {
                    let reason = RejectReason::Risk { rule, denial };
                    return self.reject(now, Some(order.id), order.intent, reason);
                }
            }
        }
        let position = self.portfolio.position(i).get();
        if side == Side::Sell && !self.config.allow_short && qty.get() > position.max(Decimal::ZERO)
        {
            let reason = RejectReason::ShortingNotAllowed {
                symbol: order.intent.symbol.clone(),
            };
            return self.reject(now, Some(order.id), order.intent, reason);
        }
        let op = "position units after the buy";
        if side == Side::Buy && overflow::add(op, position, qty.get())? > Decimal::ZERO {
            let cash = self.portfolio.cash();
            let mut needed = cash_needed(price, qty, commission)?;
            if needed > cash && order.intent.sizing == Sizing::AllIn {
                qty = qty.min(broker::affordable_units(cash, price, commission, lot_step)?);
                needed = cash_needed(price, qty, commission)?;
            }
            if needed > cash || qty.is_zero() {
                let reason = RejectReason::InsufficientCash {
                    needed,
                    available: self.portfolio.cash(),
                };
                return self.reject(now, Some(order.id), order.intent, reason);
            }
        }
        self.book(&order, i, side, qty, price, trigger.base, now, step)
    }

    /// Books one fill in the ledger and emits its events.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn book(
        &mut self,
        order: &Order,
        i: usize,
        side: Side,
        qty: Quantity,
        price: Price,
        base: Price,
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        let commission = broker::commission(&self.config.commission, price, qty)?;
        let held = self.portfolio.position(i).get();
        let signed = match side {
            Side::Buy => qty.get(),
            Side::Sell => -qty.get(),
        };
        // An unslipped fill (the price is the trigger's, bit for bit) has zero slippage,
        // `|price − base| × units` written as plain zero.
        let slippage = if price.get().serialize() == base.get().serialize() {
            Decimal::ZERO
        } else {
            let op = "slippage of the fill (|price − unslipped price| × units)";
            let per_unit = overflow::sub(op, price.get(), base.get())?.abs();
            let slippage = overflow::mul(op, per_unit, qty.get())?;
            let op = "total slippage of the run";
            self.slippage = overflow::add(op, self.slippage, slippage)?;
            slippage
        };
        let closed = self.portfolio.apply(LedgerFill {
            symbol: i,
            side,
            qty,
            price,
            commission,
            ts: now,
            step,
        })?;
        if !self.risk.is_empty() {
            let after = overflow::add("position units after the fill", held, signed)?;
            let new_position = !after.is_zero()
                && (held.is_zero() || after.is_sign_positive() != held.is_sign_positive());
            let entry = risk_engine::is_entry(held, signed);
            self.risk.on_fill(i, entry, new_position, price.to_f64());
            if let Some(trade) = &closed {
                self.risk
                    .on_trade_closed(i, trade.pnl.get() < Decimal::ZERO);
            }
        }
        let fill = RunEvent::Fill {
            fill: Fill {
                order_id: order.id,
                ts: now,
                symbol: order.intent.symbol.clone(),
                side,
                qty,
                price,
                commission,
                slippage: Money(slippage),
            },
        };
        self.emit(&fill)?;
        // The fill's symbol moves on to the position event.
        if self.positions_wanted
            && let RunEvent::Fill {
                fill: Fill { symbol, .. },
            } = fill
        {
            let event = RunEvent::PositionChanged {
                ts: now,
                symbol,
                qty: self.portfolio.position(i),
                avg_price: self.portfolio.avg_price(i)?,
            };
            self.emit(&event)?;
        } else {
            // The position event keeps its number for sinks that do not read it, so a
            // run's numbers do not depend on which sinks record it.
            self.seq += 1;
        }
        if let Some(trade) = closed {
            self.seq += 1;
            self.sink.on_trade_closed(self.seq, trade)?;
        }
        Ok(())
    }
}

/// Cash a buy of `qty` at `price` needs: notional plus commission.
fn cash_needed(price: Price, qty: Quantity, c: &crate::config::Commission) -> Ledger<Money> {
    let op = "cash a buy needs (price × units)";
    let notional = overflow::mul(op, price.get(), qty.get())?;
    let commission = broker::commission(c, price, qty)?;
    let op = "cash a buy needs (notional + commission)";
    Ok(Money(overflow::add(op, notional, commission.get())?))
}
