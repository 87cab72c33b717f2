//! Throughput and memory of complete `<Dial><WhatsApp>` flows, in virtual time, on one core.
//!
//! `cargo bench -p dialtone-sim --bench engine_flows [-- FLOWS [ALIVE]]`
//!
//! 1. Throughput: FLOWS (default 400 000) complete flows — voice fetch, `<Dial><WhatsApp>`
//!    with whisper, action and all four status callbacks, ringing, answer, whisper `<Say>`,
//!    bridge, callee hang-up, `action` fetch, `<Hangup>` — driven through the `World` harness
//!    in batches of 1 000 concurrent calls, without recording.
//! 2. Engine alone: the same flows driven by a bare FIFO reactor (each output answered at
//!    once, 1 ms of virtual time per input): the engine's own cost, without the harness's
//!    scheduling and records.
//! 3. Memory: ALIVE (default 100 000) bridged calls kept alive at once; the resident-set
//!    growth divided by ALIVE (parent + child, plus the harness's pending events).
//!
//! A plain `main` (not criterion): the figures go to BENCHMARKS.md.

// Counts become f64 only to print rates.
#![allow(clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use std::collections::VecDeque;

use dialtone_core::{
    AppConfig, CallSetup, Engine, EngineConfig, FetchResult, Handled, Input, LegEvent, Output,
    SequentialSids,
};
use dialtone_sim::LegScript;
use dialtone_sim::harness::{Recording, World};
use dialtone_types::WebUrl;
use dialtone_types::{Address, Direction, E164, Sid, SidKind, UnixMillis};

const VOICE: &str = r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done" answerOnBridge="true"><WhatsApp url="/whisper" statusCallback="/status" statusCallbackEvent="initiated ringing answered completed">+15557770000</WhatsApp></Dial></Response>"#;

fn world(hangup_after: Duration) -> (World, AppConfig) {
    let mut w = World::with(EngineConfig::default(), Recording::Counters);
    w.senders(&["+15550001111"]);
    w.serve("https://app.test/voice", VOICE);
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>Call from Acme</Say></Response>",
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg(
        "whatsapp:+15557770000",
        LegScript::answers_after(Duration::from_secs(3)).hangs_up_after(hangup_after),
    );
    let app =
        AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap_or_else(|e| panic!("{e}")));
    (w, app)
}

