//! Random sequences of Graph requests, user calls and time on the sans-IO network: whatever
//! happens, every call ends exactly once with a terminate webhook that is its last webhook,
//! the pair and sender counts return to zero, and a granted permission never survives four
//! unanswered business calls in a row.

mod network_common;

use std::collections::HashMap;
use std::time::Duration;

use dialtone_sim::network::{Behavior, NewUser, Permission};
use dialtone_whatsapp::webhook::EventKind;
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
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        let mut d = Driver::new();
        for (i, n) in USERS.iter().enumerate() {
            let mut user = NewUser::new(number(n));
            user.permission = Permission::Granted;
            user.behavior = behaviors[i];
            user.answer_after = Duration::from_millis(answer_ms[i]);
            user.hangup_after = Some(Duration::from_secs(3));
            user.digits = Some("1".to_owned());
            d.put(user);
        }
        let mut ids: Vec<String> = Vec::new();
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
            }
            for n in USERS {
                let user = d.net.user(account(), &number(n)).unwrap();
                prop_assert!(user.unanswered_in_a_row < 4 || user.permission == Permission::Revoked);
            }
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
            }
        }
        for id in &ids {
            prop_assert_eq!(terminates.get(id).copied(), Some(1), "terminate of {}", id);
            prop_assert_eq!(ended.get(id).copied(), Some(1), "end of {}", id);
            let call = d.net.call(id).unwrap();
            prop_assert!(call.status.is_final());
        }
    }
}
