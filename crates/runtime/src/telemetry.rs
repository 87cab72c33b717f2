//! The runtime's metrics, recorded through the `metrics` facade (the binary installs the
//! Prometheus recorder; without one every call here is a no-op).
//!
//! Names are listed here, in one place, and documented in the README ("Metrics"). Counters
//! count from the process's start; gauges are set where the value changes (live calls) or
//! sampled when the metrics are read ([`crate::Handle::sample_metrics`]: the outbox, read from
//! the store, and the media legs).

use std::time::Duration;

use dialtone_types::{CallStatus, Direction};
use dialtone_webhook::FetchFailure;

use crate::sender::{Kind, Outcome};

/// Calls that reached a terminal status, by `status` and `direction`.
pub const CALLS_TOTAL: &str = "dialtone_calls_total";
/// Calls live in the engine (queued ones included).
pub const CALLS_LIVE: &str = "dialtone_calls_live";
/// REST-created calls waiting for their account's calls-per-second turn.
pub const CALLS_QUEUED: &str = "dialtone_calls_queued";
/// From a call's creation to its first `ringing` or `in-progress`, by `direction`.
pub const CALL_SETUP_SECONDS: &str = "dialtone_call_setup_seconds";
/// One webhook attempt's latency, by `kind` (`twiml`, `status_callback`).
pub const WEBHOOK_SECONDS: &str = "dialtone_webhook_duration_seconds";
/// Webhooks that failed (after their retries), by `kind` and `code`: the HTTP status when
/// the application answered, else Twilio's error code (11205 connection failed, ...).
pub const WEBHOOK_FAILURES: &str = "dialtone_webhook_failures_total";
/// Status callbacks owed (pending or in flight) in the durable outbox.
pub const OUTBOX_DEPTH: &str = "dialtone_outbox_depth";
/// Age of the oldest status callback owed, seconds (0 when none).
pub const OUTBOX_OLDEST_SECONDS: &str = "dialtone_outbox_oldest_age_seconds";
/// Media legs (WebRTC) running now.
pub const MEDIA_LEGS_LIVE: &str = "dialtone_media_legs_live";
/// RTP packets sent over every media leg.
pub const RTP_SENT: &str = "dialtone_rtp_packets_sent_total";
/// RTP packets received over every media leg.
pub const RTP_RECEIVED: &str = "dialtone_rtp_packets_received_total";
/// RTP packets lost, by the remotes' sequence numbers.
pub const RTP_LOST: &str = "dialtone_rtp_packets_lost_total";
/// `<Say>`/`<Play>` clip cache answers, by `kind` (`say`, `play`) and `result` (`hit`, `miss`).
pub const PROMPT_CACHE: &str = "dialtone_prompt_cache_total";
/// Create requests refused for load, by `reason` (`cps_queue_full`; the API adds
/// `in_flight`).
pub const ADMISSION_REJECTIONS: &str = "dialtone_admission_rejections_total";

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Twiml => "twiml",
        Kind::Callback => "status_callback",
    }
}

/// Records a webhook's attempts and, if it failed, its code.
pub(crate) fn webhook_sent(kind: Kind, outcome: &Outcome) {
    let label = kind_label(kind);
    let latency = metrics::histogram!(WEBHOOK_SECONDS, "kind" => label);
    for attempt in &outcome.attempts {
        latency.record(attempt.duration.as_secs_f64());
    }
    if let Err(failure) = &outcome.result {
        let code = match failure {
            FetchFailure::ErrorStatus { status } | FetchFailure::UnfollowedRedirect { status } => {
                status.to_string()
            }
            other => other.code().0.to_string(),
        };
        metrics::counter!(WEBHOOK_FAILURES, "kind" => label, "code" => code).increment(1);
    }
}

/// A call reached a terminal status.
pub(crate) fn call_ended(status: CallStatus, direction: Direction) {
    metrics::counter!(
        CALLS_TOTAL,
        "status" => status.as_str(),
        "direction" => direction.as_str()
    )
    .increment(1);
}

/// A call rang or was answered for the first time, `took` after its creation.
pub(crate) fn call_set_up(direction: Direction, took: Duration) {
    metrics::histogram!(CALL_SETUP_SECONDS, "direction" => direction.as_str())
        .record(took.as_secs_f64());
}

/// The engine's call counts after an input.
pub(crate) fn calls_now(live: usize, queued: usize) {
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    {
        metrics::gauge!(CALLS_LIVE).set(live as f64);
        metrics::gauge!(CALLS_QUEUED).set(queued as f64);
    }
}

/// A create refused because the account's CPS queue is full.
pub(crate) fn cps_rejection() {
    metrics::counter!(ADMISSION_REJECTIONS, "reason" => "cps_queue_full").increment(1);
}

/// The outbox's depth and the age of its oldest item.
pub(crate) fn outbox(depth: u64, oldest: Duration) {
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!(OUTBOX_DEPTH).set(depth as f64);
    metrics::gauge!(OUTBOX_OLDEST_SECONDS).set(oldest.as_secs_f64());
}

/// The media legs' and the prompt cache's counts, read when the metrics are scraped.
pub(crate) fn media_and_prompts(prompts: Option<dialtone_prompt::CacheStats>) {
    let media = dialtone_media::totals();
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!(MEDIA_LEGS_LIVE).set(media.legs_live as f64);
    metrics::counter!(RTP_SENT).absolute(media.rtp_sent);
    metrics::counter!(RTP_RECEIVED).absolute(media.rtp_received);
    metrics::counter!(RTP_LOST).absolute(media.rtp_lost);
    if let Some(p) = prompts {
        for (kind, result, n) in [
            ("say", "hit", p.say_hits),
            ("say", "miss", p.say_misses),
            ("play", "hit", p.play_hits),
            ("play", "miss", p.play_misses),
        ] {
            metrics::counter!(PROMPT_CACHE, "kind" => kind, "result" => result).absolute(n);
        }
    }
}
