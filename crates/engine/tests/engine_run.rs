//! Specifications of the run loop and the paper broker.

mod common;

use common::{Script, buy, cfg, daily, fills, flat, rejections, run, sell, shares, sym};
use rust_decimal::Decimal;
use tradelab_core::{Money, OrderType, Price, Quantity, Side, Sizing};
use tradelab_engine::{
    Commission, Decider, DecisionContext, Engine, FillModel, RejectReason, RunConfig, RunEvent,
};
use tradelab_engine::{DecideError, Decision};

#[test]
fn decider_cannot_see_a_bar_after_now() {
    struct Peek {
        checked: usize,
    }
    impl Decider for Peek {
        fn name(&self) -> String {
            "peek".into()
        }
        fn on_step(
            &mut self,
            ctx: &DecisionContext<'_>,
            _: &mut Decision,
        ) -> Result<(), DecideError> {
            let bars = ctx.view.bars(0);
            assert_eq!(
                bars.last().unwrap().ts(),
                ctx.now,
                "last visible bar is now"
            );
            assert!(
                bars.get(bars.len()).is_none(),
                "the next bar is unreachable"
            );
            assert!(bars.iter().all(|b| b.ts() <= ctx.now));
            self.checked += 1;
            Ok(())
        }
    }
    let mut d = Peek { checked: 0 };
    run(cfg(), vec![flat("X", &[1.0, 2.0, 3.0, 4.0])], &mut d);
    assert_eq!(d.checked, 4);
}

#[test]
fn market_order_decided_at_close_fills_at_next_open() {
    let s = daily(
        "X",
        &[
            (10.0, 11.0, 9.0, 10.0),
            (12.0, 13.0, 11.0, 12.5),
            (13.0, 14.0, 12.0, 13.0),
        ],
    );
    let mut d = Script::new(vec![(0, buy("X", shares(10)))]);
    let (ev, out) = run(cfg(), vec![s], &mut d);
    assert_eq!(fills(&ev), vec![(Side::Buy, "10".into(), "12".into())]);
    // 10000 - 120 cash, 10 shares marked at 13
    assert_eq!(out.final_equity, Money::from(10_010));
}

#[test]
fn close_fill_model_fills_at_the_decision_bar_close() {
    let s = daily("X", &[(10.0, 11.0, 9.0, 10.5), (12.0, 13.0, 11.0, 12.5)]);
    let mut d = Script::new(vec![(0, buy("X", shares(10)))]);
    let config = RunConfig {
        fill_model: FillModel::Close,
        ..cfg()
    };
    let (ev, _) = run(config, vec![s], &mut d);
    assert_eq!(fills(&ev), vec![(Side::Buy, "10".into(), "10.5".into())]);
}

#[test]
fn signal_on_last_bar_is_never_filled() {
    let s = flat("X", &[10.0, 11.0]);
    let mut d = Script::new(vec![(1, buy("X", shares(1)))]);
    let (ev, out) = run(cfg(), vec![s], &mut d);
    assert!(fills(&ev).is_empty());
    assert!(
        ev.iter()
            .any(|e| matches!(e, RunEvent::OrderCancelled { .. }))
    );
    assert_eq!(out.final_equity, Money::from(10_000));
}

#[test]
fn all_in_reversal_closes_then_sizes_from_equity_after_close() {
    let s = flat("X", &[100.0, 100.0, 110.0, 110.0]);
    let mut d = Script::new(vec![
        (0, buy("X", Sizing::AllIn)),
        (1, sell("X", Sizing::AllIn)),
    ]);
    let config = RunConfig {
        allow_short: true,
        commission: Commission {
            rate: Decimal::new(2, 3),
            ..Commission::default()
        },
        ..cfg()
    };
    let (ev, out) = run(config, vec![s], &mut d);
    // buy: floor(10000(1-eps) / (100 * 1.002)) = 99 at 100, commission 19.8
    // cash after: 10000 - 9900 - 19.8 = 80.2; reversal at 110: sell 99 → +10890 - 21.78
    // cash 10948.42 → short floor(10948.42(1-eps)/(110*1.002)) = 99
    assert_eq!(
        fills(&ev),
        vec![
            (Side::Buy, "99".into(), "100".into()),
            (Side::Sell, "99".into(), "110".into()),
            (Side::Sell, "99".into(), "110".into()),
        ]
    );
    assert_eq!(out.open_positions[0].qty, Quantity::from(-99));
    assert_eq!(out.commissions.to_string(), "63.36");
}

