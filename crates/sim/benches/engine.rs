//! Complete `<Dial><WhatsApp>` flows per second on one core, in virtual time.
//!
//! One flow = voice fetch, `<Dial><WhatsApp>` (answerOnBridge, whisper, action, four status
//! callbacks), child ringing, answer, whisper fetch and `<Say>`, bridge, callee hang-up,
//! `action` fetch, `<Hangup>`: 7 inputs, 20 outputs.
//!
//! - `flows/engine`: the engine driven directly (`common::Driver`), one flow after another:
//!   the engine's own cost.
//! - `flows/harness_counters`: 1 000 concurrent flows through `World` in
//!   `Recording::Counters` mode (scheduling, scripted legs and apps included).
//!
//! `cargo bench -p dialtone-sim --bench engine -- --warm-up-time 2 --measurement-time 5`
//! Memory per bridged call: the `engine_memory` bench.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dialtone_core::{AppConfig, EngineConfig};
use dialtone_sim::LegScript;
use dialtone_sim::harness::{Recording, World};
use dialtone_types::WebUrl;

fn direct(c: &mut Criterion) {
    let mut group = c.benchmark_group("flows");
    group.throughput(Throughput::Elements(1));
    let mut driver = common::Driver::new();
    group.bench_function("engine", |b| b.iter(|| black_box(driver.flow())));
    group.finish();
}

fn harness(c: &mut Criterion) {
    const BATCH: u64 = 1_000;
    let mut w = World::with(EngineConfig::default(), Recording::Counters);
    w.senders(&["+15550001111"]);
    w.serve("https://app.test/voice", common::VOICE);
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>Call from Acme</Say></Response>",
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg(
        "whatsapp:+15557770000",
        LegScript::answers_after(Duration::from_secs(3)).hangs_up_after(Duration::from_secs(10)),
    );
    let app =
        AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap_or_else(|e| panic!("{e}")));
    let mut group = c.benchmark_group("flows");
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("harness_counters", |b| {
        b.iter(|| {
            let before = w.counters().bridges;
            for _ in 0..BATCH {
                w.inbound_with("client:agent", "client:dialtone", app.clone())
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            w.run_until_idle();
            assert_eq!(w.counters().bridges - before, BATCH);
        });
    });
    group.finish();
}

criterion_group!(benches, direct, harness);
criterion_main!(benches);
