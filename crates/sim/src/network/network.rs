//! [`Network`]: Meta's side of WhatsApp calling as a sans-IO state machine. Inputs are Graph
//! requests ([`super::graph`]), test-API operations on users, the shell's media answers and the
//! clock; outputs are [`Output`]s drained with [`Network::poll_output`], plus the next deadline
//! ([`Network::poll_timeout`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dialtone_media::MediaStats;
use dialtone_types::{E164, Sid, UnixMillis};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::graph::{SdpType, Session};
use dialtone_whatsapp::webhook::{
    CallDirection, CallStatusKind, ConnectEvent, EventKind, NotificationContext, StatusEvent,
    TerminateEvent, TerminateStatus,
};

use super::call::{Call, CallStatus, Direction, Script, SimSender, UserCall};
use super::config::NetworkConfig;
use super::consent::PairConsent;
use super::error::SimError;
use super::messages::{Message, MessageList, MessageTimer};
use super::output::{Output, Webhook};
use super::templates::Template;
use super::user::{Behavior, NewUser, User};

/// A timer of one call; it only acts if the call is still in the state it was armed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Business-initiated: the phone starts ringing.
    Ring,
    /// Business-initiated: the user answers or declines.
    Pickup,
    /// Business-initiated: Meta stops ringing.
    RingTimeout,
    /// Business-initiated: a busy user refuses.
    Busy,
    /// Business-initiated: the phone never answered the network.
    Unreachable,
    /// User-initiated: the business did not accept in time.
    AcceptWindow,
    /// The user presses the digits.
    Digits,
    /// The user hangs up.
    Hangup,
}

/// What a timer is about: a call, a message, or a template under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Call(Timer),
    Message(MessageTimer),
    Template,
}

/// How a call ends.
pub(crate) struct Ending {
    pub status: CallStatus,
    pub terminate: TerminateStatus,
    pub errors: Vec<GraphError>,
}

/// Meta's calling rules over simulated users.
#[derive(Debug)]
pub struct Network {
    pub(crate) config: NetworkConfig,
    rng: u64,
    users: HashMap<Sid, BTreeMap<E164, User>>,
    pub(crate) calls: HashMap<String, Call>,
    /// Active call per (phone number id, user).
    pairs: HashMap<(String, E164), String>,
    /// Active calls per phone number id.
    per_sender: HashMap<String, usize>,
    /// When business-initiated calls of each pair were answered, over the last 24 h.
    connected: HashMap<(String, E164), VecDeque<UnixMillis>>,
    /// Consent per (phone number id, user).
    pub(crate) consent: HashMap<(String, E164), PairConsent>,
    /// When each user last wrote to each business number (the service window).
    pub(crate) windows: HashMap<(String, E164), UnixMillis>,
    /// Message ids per (account, user), oldest first.
    pub(crate) messages: HashMap<(Sid, E164), MessageList>,
    /// Messages by `wamid`.
    pub(crate) message_store: HashMap<String, Message>,
    /// Templates by id.
    pub(crate) templates: HashMap<String, Template>,
    /// Recent `call_permissions` reads per phone number id.
    pub(crate) permission_reads: HashMap<String, VecDeque<UnixMillis>>,
    timers: BTreeMap<(UnixMillis, u64), (String, Due)>,
    pub(crate) timer_seq: u64,
    ended: VecDeque<(UnixMillis, String)>,
    outputs: VecDeque<Output>,
}

const DAY_MS: u64 = 86_400_000;

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn secs(now: UnixMillis) -> u64 {
    now.0 / 1000
}

/// A WhatsApp id: the number's digits without `+`.
pub(crate) fn wa_id(number: &E164) -> String {
    number.as_str().trim_start_matches('+').to_owned()
}

