//! The step processor under its drivers: the same bars give the same numbered events
//! whichever driver fed them; commands arrive as inputs and are audited; deciders can
//! reason, cancel and fail; sinks can fail; progress is reported by time.

mod common;

use common::*;
use futures_util::stream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tradelab_core::{OrderIntent, OrderType, Price, Side, Sizing};
use tradelab_engine::event::VecSink;
use tradelab_engine::{
    Command, DecideError, Decider, DeciderErrors, Decision, DecisionContext, DecisionTrace, Engine,
    EventSink, FailureCause, Immediate, Input, MergedTimeline, RunControl, RunEvent, RunHooks,
    RunStatus, Seq, SinkError, SinkResult, strategies,
};

/// Three symbols over 60 days with staggered starts, sma_cross with shorting and a
/// stop-loss rule: fills, exits and ties at one timestamp all happen.
fn market() -> Vec<tradelab_core::BarSeries> {
    let wave = |phase: f64, n: usize| -> Vec<f64> {
        (0..n)
            .map(|k| {
                let zigzag = if k % 3 == 0 { -3.0 } else { 1.0 };
                100.0 + 10.0 * ((k as f64 + phase) / 4.0).sin() + k as f64 * 0.1 + zigzag
            })
            .collect()
    };
    let a = flat("AAA", &wave(0.0, 60));
    let b = flat("BBB", &wave(1.5, 60));
    let c = flat("CCC", &wave(3.0, 40));
    vec![a, b, c]
}

const STOP_RULE: &str = "[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 1\n";

fn engine(series: Vec<tradelab_core::BarSeries>) -> Engine {
    Engine::new(shorting(), series)
        .and_then(|e| e.with_rules(rule_set(STOP_RULE)))
        .expect("engine")
}

fn sma() -> Box<dyn Decider> {
    let params = [
        ("fast".to_string(), "3".to_string()),
        ("slow".to_string(), "7".to_string()),
    ];
    strategies::build("sma_cross", &params, true).expect("sma_cross")
}

fn sync_events(series: Vec<tradelab_core::BarSeries>) -> Vec<(Seq, RunEvent)> {
    let mut sink = VecSink::default();
    engine(series)
        .run(sma().as_mut(), &mut sink, None)
        .expect("run");
    sink.0
}

/// The steps of `series` as a live feed would deliver them.
fn feed(series: &[tradelab_core::BarSeries]) -> Vec<Input> {
    let mut timeline = MergedTimeline::new(series);
    let mut next = vec![0usize; series.len()];
    let mut inputs = Vec::new();
    while let Some((ts, updated)) = timeline.next_step() {
        let bars = updated
            .iter()
            .map(|&i| {
                let bar = series[i].bars()[next[i]];
                next[i] += 1;
                (series[i].symbol().clone(), bar)
            })
            .collect();
        inputs.push(Input::Bars { ts, bars });
    }
    inputs
}

#[test]
fn the_sync_driver_and_the_stream_driver_give_identical_numbered_events() {
    let series = market();
    let want = sync_events(series.clone());
    assert!(want.iter().any(|(_, e)| matches!(e, RunEvent::Fill { .. })));
    assert!(want.iter().any(|(_, e)| matches!(e, RunEvent::Risk { .. })));

    let symbols = series.iter().map(|s| s.symbol().clone()).collect();
    let live = Engine::live(shorting(), symbols, true)
        .and_then(|e| e.with_rules(rule_set(STOP_RULE)))
        .expect("live engine");
    let mut sink = VecSink::default();
    let mut decider = Immediate(sma());
    let outcome = futures_executor::block_on(live.run_stream(
        &mut decider,
        &mut sink,
        stream::iter(feed(&series)),
        RunHooks::default(),
    ))
    .expect("live run");
    assert_eq!(outcome.steps, 60);
    assert_eq!(sink.0, want, "the stream run differs from the replay");

    let mut sink = VecSink::default();
    futures_executor::block_on(engine(series).run_async(
        &mut Immediate(sma()),
        &mut sink,
        RunHooks::default(),
    ))
    .expect("async replay");
    assert_eq!(sink.0, want, "the async replay differs from the replay");
}

