//! One user-initiated call: a WhatsApp user calls a business number.
//!
//! Meta's `connect` webhook carries the user's SDP offer. The business number's sender
//! (found by Meta's phone-number id) names the voice application; the call starts on it as
//! Twilio starts a call to a number (`From=whatsapp:+U`, `To=whatsapp:+S`, direction
//! `inbound`). The media leg answers the offer at once and the answer is `pre_accept`ed, so
//! ICE and DTLS run while the TwiML is fetched; when the engine answers (the first verb that
//! needs the call up), the [`InboundTracker`] sends `accept` with the same SDP. `<Reject>`
//! before that is a Graph `reject`; any later hang-up is a `terminate`; Meta's `terminate`
//! webhook is the user hanging up.
//!
//! A business number without a sender, or a sender without a voice application (Twilio's
//! 37009), is answered with `reject`; when the sender is known, a `failed` inbound call with a
//! 37009 notification is recorded on its account, so the refusal is visible through the REST
//! API (Call and Notifications) as Twilio's debugger would show it.

use std::sync::Arc;

use dialtone_core::LegEvent;
use dialtone_store::{NewCall, NewNotification};
use dialtone_types::{
    Address, CallStatus, Direction, E164, Level, Redacted, Sid, SidKind, TwilioCode,
};
use dialtone_whatsapp::LegOutcome;
use dialtone_whatsapp::error::GraphFailure;
use dialtone_whatsapp::graph::GraphRequests;
use dialtone_whatsapp::tracker::{Command as GraphCommand, InboundTracker};
use dialtone_whatsapp::webhook::{ConnectEvent, Contact};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::connector::WhatsApp;
use super::context::{CallMsg, CallTx, Ctx};
use super::media::{MediaEvent, MediaSession};
use super::outbound::sleep_until;
use crate::clock;
use crate::driver::Caller;
use crate::handle::{application_call, start_call};
use crate::legs::{LegConnector, LegEvents};

/// Which Graph action an answer is about.
#[derive(Debug, Clone, Copy)]
enum Action {
    PreAccept,
    Accept,
    Reject,
    Terminate,
}

#[derive(Debug)]
struct Answer(Action, Result<(), GraphFailure>);

enum Step {
    Msg(Option<CallMsg>),
    Answer(Answer),
    Media(Option<MediaEvent>),
    Timer,
}

/// Takes a user's call in a new task; webhooks about it queue until the task is ready.
pub(crate) fn start(
    ctx: &Arc<Ctx>,
    phone_number_id: String,
    contact: Option<Contact>,
    connect: ConnectEvent,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    ctx.route_wacid(&connect.call_id, &tx);
    let ctx = Arc::clone(ctx);
    tokio::spawn(async move {
        let wacid = connect.call_id.clone();
        let call = run(&ctx, &phone_number_id, contact, &connect, tx, rx).await;
        ctx.forget(call, Some(&wacid));
    });
}

/// Runs the call; returns its CallSid, if one was created.
async fn run(
    ctx: &Arc<Ctx>,
    phone_number_id: &str,
    contact: Option<Contact>,
    connect: &ConnectEvent,
    tx: CallTx,
    rx: mpsc::UnboundedReceiver<CallMsg>,
) -> Option<Sid> {
    let requests = match ctx.requests(phone_number_id) {
        Ok(requests) => requests,
        Err(e) => {
            tracing::warn!(error = %e, "WhatsApp call to an invalid phone-number id ignored");
            return None;
        }
    };
    let (answer_tx, answer_rx) = mpsc::unbounded_channel();
    let mut call = Inbound {
        ctx: Arc::clone(ctx),
        requests,
        tracker: None,
        answers: answer_tx,
        answers_rx: Some(answer_rx),
        media: None,
        events: None,
        pending: Vec::new(),
        call: None,
        media_connected: false,
        done: false,
        engine_gone: false,
        in_flight: 0,
    };
    let tracker = match InboundTracker::from_connect(connect) {
        Ok(tracker) => tracker,
        Err(e) => {
            tracing::warn!(error = %e, "WhatsApp user call refused: bad offer");
            call.send_now(
                Action::Reject,
                &GraphCommand::Reject {
                    call_id: connect.call_id.clone(),
                },
            );
            call.finish(rx).await;
            return None;
        }
    };
    call.tracker = Some(tracker);
    let user = connect
        .from
        .clone()
        .or_else(|| contact.map(|c| c.wa_id))
        .and_then(|digits| E164::parse(&format!("+{}", digits.trim_start_matches('+'))).ok());
    let Some(user) = user else {
        tracing::warn!("WhatsApp user call without a caller number: rejected");
        call.refuse().await;
        call.finish(rx).await;
        return None;
    };
    if call
        .setup(phone_number_id, &user, connect, &tx)
        .await
        .is_err()
    {
        call.refuse().await;
    }
    call.finish(rx).await;
    call.call
}

