//! `<Dial><Client>`: a child call to a second softphone, bridged, with its own status
//! callbacks, stored as an `outbound-dial` call, and the parent's `action` request.

mod common;

use std::time::Duration;

use common::{App, Reply, account, call_request, ended, eventually, runtime};
use dialtone_runtime::{Behavior, CallSource, CreateCall, SoftphoneConfig};
use dialtone_store::{CallFilter, PageRequest, PageSize};
use dialtone_types::{CallStatus, Direction};

fn call_to_alice(app: &App) -> CreateCall {
    call_request("client:alice", app.url("/voice"))
}

fn phone(identity: &str, behavior: Behavior, hangup_after: Option<Duration>) -> SoftphoneConfig {
    SoftphoneConfig {
        behavior,
        answer_after: Duration::from_millis(50),
        hangup_after,
        ..SoftphoneConfig::new(identity)
    }
}

#[tokio::test]
async fn dial_client_bridges_and_reports_the_child() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml(
            "<Response><Dial action=\"/dialed\" timeout=\"10\"><Client statusCallback=\"/status-child\" \
             statusCallbackEvent=\"initiated ringing answered completed\">bob</Client></Dial></Response>"
                .to_owned(),
        ),
    );
    app.route(
        "/dialed",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones()
        .register(account(), phone("alice", Behavior::Answer, None));
    rt.softphones().register(
        account(),
        phone("bob", Behavior::Answer, Some(Duration::from_millis(1100))),
    );
    let parent = rt.create_call(call_to_alice(&app)).await.unwrap();
    let done = ended(&store, parent.sid).await;
    assert_eq!(done.status, CallStatus::Completed);

    let dialed = app.seen_at("/dialed");
    assert_eq!(dialed.len(), 1);
    assert_eq!(dialed[0].param("DialCallStatus"), Some("completed"));
    assert_eq!(dialed[0].param("DialBridged"), Some("true"));
    assert_eq!(dialed[0].param("DialCallDuration"), Some("1"));
    let child_sid: dialtone_types::Sid = dialed[0].param("DialCallSid").unwrap().parse().unwrap();
    assert!(dialed[0].signature_ok());

    let child = ended(&store, child_sid).await;
    assert_eq!(child.status, CallStatus::Completed);
    assert_eq!(child.direction, Direction::OutboundDial);
    assert_eq!(child.parent_call_sid, Some(parent.sid));
    assert_eq!(child.to, "client:bob");
    assert_eq!(child.duration, Some(1));

    let callbacks = eventually("the child's four callbacks", || async {
        let seen = app.callbacks_of("/status-child", child_sid);
        (seen.len() == 4).then_some(seen)
    })
    .await;
    let statuses: Vec<_> = callbacks
        .iter()
        .map(|c| c.param("CallStatus").unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["initiated", "ringing", "in-progress", "completed"]
    );
    for cb in &callbacks {
        assert_eq!(
            cb.param("ParentCallSid"),
            Some(parent.sid.to_string().as_str())
        );
        assert_eq!(cb.param("Direction"), Some("outbound-dial"));
        assert!(cb.signature_ok());
    }
    let filter = CallFilter {
        parent_call_sid: Some(parent.sid),
        ..CallFilter::default()
    };
    let children = store
        .list_calls(
            account(),
            &filter,
            &PageRequest::first(PageSize::new(50).unwrap()),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(children.len(), 1);
    assert_eq!(rt.softphones().live_legs(), 0, "every leg was released");
    rt.shutdown().await;
}

#[tokio::test]
async fn dial_to_a_busy_client_reports_busy() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml(
            "<Response><Dial action=\"/dialed\"><Client>carol</Client></Dial></Response>"
                .to_owned(),
        ),
    );
    app.route(
        "/dialed",
        Reply::Twiml("<Response><Say>Sorry</Say></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones()
        .register(account(), phone("alice", Behavior::Answer, None));
    rt.softphones()
        .register(account(), phone("carol", Behavior::Busy, None));
    let parent = rt.create_call(call_to_alice(&app)).await.unwrap();
    let done = ended(&store, parent.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    let dialed = app.seen_at("/dialed");
    assert_eq!(dialed.len(), 1);
    assert_eq!(dialed[0].param("DialCallStatus"), Some("busy"));
    assert_eq!(dialed[0].param("DialBridged"), Some("false"));
    rt.shutdown().await;
}

#[tokio::test]
async fn redirecting_the_child_takes_it_out_of_the_dial() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml(
            "<Response><Dial action=\"/dialed\"><Client>bob</Client></Dial></Response>".to_owned(),
        ),
    );
    app.route(
        "/dialed",
        Reply::Twiml("<Response><Say>the agent left</Say></Response>".to_owned()),
    );
    app.route(
        "/transfer",
        Reply::Twiml("<Response><Say>you were moved</Say></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones()
        .register(account(), phone("alice", Behavior::Answer, None));
    rt.softphones()
        .register(account(), phone("carol", Behavior::NoAnswer, None));
    rt.softphones()
        .register(account(), phone("bob", Behavior::Answer, None));
    let parent = rt.create_call(call_to_alice(&app)).await.unwrap();
    let filter = CallFilter {
        parent_call_sid: Some(parent.sid),
        ..CallFilter::default()
    };
    let page = PageRequest::first(PageSize::new(50).unwrap());
    let child = eventually("the child to answer", || async {
        let children = store
            .list_calls(account(), &filter, &page)
            .await
            .ok()?
            .items;
        match children.as_slice() {
            [c] if c.status == CallStatus::InProgress => Some(c.sid),
            _ => None,
        }
    })
    .await;
    let update = dialtone_runtime::UpdateCall {
        redirect: Some(CallSource::Url(app.url("/transfer"))),
        ..Default::default()
    };
    let updated = rt.update_call(account(), child, update).await.unwrap();
    assert_eq!(updated.url.as_deref(), Some(app.url("/transfer").as_str()));
    assert_eq!(updated.status, CallStatus::InProgress);

    // The child runs its new document on its own and hangs up at its end.
    let done = ended(&store, child).await;
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(done.parent_call_sid, Some(parent.sid));
    let moved = app.seen_at("/transfer");
    assert_eq!(moved.len(), 1);
    let (child_text, parent_text) = (child.to_string(), parent.sid.to_string());
    assert_eq!(moved[0].param("CallSid"), Some(child_text.as_str()));
    assert_eq!(moved[0].param("ParentCallSid"), Some(parent_text.as_str()));
    assert_eq!(moved[0].param("Direction"), Some("outbound-dial"));
    assert_eq!(moved[0].param("CallStatus"), Some("in-progress"));
    assert!(moved[0].signature_ok());
    // The parent's dial ended at once: completed, bridged, no DialCallDuration.
    assert_eq!(
        ended(&store, parent.sid).await.status,
        CallStatus::Completed
    );
    let dialed = app.seen_at("/dialed");
    assert_eq!(dialed.len(), 1);
    assert_eq!(
        dialed[0].names(),
        [
            "AccountSid",
            "ApiVersion",
            "CallSid",
            "CallStatus",
            "Direction",
            "From",
            "To",
            "DialCallStatus",
            "DialCallSid",
            "DialBridged",
        ]
    );
    assert_eq!(dialed[0].param("DialCallStatus"), Some("completed"));
    assert_eq!(dialed[0].param("DialCallSid"), Some(child_text.as_str()));
    assert_eq!(dialed[0].param("DialBridged"), Some("true"));
    assert_eq!(rt.softphones().live_legs(), 0, "every leg was released");

    // A child still ringing cannot be redirected.
    app.route(
        "/voice",
        Reply::Twiml("<Response><Dial><Client>carol</Client></Dial></Response>".to_owned()),
    );
    let parent = rt.create_call(call_to_alice(&app)).await.unwrap();
    let filter = CallFilter {
        parent_call_sid: Some(parent.sid),
        ..CallFilter::default()
    };
    let ringing = eventually("the child to ring", || async {
        let children = store
            .list_calls(account(), &filter, &page)
            .await
            .ok()?
            .items;
        match children.as_slice() {
            [c] if c.status == CallStatus::Ringing => Some(c.sid),
            _ => None,
        }
    })
    .await;
    let update = dialtone_runtime::UpdateCall {
        redirect: Some(CallSource::Url(app.url("/transfer"))),
        ..Default::default()
    };
    let err = rt
        .update_call(account(), ringing, update)
        .await
        .unwrap_err();
    assert_eq!((err.code.0, err.http_status), (21220, 400));
    rt.shutdown().await;
}