#[test]
fn every_event_is_numbered_by_the_engine_from_one_without_gaps() {
    let events = sync_events(market());
    let seqs: Vec<Seq> = events.iter().map(|(s, _)| *s).collect();
    let want: Vec<Seq> = (1..=events.len() as Seq).collect();
    assert_eq!(seqs, want);
}

#[test]
fn a_live_step_back_in_time_or_of_an_unknown_symbol_fails_the_run_naming_it() {
    let series = market();
    let symbols = series.iter().map(|s| s.symbol().clone()).collect();
    let live = Engine::live(shorting(), symbols, true).expect("live engine");
    let mut inputs = feed(&series[..1]);
    inputs.swap(3, 4);
    let mut sink = VecSink::default();
    let failure = futures_executor::block_on(live.run_stream(
        &mut Immediate(sma()),
        &mut sink,
        stream::iter(inputs),
        RunHooks::default(),
    ))
    .expect_err("a step back in time");
    assert!(
        matches!(failure.error, FailureCause::Input { .. }),
        "{failure}"
    );
    assert!(
        failure.to_string().contains("steps must move forward"),
        "{failure}"
    );
    assert!(matches!(
        sink.0.last(),
        Some((_, RunEvent::RunFailed { .. }))
    ));

    let stray = Input::Bars {
        ts: series[0].bars()[0].ts(),
        bars: vec![(sym("ZZZ"), series[0].bars()[0])],
    };
    let failure = futures_executor::block_on(live.run_stream(
        &mut Immediate(sma()),
        &mut VecSink::default(),
        stream::iter(vec![stray]),
        RunHooks::default(),
    ))
    .expect_err("an unknown symbol");
    assert!(failure.to_string().contains("ZZZ"), "{failure}");
}

/// Buys at the first step, then sends commands from inside the run at given steps.
struct Commander<'a> {
    control: &'a RunControl,
    at: Vec<(usize, Command)>,
    step: usize,
}

impl Decider for Commander<'_> {
    fn name(&self) -> String {
        "commander".into()
    }
    fn on_step(&mut self, _: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        if self.step == 0 {
            d.order(buy("AAA", shares(10)));
        }
        for (_, command) in self.at.iter().filter(|(k, _)| *k == self.step) {
            self.control.send(*command);
        }
        self.step += 1;
        Ok(())
    }
}

fn commands(events: &[(Seq, RunEvent)]) -> Vec<Command> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            RunEvent::Command { command, .. } => Some(*command),
            _ => None,
        })
        .collect()
}

#[test]
fn a_stop_command_is_audited_and_stops_the_run_flattened() {
    let control = RunControl::new();
    let mut d = Commander {
        control: &control,
        at: vec![(3, Command::Stop { flatten: true })],
        step: 0,
    };
    let mut sink = VecSink::default();
    let outcome = engine(vec![flat("AAA", &[10.0; 10])])
        .run_with(
            &mut d,
            &mut sink,
            RunHooks {
                progress: None,
                control: Some(&control),
            },
        )
        .expect("run");
    assert_eq!(outcome.status, RunStatus::Stopped { flattened: true });
    assert_eq!(outcome.steps, 4);
    assert_eq!(commands(&sink.0), vec![Command::Stop { flatten: true }]);
    assert!(outcome.open_positions.is_empty());
}

#[test]
fn a_run_stopped_before_its_first_step_reports_nothing_done() {
    use tradelab_engine::report::{Report, ReportOptions, ReportSink};
    let control = RunControl::new();
    control.send(Command::Stop { flatten: false });
    let engine = engine(vec![flat("AAA", &[10.0; 10])]);
    let mut sink = ReportSink::with_capacity(10);
    let outcome = engine
        .run_with(
            sma().as_mut(),
            &mut sink,
            RunHooks {
                progress: None,
                control: Some(&control),
            },
        )
        .expect("run");
    assert_eq!(outcome.status, RunStatus::Stopped { flattened: false });
    assert_eq!(outcome.steps, 0);
    let report = Report::build(
        engine.config(),
        engine.series(),
        &sink,
        &outcome,
        &ReportOptions {
            strategy: "sma_cross".into(),
            periods_per_year: None,
            risk_free_annual: 0.0,
            tz: jiff::tz::TimeZone::UTC,
            rules: Vec::new(),
        },
    )
    .expect("a report of nothing done");
    assert_eq!(report.bars, 0);
    assert_eq!(report.total_return_pct, 0.0);
    assert_eq!(report.final_equity, report.initial_cash);
    assert_eq!(report.sharpe, None);
    assert_eq!(report.status, outcome.status.to_string());
}

