//! Packet loss of `dialtone bench --whatsapp`, per direction, from the simulated users' calls
//! (`GET /sim/v1/WhatsAppUsers/{Number}/Calls`, each call's `media` object). A frame is 20 ms
//! of audio; a frame that does not arrive is lost to the listener whether the network dropped
//! it or the sender, short of CPU, never sent it (a leg that wakes too late skips the frames
//! it is behind on, keeping its timestamps right and its sequence numbers consecutive, so
//! sequence numbers alone would not see it).
//!
//! - Dialtone → user, from the user's receive side: `audio_gaps` (frames missing between
//!   Dialtone's Opus packets by RTP timestamp; `rtp_lost` of them by sequence number, lost on
//!   the way, the rest never sent); due = `rtp_received` + `audio_gaps`.
//! - user → Dialtone: Dialtone's RTCP receiver reports as the user's side received them,
//!   `remote_expected` (the user's packets up to the highest sequence number Dialtone
//!   reported) and `remote_lost`, plus the frames the user's side skipped (`rtp_skipped`).
//!   Reports come once a second, so they cover the call up to Dialtone's last report.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Semaphore;

use super::api::Api;
use super::report::percent;

/// User call lists fetched at once.
const PARALLEL_FETCHES: usize = 32;
/// Packets per second an Opus leg with 20 ms frames sends.
const NOMINAL_PPS: u64 = 50;

/// `/sim/v1/WhatsAppUsers/{number}/Calls`, the `+` encoded.
fn user_calls_path(number: &str) -> String {
    format!("/sim/v1/WhatsAppUsers/{}/Calls", number.replace('+', "%2B"))
}

/// The sums over every business-initiated call of the users.
#[derive(Debug, Default)]
pub(super) struct MediaTotals {
    calls: u64,
    with_media: u64,
    /// Whole seconds between answer and hang-up, summed.
    seconds: u64,
    user_sent: u64,
    user_skipped: u64,
    user_received: u64,
    user_lost: u64,
    user_gaps: u64,
    dialtone_expected: u64,
    dialtone_lost: u64,
    /// Calls for which Dialtone had sent at least one receiver report with data.
    with_reports: u64,
}

fn count(media: &Value, name: &str) -> Option<u64> {
    media.get(name)?.as_u64()
}

impl MediaTotals {
    /// Reads every business-initiated call of `users` back from the simulator.
    pub(super) async fn collect(api: &Arc<Api>, users: &[String]) -> Result<Self, String> {
        Self::collect_calls(api, users, false).await
    }

    /// Reads every call of `users`, user-initiated ones too (both legs of a bridge between
    /// two users), back from the simulator.
    pub(super) async fn collect_all(api: &Arc<Api>, users: &[String]) -> Result<Self, String> {
        Self::collect_calls(api, users, true).await
    }

    async fn collect_calls(
        api: &Arc<Api>,
        users: &[String],
        user_initiated: bool,
    ) -> Result<Self, String> {
        let gate = Arc::new(Semaphore::new(PARALLEL_FETCHES));
        let mut fetches = tokio::task::JoinSet::new();
        for user in users {
            let (api, gate, path) = (Arc::clone(api), Arc::clone(&gate), user_calls_path(user));
            fetches.spawn(async move {
                let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
                api.get(&path).await
            });
        }
        let mut totals = Self::default();
        while let Some(fetched) = fetches.join_next().await {
            let page = fetched.map_err(|e| e.to_string())??;
            for call in page["calls"].as_array().into_iter().flatten() {
                if user_initiated || call["direction"].as_str() == Some("BUSINESS_INITIATED") {
                    totals.add(call);
                }
            }
        }
        Ok(totals)
    }

    fn add(&mut self, call: &Value) {
        self.calls += 1;
        self.seconds += call["duration"].as_u64().unwrap_or(0);
        let media = &call["media"];
        let (Some(sent), Some(received), Some(lost)) = (
            count(media, "rtp_sent"),
            count(media, "rtp_received"),
            count(media, "rtp_lost"),
        ) else {
            return;
        };
        self.with_media += 1;
        self.user_sent += sent;
        self.user_received += received;
        self.user_lost += lost;
        self.user_gaps += count(media, "audio_gaps").unwrap_or(0);
        self.user_skipped += count(media, "rtp_skipped").unwrap_or(0);
        let expected = count(media, "remote_expected").unwrap_or(0);
        if expected > 0 {
            self.with_reports += 1;
            self.dialtone_expected += expected;
            self.dialtone_lost += count(media, "remote_lost").unwrap_or(0);
        }
    }

    /// Prints both directions; false when a direction was not measured on every call, or lost
    /// `max_loss` % or more of its frames.
    pub(super) fn report(&self, max_loss: f64, flows: u64) -> bool {
        let to_user_due = self.user_received + self.user_gaps;
        let to_user_loss = percent(self.user_gaps, to_user_due);
        println!(
            "media Dialtone -> user (the users' receivers): due {to_user_due}, received {}, missing {} ({to_user_loss:.3} %): {} lost on the way, {} never sent",
            self.user_received,
            self.user_gaps,
            self.user_lost,
            self.user_gaps.saturating_sub(self.user_lost)
        );
        let to_dialtone_due = self.dialtone_expected + self.user_skipped;
        let to_dialtone_missing = self.dialtone_lost + self.user_skipped;
        let to_dialtone_loss = percent(to_dialtone_missing, to_dialtone_due);
        println!(
            "media user -> Dialtone (Dialtone's RTCP receiver reports): due {to_dialtone_due}, received {}, missing {to_dialtone_missing} ({to_dialtone_loss:.3} %): {} lost on the way, {} never sent",
            self.dialtone_expected.saturating_sub(self.dialtone_lost),
            self.dialtone_lost,
            self.user_skipped
        );
        #[allow(clippy::cast_precision_loss)]
        let rate = |packets: u64| packets as f64 / self.seconds.max(1) as f64;
        println!(
            "media rate per call: Dialtone -> user {:.1} packets/s, user -> Dialtone {:.1} packets/s (nominal {NOMINAL_PPS}; over {} s from answer to hang-up, set-up included)",
            rate(self.user_received),
            rate(self.user_sent),
            self.seconds
        );
        println!(
            "media counters: {} of {flows} calls, receiver reports on {}",
            self.with_media, self.with_reports
        );
        self.calls == flows
            && self.with_media == flows
            && self.with_reports == flows
            && to_user_due > 0
            && to_user_loss < max_loss
            && to_dialtone_loss < max_loss
    }
}
