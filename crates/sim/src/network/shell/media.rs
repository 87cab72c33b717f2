//! The users' media side: one task per call owning its ICE-lite [`MediaLeg`]. Once the leg is
//! connected it plays the user's `Audio` (`dialtone_prompt::device`), taps what the user hears
//! (the heard log) and presses the user's digits; it reports a leg that fails. Dropping the
//! command sender ends the task and with it the leg (socket freed).

use std::sync::Weak;
use std::time::Duration;

use dialtone_media::{MediaEvent, MediaLeg};
use dialtone_types::SimulatedAudio;
use tokio::sync::mpsc;

use dialtone_media::heard::HeardLeg;

use super::{Inner, now};

/// What a leg's task needs to know of its call.
#[derive(Debug, Clone)]
pub(crate) struct LegPlan {
    /// Who is on the call, for the heard log (`None`: not kept).
    pub heard: Option<HeardLeg>,
    /// What the user sends once connected.
    pub audio: SimulatedAudio,
}

/// A `w` waits half a second before the next digit, a `W` one second (as Twilio's
/// `sendDigits`).
const SHORT_PAUSE: Duration = Duration::from_millis(500);

/// Starts the task of `call_id`'s leg; send digits through the returned sender.
pub(crate) fn run(
    inner: Weak<Inner>,
    call_id: String,
    mut leg: MediaLeg,
    plan: LegPlan,
) -> mpsc::UnboundedSender<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        // Digits asked for before ICE and DTLS completed wait for the connection: a user
        // presses keys on a call that has audio.
        let mut connected = false;
        let mut waiting: Vec<String> = Vec::new();
        loop {
            tokio::select! {
                command = rx.recv() => match command {
                    Some(digits) if connected => press(&leg, &digits).await,
                    Some(digits) => waiting.push(digits),
                    None => break,
                },
                event = leg.event() => match event {
                    Some(MediaEvent::Connected) => {
                        tracing::debug!(%call_id, "WhatsApp simulator: user media connected");
                        connected = true;
                        if let Some(inner) = inner.upgrade() {
                            let control = leg.control();
                            if let Some(heard) = plan.heard.clone() {
                                control.tap(Some(Box::new(inner.heard_start(heard))));
                            }
                            dialtone_prompt::device::play(&inner.fetcher, control, plan.audio.clone(), call_id.clone());
                        }
                        for digits in std::mem::take(&mut waiting) {
                            press(&leg, &digits).await;
                        }
                    }
                    Some(MediaEvent::Digit(digit)) => {
                        tracing::debug!(%call_id, %digit, "WhatsApp simulator: user heard a digit");
                    }
                    Some(MediaEvent::Played(_)) => {}
                    Some(MediaEvent::Failed(reason)) => {
                        tracing::info!(%call_id, %reason, "WhatsApp simulator: user media failed");
                        if let Some(inner) = inner.upgrade() {
                            inner.media_failed(&call_id, &reason);
                        }
                        break;
                    }
                    None => break,
                },
            }
        }
        // Keep the counters for the test API: what this user received and lost.
        if let Some(inner) = inner.upgrade() {
            let stats = leg.stats();
            inner.heard_end(&call_id, now());
            inner.with_state(|s| s.network.media_stopped(&call_id, stats));
        }
    });
    tx
}

/// Presses `digits`, pausing at `w`/`W`.
async fn press(leg: &MediaLeg, digits: &str) {
    let mut pending = String::new();
    for c in digits.chars() {
        let pause = match c {
            'w' => SHORT_PAUSE,
            'W' => SHORT_PAUSE * 2,
            _ => {
                pending.push(c);
                continue;
            }
        };
        if !pending.is_empty() {
            leg.send_digits(&pending);
            pending.clear();
        }
        tokio::time::sleep(pause).await;
    }
    if !pending.is_empty() {
        leg.send_digits(&pending);
    }
}