#[test]
fn a_paused_replay_waits_for_resume_and_gives_the_same_results() {
    let control = Arc::new(RunControl::new());
    let mut d = Commander {
        control: &control,
        at: vec![(2, Command::Pause)],
        step: 0,
    };
    let resumer = {
        let control = Arc::clone(&control);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            control.send(Command::Resume);
        })
    };
    let started = std::time::Instant::now();
    let mut sink = VecSink::default();
    let outcome = engine(vec![flat("AAA", &[10.0, 11.0, 12.0, 13.0, 14.0])])
        .run_with(
            &mut d,
            &mut sink,
            RunHooks {
                progress: None,
                control: Some(&control),
            },
        )
        .expect("run");
    resumer.join().expect("resumer");
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "the replay did not wait"
    );
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!(outcome.steps, 5);
    assert_eq!(commands(&sink.0), vec![Command::Pause, Command::Resume]);
    let mut unpaused = Commander {
        control: &RunControl::new(),
        at: Vec::new(),
        step: 0,
    };
    let want = engine(vec![flat("AAA", &[10.0, 11.0, 12.0, 13.0, 14.0])])
        .run(&mut unpaused, &mut VecSink::default(), None)
        .expect("run");
    assert_eq!(outcome.final_equity, want.final_equity);
    assert_eq!(outcome.final_equity.to_string(), "10030");
}

#[test]
fn a_paused_live_run_keeps_marking_but_does_not_ask_the_decider() {
    let series = vec![flat("AAA", &[10.0, 11.0, 12.0, 13.0, 14.0])];
    let live = Engine::live(shorting(), vec![sym("AAA")], true).expect("live");
    let mut inputs = feed(&series);
    inputs.insert(1, Input::Command(Command::Pause));
    inputs.insert(4, Input::Command(Command::Resume));
    let asked = AtomicUsize::new(0);
    struct Count<'a>(&'a AtomicUsize);
    impl Decider for Count<'_> {
        fn name(&self) -> String {
            "count".into()
        }
        fn on_step(
            &mut self,
            _: &DecisionContext<'_>,
            _: &mut Decision,
        ) -> Result<(), DecideError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
    let mut sink = VecSink::default();
    let outcome = futures_executor::block_on(live.run_stream(
        &mut Immediate(Box::new(Count(&asked))),
        &mut sink,
        stream::iter(inputs),
        RunHooks::default(),
    ))
    .expect("live run");
    assert_eq!(outcome.steps, 5);
    assert_eq!(
        asked.load(Ordering::SeqCst),
        3,
        "asked at steps 0, 3 and 4 only"
    );
    assert_eq!(commands(&sink.0), vec![Command::Pause, Command::Resume]);
    let equity = sink
        .0
        .iter()
        .filter(|(_, e)| matches!(e, RunEvent::EquityPoint { .. }));
    assert_eq!(equity.count(), 5, "every step is marked, paused or not");
}

#[test]
fn a_flatten_command_closes_positions_and_the_run_goes_on() {
    let control = RunControl::new();
    let mut d = Commander {
        control: &control,
        at: vec![(2, Command::Flatten)],
        step: 0,
    };
    let mut sink = VecSink::default();
    let outcome = engine(vec![flat("AAA", &[10.0; 6])])
        .run_with(
            &mut d,
            &mut sink,
            RunHooks {
                progress: None,
                control: Some(&control),
            },
        )
        .expect("run");
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!(outcome.steps, 6);
    assert!(outcome.open_positions.is_empty());
    let fills = sink
        .0
        .iter()
        .filter(|(_, e)| matches!(e, RunEvent::Fill { .. }))
        .count();
    assert_eq!(fills, 2, "the buy and the flatten");
}

/// Fails once it has taken `left` events.
struct Dies {
    left: usize,
    taken: Vec<RunEvent>,
}

