//! Report helpers: latency percentiles and packet-loss percentages.

use std::time::Duration;

/// `p`-th percentile (nearest rank) of sorted durations, in milliseconds.
pub(super) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// `name: p50 … p90 … p99 … max … (n samples)`.
pub(super) fn latency_line(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort_unstable();
    format!(
        "{name}: p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 99.0),
        percentile(&samples, 100.0),
        samples.len()
    )
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
pub(super) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let ratio = part as f64 / whole as f64;
    ratio * 100.0
}
