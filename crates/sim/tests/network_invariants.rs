//! Random sequences of Graph requests, user calls and time on the sans-IO network: whatever
//! happens, every call ends exactly once with a terminate webhook that is its last webhook,
//! the pair and sender counts return to zero, and a granted permission never survives four
//! unanswered business calls in a row. With permission requests, user messages and answers
//! mixed in: no permission is ever granted without the user's reply (a pair is granted only
//! while the last reply webhook of that user accepted and has not expired), and every
//! message's statuses come in Meta's order with the reply after `read`.

mod network_common;

use std::collections::HashMap;
use std::time::Duration;

use dialtone_sim::network::{Behavior, ConsentReply, NewUser, Permission, PermissionState};
use dialtone_whatsapp::webhook::{EventKind, MessageStatusKind};
use network_common::{ANSWER, Driver, OFFER, Seen, account, number, sender};
use proptest::prelude::*;

const USERS: [&str; 3] = ["+15550002001", "+15550002002", "+15550002003"];

#[derive(Debug, Clone)]
enum Step {
    Connect(usize),
    UserCalls(usize),
    Terminate(usize),
    PreAccept(usize),
    Accept(usize),
    Reject(usize),
    Advance(u64),
    /// The user writes to the business (opens the service window).
    UserWrites(usize),
    /// The business sends a free-form call permission request.
    Request(usize),
    /// The user changes the answer to its latest request.
    Answer(usize, ConsentReply),
}

fn consent_reply() -> impl Strategy<Value = ConsentReply> {
    prop_oneof![
        Just(ConsentReply::Accept),
        Just(ConsentReply::AcceptPermanent),
        Just(ConsentReply::Reject),
        Just(ConsentReply::Ignore),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3_usize).prop_map(Step::Connect),
        1 => (0..3_usize).prop_map(Step::UserCalls),
        1 => (0..12_usize).prop_map(Step::Terminate),
        1 => (0..12_usize).prop_map(Step::PreAccept),
        1 => (0..12_usize).prop_map(Step::Accept),
        1 => (0..12_usize).prop_map(Step::Reject),
        3 => (0..5_000_u64).prop_map(Step::Advance),
        1 => (0..3_usize).prop_map(Step::UserWrites),
        2 => (0..3_usize).prop_map(Step::Request),
        1 => (0..3_usize, consent_reply()).prop_map(|(u, r)| Step::Answer(u, r)),
        1 => (0..4_u64).prop_map(|days| Step::Advance(days * 86_400_000 + 1)),
    ]
}