impl EventSink for Dies {
    fn on_event(&mut self, _: Seq, event: &RunEvent) -> SinkResult {
        if self.left == 0 {
            return Err(Box::new(SinkError::new("disk full")));
        }
        self.left -= 1;
        self.taken.push(event.clone());
        Ok(())
    }
}

#[test]
fn a_failing_sink_fails_the_run_cleanly_at_that_event() {
    let mut sink = Dies {
        left: 25,
        taken: Vec::new(),
    };
    let failure = engine(market())
        .run(sma().as_mut(), &mut sink, None)
        .expect_err("the sink died");
    assert!(matches!(&failure.error, FailureCause::Sink(e) if e.message == "disk full"));
    assert!(
        failure
            .to_string()
            .contains("could not be recorded: disk full"),
        "{failure}"
    );
    assert_eq!(sink.taken.len(), 25, "nothing is sent after the failure");
    assert!(failure.step < 25);
}

/// Holds with reasoning every step, orders at step 1, fails at `fail_at`.
struct Thinker {
    step: usize,
    fail_at: Option<usize>,
}

impl Decider for Thinker {
    fn name(&self) -> String {
        "thinker".into()
    }
    fn on_step(&mut self, ctx: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        let step = self.step;
        self.step += 1;
        if Some(step) == self.fail_at {
            return Err(DecideError::new("model call timed out after 60 s"));
        }
        match step {
            1 => {
                d.order(OrderIntent {
                    symbol: sym("AAA"),
                    side: Side::Buy,
                    order_type: OrderType::Limit(Price::from_f64(1.0).expect("price")),
                    sizing: Sizing::Shares(tradelab_core::Quantity::from(1)),
                    reason: "a bid far below".into(),
                    client_order_id: None,
                });
                d.reasoning = Some("bid low in case of a crash".into());
            }
            2 => {
                let working: Vec<_> = ctx.working.iter().map(|o| o.id).collect();
                assert_eq!(working.len(), 1, "the limit order is working");
                d.cancels.extend(working);
                d.reasoning = Some("no crash coming; withdraw the bid".into());
            }
            4 => {}
            _ => {
                d.reasoning = Some(format!("hold at step {step}"));
                d.trace = Some(DecisionTrace {
                    inputs: serde_json::json!({ "close": ctx.view.last(0).map(|b| b.close()) }),
                    ..DecisionTrace::default()
                });
            }
        }
        Ok(())
    }
}

