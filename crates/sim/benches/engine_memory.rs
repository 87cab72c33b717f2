//! Heap bytes per live bridged `<Dial><WhatsApp>` call (parent + child), counted by the
//! `stats_alloc` global allocator (no RSS noise, no unsafe code here).
//!
//! `cargo bench -p dialtone-sim --bench engine_memory [-- N]` (default N = 100 000)
//!
//! The engine is driven directly (`common::Driver`) so only the engine's memory counts: one
//! warm-up flow fills the document cache, then the heap is read with 0 calls live, N calls
//! are run to the bridge (answerOnBridge, whisper done, both legs up, no timer but the
//! child's `timeLimit`), and the heap is read again. Bytes per call = difference / N. Then
//! every call is finished and the heap must come back near the baseline (no leak).

// Byte counts become f64 only to print ratios.
#![allow(clippy::cast_precision_loss)]

mod common;

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated (`realloc` growth is counted in both totals).
fn heap() -> i128 {
    let s = GLOBAL.stats();
    (s.bytes_allocated as i128) - (s.bytes_deallocated as i128)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut driver = common::Driver::new();
    driver.flow();
    // Our own bookkeeping is allocated before the first reading and never grows.
    let mut live = Vec::with_capacity(n);
    let before = heap();
    for _ in 0..n {
        live.push(driver.run_to_bridge());
    }
    let after = heap();
    assert_eq!(driver.engine.live_calls(), 2 * n);
    let engine_bytes = after - before;
    println!(
        "memory: {n} bridged calls alive ({} engine calls): heap +{} bytes = {:.0} bytes ({:.2} KiB) per bridged call (parent + child)",
        driver.engine.live_calls(),
        engine_bytes,
        engine_bytes as f64 / n as f64,
        engine_bytes as f64 / n as f64 / 1024.0
    );
    for &(parent, child, _) in &live {
        driver.finish(parent, child);
    }
    live.clear();
    assert_eq!(driver.engine.live_calls(), 0);
    let end = heap();
    println!(
        "after finishing every call: heap {:+} bytes vs. the 0-call baseline (map capacity and not yet surfaced timer entries)",
        end - before
    );
    // Stale timer entries (the 4 h TimeLimit of each answered parent) go when they surface.
    let later = driver.now.plus_millis(5 * 3600 * 1000);
    driver.engine.handle_timeout(later);
    assert_eq!(driver.engine.poll_timeout(), None);
    driver.now = later;
    let drained = heap();
    println!(
        "after the stale timers surfaced: heap {:+} bytes vs. the 0-call baseline",
        drained - before
    );
    // A second wave reuses the capacity: this is the growth a steady state pays.
    for _ in 0..n {
        live.push(driver.run_to_bridge());
    }
    let again = heap();
    println!(
        "second wave of {n} bridged calls: heap +{} bytes over the drained engine = {:.0} bytes per bridged call",
        again - drained,
        (again - drained) as f64 / n as f64
    );
}
