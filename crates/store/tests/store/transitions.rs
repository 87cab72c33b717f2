//! Call transitions: every status change is recorded by the schema itself, in order, with its
//! time, scoped to the account; updates that keep the status add nothing.

use dialtone_store::{CallTransition, CallUpdate, NewNotification, StoreError};
use dialtone_types::{CallStatus, Level, Sid, SidKind, TwilioCode};

use crate::common::{
    ACCOUNT, Harness, OTHER, at, backend_tests, call_sid, new_call, open_with_accounts,
};

fn status(s: CallStatus) -> CallUpdate {
    CallUpdate {
        status: Some(s),
        ..CallUpdate::default()
    }
}

/// The notification recovery writes with the end of a call.
fn restarted(n: u128) -> NewNotification {
    NewNotification {
        sid: Sid::new(SidKind::Notification, n),
        error_code: TwilioCode::INTERNAL_FAILURE,
        level: Level::Error,
        message_text: "restarted".to_owned(),
        request_url: None,
        request_method: None,
        response_body: None,
    }
}

async fn every_status_change_in_order(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    store
        .insert_call(ACCOUNT, &new_call(2), at(0))
        .await
        .unwrap();
    for (s, t) in [
        (CallStatus::Initiated, 1),
        (CallStatus::Ringing, 2),
        (CallStatus::InProgress, 5),
    ] {
        store
            .update_call(ACCOUNT, call_sid(1), &status(s), at(t))
            .await
            .unwrap();
    }
    // Not a change of status: nothing recorded.
    let twiml = CallUpdate {
        twiml: Some("<Response/>".to_owned()),
        ..CallUpdate::default()
    };
    store
        .update_call(ACCOUNT, call_sid(1), &twiml, at(6))
        .await
        .unwrap();
    store
        .update_call(ACCOUNT, call_sid(1), &status(CallStatus::InProgress), at(7))
        .await
        .unwrap();
    // The end, through the transactional path recovery uses.
    let end = CallUpdate {
        status: Some(CallStatus::Completed),
        end_time: Some(at(9)),
        duration: Some(4),
        ..CallUpdate::default()
    };
    let why = restarted(1);
    store
        .update_call_and_notify(ACCOUNT, call_sid(1), &end, &[], &why, at(9))
        .await
        .unwrap();
    let seen = store
        .list_call_transitions(ACCOUNT, call_sid(1))
        .await
        .unwrap();
    let want: Vec<CallTransition> = [
        (CallStatus::Queued, 0),
        (CallStatus::Initiated, 1),
        (CallStatus::Ringing, 2),
        (CallStatus::InProgress, 5),
        (CallStatus::Completed, 9),
    ]
    .into_iter()
    .map(|(status, t)| CallTransition { status, at: at(t) })
    .collect();
    assert_eq!(seen, want);
    // The notification was written with the end.
    let notes = store
        .list_notifications(
            ACCOUNT,
            call_sid(1),
            &dialtone_store::PageRequest::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].error_code, TwilioCode::INTERNAL_FAILURE);
    // The other call only has its first status.
    assert_eq!(
        store
            .list_call_transitions(ACCOUNT, call_sid(2))
            .await
            .unwrap(),
        [CallTransition {
            status: CallStatus::Queued,
            at: at(0)
        }]
    );
    // Another account's call, an unknown call: not found.
    for (account, call) in [(OTHER, call_sid(1)), (ACCOUNT, call_sid(3))] {
        assert!(matches!(
            store.list_call_transitions(account, call).await,
            Err(StoreError::NotFound("call"))
        ));
    }
}

async fn a_failed_end_records_nothing(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    store
        .update_call(ACCOUNT, call_sid(1), &status(CallStatus::Canceled), at(1))
        .await
        .unwrap();
    // Ended already: the second end conflicts, and neither a transition nor the
    // notification is written.
    let why = restarted(2);
    assert!(matches!(
        store
            .update_call_and_notify(
                ACCOUNT,
                call_sid(1),
                &status(CallStatus::Failed),
                &[],
                &why,
                at(2)
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let seen: Vec<CallStatus> = store
        .list_call_transitions(ACCOUNT, call_sid(1))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.status)
        .collect();
    assert_eq!(seen, [CallStatus::Queued, CallStatus::Canceled]);
    let notes = store
        .list_notifications(
            ACCOUNT,
            call_sid(1),
            &dialtone_store::PageRequest::default(),
        )
        .await
        .unwrap()
        .items;
    assert!(notes.is_empty(), "{notes:?}");
}

backend_tests!(every_status_change_in_order, a_failed_end_records_nothing);
