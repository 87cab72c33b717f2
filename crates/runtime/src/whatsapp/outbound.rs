//! One business-initiated call (`<Dial><WhatsApp>`), from the permission check to the end.
//!
//! Order of work: the sender's phone-number id (store, cached) and the permission cache (a
//! user known to have no permission fails at once with 37000, without a Graph request); a
//! media offer; `connect` with the offer and `biz_opaque_callback_data` = the child's
//! CallSid. Meta's answers and webhooks go through the call's
//! [`CallTracker`], whose outcomes become leg events. `Answered` is special: Meta's SDP answer
//! is applied to the media leg first, and the engine hears `Answered` only once media is
//! connected, so the child is `in-progress` only with audio flowing. Media that fails, or
//! does not connect within the media deadline, fails the child with 12400 (the code the
//! protocol crate gives Meta's own media failures, 138019–138023) and terminates the call.

use std::sync::Arc;

use dialtone_core::LegEvent;
use dialtone_types::{E164, Redacted, TwilioCode};
use dialtone_whatsapp::LegOutcome;
use dialtone_whatsapp::error::GraphFailure;
use dialtone_whatsapp::graph::{ConnectResponse, GraphRequests, digits};
use dialtone_whatsapp::tracker::{CallTracker, PermissionCheck};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::context::{CallMsg, CallTx, Ctx};
use super::media::{MediaEvent, MediaSession, PendingOffer};
use crate::clock;
use crate::legs::{LegEvents, LegStart};

/// Answers of Graph requests the task sent.
#[derive(Debug)]
enum Internal {
    Connect(Result<ConnectResponse, GraphFailure>),
    Terminate(Result<(), GraphFailure>),
}

enum Step {
    Msg(Option<CallMsg>),
    Internal(Internal),
    Media(Option<MediaEvent>),
    Timer,
}

/// Places the leg in a new task.
pub(crate) fn start(ctx: Arc<Ctx>, leg: LegStart, events: LegEvents) {
    let (tx, rx) = mpsc::unbounded_channel();
    ctx.route_sid(leg.call, &tx);
    tokio::spawn(async move {
        let call = leg.call;
        let wacid = run(&ctx, leg, events, tx, rx).await;
        ctx.forget(Some(call), wacid.as_deref());
    });
}

/// Why a leg fails before anything is sent to Meta.
fn refuse(code: TwilioCode, message: String) -> LegEvent {
    LegEvent::Failed { code, message }
}

/// Runs the call; returns Meta's call id, if one was learnt.
async fn run(
    ctx: &Arc<Ctx>,
    leg: LegStart,
    events: LegEvents,
    tx: CallTx,
    mut rx: mpsc::UnboundedReceiver<CallMsg>,
) -> Option<String> {
    let (requests, user, offer) = match prepare(ctx, &leg).await {
        Ok(prepared) => prepared,
        Err(event) => {
            events.send(event).await;
            return None;
        }
    };
    // The engine may have ended the leg while the offer was made.
    while let Ok(msg) = rx.try_recv() {
        if matches!(msg, CallMsg::End(_) | CallMsg::Release) {
            return None;
        }
    }
    let request = match requests.connect(&user, offer.sdp(), Some(&leg.call.to_string())) {
        Ok(request) => request,
        Err(e) => {
            tracing::error!(call = %leg.call, error = %e, "WhatsApp connect request refused before sending");
            events
                .send(refuse(
                    TwilioCode::INTERNAL_FAILURE,
                    format!("WhatsApp call could not be placed: {e}"),
                ))
                .await;
            return None;
        }
    };
    let (internal_tx, internal_rx) = mpsc::unbounded_channel();
    let graph = ctx.graph.clone();
    let connect_tx = internal_tx.clone();
    tokio::spawn(async move {
        let _ = connect_tx.send(Internal::Connect(graph.connect(&request).await));
    });
    tracing::debug!(call = %leg.call, user = %Redacted(user.as_str()), "WhatsApp connect sent");
    let answer_ms = clock::millis(ctx.config.answer_timeout);
    let mut call = Outbound {
        ctx: Arc::clone(ctx),
        tx,
        internal_tx,
        events,
        requests,
        user: digits(&user),
        tracker: CallTracker::new(clock::now(), answer_ms),
        offer: Some(offer),
        media: None,
        media_deadline: None,
        routed: None,
        answered: false,
        done: false,
        engine_gone: false,
        in_flight: 0,
    };
    call.run(rx, internal_rx).await;
    call.close_media();
    call.routed
}

