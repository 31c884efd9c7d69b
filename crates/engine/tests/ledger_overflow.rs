//! The exact ledger over the whole accepted range: prices from 1e-10 to 1e15, any
//! quantity an order may ask for, and any initial cash a decimal holds, with every
//! built-in strategy, long and short. A run never panics: it either completes with
//! exact ledger identities, or fails with a `LedgerOverflow` whose operation really is
//! beyond what a decimal holds.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tradelab_core::{
    Arith, Bar, BarSeries, LedgerOverflow, MAX_PRICE, MIN_PRICE, Money, OrderIntent, OrderType,
    Price, Quantity, Side, Sizing, Symbol, Timestamp,
};
use tradelab_engine::report::ReportSink;
use tradelab_engine::{
    Commission, Decider, DecisionContext, Engine, EventSink, FillModel, RunConfig, RunEvent,
    RunFailure, RunOutcome, risk, strategies,
};
use tradelab_engine::{DecideError, Decision};

/// A price of the accepted range, log-uniform, written with 1 to 15 significant digits
/// (as market data is), or one of the range's ends.
fn price() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(MIN_PRICE),
        1 => Just(MAX_PRICE),
        12 => (0.0f64..1.0, 1i32..16).prop_map(|(unit, digits)| {
            let lo = MIN_PRICE.log10();
            let hi = MAX_PRICE.log10();
            let p = 10f64.powf(lo + unit * (hi - lo));
            let text = format!("{p:.*e}", (digits - 1) as usize);
            text.parse::<f64>().unwrap_or(p).clamp(MIN_PRICE, MAX_PRICE)
        }),
    ]
}

/// Initial cash: a whole number of 1 to 29 digits (up to the largest decimal), with
/// cents or not.
fn cash() -> impl Strategy<Value = Decimal> {
    (1u32..30, any::<u128>(), any::<bool>()).prop_map(|(digits, bits, cents)| {
        let max = Decimal::MAX.mantissa() as u128;
        let top = 10u128.pow(digits - 1);
        let whole = (top + bits % (9 * top)).clamp(1, max);
        if cents && whole <= max / 100 {
            Decimal::from_i128_with_scale((whole * 100 + bits % 100) as i128, 2)
        } else {
            Decimal::from_i128_with_scale(whole as i128, 0)
        }
    })
}

/// Closes of a series: jumps anywhere in the range, or moves of up to ±50 %.
fn closes() -> impl Strategy<Value = Vec<f64>> {
    (
        price(),
        prop::collection::vec((0u8..4, price(), -0.5f64..0.5), 2..30),
    )
        .prop_map(|(first, moves)| {
            let mut c = first;
            let mut out = vec![c];
            for (kind, jump, step) in moves {
                c = if kind == 0 { jump } else { c * (1.0 + step) };
                c = c.clamp(MIN_PRICE, MAX_PRICE);
                out.push(c);
            }
            out
        })
}

/// Daily bars through `closes`: each opens at the previous close, high and low a bit
/// outside, clamped to the accepted range.
fn series(name: &str, closes: &[f64], wick: f64) -> BarSeries {
    let mut prev = closes[0];
    let bars = closes
        .iter()
        .enumerate()
        .map(|(k, &close)| {
            let open = prev;
            prev = close;
            let high = (open.max(close) * (1.0 + wick)).min(MAX_PRICE);
            let low = (open.min(close) * (1.0 - wick / 2.0)).max(MIN_PRICE);
            Bar::new(
                Timestamp::from_secs(1_600_000_000 + k as i64 * 86_400),
                open,
                high,
                low,
                close,
                1.0,
            )
            .expect("a bar inside the accepted range")
        })
        .collect();
    BarSeries::new(Symbol::new(name).expect("symbol"), bars).expect("series")
}

/// Orders of every sizing over the accepted ranges: 1e-6 to 1e12 shares, cash amounts
/// of up to 29 digits, all-in and close, at market, limit and stop.
#[derive(Clone, Debug)]
struct Ask {
    symbol: usize,
    buy: bool,
    sizing: u8,
    units: Decimal,
    amount: Decimal,
    kind: u8,
    offset: f64,
}

fn ask() -> impl Strategy<Value = Ask> {
    (
        0usize..2,
        any::<bool>(),
        0u8..4,
        (1i64..1_000_000, 0u32..13, 0u32..7),
        cash(),
        0u8..3,
        -0.2f64..0.2,
    )
        .prop_map(
            |(symbol, buy, sizing, (m, exp, scale), amount, kind, offset)| {
                // 1e-6 ..= ~1e12 units, capped at the largest size an order may have.
                let units = (Decimal::from(m) * Decimal::from(10i64.pow(exp))
                    / Decimal::from(1_000_000))
                .min(Decimal::from(1_000_000_000_000i64));
                let units = units.round_dp(scale).max(Decimal::new(1, 6));
                Ask {
                    symbol,
                    buy,
                    sizing,
                    units,
                    amount,
                    kind,
                    offset,
                }
            },
        )
}