#[test]
fn all_in_buy_with_huge_cash_buys_what_the_cash_pays_for_instead_of_being_rejected() {
    // Near 10^21 the f64 equity behind the all-in rule can be off by more than the
    // rule's (1 − ε) margin, sizing a few units more than the cash pays for (the cash
    // and price pairs are from AAPL runs with 10^21 of starting cash).
    let commissions = [
        Commission::default(),
        Commission {
            rate: Decimal::new(1, 3),
            minimum: Decimal::from(5),
            ..Commission::default()
        },
    ];
    let cases = [
        ("1000000000000000000000", 0.37),
        ("834658805216106989332.48", 91.25),
        ("391748020951079160687.07", 19.301),
        ("1355673437532922475924.596", 138.7),
    ];
    for (cash, price) in cases {
        for commission in &commissions {
            let config = RunConfig {
                initial_cash: Money(cash.parse().unwrap()),
                commission: *commission,
                ..cfg()
            };
            let s = flat("X", &[price, price]);
            let mut d = Script::new(vec![(0, buy("X", Sizing::AllIn))]);
            let (ev, out) = run(config, vec![s], &mut d);
            let what = format!("cash {cash}, price {price}, {commission:?}");
            assert_eq!(rejections(&ev), vec![], "{what}");
            assert_eq!(fills(&ev).len(), 1, "{what}");
            assert!(out.cash.get() >= Decimal::ZERO, "{what}: cash {}", out.cash);
            // What is left is the rule's own margin (equity · ε, a few f64 steps) and
            // less than one more unit.
            let unit = Decimal::try_from(price).unwrap() * (Decimal::ONE + commission.rate);
            let margin = out.final_equity.get() * Decimal::new(1, 15);
            assert!(
                out.cash.get() < unit + commission.minimum + margin,
                "{what}: {}",
                out.cash
            );
        }
    }
}

#[test]
fn all_in_buy_while_long_closes_and_reopens_like_backtesting_py() {
    let s = flat("X", &[100.0, 100.0, 100.0, 100.0]);
    let mut d = Script::new(vec![
        (0, buy("X", Sizing::AllIn)),
        (1, buy("X", Sizing::AllIn)),
    ]);
    let (ev, _) = run(cfg(), vec![s], &mut d);
    let f = fills(&ev);
    assert_eq!(f.len(), 3, "buy, close, re-buy: {f:?}");
    assert_eq!(f[1].0, Side::Sell);
}

#[test]
fn rejects_sell_opening_short_when_shorting_is_off() {
    let s = flat("X", &[10.0, 10.0, 10.0]);
    let mut d = Script::new(vec![(0, sell("X", shares(5)))]);
    let (ev, _) = run(cfg(), vec![s], &mut d);
    assert!(fills(&ev).is_empty());
    assert!(matches!(
        rejections(&ev)[..],
        [RejectReason::ShortingNotAllowed { .. }]
    ));
    assert_eq!(
        d.seen_rejections.len(),
        1,
        "the decider hears about the rejection"
    );
    // rejected at bar 1's open (fill time), reported at bar 1's decision
    assert_eq!(
        d.seen_rejections[0].0, 1,
        "at its next step after the rejection"
    );
}

#[test]
fn rejects_all_in_sell_when_shorting_is_off() {
    let s = flat("X", &[10.0, 10.0]);
    let mut d = Script::new(vec![(0, sell("X", Sizing::AllIn))]);
    let (ev, _) = run(cfg(), vec![s], &mut d);
    assert!(matches!(
        rejections(&ev)[..],
        [RejectReason::ShortingNotAllowed { .. }]
    ));
}

#[test]
fn rejects_buy_costing_more_than_cash() {
    let s = flat("X", &[10.0, 10.0, 10.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(1001)))]);
    let (ev, out) = run(cfg(), vec![s], &mut d);
    assert!(matches!(
        rejections(&ev)[..],
        [RejectReason::InsufficientCash { .. }]
    ));
    assert_eq!(out.cash, Money::from(10_000));
}

#[test]
fn rejects_non_positive_quantity_and_unknown_symbol() {
    let s = flat("X", &[10.0, 10.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(0))), (0, buy("Y", shares(1)))]);
    let (ev, _) = run(cfg(), vec![s], &mut d);
    let r = rejections(&ev);
    assert!(matches!(r[0], RejectReason::InvalidOrder { .. }));
    assert!(matches!(r[1], RejectReason::UnknownSymbol { .. }));
}