/// The sender's requests, the user, and a media offer; or the failure to report.
async fn prepare(
    ctx: &Arc<Ctx>,
    leg: &LegStart,
) -> Result<(GraphRequests, E164, Box<dyn PendingOffer>), LegEvent> {
    let user = leg
        .to
        .strip_prefix("whatsapp:")
        .and_then(|n| E164::parse(n).ok())
        .ok_or_else(|| {
            refuse(
                TwilioCode::DIAL_NUMBER_NOT_SUPPORTED,
                "WhatsApp destination must be whatsapp:+E164".to_owned(),
            )
        })?;
    let not_sender = || {
        refuse(
            TwilioCode::WHATSAPP_INVALID_FROM,
            format!(
                "{} is not a WhatsApp sender of this account with a Meta phone number id",
                leg.from
            ),
        )
    };
    let phone_number_id = match ctx.phone_number_id(leg.account, &leg.from).await {
        Ok(Some(id)) => id,
        Ok(None) => return Err(not_sender()),
        Err(e) => {
            tracing::error!(call = %leg.call, error = %e, "sender lookup failed");
            return Err(refuse(
                TwilioCode::INTERNAL_FAILURE,
                "WhatsApp sender could not be read".to_owned(),
            ));
        }
    };
    let requests = ctx.requests(&phone_number_id).map_err(|_| not_sender())?;
    let check = ctx
        .permissions()
        .check(clock::now(), &phone_number_id, &digits(&user));
    if let PermissionCheck::Denied(failure) | PermissionCheck::LimitReached(failure) = check {
        tracing::info!(call = %leg.call, code = failure.code.0, "WhatsApp call refused from the permission cache");
        return Err(refuse(failure.code, failure.message));
    }
    let offer = ctx.media.offer().await.map_err(|e| {
        tracing::error!(call = %leg.call, error = %e, "WhatsApp media offer failed");
        refuse(
            TwilioCode::INTERNAL_FAILURE,
            format!("WhatsApp media could not be prepared: {e}"),
        )
    })?;
    Ok((requests, user, offer))
}

/// The state of one placed call (see the module docs).
struct Outbound {
    ctx: Arc<Ctx>,
    tx: CallTx,
    internal_tx: mpsc::UnboundedSender<Internal>,
    events: LegEvents,
    requests: GraphRequests,
    /// The user's WhatsApp id (digits).
    user: String,
    tracker: CallTracker,
    offer: Option<Box<dyn PendingOffer>>,
    media: Option<Box<dyn MediaSession>>,
    media_deadline: Option<Instant>,
    /// Meta's call id, once routed to this task.
    routed: Option<String>,
    /// `Answered` was reported (media connected).
    answered: bool,
    /// A terminal event was reported: nothing more goes to the engine.
    done: bool,
    /// The engine ended the leg.
    engine_gone: bool,
    /// Terminate requests in flight.
    in_flight: usize,
}

impl Outbound {
    async fn run(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<CallMsg>,
        mut internal_rx: mpsc::UnboundedReceiver<Internal>,
    ) {
        loop {
            self.pump().await;
            if self.tracker.is_finished() && self.in_flight == 0 {
                return;
            }
            let wake = self.wake();
            let step = tokio::select! {
                msg = rx.recv() => Step::Msg(msg),
                Some(internal) = internal_rx.recv() => Step::Internal(internal),
                event = next_media(&mut self.media) => Step::Media(event),
                () = sleep_until(wake) => Step::Timer,
            };
            match step {
                Step::Msg(Some(msg)) => self.on_msg(msg),
                // Every sender is gone: the runtime stopped.
                Step::Msg(None) => return,
                Step::Internal(internal) => self.on_internal(internal),
                Step::Media(event) => self.on_media(event).await,
                Step::Timer => self.on_timer().await,
            }
        }
    }