/// A decider that places scripted asks: the quantities no built-in strategy chooses.
struct Scripted {
    plan: Vec<Vec<Ask>>,
    step: usize,
    symbols: Vec<Symbol>,
}

impl Decider for Scripted {
    fn name(&self) -> String {
        "scripted".into()
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        for a in self.plan.get(self.step).cloned().unwrap_or_default() {
            let i = a.symbol % self.symbols.len();
            let Some(last) = ctx.view.last(i) else {
                continue;
            };
            let level = (last.close() * (1.0 + a.offset)).clamp(MIN_PRICE, MAX_PRICE);
            let Ok(level) = Price::from_f64(level) else {
                continue;
            };
            orders.push(OrderIntent {
                symbol: self.symbols[i].clone(),
                side: if a.buy { Side::Buy } else { Side::Sell },
                order_type: match a.kind {
                    0 => OrderType::Market,
                    1 => OrderType::Limit(level),
                    _ => OrderType::Stop(level),
                },
                sizing: match a.sizing {
                    0 => Sizing::Shares(Quantity(a.units)),
                    1 => Sizing::Cash(Money(a.amount)),
                    2 => Sizing::AllIn,
                    _ => Sizing::ClosePosition,
                },
                reason: "".into(),
                client_order_id: None,
            });
        }
        self.step += 1;
        Ok(())
    }
}

/// Keeps every event, and feeds the report builder as the CLI does.
#[derive(Default)]
struct Recorder {
    events: Vec<RunEvent>,
    report: ReportSink,
}

impl EventSink for Recorder {
    fn on_event(&mut self, seq: u64, event: &RunEvent) -> tradelab_engine::SinkResult {
        self.report.on_event(seq, event)?;
        self.events.push(event.clone());
        Ok(())
    }
}

/// Whether `e` names an operation a decimal really cannot hold.
fn truly_overflows(e: &LedgerOverflow) -> bool {
    match e.op {
        Arith::Add => e.lhs.checked_add(e.rhs).is_none(),
        Arith::Sub => e.lhs.checked_sub(e.rhs).is_none(),
        Arith::Mul => e.lhs.checked_mul(e.rhs).is_none(),
        Arith::Div => e.lhs.checked_div(e.rhs).is_none(),
    }
}

/// The exact identities of a completed run, rebuilt from its fill events alone.
fn check_completed(
    config: &RunConfig,
    series: &[BarSeries],
    events: &[RunEvent],
    outcome: &RunOutcome,
) -> Result<(), TestCaseError> {
    // Cash moves fill by fill in the engine's own order (notional, then commission):
    // a sum the engine could hold, this replay can hold too.
    let mut cash = config.initial_cash.get();
    let mut qty = vec![Decimal::ZERO; series.len()];
    let mut commissions = Decimal::ZERO;
    // Σ |notional| of the fills, the size of the amounts the ledger summed.
    let mut traded = Some(Decimal::ZERO);
    for e in events {
        if let RunEvent::Fill { fill } = e {
            let notional = fill
                .price
                .get()
                .checked_mul(fill.qty.get())
                .expect("notional");
            traded = traded.and_then(|t| t.checked_add(notional));
            let i = series
                .iter()
                .position(|s| *s.symbol() == fill.symbol)
                .expect("a run symbol");
            match fill.side {
                Side::Buy => {
                    cash = cash.checked_sub(notional).expect("cash");
                    qty[i] = qty[i].checked_add(fill.qty.get()).expect("units");
                }
                Side::Sell => {
                    cash = cash.checked_add(notional).expect("cash");
                    qty[i] = qty[i].checked_sub(fill.qty.get()).expect("units");
                }
            }
            cash = cash.checked_sub(fill.commission.get()).expect("cash");
            commissions = commissions
                .checked_add(fill.commission.get())
                .expect("commissions");
        }
    }
    prop_assert_eq!(cash, outcome.cash.get(), "cash rebuilt from the fills");
    prop_assert_eq!(commissions, outcome.commissions.get());
    let mut equity = cash;
    for (i, s) in series.iter().enumerate() {
        if !qty[i].is_zero() {
            let close = Price::from_f64(s.bars().last().expect("bars").close()).expect("close");
            let value = qty[i].checked_mul(close.get()).expect("value");
            equity = equity.checked_add(value).expect("equity");
        }
    }
    prop_assert_eq!(
        equity,
        outcome.final_equity.get(),
        "equity = cash + units × close"
    );
    // initial + realized − commissions + unrealized = equity. This one is rebuilt from
    // other sums than the engine's (realized and cost basis instead of cash): where an
    // amount needs more than a decimal's 96-bit mantissa (prices near 1e-10 with
    // 10^12 units and more), `rust_decimal` rounds it at the scale that fits, so here
    // the two sides agree up to that rounding: 1e-18 of the amounts traded. (Exact
    // for ordinary prices: `ledger_props`. Skipped where the left side's partial sums
    // do not fit a decimal, when realized and unrealized are huge and of opposite
    // signs.)
    let terms = [
        config.initial_cash.get(),
        outcome.realized.get(),
        outcome.commissions.get(),
        outcome.unrealized.get(),
        outcome.cash.get(),
    ];
    let rebuilt = terms[0]
        .checked_add(terms[1])
        .and_then(|d| d.checked_sub(terms[2]))
        .and_then(|d| d.checked_add(terms[3]));
    let scale = terms
        .iter()
        .try_fold(Decimal::ZERO, |sum, t| sum.checked_add(t.abs()))
        .zip(traded)
        .and_then(|(terms, traded)| terms.checked_add(traded));
    if let (Some(rebuilt), Some(scale)) = (rebuilt, scale) {
        let off = rebuilt
            .checked_sub(outcome.final_equity.get())
            .map(|d| d.abs());
        let tolerance = scale * Decimal::new(1, 18);
        prop_assert!(
            off.is_some_and(|off| off <= tolerance),
            "PnL identity: {} + {} - {} + {} = {} but equity is {}",
            terms[0],
            terms[1],
            terms[2],
            terms[3],
            rebuilt,
            outcome.final_equity
        );
    }
    match events.last() {
        Some(RunEvent::RunFinished {
            final_equity, cash, ..
        }) => {
            prop_assert_eq!(*final_equity, outcome.final_equity);
            prop_assert_eq!(*cash, outcome.cash);
        }
        other => prop_assert!(false, "the last event is {:?}, not run_finished", other),
    }
    Ok(())
}

