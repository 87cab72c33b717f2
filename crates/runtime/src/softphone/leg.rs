//! One softphone leg over time: ringing, answering or refusing, digits, hanging up.
//!
//! Each leg is a small task that sleeps between its steps; the engine's commands (cancel,
//! hang up) abort it through the registry. With media, a call is answered only once both
//! WebRTC legs are connected ([`super::media`]); aborting the task drops them and detaches
//! Dialtone's side.

use dialtone_core::LegEvent;
use dialtone_types::{Sid, TwilioCode};

use super::media::Session;
use super::{Behavior, SoftphoneConfig, Softphones};
use crate::legs::LegEvents;

/// Twilio's "'To' cannot be reached" (21214), for an identity no softphone registered.
pub(crate) const UNREACHABLE: TwilioCode = TwilioCode(21214);

/// A leg that rings the softphone.
pub(super) async fn ring(
    phones: Softphones,
    account: Sid,
    config: SoftphoneConfig,
    events: LegEvents,
) {
    let call = events.call();
    match config.behavior {
        Behavior::Unreachable => {
            events
                .send(LegEvent::Failed {
                    code: UNREACHABLE,
                    message: format!(
                        "client:{} cannot be reached: no softphone with this identity is registered",
                        config.identity
                    ),
                })
                .await;
            phones.leg_done(call);
        }
        Behavior::Busy => {
            events.send(LegEvent::Busy).await;
            phones.leg_done(call);
        }
        Behavior::NoAnswer => {
            // Rings until the engine cancels the leg (its timeout), which aborts nothing
            // left to do here.
            events.send(LegEvent::Ringing).await;
        }
        Behavior::Reject => {
            events.send(LegEvent::Ringing).await;
            tokio::time::sleep(config.answer_after).await;
            events.send(LegEvent::Rejected).await;
            phones.leg_done(call);
        }
        Behavior::Answer => {
            events.send(LegEvent::Ringing).await;
            tokio::time::sleep(config.answer_after).await;
            let session = match connect(&phones, account, &config, &events).await {
                Ok(session) => session,
                Err(reason) => {
                    tracing::info!(call = %call, %reason, "softphone media failed");
                    events
                        .send(LegEvent::Failed {
                            code: TwilioCode::INTERNAL_FAILURE,
                            message: format!("softphone media failed: {reason}"),
                        })
                        .await;
                    phones.leg_done(call);
                    return;
                }
            };
            if events.send(LegEvent::Answered).await {
                with_media(&phones, &config, &events, session).await;
            }
        }
    }
}

/// The caller side of a call the softphone placed, once the application answered.
pub(super) async fn answered(
    phones: Softphones,
    account: Sid,
    config: SoftphoneConfig,
    events: LegEvents,
) {
    match connect(&phones, account, &config, &events).await {
        Ok(session) => with_media(&phones, &config, &events, session).await,
        Err(reason) => {
            tracing::info!(call = %events.call(), %reason, "softphone media failed; hanging up");
            events.send(LegEvent::HungUp).await;
            phones.leg_done(events.call());
        }
    }
}

/// Connects the call's media legs when the softphones have media; `None` without.
async fn connect(
    phones: &Softphones,
    account: Sid,
    config: &SoftphoneConfig,
    events: &LegEvents,
) -> Result<Option<Session>, String> {
    let Some(media) = &phones.inner.media else {
        return Ok(None);
    };
    let mut session = Session::start(media, account, events.call(), config.audio.clone()).await?;
    session.connected().await?;
    Ok(Some(session))
}

/// The answered call: digits and hang-up as configured while the media runs; media that fails
/// hangs the softphone up.
async fn with_media(
    phones: &Softphones,
    config: &SoftphoneConfig,
    events: &LegEvents,
    session: Option<Session>,
) {
    let Some(mut session) = session else {
        in_call(phones, config, events).await;
        return;
    };
    let call = async {
        in_call(phones, config, events).await;
        if config.hangup_after.is_none() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = call => {}
        reason = session.run() => {
            tracing::info!(call = %events.call(), %reason, "softphone media failed; hanging up");
            drop(session);
            events.send(LegEvent::HungUp).await;
            phones.leg_done(events.call());
        }
    }
}

/// Presses the digits and hangs up when configured; with no `hangup_after`, returns once the
/// digits are pressed and the leg waits for the other side to hang up.
async fn in_call(phones: &Softphones, config: &SoftphoneConfig, events: &LegEvents) {
    let timing = phones.inner.timing;
    let digits = async {
        if let Some(digits) = config.digits.as_deref().filter(|d| !d.is_empty()) {
            tokio::time::sleep(timing.digits_delay).await;
            for (i, digit) in digits.chars().enumerate() {
                if i > 0 {
                    tokio::time::sleep(timing.digit_interval).await;
                }
                if !events.send(LegEvent::Digits(digit.to_string())).await {
                    return;
                }
            }
        }
    };
    match config.hangup_after {
        None => digits.await,
        Some(after) => {
            let hangup = tokio::time::sleep(after);
            tokio::pin!(digits, hangup);
            tokio::select! {
                () = &mut hangup => {}
                () = &mut digits => hangup.await,
            }
            events.send(LegEvent::HungUp).await;
            phones.leg_done(events.call());
        }
    }
}