/// CPU time of this thread, in nanoseconds (first field of schedstat): unlike wall time it
/// does not count the time other processes on the machine took the core.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Drives `flows` flows through the engine alone, `batch` at a time; returns the CPU seconds.
fn engine_only(flows: u64, batch: u64) -> f64 {
    let account = Sid::new(SidKind::Account, 0xACC);
    let mut engine = Engine::new(EngineConfig::default(), SequentialSids::default());
    let mut now = UnixMillis(1_767_225_600_000);
    let senders = vec![E164::parse("+15550001111").unwrap_or_else(|e| panic!("{e}"))];
    let _ = engine.handle_input(now, Input::SetSenders { account, senders });
    let address = |s: &str| s.parse::<Address>().unwrap_or_else(|e| panic!("{e}"));
    let setup = CallSetup::new(
        account,
        Direction::Inbound,
        address("client:agent"),
        address("client:dialtone"),
        AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap_or_else(|e| panic!("{e}"))),
    );
    let voice = FetchResult::xml(VOICE);
    let whisper = FetchResult::xml("<Response><Say>Call from Acme</Say></Response>");
    let done = FetchResult::xml("<Response><Hangup/></Response>");
    let mut queue: VecDeque<Input> = VecDeque::new();
    let (mut bridged, mut started) = (0, 0);
    let cpu_start = cpu_ns();
    while started < flows {
        for _ in 0..batch.min(flows - started) {
            queue.push_back(Input::StartCall(Box::new(setup.clone())));
            started += 1;
        }
        while let Some(input) = queue.pop_front() {
            now = now.plus_millis(1);
            if let Ok(Handled::Stale) = engine.handle_input(now, input) {
                panic!("no input of a clean flow is stale");
            }
            while let Some(output) = engine.poll_output() {
                match output {
                    Output::Fetch(f) => {
                        let result = match f.url.as_str().trim_start_matches("https://app.test") {
                            "/voice" => voice.clone(),
                            "/whisper" => whisper.clone(),
                            _ => done.clone(),
                        };
                        queue.push_back(Input::Fetched {
                            call: f.call,
                            request: f.request,
                            result,
                        });
                    }
                    Output::StartLeg(l) => {
                        for event in [LegEvent::Ringing, LegEvent::Answered] {
                            queue.push_back(Input::Leg {
                                call: l.call,
                                event,
                            });
                        }
                    }
                    Output::Media(m) => queue.push_back(Input::Leg {
                        call: m.call,
                        event: LegEvent::MediaFinished(m.id),
                    }),
                    Output::Bridge { child, .. } => {
                        bridged += 1;
                        queue.push_back(Input::Leg {
                            call: child,
                            event: LegEvent::HungUp,
                        });
                    }
                    _ => {}
                }
            }
        }
        // Drop the stale timer entries of the calls that ended, as a runtime's loop would.
        while engine.poll_timeout().is_some() {
            engine.handle_timeout(now);
        }
    }
    let cpu = cpu_ns().saturating_sub(cpu_start) as f64 / 1e9;
    assert_eq!(bridged, flows, "every flow must bridge");
    assert_eq!(engine.live_calls(), 0, "every call must end");
    cpu
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let flows = args.first().copied().unwrap_or(400_000);
    let alive = args.get(1).copied().unwrap_or(100_000);

    // 1. Throughput.
    let (mut w, app) = world(Duration::from_secs(10));
    let batch: u64 = 1_000;
    let start = Instant::now();
    let cpu_start = cpu_ns();
    let mut started = 0;
    while started < flows {
        for _ in 0..batch.min(flows - started) {
            w.inbound_with("client:agent", "client:dialtone", app.clone())
                .unwrap_or_else(|e| panic!("{e}"));
            started += 1;
        }
        w.run_until_idle();
    }
    let elapsed = start.elapsed();
    let cpu = cpu_ns().saturating_sub(cpu_start) as f64 / 1e9;
    let c = w.counters();
    assert_eq!(c.bridges, flows, "every flow must bridge");
    assert_eq!(c.ended_calls, 2 * flows, "every parent and child must end");
    assert_eq!(c.fetches, 3 * flows, "voice, whisper and action per flow");
    assert_eq!(c.status_callbacks, 4 * flows);
    println!(
        "throughput: {flows} flows; wall {:.3} s = {:.0} flows/s; on-CPU {:.3} s = {:.0} flows/s ({:.2} us/flow); {} outputs, {} inputs",
        elapsed.as_secs_f64(),
        flows as f64 / elapsed.as_secs_f64(),
        cpu,
        flows as f64 / cpu,
        cpu * 1e6 / flows as f64,
        c.outputs,
        c.inputs
    );
    drop(w);

    // 2. The engine alone.
    let cpu = engine_only(flows, batch);
    println!(
        "engine alone: {flows} flows; on-CPU {cpu:.3} s = {:.0} flows/s ({:.2} us/flow)",
        flows as f64 / cpu,
        cpu * 1e6 / flows as f64
    );

    // 3. Memory with ALIVE bridged calls.
    let (mut w, app) = world(Duration::from_hours(24));
    let before = rss_kib();
    for _ in 0..alive {
        w.inbound_with("client:agent", "client:dialtone", app.clone())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    w.advance(Duration::from_secs(10));
    let after = rss_kib();
    assert_eq!(w.counters().bridges, alive);
    assert_eq!(w.engine().live_calls() as u64, 2 * alive);
    println!(
        "memory: {alive} bridged calls alive ({} engine calls): RSS +{} KiB = {:.2} KiB per bridged call (parent + child)",
        w.engine().live_calls(),
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / alive as f64
    );
}