/// A failed run: a real overflow, reported as the stream's last event.
fn check_failed(events: &[RunEvent], failure: &RunFailure) -> Result<(), TestCaseError> {
    let Some(overflow) = failure.error.ledger_overflow() else {
        prop_assert!(
            false,
            "the run failed for {}, not an overflow",
            failure.error
        );
        return Ok(());
    };
    prop_assert!(
        truly_overflows(overflow),
        "{} is not beyond a decimal",
        failure.error
    );
    prop_assert!(!overflow.operation.is_empty());
    let finished = events
        .iter()
        .any(|e| matches!(e, RunEvent::RunFinished { .. }));
    prop_assert!(!finished, "a failed run also reported run_finished");
    match events.last() {
        Some(RunEvent::RunFailed {
            error,
            step,
            message,
            ..
        }) => {
            prop_assert_eq!(error, &failure.error);
            prop_assert_eq!(*step, failure.step);
            prop_assert_eq!(message, &failure.error.to_string());
        }
        other => prop_assert!(false, "the last event is {:?}, not run_failed", other),
    }
    Ok(())
}

/// Every strategy the property runs: the four built-ins (with short windows, so they
/// trade on short series) and the scripted decider.
const STRATEGIES: [&str; 5] = [
    "buy_and_hold",
    "sma_cross",
    "rsi_reversion",
    "breakout",
    "scripted",
];