/// The state of one user-initiated call (see the module docs).
struct Inbound {
    ctx: Arc<Ctx>,
    requests: GraphRequests,
    tracker: Option<InboundTracker>,
    answers: mpsc::UnboundedSender<Answer>,
    answers_rx: Option<mpsc::UnboundedReceiver<Answer>>,
    media: Option<Box<dyn MediaSession>>,
    /// The engine's call, once created.
    events: Option<LegEvents>,
    /// Leg events produced before the call existed.
    pending: Vec<LegEvent>,
    call: Option<Sid>,
    /// The media leg is connected.
    media_connected: bool,
    /// A terminal event was reported.
    done: bool,
    /// The engine ended the call.
    engine_gone: bool,
    in_flight: usize,
}

/// A refusal already handled (rejected or recorded).
struct Refused;

impl Inbound {
    /// Finds the application, answers the offer, `pre_accept`s, and creates the call.
    async fn setup(
        &mut self,
        phone_number_id: &str,
        user: &E164,
        connect: &ConnectEvent,
        tx: &CallTx,
    ) -> Result<(), Refused> {
        let from = format!("whatsapp:{user}");
        let sender = match self
            .ctx
            .shared
            .store
            .sender_by_phone_number_id(phone_number_id)
            .await
        {
            Ok(Some(sender)) => sender,
            Ok(None) => {
                tracing::warn!(user = %Redacted(user.as_str()), "WhatsApp call to a business number with no sender: rejected");
                return Err(Refused);
            }
            Err(e) => {
                tracing::error!(error = %e, "sender lookup failed: WhatsApp call rejected");
                return Err(Refused);
            }
        };
        let account = sender.account_sid;
        let application = match sender.voice_application_sid {
            Some(app) => self
                .ctx
                .shared
                .store
                .fetch_application(account, app)
                .await
                .ok(),
            None => None,
        };
        let Some(application) = application else {
            record_refusal(
                &self.ctx,
                account,
                &from,
                &sender.sender_id,
                TwilioCode::WHATSAPP_NO_VOICE_APPLICATION,
                format!(
                    "WhatsApp sender {} has no voice application: the call was rejected",
                    sender.sender_id
                ),
            )
            .await;
            return Err(Refused);
        };
        let (Ok(from_addr), Ok(to_addr)) =
            (from.parse::<Address>(), sender.sender_id.parse::<Address>())
        else {
            tracing::warn!(sender = %sender.sid, "WhatsApp sender id is not an address: call rejected");
            return Err(Refused);
        };
        let (setup, record) = match application_call(account, &from_addr, &to_addr, &application) {
            Ok(built) => built,
            Err(e) => {
                record_refusal(
                    &self.ctx,
                    account,
                    &from,
                    &sender.sender_id,
                    e.code,
                    e.message,
                )
                .await;
                return Err(Refused);
            }
        };
        let offer = connect
            .session
            .as_ref()
            .map(|s| s.sdp.clone())
            .unwrap_or_default();
        let (media, answer) = match self.ctx.media.answer(&offer).await {
            Ok(answered) => answered,
            Err(e) => {
                tracing::warn!(error = %e, "WhatsApp user offer could not be answered: rejected");
                return Err(Refused);
            }
        };
        self.media = Some(media);
        if let Some(tracker) = self.tracker.as_mut()
            && let Err(e) = tracker.handle_local_answer(&answer)
        {
            tracing::error!(error = %e, "our SDP answer does not fit Meta's profile: rejected");
            return Err(Refused);
        }
        self.pump().await;
        let ctx = Arc::clone(&self.ctx);
        let attach_tx = tx.clone();
        let connector: Arc<dyn LegConnector> = Arc::new(WhatsApp {
            ctx: Arc::clone(&self.ctx),
        });
        let caller = Caller::Connector {
            connector,
            attach: Box::new(move |events: LegEvents| {
                ctx.route_sid(events.call(), &attach_tx);
                let _ = attach_tx.send(CallMsg::Attached(events));
            }),
        };
        // Once the driver has the call, its outcome is the call: an error is a refusal that
        // stored nothing, so rejecting the user's call at Meta leaves nothing half-created.
        let started =
            match start_call(&self.ctx.commands, setup, record, Vec::new(), Some(caller)).await {
                Ok(accepted) => accepted.outcome().await,
                Err(e) => Err(e),
            };
        match started {
            Ok(call) => {
                tracing::info!(call = %call.sid, "WhatsApp user call started");
                self.call = Some(call.sid);
                self.attach_audio();
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "WhatsApp user call could not start: rejected");
                Err(Refused)
            }
        }
    }

    /// Rejects the call at Meta (through the tracker when there is one).
    async fn refuse(&mut self) {
        self.close_media();
        self.engine_gone = true;
        if let Some(tracker) = self.tracker.as_mut() {
            tracker.handle_hangup(clock::now());
        }
        self.pump().await;
    }

    /// Runs until the tracker is done and no request is in flight.
    async fn finish(&mut self, mut rx: mpsc::UnboundedReceiver<CallMsg>) {
        let Some(mut answers) = self.answers_rx.take() else {
            return;
        };
        loop {
            self.pump().await;
            let finished = self
                .tracker
                .as_ref()
                .is_none_or(InboundTracker::is_finished);
            if finished && self.in_flight == 0 {
                return;
            }
            let wake = self
                .tracker
                .as_ref()
                .and_then(InboundTracker::poll_timeout)
                .map(|at| Instant::now() + clock::until(clock::now(), at));
            let step = tokio::select! {
                msg = rx.recv() => Step::Msg(msg),
                Some(answer) = answers.recv() => Step::Answer(answer),
                event = next_media(&mut self.media) => Step::Media(event),
                () = sleep_until(wake) => Step::Timer,
            };
            match step {
                Step::Msg(Some(msg)) => self.on_msg(msg).await,
                Step::Msg(None) => return,
                Step::Answer(answer) => self.on_answer(answer),
                Step::Media(event) => self.on_media(event).await,
                Step::Timer => {
                    if let Some(tracker) = self.tracker.as_mut() {
                        tracker.handle_timeout(clock::now());
                    }
                }
            }
        }
    }

    async fn on_msg(&mut self, msg: CallMsg) {
        let now = clock::now();
        match msg {
            CallMsg::Attached(events) => {
                for event in std::mem::take(&mut self.pending) {
                    events.send(event).await;
                }
                self.events = Some(events);
            }
            CallMsg::Answer => {
                if let Some(tracker) = self.tracker.as_mut() {
                    tracker.handle_accept();
                }
            }
            CallMsg::End(_) | CallMsg::Release => {
                if let CallMsg::End(how) = &msg {
                    tracing::debug!(?how, "the engine ended the WhatsApp leg");
                }
                if !self.engine_gone {
                    self.engine_gone = true;
                    self.close_media();
                    if let Some(tracker) = self.tracker.as_mut() {
                        tracker.handle_hangup(now);
                    }
                }
            }
            CallMsg::Event(event) => {
                if let Some(tracker) = self.tracker.as_mut() {
                    let handled = tracker.handle_event(now, &event);
                    tracing::trace!(?handled, "WhatsApp user call webhook event");
                }
            }
        }
    }

    fn on_answer(&mut self, Answer(action, result): Answer) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let now = clock::now();
        let failure = result.err().map(|f| f.classify());
        if let Some(f) = &failure {
            tracing::info!(?action, code = f.code.0, message = %f.message, "WhatsApp request failed");
        }
        let result = failure.as_ref().map_or(Ok(()), Err);
        let Some(tracker) = self.tracker.as_mut() else {
            return;
        };
        match action {
            Action::PreAccept => tracker.handle_pre_accept_result(now, result),
            Action::Accept => tracker.handle_accept_result(now, result),
            Action::Reject | Action::Terminate => tracker.handle_terminate_result(result),
        };
    }

    async fn on_media(&mut self, event: Option<MediaEvent>) {
        match event {
            Some(MediaEvent::Connected) => {
                tracing::debug!(call = ?self.call, "WhatsApp user call media connected");
                self.media_connected = true;
                self.attach_audio();
            }
            Some(MediaEvent::Digit(digit)) => {
                self.report(LegEvent::Digits(digit.to_string())).await;
            }
            Some(MediaEvent::Played(played)) => {
                if let Some(call) = self.call {
                    self.ctx.shared.playback.played(call, played);
                }
            }
            Some(MediaEvent::Failed(reason)) => self.media_failed(&reason).await,
            None => self.media_failed("media leg closed").await,
        }
    }

    async fn media_failed(&mut self, reason: &str) {
        self.close_media();
        if self.done || self.engine_gone {
            return;
        }
        tracing::info!(call = ?self.call, reason, "WhatsApp user call media failed");
        self.report(LegEvent::Failed {
            code: TwilioCode::INTERNAL_FAILURE,
            message: format!("WhatsApp media failed: {reason}"),
        })
        .await;
        self.done = true;
        if let Some(tracker) = self.tracker.as_mut() {
            tracker.handle_hangup(clock::now());
        }
    }

    /// Reports the tracker's outcomes and sends its requests.
    async fn pump(&mut self) {
        loop {
            let Some(tracker) = self.tracker.as_mut() else {
                return;
            };
            let outcome = tracker.poll_outcome();
            let command = if outcome.is_none() {
                tracker.poll_command()
            } else {
                None
            };
            match (outcome, command) {
                (Some(outcome), _) => self.on_outcome(outcome).await,
                (None, Some(command)) => {
                    let action = match command {
                        GraphCommand::PreAccept { .. } => Action::PreAccept,
                        GraphCommand::Accept { .. } => Action::Accept,
                        GraphCommand::Reject { .. } => Action::Reject,
                        GraphCommand::Terminate { .. } => Action::Terminate,
                    };
                    self.send_now(action, &command);
                }
                (None, None) => return,
            }
        }
    }

    async fn on_outcome(&mut self, outcome: LegOutcome) {
        if self.done || self.engine_gone {
            return;
        }
        match outcome {
            // Accepted: the engine already counts the call as answered.
            LegOutcome::Answered { .. } => {
                tracing::debug!(call = ?self.call, "WhatsApp user call accepted");
            }
            LegOutcome::Failed { code, message } => {
                self.done = true;
                self.close_media();
                self.report(LegEvent::Failed { code, message }).await;
            }
            LegOutcome::HungUp { .. } => {
                self.done = true;
                self.close_media();
                self.report(LegEvent::HungUp).await;
            }
            LegOutcome::Ringing | LegOutcome::Rejected | LegOutcome::NoAnswer => {}
        }
    }

    /// Sends one Graph request in its own task.
    fn send_now(&mut self, action: Action, command: &GraphCommand) {
        match command.to_request(&self.requests) {
            Ok(request) => {
                self.in_flight += 1;
                let answers = self.answers.clone();
                self.ctx.spawn_action(request, move |result| {
                    let _ = answers.send(Answer(action, result));
                });
            }
            Err(e) => tracing::warn!(?action, error = %e, "WhatsApp request not sent"),
        }
    }

    async fn report(&mut self, event: LegEvent) {
        match &self.events {
            Some(events) => {
                events.send(event).await;
            }
            None => self.pending.push(event),
        }
    }

    /// Gives the call's audio to the routes once both the call and its media exist.
    fn attach_audio(&self) {
        if let (Some(call), true) = (self.call, self.media_connected)
            && let Some(audio) = self.media.as_ref().and_then(|m| m.audio())
        {
            self.ctx.shared.attach_leg(call, audio);
        }
    }

    fn close_media(&mut self) {
        if let Some(media) = self.media.take() {
            if let Some(call) = self.call {
                self.ctx.shared.detach_leg(call);
            }
            media.close();
        }
    }
}