impl Network {
    /// An empty network. `seed` makes call ids (and `fbtrace_id`s) unpredictable in the shell and
    /// reproducible in tests.
    pub fn new(config: NetworkConfig, seed: u64) -> Self {
        Self {
            config,
            rng: seed,
            users: HashMap::new(),
            calls: HashMap::new(),
            pairs: HashMap::new(),
            per_sender: HashMap::new(),
            connected: HashMap::new(),
            consent: HashMap::new(),
            windows: HashMap::new(),
            messages: HashMap::new(),
            message_store: HashMap::new(),
            templates: HashMap::new(),
            permission_reads: HashMap::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            ended: VecDeque::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    // --- users -------------------------------------------------------------------------

    /// Creates or replaces a user of `account` (a replaced user starts a new unanswered streak;
    /// its calls in progress keep their script).
    pub fn put_user(&mut self, account: Sid, user: NewUser) -> Result<User, SimError> {
        user.validate()?;
        let user = User::from_new(user);
        self.users
            .entry(account)
            .or_default()
            .insert(user.number.clone(), user.clone());
        Ok(user)
    }

    /// One user of `account`.
    pub fn user(&self, account: Sid, number: &E164) -> Option<User> {
        self.users.get(&account)?.get(number).cloned()
    }

    /// The users of `account`, by number.
    pub fn users(&self, account: Sid) -> Vec<User> {
        self.users
            .get(&account)
            .map(|users| users.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Removes a user; its calls in progress go on. False if there was none.
    pub fn delete_user(&mut self, account: Sid, number: &E164) -> bool {
        self.users
            .get_mut(&account)
            .is_some_and(|users| users.remove(number).is_some())
    }

    /// The calls of a user of `account` still remembered (active, or ended within
    /// `keep_ended`), oldest first.
    pub fn calls(&self, account: Sid, number: &E164) -> Vec<UserCall> {
        let mut calls: Vec<&Call> = self
            .calls
            .values()
            .filter(|call| call.sender.account == account && call.user == *number)
            .collect();
        calls.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        calls.into_iter().map(Call::view).collect()
    }

    /// One call by Meta's id.
    pub fn call(&self, call_id: &str) -> Option<UserCall> {
        self.calls.get(call_id).map(Call::view)
    }

    /// Calls in progress on a business number.
    pub fn active_calls(&self, phone_number_id: &str) -> usize {
        self.per_sender.get(phone_number_id).copied().unwrap_or(0)
    }

    // --- outputs and time ----------------------------------------------------------------

    /// The next instruction for the shell.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Network::handle_timeout`] must next run.
    pub fn poll_timeout(&self) -> Option<UnixMillis> {
        let timer = self.timers.keys().next().map(|(at, _)| *at);
        let prune = self
            .ended
            .front()
            .map(|(at, _)| at.plus_millis(millis(self.config.timing.keep_ended)));
        match (timer, prune) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: UnixMillis) {
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (id, due) = entry.remove();
            match due {
                Due::Call(timer) => self.fire(now, &id, timer),
                Due::Message(timer) => self.fire_message(now, &id, timer),
                Due::Template => self.review_done(now, &id),
            }
        }
        let keep = millis(self.config.timing.keep_ended);
        while let Some((at, _)) = self.ended.front() {
            if at.plus_millis(keep) > now {
                break;
            }
            if let Some((_, id)) = self.ended.pop_front() {
                self.calls.remove(&id);
            }
        }
    }

    fn arm(&mut self, at: UnixMillis, call_id: &str, timer: Timer) {
        self.arm_due(at, call_id, Due::Call(timer));
    }

    pub(crate) fn arm_due(&mut self, at: UnixMillis, id: &str, due: Due) {
        self.timer_seq += 1;
        self.timers
            .insert((at, self.timer_seq), (id.to_owned(), due));
    }

    pub(crate) fn arm_template(&mut self, at: UnixMillis, id: &str) {
        self.arm_due(at, id, Due::Template);
    }

    fn fire(&mut self, now: UnixMillis, call_id: &str, timer: Timer) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let status = call.status;
        let timing = self.config.timing;
        match (timer, status) {
            (Timer::Ring, CallStatus::Calling) => {
                let behavior = call.script.behavior;
                let answer_after = call.script.answer_after;
                self.set_status(call_id, CallStatus::Ringing);
                self.status_webhook(now, call_id, CallStatusKind::Ringing);
                if matches!(behavior, Behavior::Answer | Behavior::Reject) {
                    self.arm(
                        now.plus_millis(millis(answer_after)),
                        call_id,
                        Timer::Pickup,
                    );
                }
                self.arm(
                    now.plus_millis(millis(timing.ring_timeout)),
                    call_id,
                    Timer::RingTimeout,
                );
            }
            (Timer::Pickup, CallStatus::Ringing) if !call.awaiting_answer => {
                if call.script.behavior == Behavior::Reject {
                    self.status_webhook(now, call_id, CallStatusKind::Rejected);
                    self.end(now, call_id, Ending::unanswered(CallStatus::Rejected));
                } else if let Some(offer) = call.offer.clone() {
                    if let Some(call) = self.calls.get_mut(call_id) {
                        call.awaiting_answer = true;
                    }
                    self.outputs.push_back(Output::Answer {
                        call_id: call_id.to_owned(),
                        offer,
                    });
                }
            }
            (Timer::RingTimeout, CallStatus::Ringing) if !call.awaiting_answer => {
                self.end(now, call_id, Ending::unanswered(CallStatus::NoAnswer));
            }
            (Timer::Busy, CallStatus::Calling) => {
                self.status_webhook(now, call_id, CallStatusKind::Rejected);
                self.end(now, call_id, Ending::unanswered(CallStatus::Busy));
            }
            (Timer::Unreachable, CallStatus::Calling) => {
                let error = GraphError::new(
                    138_001,
                    "(#138001) Receiver is uncallable",
                    Some("The user's phone could not be reached"),
                );
                self.end(
                    now,
                    call_id,
                    Ending {
                        status: CallStatus::Failed,
                        terminate: TerminateStatus::Failed,
                        errors: vec![error],
                    },
                );
            }
            (Timer::AcceptWindow, CallStatus::Ringing | CallStatus::PreAccepted) => {
                self.end(now, call_id, Ending::unanswered(CallStatus::NoAnswer));
            }
            (Timer::Digits, CallStatus::InProgress) => {
                if let Some(digits) = call.script.digits.clone() {
                    self.outputs.push_back(Output::PressDigits {
                        call_id: call_id.to_owned(),
                        digits,
                    });
                }
            }
            (Timer::Hangup, CallStatus::InProgress) => {
                self.end(now, call_id, Ending::completed());
            }
            _ => {}
        }
    }

    pub(crate) fn push_output(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn set_status(&mut self, call_id: &str, status: CallStatus) {
        if let Some(call) = self.calls.get_mut(call_id) {
            call.status = status;
        }
    }

    // --- call lifecycle -------------------------------------------------------------------

    /// A fresh `wacid.…` (URL-safe).
    pub(crate) fn new_call_id(&mut self) -> String {
        let mut bytes = [0_u8; 18];
        for chunk in bytes.chunks_mut(6) {
            let word = self.next_random().to_le_bytes();
            chunk.copy_from_slice(&word[..6]);
        }
        format!("wacid.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A Meta-looking `fbtrace_id`.
    pub(crate) fn new_trace_id(&mut self) -> String {
        let bytes = self.next_random().to_le_bytes();
        format!("A{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// splitmix64: ids only need to be unique and unguessable-looking; the shell seeds it from
    /// the OS.
    pub(crate) fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn pair_busy(&self, sender: &SimSender, user: &E164) -> bool {
        self.pairs
            .contains_key(&(sender.phone_number_id.clone(), user.clone()))
    }

    pub(crate) fn sender_full(&self, sender: &SimSender) -> bool {
        self.active_calls(&sender.phone_number_id) >= self.config.max_concurrent_calls
    }

    /// Connected business calls of the pair in the 24 h before `now`, and when the oldest
    /// of them stops counting.
    pub(crate) fn connected_today(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        user: &E164,
    ) -> (usize, Option<UnixMillis>) {
        let key = (sender.phone_number_id.clone(), user.clone());
        let Some(times) = self.connected.get_mut(&key) else {
            return (0, None);
        };
        while times.front().is_some_and(|t| t.plus_millis(DAY_MS) <= now) {
            times.pop_front();
        }
        let oldest = times.front().map(|t| t.plus_millis(DAY_MS));
        let count = times.len();
        if count == 0 {
            self.connected.remove(&key);
        }
        (count, oldest)
    }

    pub(crate) fn user_mut(&mut self, account: Sid, number: &E164) -> Option<&mut User> {
        self.users.get_mut(&account)?.get_mut(number)
    }

    pub(crate) fn user_ref(&self, account: Sid, number: &E164) -> Option<&User> {
        self.users.get(&account)?.get(number)
    }

    /// Registers a new active call.
    pub(crate) fn insert_call(&mut self, call: Call) {
        self.pairs.insert(
            (call.sender.phone_number_id.clone(), call.user.clone()),
            call.id.clone(),
        );
        *self
            .per_sender
            .entry(call.sender.phone_number_id.clone())
            .or_default() += 1;
        self.calls.insert(call.id.clone(), call);
    }

    /// Business-initiated call accepted by Meta: schedule what the user's phone does.
    pub(crate) fn place(&mut self, now: UnixMillis, call: Call) {
        let id = call.id.clone();
        let timing = self.config.timing;
        let (at, timer) = match call.script.behavior {
            Behavior::Busy => (timing.ring_after, Timer::Busy),
            Behavior::Unreachable => (timing.unreachable_after, Timer::Unreachable),
            Behavior::Answer | Behavior::Reject | Behavior::NoAnswer => {
                (timing.ring_after, Timer::Ring)
            }
        };
        self.insert_call(call);
        self.arm(now.plus_millis(millis(at)), &id, timer);
    }

    /// The user calls a business number: `offer` is the SDP offer of the user's media side.
    /// Sends the `connect` webhook; the business then has `accept_window` to accept.
    pub fn call_business(
        &mut self,
        now: UnixMillis,
        account: Sid,
        number: &E164,
        sender: SimSender,
        offer: String,
    ) -> Result<UserCall, SimError> {
        let user = self
            .user_ref(account, number)
            .ok_or(SimError::UnknownUser)?;
        if sender.account != account {
            return Err(SimError::UnknownSender(sender.number.to_string()));
        }
        let script = Script::of(user);
        if self.pair_busy(&sender, number) {
            return Err(SimError::DuplicateCall);
        }
        if self.sender_full(&sender) {
            return Err(SimError::Capacity(self.config.max_concurrent_calls));
        }
        let id = self.new_call_id();
        let call = Call {
            id: id.clone(),
            sender,
            user: number.clone(),
            direction: Direction::UserInitiated,
            status: CallStatus::Ringing,
            script,
            created_at: now,
            answered_at: None,
            ended_at: None,
            offer: None,
            answer: None,
            awaiting_answer: false,
            opaque: None,
            media: None,
        };
        let view = call.view();
        let connect = ConnectEvent {
            call_id: id.clone(),
            from: Some(wa_id(number)),
            to: Some(wa_id(&call.sender.number)),
            timestamp: Some(secs(now)),
            direction: CallDirection::UserInitiated,
            session: Some(Session {
                sdp_type: SdpType::Offer,
                sdp: offer,
            }),
            biz_opaque_callback_data: None,
            cta_payload: None,
            deeplink_payload: None,
        };
        self.insert_call(call);
        self.webhook(&id, vec![EventKind::Connect(connect)]);
        self.arm(
            now.plus_millis(millis(self.config.timing.accept_window)),
            &id,
            Timer::AcceptWindow,
        );
        Ok(view)
    }

    /// The shell's answer to [`Output::Answer`]: the user's SDP answer, or why the user's media
    /// side could not answer (the call then fails).
    pub fn answered(&mut self, now: UnixMillis, call_id: &str, answer: Result<String, String>) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        if !(call.awaiting_answer && call.status == CallStatus::Ringing) {
            return;
        }
        call.awaiting_answer = false;
        match answer {
            Ok(sdp) => {
                call.status = CallStatus::InProgress;
                call.answered_at = Some(now);
                call.offer = None;
                call.answer = Some(sdp.clone());
                let key = (call.sender.phone_number_id.clone(), call.user.clone());
                let (account, user) = (call.sender.account, call.user.clone());
                let sender = call.sender.clone();
                let connect = ConnectEvent {
                    call_id: call_id.to_owned(),
                    from: Some(wa_id(&call.sender.number)),
                    to: Some(wa_id(&call.user)),
                    timestamp: Some(secs(now)),
                    direction: CallDirection::BusinessInitiated,
                    session: Some(Session {
                        sdp_type: SdpType::Answer,
                        sdp,
                    }),
                    biz_opaque_callback_data: call.opaque.clone(),
                    cta_payload: None,
                    deeplink_payload: None,
                };
                self.connected.entry(key).or_default().push_back(now);
                if let Some(user) = self.user_mut(account, &user) {
                    user.unanswered_in_a_row = 0;
                }
                // A connected call in either direction resets the pair's request counters.
                self.reset_requests(&sender, &user);
                self.webhook(call_id, vec![EventKind::Connect(connect)]);
                self.status_webhook(now, call_id, CallStatusKind::Accepted);
                self.start_talking(now, call_id);
            }
            Err(reason) => {
                let error = GraphError::new(138_019, "(#138019) Call setup failed", Some(&reason));
                self.end(
                    now,
                    call_id,
                    Ending {
                        status: CallStatus::Failed,
                        terminate: TerminateStatus::Failed,
                        errors: vec![error],
                    },
                );
            }
        }
    }

    /// The user's media side failed during the call (ICE/DTLS never completed, or media
    /// stopped): Meta ends the call as failed.
    pub fn media_failed(&mut self, now: UnixMillis, call_id: &str, reason: &str) {
        if self.calls.get(call_id).is_some_and(Call::is_active) {
            let error = GraphError::new(138_021, "(#138021) Media receive timeout", Some(reason));
            self.end(
                now,
                call_id,
                Ending {
                    status: CallStatus::Failed,
                    terminate: TerminateStatus::Failed,
                    errors: vec![error],
                },
            );
        }
    }

    /// The user's media leg of `call_id` stopped with these counters (kept for the test API).
    pub fn media_stopped(&mut self, call_id: &str, stats: MediaStats) {
        if let Some(call) = self.calls.get_mut(call_id) {
            call.media = Some(stats);
        }
    }

    /// Answered: arm the digits and the user's hang-up.
    pub(crate) fn start_talking(&mut self, now: UnixMillis, call_id: &str) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let (digits, hangup) = (call.script.digits.is_some(), call.script.hangup_after);
        if digits {
            let at = now.plus_millis(millis(self.config.timing.digits_delay));
            self.arm(at, call_id, Timer::Digits);
        }
        if let Some(after) = hangup {
            self.arm(now.plus_millis(millis(after)), call_id, Timer::Hangup);
        }
    }

    /// Ends an active call: the terminate webhook, the indexes, the unanswered streak.
    pub(crate) fn end(&mut self, now: UnixMillis, call_id: &str, ending: Ending) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        if !call.is_active() {
            return;
        }
        call.status = ending.status;
        call.ended_at = Some(now);
        call.awaiting_answer = false;
        let call = call.clone();
        let answered = call.answered_at.is_some();
        let (from, to) = match call.direction {
            Direction::BusinessInitiated => (wa_id(&call.sender.number), wa_id(&call.user)),
            Direction::UserInitiated => (wa_id(&call.user), wa_id(&call.sender.number)),
        };
        let terminate = TerminateEvent {
            call_id: call.id.clone(),
            from: Some(from),
            to: Some(to),
            timestamp: Some(secs(now)),
            direction: match call.direction {
                Direction::BusinessInitiated => CallDirection::BusinessInitiated,
                Direction::UserInitiated => CallDirection::UserInitiated,
            },
            status: ending.terminate,
            start_time: call.answered_at.map(secs),
            end_time: answered.then_some(secs(now)),
            duration: call.duration_secs(),
            biz_opaque_callback_data: call.opaque.clone(),
            errors: ending.errors,
        };
        self.webhook(call_id, vec![EventKind::Terminate(terminate)]);
        self.outputs.push_back(Output::Ended {
            call_id: call_id.to_owned(),
        });
        let key = (call.sender.phone_number_id.clone(), call.user.clone());
        self.pairs.remove(&key);
        if let Some(count) = self.per_sender.get_mut(&call.sender.phone_number_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_sender.remove(&call.sender.phone_number_id);
            }
        }
        if call.direction == Direction::BusinessInitiated && !answered {
            let limit = self.config.revoke_after_unanswered;
            let streak = self.user_mut(call.sender.account, &call.user).map(|user| {
                user.unanswered_in_a_row = user.unanswered_in_a_row.saturating_add(1);
                user.unanswered_in_a_row
            });
            if streak.is_some_and(|n| n >= limit) {
                self.revoke(&call.sender, &call.user);
            }
        }
        self.ended.push_back((now, call_id.to_owned()));
    }

    // --- webhooks --------------------------------------------------------------------------

    pub(crate) fn webhook(&mut self, call_id: &str, events: Vec<EventKind>) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let context = NotificationContext {
            waba_id: call
                .sender
                .waba_id
                .clone()
                .unwrap_or_else(|| call.sender.phone_number_id.clone()),
            phone_number_id: call.sender.phone_number_id.clone(),
            display_phone_number: wa_id(&call.sender.number),
            contact: Some((wa_id(&call.user), None)),
        };
        self.outputs.push_back(Output::Webhook(Webhook {
            call_id: call_id.to_owned(),
            context,
            events,
        }));
    }

    fn status_webhook(&mut self, now: UnixMillis, call_id: &str, status: CallStatusKind) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let event = StatusEvent {
            call_id: call_id.to_owned(),
            timestamp: Some(secs(now)),
            status,
            recipient_id: Some(wa_id(&call.user)),
            biz_opaque_callback_data: call.opaque.clone(),
            errors: Vec::new(),
        };
        self.webhook(call_id, vec![EventKind::Status(event)]);
    }
}

impl Ending {
    /// Ended before an answer: Meta reports it completed, without start time or duration.
    pub(crate) fn unanswered(status: CallStatus) -> Self {
        Self {
            status,
            terminate: TerminateStatus::Completed,
            errors: Vec::new(),
        }
    }

    /// Hung up after an answer.
    pub(crate) fn completed() -> Self {
        Self {
            status: CallStatus::Completed,
            terminate: TerminateStatus::Completed,
            errors: Vec::new(),
        }
    }
}