#[test]
fn close_position_order_flattens_exactly() {
    let s = flat("X", &[10.0, 10.0, 12.0, 12.0]);
    let mut d = Script::new(vec![
        (0, buy("X", shares(7))),
        (1, sell("X", Sizing::ClosePosition)),
    ]);
    let (ev, out) = run(cfg(), vec![s], &mut d);
    assert_eq!(fills(&ev)[1], (Side::Sell, "7".into(), "12".into()));
    assert!(out.open_positions.is_empty());
    assert_eq!(out.final_equity, Money::from(10_014));
    let trade = ev.iter().find_map(|e| match e {
        RunEvent::TradeClosed { trade } => Some(trade.clone()),
        _ => None,
    });
    assert_eq!(trade.unwrap().pnl, Money::from(14));
}

#[test]
fn limit_buy_waits_for_price_then_fills_at_limit() {
    let s = daily(
        "X",
        &[
            (10.0, 10.0, 10.0, 10.0),
            (10.0, 10.5, 9.8, 10.2),
            (10.0, 10.1, 9.4, 9.6),
        ],
    );
    let mut intent = buy("X", shares(1));
    intent.order_type = OrderType::Limit(Price("9.5".parse().unwrap()));
    let mut d = Script::new(vec![(0, intent)]);
    let (ev, _) = run(cfg(), vec![s], &mut d);
    assert_eq!(fills(&ev), vec![(Side::Buy, "1".into(), "9.5".into())]);
}

#[test]
fn slippage_and_commission_are_charged_on_every_fill() {
    let s = flat("X", &[100.0, 100.0, 100.0, 100.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(10))), (1, sell("X", shares(10)))]);
    let config = RunConfig {
        slippage_bps: Decimal::from(10),
        commission: Commission {
            rate: Decimal::new(1, 3),
            per_share: Decimal::new(1, 2),
            minimum: Decimal::from(2),
        },
        ..cfg()
    };
    let (ev, out) = run(config, vec![s], &mut d);
    assert_eq!(
        fills(&ev),
        vec![
            (Side::Buy, "10".into(), "100.1".into()),
            (Side::Sell, "10".into(), "99.9".into())
        ]
    );
    // commissions: max(1.001 + 0.1, 2) = 2 and max(0.999 + 0.1, 2) = 2
    assert_eq!(out.commissions, Money::from(4));
    assert_eq!(out.final_equity, Money::from(10_000 - 2 - 4));
}

#[test]
fn close_at_end_closes_open_positions_at_last_close() {
    let s = flat("X", &[10.0, 10.0, 11.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(10)))]);
    let config = RunConfig {
        close_at_end: true,
        ..cfg()
    };
    let (ev, out) = run(config, vec![s], &mut d);
    assert_eq!(
        fills(&ev).last().unwrap(),
        &(Side::Sell, "10".into(), "11".into())
    );
    assert!(out.open_positions.is_empty());
    assert_eq!(out.cash, Money::from(10_010));
}

#[test]
fn open_position_at_end_stays_open_marked_at_last_close() {
    let s = flat("X", &[10.0, 10.0, 11.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(10)))]);
    let (_, out) = run(cfg(), vec![s], &mut d);
    assert_eq!(out.open_positions.len(), 1);
    assert_eq!(out.final_equity, Money::from(10_010));
}

#[test]
fn merges_symbols_in_timestamp_order() {
    struct Log(Vec<(i64, Vec<usize>)>);
    impl Decider for Log {
        fn name(&self) -> String {
            "log".into()
        }
        fn on_step(
            &mut self,
            ctx: &DecisionContext<'_>,
            _: &mut Decision,
        ) -> Result<(), DecideError> {
            self.0.push((
                ctx.now.nanos() / 1_000_000_000 / 86_400,
                ctx.updated.to_vec(),
            ));
            Ok(())
        }
    }
    let a = flat("A", &[1.0, 2.0, 3.0]);
    // B starts one day later and has 3 bars
    let b0 = flat("B", &[5.0, 5.0, 5.0, 5.0]);
    let b = tradelab_core::BarSeries::new(sym("B"), b0.bars()[1..].to_vec()).unwrap();
    let mut d = Log(vec![]);
    let (_, out) = run(cfg(), vec![a, b], &mut d);
    let day0 = 18_262;
    assert_eq!(
        d.0,
        vec![
            (day0, vec![0]),
            (day0 + 1, vec![0, 1]),
            (day0 + 2, vec![0, 1]),
            (day0 + 3, vec![1])
        ]
    );
    assert_eq!(out.steps, 4);
}