/// Records a refused user call: a `failed` inbound call of `account` with a notification.
async fn record_refusal(
    ctx: &Ctx,
    account: Sid,
    from: &str,
    to: &str,
    code: TwilioCode,
    message: String,
) {
    tracing::warn!(%account, code = code.0, "WhatsApp user call refused: {message}");
    let shared = &ctx.shared;
    let sid = shared.ids.sid(SidKind::Call);
    let now = clock::now();
    let record = NewCall {
        sid,
        parent_call_sid: None,
        to: to.to_owned(),
        from: from.to_owned(),
        status: CallStatus::Failed,
        direction: Direction::Inbound,
        application_sid: None,
        url: None,
        method: "POST".to_owned(),
        twiml: None,
        fallback_url: None,
        fallback_method: "POST".to_owned(),
        status_callback: None,
        status_callback_method: "POST".to_owned(),
        status_callback_events: Vec::new(),
        timeout: 0,
        time_limit: None,
        caller_name: None,
        forwarded_from: None,
    };
    let notification = NewNotification {
        sid: shared.ids.sid(SidKind::Notification),
        error_code: code,
        level: Level::Error,
        message_text: message,
        request_url: None,
        request_method: None,
        response_body: None,
    };
    let stored = async {
        shared.store.insert_call(account, &record, now).await?;
        shared
            .store
            .append_notification(account, sid, &notification, now)
            .await
    };
    if let Err(e) = stored.await {
        tracing::error!(error = %e, "refused WhatsApp call not recorded");
    }
}

/// The next media event, or never when there is no leg.
async fn next_media(media: &mut Option<Box<dyn MediaSession>>) -> Option<MediaEvent> {
    match media {
        Some(media) => media.event().await,
        None => std::future::pending().await,
    }
}