    /// The earlier of the tracker's deadline and the media deadline.
    fn wake(&self) -> Option<Instant> {
        let tracker = self
            .tracker
            .poll_timeout()
            .map(|at| Instant::now() + clock::until(clock::now(), at));
        match (tracker, self.media_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_msg(&mut self, msg: CallMsg) {
        let now = clock::now();
        match msg {
            CallMsg::Event(event) => {
                let handled = self.tracker.handle_event(now, &event);
                tracing::trace!(call = %self.events.call(), ?handled, "WhatsApp webhook event");
                self.route_call_id();
            }
            CallMsg::End(_) | CallMsg::Release => {
                if let CallMsg::End(how) = &msg {
                    tracing::debug!(?how, "the engine ended the WhatsApp leg");
                }
                if !self.engine_gone {
                    self.engine_gone = true;
                    self.tracker.handle_hangup(now);
                    self.close_media();
                }
            }
            CallMsg::Answer | CallMsg::Attached(_) => {}
        }
    }

    fn on_internal(&mut self, internal: Internal) {
        let now = clock::now();
        let pnid = self.requests.phone_number_id().to_owned();
        match internal {
            Internal::Connect(Ok(response)) => {
                let call_id = response.call_id().unwrap_or_default().to_owned();
                self.tracker.handle_connect_response(now, &call_id);
                self.ctx.permissions().record_placed(now, &pnid, &self.user);
                self.route_call_id();
            }
            Internal::Connect(Err(failure)) => {
                let failure = failure.classify();
                tracing::info!(call = %self.events.call(), code = failure.code.0, graph_code = ?failure.graph_code, "WhatsApp connect failed");
                self.ctx
                    .permissions()
                    .record_failure(now, &pnid, &self.user, &failure);
                self.tracker.handle_connect_failure(&failure);
            }
            Internal::Terminate(result) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                let failure = result.err().map(|f| f.classify());
                if let Some(f) = &failure {
                    tracing::debug!(call = %self.events.call(), code = f.code.0, "WhatsApp terminate failed");
                }
                self.tracker
                    .handle_terminate_result(failure.as_ref().map_or(Ok(()), Err));
            }
        }
    }

    async fn on_media(&mut self, event: Option<MediaEvent>) {
        match event {
            Some(MediaEvent::Connected) => {
                self.media_deadline = None;
                if let Some(audio) = self.media.as_ref().and_then(|m| m.audio()) {
                    self.ctx.shared.attach_leg(self.events.call(), audio);
                }
                if !self.answered && !self.done && !self.engine_gone {
                    self.answered = true;
                    self.events.send(LegEvent::Answered).await;
                }
            }
            Some(MediaEvent::Digit(digit)) => {
                if self.answered && !self.done && !self.engine_gone {
                    self.events.send(LegEvent::Digits(digit.to_string())).await;
                }
            }
            Some(MediaEvent::Played(played)) => {
                self.ctx.shared.playback.played(self.events.call(), played);
            }
            Some(MediaEvent::Failed(reason)) => {
                self.media = None;
                self.ctx.shared.detach_leg(self.events.call());
                self.media_failed(&reason).await;
            }
            None => {
                self.media = None;
                self.ctx.shared.detach_leg(self.events.call());
                self.media_failed("media leg closed").await;
            }
        }
    }

    async fn on_timer(&mut self) {
        if self.media_deadline.is_some_and(|at| at <= Instant::now()) {
            self.media_deadline = None;
            let secs = self.ctx.config.media_timeout.as_secs_f64();
            self.media_failed(&format!("no media connection within {secs} s"))
                .await;
        }
        self.tracker.handle_timeout(clock::now());
    }

    /// Media failed: before the answer was reported the child fails; after, the call ends as
    /// hung up. Either way the WhatsApp call is terminated.
    async fn media_failed(&mut self, reason: &str) {
        self.close_media();
        if self.done || self.engine_gone {
            return;
        }
        tracing::info!(call = %self.events.call(), reason, "WhatsApp media failed");
        self.done = true;
        let event = if self.answered {
            LegEvent::HungUp
        } else {
            LegEvent::Failed {
                code: TwilioCode::INTERNAL_FAILURE,
                message: format!("WhatsApp media failed: {reason}"),
            }
        };
        self.events.send(event).await;
        self.tracker.handle_hangup(clock::now());
    }

    /// Reports the tracker's outcomes and sends its requests.
    async fn pump(&mut self) {
        while let Some(outcome) = self.tracker.poll_outcome() {
            if self.done || self.engine_gone {
                continue;
            }
            let event = match outcome {
                LegOutcome::Ringing => LegEvent::Ringing,
                LegOutcome::Answered { sdp_answer } => {
                    self.apply_answer(&sdp_answer).await;
                    continue;
                }
                LegOutcome::Rejected => LegEvent::Rejected,
                LegOutcome::NoAnswer => LegEvent::NoAnswer,
                LegOutcome::Failed { code, message } => LegEvent::Failed { code, message },
                LegOutcome::HungUp { .. } if self.answered => LegEvent::HungUp,
                // The user picked up and Meta ended the call before our media connected: the
                // child never was `in-progress`, so it fails like media that never connects.
                LegOutcome::HungUp { .. } => LegEvent::Failed {
                    code: TwilioCode::INTERNAL_FAILURE,
                    message: "WhatsApp call ended before its media connected".to_owned(),
                },
            };
            if !matches!(event, LegEvent::Ringing) {
                self.done = true;
                self.close_media();
            }
            self.events.send(event).await;
        }
        while let Some(command) = self.tracker.poll_command() {
            match command.to_request(&self.requests) {
                Ok(request) => {
                    self.in_flight += 1;
                    let tx = self.internal_tx.clone();
                    self.ctx.spawn_action(request, move |result| {
                        let _ = tx.send(Internal::Terminate(result));
                    });
                }
                Err(e) => {
                    tracing::warn!(call = %self.events.call(), error = %e, "WhatsApp request not sent");
                }
            }
        }
    }

    /// Applies Meta's SDP answer; media must then connect before the media deadline.
    async fn apply_answer(&mut self, sdp_answer: &str) {
        let applied = match self.offer.take() {
            Some(offer) => offer.accept(sdp_answer),
            None => Err("no media offer to apply the answer to".to_owned()),
        };
        match applied {
            Ok(session) => {
                self.media = Some(session);
                self.media_deadline = Some(Instant::now() + self.ctx.config.media_timeout);
            }
            Err(reason) => {
                self.media_failed(&format!("SDP answer could not be applied: {reason}"))
                    .await;
            }
        }
    }

    /// Routes webhooks about Meta's call id to this task once the id is known.
    fn route_call_id(&mut self) {
        if self.routed.is_none()
            && let Some(id) = self.tracker.call_id().filter(|id| !id.is_empty())
        {
            self.ctx.route_wacid(id, &self.tx);
            self.routed = Some(id.to_owned());
        }
    }

    fn close_media(&mut self) {
        self.offer = None;
        self.media_deadline = None;
        if let Some(media) = self.media.take() {
            self.ctx.shared.detach_leg(self.events.call());
            media.close();
        }
    }
}

/// The next media event, or never when there is no leg.
async fn next_media(media: &mut Option<Box<dyn MediaSession>>) -> Option<MediaEvent> {
    match media {
        Some(media) => media.event().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at` (forever when `None`).
pub(super) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