#[test]
fn identical_inputs_give_identical_event_streams() {
    let make = || {
        let s = flat("X", &[10.0, 11.0, 9.0, 12.0, 8.0, 13.0]);
        let plan = vec![
            (0, buy("X", Sizing::AllIn)),
            (2, sell("X", Sizing::AllIn)),
            (3, buy("X", Sizing::Cash(Money::from(500)))),
        ];
        let config = RunConfig {
            allow_short: true,
            commission: Commission {
                rate: Decimal::new(2, 3),
                ..Commission::default()
            },
            ..cfg()
        };
        let (ev, _) = run(config, vec![s], &mut Script::new(plan));
        serde_json::to_string(&ev).unwrap()
    };
    assert_eq!(make(), make());
}

#[test]
fn rejects_invalid_configuration() {
    let s = || vec![flat("X", &[1.0])];
    let bad_cash = RunConfig {
        initial_cash: Money::ZERO,
        ..cfg()
    };
    assert!(Engine::new(bad_cash, s()).is_err());
    let bad_rate = RunConfig {
        commission: Commission {
            rate: Decimal::ONE,
            ..Commission::default()
        },
        ..cfg()
    };
    assert!(Engine::new(bad_rate, s()).is_err());
    assert!(Engine::new(cfg(), vec![flat("X", &[1.0]), flat("X", &[1.0])]).is_err());
    assert!(Engine::new(cfg(), vec![]).is_err());
}

#[test]
fn position_events_go_only_to_sinks_that_want_them() {
    /// Counts events; declares whether it reads positions.
    struct Counting {
        wants: bool,
        positions: usize,
        fills: usize,
    }
    impl tradelab_engine::EventSink for Counting {
        fn on_event(&mut self, _: u64, event: &RunEvent) -> tradelab_engine::SinkResult {
            match event {
                RunEvent::PositionChanged { .. } => self.positions += 1,
                RunEvent::Fill { .. } => self.fills += 1,
                _ => {}
            }
            Ok(())
        }
        fn wants_positions(&self) -> bool {
            self.wants
        }
    }
    let engine = Engine::new(
        RunConfig {
            allow_short: true,
            ..cfg()
        },
        vec![flat("X", &[10.0, 11.0, 9.0, 12.0, 8.0])],
    )
    .unwrap();
    let plan = || vec![(0, buy("X", Sizing::AllIn)), (2, sell("X", Sizing::AllIn))];
    for wants in [true, false] {
        let mut sink = Counting {
            wants,
            positions: 0,
            fills: 0,
        };
        engine
            .run(&mut Script::new(plan()), &mut sink, None)
            .unwrap();
        // Buy, then the reversal's close and open.
        assert_eq!(sink.fills, 3);
        assert_eq!(sink.positions, if wants { 3 } else { 0 }, "wants {wants}");
    }
}

#[test]
fn a_cleared_report_sink_reports_the_next_run_like_a_fresh_one() {
    use tradelab_engine::report::ReportSink;
    let closes: Vec<f64> = (0..300)
        .map(|k| 100.0 + ((k * 37) % 23) as f64 - (k % 7) as f64)
        .collect();
    let engine = Engine::new(
        RunConfig {
            allow_short: true,
            ..cfg()
        },
        vec![flat("X", &closes)],
    )
    .unwrap();
    let params = [("fast", "3"), ("slow", "8")].map(|(k, v)| (k.to_string(), v.to_string()));
    let run_into = |sink: &mut ReportSink| {
        let mut d = tradelab_engine::strategies::build("sma_cross", &params, true).unwrap();
        engine.run(d.as_mut(), sink, None).unwrap()
    };
    let mut fresh = ReportSink::with_capacity(closes.len());
    let want = run_into(&mut fresh);
    let mut reused = ReportSink::with_capacity(closes.len());
    run_into(&mut reused);
    reused.clear();
    let got = run_into(&mut reused);
    assert_eq!(got, want);
    assert!(fresh.trades.len() > 5 && fresh.fills > 10);
    assert_eq!(reused.trades, fresh.trades);
    assert_eq!(reused.equity, fresh.equity);
    assert_eq!(reused.fills, fresh.fills);
    assert_eq!(reused.decisions, fresh.decisions);
    assert_eq!(reused.slippage, fresh.slippage);
    assert_eq!(reused.invested_bars(), fresh.invested_bars());
    assert!((0..closes.len()).all(|k| reused.invested(k) == fresh.invested(k)));
}