fn behavior() -> impl Strategy<Value = Behavior> {
    prop_oneof![
        Just(Behavior::Answer),
        Just(Behavior::Busy),
        Just(Behavior::Reject),
        Just(Behavior::NoAnswer),
        Just(Behavior::Unreachable),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn calls_always_end_cleanly(
        behaviors in proptest::collection::vec(behavior(), 3),
        answer_ms in proptest::collection::vec(0..3_000_u64, 3),
        replies in proptest::collection::vec(consent_reply(), 3),
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        let mut d = Driver::new();
        for (i, n) in USERS.iter().enumerate() {
            let mut user = NewUser::new(number(n));
            // The first user's permission is scripted; the others earn it by replying.
            user.permission = if i == 0 { Permission::Granted } else { Permission::None };
            user.consent_reply = replies[i];
            user.reply_after = Duration::from_millis(answer_ms[i]);
            user.behavior = behaviors[i];
            user.answer_after = Duration::from_millis(answer_ms[i]);
            user.hangup_after = Some(Duration::from_secs(3));
            user.digits = Some("1".to_owned());
            d.put(user);
        }
        let mut ids: Vec<String> = Vec::new();
        // The last reply webhook seen per user: (accepted, expiry in Unix seconds).
        let mut last_reply: HashMap<String, (bool, Option<u64>)> = HashMap::new();
        let mut statuses: HashMap<String, Vec<MessageStatusKind>> = HashMap::new();
        let mut seen_so_far = 0;
        for step in steps {
            match step {
                Step::Connect(u) => {
                    if let Ok(id) = d.connect(USERS[u].trim_start_matches('+')) {
                        ids.push(id);
                    }
                }
                Step::UserCalls(u) => {
                    let placed = d.net.call_business(
                        d.now, account(), &number(USERS[u]), sender(), OFFER.to_owned());
                    d.drain();
                    if let Ok(call) = placed {
                        ids.push(call.call_id);
                    }
                }
                Step::Terminate(i) => {
                    if let Some(id) = ids.get(i).cloned() {
                        d.action("terminate", &id);
                    }
                }
                Step::Reject(i) => {
                    if let Some(id) = ids.get(i).cloned() {
                        d.action("reject", &id);
                    }
                }
                Step::PreAccept(i) => {
                    if let Some(id) = ids.get(i).cloned() {
                        d.answer_action("pre_accept", &id, ANSWER);
                    }
                }
                Step::Accept(i) => {
                    if let Some(id) = ids.get(i).cloned() {
                        d.answer_action("accept", &id, ANSWER);
                    }
                }
                Step::Advance(ms) => d.advance(Duration::from_millis(ms)),
                Step::UserWrites(u) => {
                    d.net.user_sends_text(d.now, account(), &number(USERS[u]), sender(), "hi")
                        .expect("known user");
                    d.drain();
                }
                Step::Request(u) => {
                    d.post_messages(&network_common::request_body(USERS[u]));
                }
                Step::Answer(u, reply) => {
                    let latest = d.net.messages(account(), &number(USERS[u]))
                        .into_iter().rev().find(|m| !m.inbound);
                    if let Some(m) = latest {
                        // Refusals (not delivered, expired, duplicate, ignore) are fine here.
                        let _ = d.net.answer_request(d.now, account(), &number(USERS[u]), &m.id, reply);
                        d.drain();
                    }
                }
            }
            for (_, seen) in &d.seen[seen_so_far..] {
                if let Seen::Webhook(_, events) = seen {
                    for event in events {
                        match event {
                            EventKind::PermissionReply(r) => {
                                prop_assert!(r.accepted || r.expiration_timestamp.is_none());
                                last_reply.insert(r.from.clone(), (r.accepted, r.expiration_timestamp));
                            }
                            EventKind::MessageStatus(st) => {
                                statuses.entry(st.message_id.clone()).or_default().push(st.status.clone());
                            }
                            _ => {}
                        }
                    }
                }
            }
            seen_so_far = d.seen.len();
            let user = d.net.user(account(), &number(USERS[0])).unwrap();
            prop_assert!(user.unanswered_in_a_row < 4 || user.permission == Permission::Revoked);
            for n in &USERS[1..] {
                let state = d.net.permission(d.now, &sender(), &number(n));
                let wa = n.trim_start_matches('+');
                if state.is_granted() {
                    let reply = last_reply.get(wa).copied();
                    prop_assert!(matches!(reply, Some((true, _))), "{} granted without an accept: {:?}", n, reply);
                    if let (PermissionState::Temporary { expires_at }, Some((_, expiry))) = (state, reply) {
                        prop_assert_eq!(expiry, Some(expires_at.0 / 1000));
                        prop_assert!(d.now < expires_at);
                    }
                    if let Some((_, None)) = reply {
                        prop_assert_eq!(state, PermissionState::Permanent);
                    }
                }
            }
        }
        for (id, list) in &statuses {
            let ok = matches!(list.as_slice(), [MessageStatusKind::Failed])
                || [MessageStatusKind::Sent, MessageStatusKind::Delivered, MessageStatusKind::Read]
                    .starts_with(list);
            prop_assert!(ok, "statuses of {}: {:?}", id, list);
        }

        // Every call ends within the ring timeout or accept window plus the talk time.
        d.advance(Duration::from_mins(2));
        prop_assert_eq!(d.net.active_calls(network_common::PNID), 0);
        let mut terminates: HashMap<String, usize> = HashMap::new();
        let mut last_webhook: HashMap<String, bool> = HashMap::new();
        let mut ended: HashMap<String, usize> = HashMap::new();
        for (_, seen) in d.take() {
            match seen {
                Seen::Webhook(id, events) => {
                    let is_terminate = matches!(events.as_slice(), [EventKind::Terminate(_)]);
                    prop_assert!(!last_webhook.get(&id).copied().unwrap_or(false),
                        "webhook after the terminate of {}", id);
                    if is_terminate {
                        *terminates.entry(id.clone()).or_default() += 1;
                    }
                    last_webhook.insert(id, is_terminate);
                }
                Seen::Ended(id) => {
                    prop_assert_eq!(terminates.get(&id).copied(), Some(1));
                    *ended.entry(id).or_default() += 1;
                }
                Seen::Digits(id, _) | Seen::ApplyAnswer(id, _) => {
                    prop_assert!(!ended.contains_key(&id), "media output after the end of {}", id);
                }
                Seen::MessageDone(_) | Seen::Raw(..) => {}
            }
        }
        for id in &ids {
            prop_assert_eq!(terminates.get(id).copied(), Some(1), "terminate of {}", id);
            prop_assert_eq!(ended.get(id).copied(), Some(1), "end of {}", id);
            // Ended calls are forgotten `keep_ended` after their end (days may pass here).
            if let Some(call) = d.net.call(id) {
                prop_assert!(call.status.is_final());
            }
        }
    }
}