fn decider(
    name: &str,
    allow_short: bool,
    plan: Vec<Vec<Ask>>,
    symbols: Vec<Symbol>,
) -> Box<dyn Decider> {
    let params: &[(&str, &str)] = match name {
        "sma_cross" => &[("fast", "2"), ("slow", "3")],
        "rsi_reversion" => &[("period", "2")],
        "breakout" => &[("lookback", "2")],
        _ => &[],
    };
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if name == "scripted" {
        return Box::new(Scripted {
            plan,
            step: 0,
            symbols,
        });
    }
    strategies::build(name, &params, allow_short).expect("a built-in strategy")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(640))]
    #[test]
    fn a_run_over_the_accepted_ranges_completes_exactly_or_fails_with_the_overflow(
        strategy in 0usize..STRATEGIES.len(),
        closes_a in closes(),
        closes_b in prop::option::of(closes()),
        wick in 0.0f64..0.3,
        initial_cash in cash(),
        allow_short in any::<bool>(),
        close_fill in any::<bool>(),
        close_at_end in any::<bool>(),
        rules in 0usize..=risk::templates().len(),
        rate_bp in prop_oneof![Just(0i64), 0i64..100],
        per_share_cents in prop_oneof![Just(0i64), 0i64..100],
        minimum in prop_oneof![Just(0i64), 0i64..10],
        slippage in prop_oneof![Just(0i64), 0i64..500],
        plan in prop::collection::vec(prop::collection::vec(ask(), 0..3), 0..30),
    ) {
        let mut series = vec![series("A", &closes_a, wick)];
        if let Some(b) = &closes_b {
            series.push(self::series("B", b, wick));
        }
        let config = RunConfig {
            initial_cash: Money(initial_cash),
            fill_model: if close_fill { FillModel::Close } else { FillModel::NextOpen },
            commission: Commission {
                rate: Decimal::new(rate_bp, 4),
                per_share: Decimal::new(per_share_cents, 2),
                minimum: Decimal::from(minimum),
            },
            slippage_bps: Decimal::from(slippage),
            allow_short,
            close_at_end,
            ..RunConfig::default()
        };
        let mut engine = Engine::new(config.clone(), series.clone()).expect("a valid run");
        // No rules, or one of the built-in templates (stops, targets, position limits).
        if let Some(template) = rules.checked_sub(1).map(|k| &risk::templates()[k]) {
            engine = engine.with_rules(template.rules()).expect("valid rules");
        }
        let name = STRATEGIES[strategy];
        let symbols = series.iter().map(|s| s.symbol().clone()).collect();
        let mut d = decider(name, allow_short, plan, symbols);
        let mut sink = Recorder::default();
        match engine.run(d.as_mut(), &mut sink, None) {
            Ok(outcome) => check_completed(&config, &series, &sink.events, &outcome)?,
            Err(failure) => check_failed(&sink.events, &failure)?,
        }
    }
}

/// Runs `decider` on one symbol with these closes.
fn run_one(
    config: RunConfig,
    closes: &[f64],
    decider: &mut dyn Decider,
) -> (Result<RunOutcome, RunFailure>, Vec<RunEvent>) {
    let engine = Engine::new(config, vec![series("X", closes, 0.0)]).expect("a valid run");
    let mut sink = Recorder::default();
    let result = engine.run(decider, &mut sink, None);
    (result, sink.events)
}

#[test]
fn all_in_at_1e_minus_10_marked_at_1e15_fails_naming_the_equity_product() {
    let mut d = decider("buy_and_hold", false, vec![], vec![]);
    let (result, events) = run_one(RunConfig::default(), &[1e-10, 1e-10, 1e15], d.as_mut());
    let failure = result.expect_err("1e14 units at 1e15 is beyond a decimal");
    let want = LedgerOverflow::new(
        "equity: position value (units × latest close)",
        Arith::Mul,
        Decimal::from(99_999_999_999_999i64),
        Decimal::from(1_000_000_000_000_000i64),
    );
    let want = tradelab_engine::FailureCause::LedgerOverflow(want);
    assert_eq!(failure.error, want);
    assert_eq!(
        (failure.step, failure.ts),
        (2, Timestamp::from_secs(1_600_000_000 + 2 * 86_400))
    );
    assert!(
        matches!(events.last(), Some(RunEvent::RunFailed { error, step: 2, .. }) if *error == want),
        "{:?}",
        events.last()
    );
}

#[test]
fn a_short_sale_with_cash_near_the_decimal_limit_fails_naming_the_cash_sum() {
    let config = RunConfig {
        initial_cash: Money("79000000000000000000000000000".parse().expect("cash")),
        allow_short: true,
        ..RunConfig::default()
    };
    let sell_all_in = Ask {
        symbol: 0,
        buy: false,
        sizing: 2,
        units: Decimal::ONE,
        amount: Decimal::ONE,
        kind: 0,
        offset: 0.0,
    };
    let mut d = Scripted {
        plan: vec![vec![sell_all_in]],
        step: 0,
        symbols: vec![Symbol::new("X").expect("symbol")],
    };
    let (result, events) = run_one(config, &[100.0, 100.0, 100.0], &mut d);
    let failure = result.expect_err("cash plus the short's proceeds is beyond a decimal");
    let overflow = failure.error.ledger_overflow().expect("an overflow");
    assert_eq!(overflow.operation, "cash after a sell");
    assert_eq!(overflow.op, Arith::Add);
    assert_eq!(overflow.lhs.to_string(), "79000000000000000000000000000");
    assert!(overflow.rhs > Decimal::from(10i64.pow(18)) * Decimal::from(10i64.pow(10)));
    assert_eq!(failure.step, 1, "at the fill, the open after the decision");
    assert!(matches!(events.last(), Some(RunEvent::RunFailed { .. })));
    assert!(
        !events.iter().any(|e| matches!(e, RunEvent::Fill { .. })),
        "the fill that overflows is not reported as made"
    );
}