fn decided(events: &[(Seq, RunEvent)]) -> Vec<(usize, Option<String>)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            RunEvent::Decided {
                orders, reasoning, ..
            } => Some((*orders, reasoning.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn holds_with_reasoning_and_cancels_are_recorded_one_event_per_call_that_says_something() {
    let mut sink = VecSink::default();
    engine(vec![flat("AAA", &[10.0; 6])])
        .run(
            &mut Thinker {
                step: 0,
                fail_at: None,
            },
            &mut sink,
            None,
        )
        .expect("run");
    let got = decided(&sink.0);
    assert_eq!(got.len(), 5, "step 4 said nothing: {got:?}");
    assert_eq!(got[0], (0, Some("hold at step 0".into())));
    assert_eq!(got[1], (1, Some("bid low in case of a crash".into())));
    assert!(sink.0.iter().any(|(_, e)| matches!(
        e,
        RunEvent::OrderCancelled { reason, .. } if reason == "cancelled by the decider"
    )));
    let traced = sink.0.iter().find_map(|(_, e)| match e {
        RunEvent::Decided { trace: Some(t), .. } => Some(t.inputs.clone()),
        _ => None,
    });
    assert_eq!(traced, Some(serde_json::json!({ "close": 10.0 })));
}

#[test]
fn a_decider_error_is_recorded_and_the_run_goes_on_when_configured_to() {
    let mut sink = VecSink::default();
    let outcome = engine(vec![flat("AAA", &[10.0; 6])])
        .with_decider_errors(DeciderErrors::Continue)
        .run(
            &mut Thinker {
                step: 0,
                fail_at: Some(3),
            },
            &mut sink,
            None,
        )
        .expect("the run goes on");
    assert_eq!(outcome.status, RunStatus::Completed);
    let failed: Vec<_> = sink
        .0
        .iter()
        .filter_map(|(_, e)| match e {
            RunEvent::DeciderFailed {
                message, continued, ..
            } => Some((message.clone(), *continued)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        vec![("model call timed out after 60 s".to_string(), true)]
    );
}

#[test]
fn a_decider_error_fails_the_run_by_default_naming_the_error() {
    let mut sink = VecSink::default();
    let failure = engine(vec![flat("AAA", &[10.0; 6])])
        .run(
            &mut Thinker {
                step: 0,
                fail_at: Some(3),
            },
            &mut sink,
            None,
        )
        .expect_err("the run stops");
    assert_eq!(failure.step, 3);
    assert!(matches!(failure.error, FailureCause::Decider(_)));
    assert_eq!(
        failure.to_string(),
        "the run failed at step 4 (2020-01-04T00:00:00Z): the decider failed: model call timed out after 60 s"
    );
    let tail: Vec<&str> = sink.0[sink.0.len() - 2..]
        .iter()
        .map(|(_, e)| match e {
            RunEvent::DeciderFailed { .. } => "decider_failed",
            RunEvent::RunFailed { .. } => "run_failed",
            _ => "other",
        })
        .collect();
    assert_eq!(tail, vec!["decider_failed", "run_failed"]);
}

#[test]
fn progress_is_reported_by_time_when_steps_are_slow() {
    struct Slow;
    impl Decider for Slow {
        fn name(&self) -> String {
            "slow".into()
        }
        fn on_step(
            &mut self,
            _: &DecisionContext<'_>,
            _: &mut Decision,
        ) -> Result<(), DecideError> {
            std::thread::sleep(Duration::from_millis(15));
            Ok(())
        }
    }
    let mut reports = Vec::new();
    let mut progress = |done: usize| reports.push(done);
    engine(vec![flat("AAA", &[10.0; 50])])
        .run(&mut Slow, &mut VecSink::default(), Some(&mut progress))
        .expect("run");
    assert_eq!(reports.last(), Some(&50));
    let before_the_end = reports.iter().filter(|&&d| d < 50).count();
    assert!(
        before_the_end >= 2,
        "50 steps of 15 ms reported only {reports:?}"
    );
}

/// Buys at its first step, says why at every step, and passes its spending limit at
/// step `halt_at` (with an order that must not be placed).
struct Spender {
    step: usize,
    halt_at: usize,
}

impl Decider for Spender {
    fn name(&self) -> String {
        "spender".into()
    }
    fn on_step(&mut self, ctx: &DecisionContext<'_>, d: &mut Decision) -> Result<(), DecideError> {
        let step = self.step;
        self.step += 1;
        assert!(step <= self.halt_at, "asked after the halt, at step {step}");
        d.reasoning = Some(format!("step {step}"));
        if step == 0 || step == self.halt_at {
            d.order(OrderIntent::market(
                ctx.view.symbol(0).clone(),
                Side::Buy,
                Sizing::Shares("1".parse().expect("qty")),
                "spend",
            ));
        }
        if step == self.halt_at {
            return Err(DecideError::halt("budget exceeded: max_tokens 10 passed"));
        }
        Ok(())
    }
}

#[test]
fn a_halting_decider_error_halts_the_run_keeping_what_the_step_said() {
    let mut sink = VecSink::default();
    let outcome = engine(vec![flat("AAA", &[10.0; 8])])
        .run(
            &mut Spender {
                step: 0,
                halt_at: 3,
            },
            &mut sink,
            None,
        )
        .expect("a halted run ends cleanly");
    assert_eq!(
        outcome.status,
        RunStatus::Halted {
            reason: "budget exceeded: max_tokens 10 passed".into()
        }
    );
    assert_eq!(outcome.steps, 8, "the run is marked to the end of its data");
    let said = decided(&sink.0);
    assert_eq!(said.len(), 4);
    assert_eq!(
        said[3],
        (0, Some("step 3".into())),
        "its order is not placed"
    );
    let fills = sink
        .0
        .iter()
        .filter(|(_, e)| matches!(e, RunEvent::Fill { .. }))
        .count();
    assert_eq!(fills, 1, "only the first step's order filled");
    assert!(sink.0.iter().any(|(_, e)| matches!(
        e,
        RunEvent::DeciderFailed { continued: false, message, .. }
            if message.starts_with("budget exceeded")
    )));
}
