//! Complete `<Dial><WhatsApp>` flows driven directly on the engine, for a CPU-time rate and
//! for instruction counts under callgrind (stable on a shared, noisy machine):
//!
//! ```text
//! cargo bench -p dialtone-sim --bench engine_instructions -- 200000
//! valgrind --tool=callgrind --toggle-collect='*Driver::flow*' \
//!     target/release/deps/engine_instructions-* 20000
//! ```
//!
//! Instructions per flow = the collected `Ir` / (1 000 warm-up flows + N).

// Counts become f64 only to print rates.
#![allow(clippy::cast_precision_loss)]

mod common;

use std::hint::black_box;
use std::time::Instant;

/// CPU time of this thread in nanoseconds (first field of schedstat): unlike wall time it
/// does not count the time other processes took the core.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let mut driver = common::Driver::new();
    for _ in 0..1_000 {
        black_box(driver.flow());
    }
    let (wall, cpu) = (Instant::now(), cpu_ns());
    let mut outputs: u64 = 0;
    for _ in 0..n {
        outputs += black_box(driver.flow()) as u64;
    }
    let wall = wall.elapsed().as_secs_f64();
    let cpu = cpu_ns().saturating_sub(cpu) as f64 / 1e9;
    assert_eq!(driver.engine.live_calls(), 0);
    println!(
        "{n} flows ({} outputs each): wall {wall:.3} s = {:.0} flows/s; on-CPU {cpu:.3} s = {:.0} flows/s ({:.2} us/flow)",
        outputs / n,
        n as f64 / wall,
        n as f64 / cpu,
        cpu * 1e6 / n as f64
    );
}
