//! Calls: create (every validation code), fetch, list (filters, paging), update, delete,
//! events, notifications, and isolation between accounts.

mod common;

use axum::http::{Method, StatusCode};
use common::{NOW, NOW_TEXT, OTHER_TOKEN, Rig, account, error, other_account, path};
use dialtone_api::{CallSource, ControlError, TargetStatus};
use dialtone_store::{NewCallEvent, NewNotification};
use dialtone_twiml::Method as HttpMethod;
use dialtone_types::{Level, Sid, SidKind, TwilioCode};
use serde_json::{Value, json};

const CA1: &str = "CA00000000000000000000000000000100";
const CA2: &str = "CA00000000000000000000000000000101";
const CA3: &str = "CA00000000000000000000000000000102";

const CREATE: &str = "To=client%3Aalice&From=%2B15553334444&Url=https%3A%2F%2Fapp.test%2Fvoice";

fn call_path(sid: &str) -> String {
    path(&format!("/Calls/{sid}.json"))
}

async fn invalid(rig: &Rig, form: &str) -> (u64, String) {
    let (status, body) = rig.post(&path("/Calls.json"), form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{form}: {body}");
    assert_eq!(body["status"], 400);
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{}", body["code"])
    );
    (
        body["code"].as_u64().unwrap(),
        body["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn create_and_fetch() {
    let rig = Rig::new().await;
    let (status, created) = rig
        .post(
            &path("/Calls.json"),
            &format!(
                "{CREATE}&StatusCallback=https%3A%2F%2Fapp.test%2Fstatus\
                 &StatusCallbackEvent=initiated&StatusCallbackEvent=answered\
                 &Timeout=30&Record=true&Unknown=ignored"
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ac = account().to_string();
    let base = format!("/2010-04-01/Accounts/{ac}/Calls/{CA1}");
    let expected = json!({
        "account_sid": ac,
        "answered_by": null,
        "api_version": "2010-04-01",
        "caller_name": null,
        "date_created": NOW_TEXT,
        "date_updated": NOW_TEXT,
        "direction": "outbound-api",
        "duration": null,
        "end_time": null,
        "forwarded_from": null,
        "from": "+15553334444",
        "from_formatted": "(555) 333-4444",
        "group_sid": null,
        "parent_call_sid": null,
        "phone_number_sid": null,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": CA1,
        "start_time": null,
        "status": "queued",
        "subresource_uris": {
            "events": format!("{base}/Events.json"),
            "notifications": format!("{base}/Notifications.json"),
            "recordings": format!("{base}/Recordings.json"),
        },
        "to": "client:alice",
        "to_formatted": "client:alice",
        "trunk_sid": null,
        "uri": format!("{base}.json"),
    });
    assert_eq!(created, expected);
    assert_eq!(rig.get(&call_path(CA1)).await, (StatusCode::OK, expected));

    let recorded = rig.control.recorded.lock().unwrap();
    let request = &recorded.created[0];
    assert_eq!(request.account, account());
    assert_eq!(request.to.to_string(), "client:alice");
    assert_eq!(
        request.source,
        CallSource::Url("https://app.test/voice".parse().unwrap())
    );
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(
        request
            .status_callback
            .as_ref()
            .map(dialtone_types::WebUrl::as_str),
        Some("https://app.test/status")
    );
    assert_eq!(request.status_callback_events, ["initiated", "answered"]);
    assert_eq!(request.timeout, 30);
    assert_eq!(request.time_limit, None);
    assert_eq!(request.application_sid, None);
    // `Record=true` alone: Twilio's defaults (mono, both, trim-silence, no callback).
    let record = request.record.as_ref().expect("Record=true");
    assert_eq!(
        (
            record.channels,
            record.track,
            record.trim,
            record.callback.as_ref()
        ),
        (
            1,
            dialtone_twiml::RecordingTrack::Both,
            dialtone_twiml::Trim::TrimSilence,
            None
        )
    );
}

#[tokio::test]
async fn create_with_twiml_and_with_application() {
    let rig = Rig::new().await;
    let (status, _) = rig
        .post(
            &path("/Calls.json"),
            "To=client%3Abob&From=client%3Azed&Twiml=%3CResponse%3E%3CSay%3Ehi%3C%2FSay%3E%3C%2FResponse%3E&Method=GET",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, app) = rig
        .post(
            &path("/Applications.json"),
            "VoiceUrl=https%3A%2F%2Fapp.test%2Fv&VoiceMethod=GET\
             &VoiceFallbackUrl=https%3A%2F%2Fapp.test%2Ff&StatusCallback=https%3A%2F%2Fapp.test%2Fs",
        )
        .await;
    let app_sid = app["sid"].as_str().unwrap().to_owned();
    let (status, _) = rig
        .post(
            &path("/Calls.json"),
            &format!(
                "To=client%3Abob&From=client%3Azed&ApplicationSid={app_sid}&Url=https%3A%2F%2Fignored.test\
                 &StatusCallbackEvent=ringing&Method=POST"
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let recorded = rig.control.recorded.lock().unwrap();
    assert_eq!(
        recorded.created[0].source,
        CallSource::Twiml("<Response><Say>hi</Say></Response>".into())
    );
    assert_eq!(recorded.created[0].method, HttpMethod::Get);
    let via_app = &recorded.created[1];
    assert_eq!(
        via_app.source,
        CallSource::Url("https://app.test/v".parse().unwrap())
    );
    assert_eq!(via_app.method, HttpMethod::Get);
    assert_eq!(
        via_app
            .fallback_url
            .as_ref()
            .map(dialtone_types::WebUrl::as_str),
        Some("https://app.test/f")
    );
    assert_eq!(
        via_app
            .status_callback
            .as_ref()
            .map(dialtone_types::WebUrl::as_str),
        Some("https://app.test/s")
    );
    assert_eq!(via_app.status_callback_events, ["completed"]);
    assert_eq!(via_app.application_sid, Some(app_sid.parse().unwrap()));
}

#[tokio::test]
async fn create_validation_codes() {
    let rig = Rig::new().await;
    let cases: &[(&str, u32, &str)] = &[
        (
            "From=client%3Azed&Url=https%3A%2F%2Fa.test",
            21201,
            "No 'To' number is specified",
        ),
        (
            "To=&From=client%3Azed&Url=https%3A%2F%2Fa.test",
            21201,
            "No 'To' number is specified",
        ),
        (
            "To=12345&From=client%3Azed&Url=https%3A%2F%2Fa.test",
            21211,
            "Invalid 'To' Phone Number: 12345",
        ),
        (
            "To=client%3A&From=client%3Azed&Url=https%3A%2F%2Fa.test",
            21211,
            "Invalid 'To' Phone Number: client:",
        ),
        (
            "To=client%3Aa&Url=https%3A%2F%2Fa.test",
            21213,
            "No 'From' number is specified",
        ),
        (
            "To=%2B15551112222&From=client%3Ab&Url=https%3A%2F%2Fa.test",
            21212,
            "Invalid 'From' Phone Number: client:b",
        ),
        (
            "To=whatsapp%3A%2B15551112222&From=%2B15553334444&Url=https%3A%2F%2Fa.test",
            21212,
            "Invalid 'From' Phone Number: +15553334444",
        ),
        (
            "To=client%3Aa&From=client%3Azed",
            21205,
            "Url parameter is required: give one of Url, Twiml or ApplicationSid",
        ),
        (
            "To=client%3Aa&From=client%3Azed&Url=ftp%3A%2F%2Fa.test",
            21205,
            "Url is not a valid URL: ftp://a.test",
        ),
        (
            "To=client%3Aa&From=client%3Azed&Url=https%3A%2F%2Fa.test&StatusCallback=nope",
            21205,
            "StatusCallback is not a valid URL: nope",
        ),
        (
            "To=client%3Aa&From=client%3Azed&Url=https%3A%2F%2Fa.test&Method=PUT",
            21209,
            "Method is not valid: \"PUT\". Use GET or POST",
        ),
        (
            "To=client%3Aa&From=client%3Azed&Url=https%3A%2F%2Fa.test&StatusCallbackMethod=x",
            21209,
            "StatusCallbackMethod is not valid: \"x\". Use GET or POST",
        ),
        (
            "To=client%3Aa&From=client%3Azed&Url=https%3A%2F%2Fa.test&Timeout=abc",
            21208,
            "Timeout must be a whole number of seconds between 1 and 4294967295: \"abc\"",
        ),
        (
            "To=client%3Aa&From=client%3Azed&ApplicationSid=APnope",
            21218,
            "ApplicationSid is not valid: APnope",
        ),
        (
            "To=client%3Aa&From=client%3Azed&ApplicationSid=AP000000000000000000000000000000ff",
            21218,
            "ApplicationSid is not valid: AP000000000000000000000000000000ff",
        ),
        (
            "To=client%3Aa&From=client%3Azed&Url=https%3A%2F%2Fa.test&StatusCallbackEvent=initiated&StatusCallbackEvent=hangup",
            21626,
            "StatusCallbackEvent is not valid: \"hangup\". Use initiated, ringing, answered or completed",
        ),
    ];
    for (form, code, message) in cases {
        assert_eq!(
            invalid(&rig, form).await,
            (u64::from(*code), (*message).to_owned()),
            "{form}"
        );
    }
    // 32018: more than 4000 characters of TwiML.
    let long = format!(
        "To=client%3Aa&From=client%3Azed&Twiml=%3CResponse%3E{}%3C%2FResponse%3E",
        "%3CPause%2F%3E".repeat(600)
    );
    assert_eq!(invalid(&rig, &long).await.0, 32018);
    // TwiML that cannot run at all is refused with its TwiML code.
    assert_eq!(
        invalid(
            &rig,
            "To=client%3Aa&From=client%3Azed&Twiml=%3CResponse%3E%3CSay%3E"
        )
        .await
        .0,
        12100
    );
    assert_eq!(
        invalid(&rig, "To=client%3Aa&From=client%3Azed&Twiml=%3CHello%2F%3E")
            .await
            .0,
        12102
    );
    assert!(rig.control.recorded.lock().unwrap().created.is_empty());
}

#[tokio::test]
async fn another_accounts_application_is_an_invalid_application_sid() {
    let rig = Rig::new().await;
    let other = other_account().to_string();
    let creds = Some((other.as_str(), OTHER_TOKEN));
    let (_, app) = rig
        .send_as(
            Method::POST,
            &format!("/2010-04-01/Accounts/{other}/Applications.json"),
            "VoiceUrl=https%3A%2F%2Fa.test",
            creds,
        )
        .await;
    let sid = app["sid"].as_str().unwrap();
    let (code, _) = invalid(
        &rig,
        &format!("To=client%3Aa&From=client%3Azed&ApplicationSid={sid}"),
    )
    .await;
    assert_eq!(code, 21218);
}

async fn three_calls(rig: &Rig) {
    for to in ["client%3Aa", "client%3Ab", "client%3Aa"] {
        let (status, _) = rig
            .post(
                &path("/Calls.json"),
                &format!("To={to}&From=client%3Azed&Url=https%3A%2F%2Fa.test"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
}

fn sids(page: &Value) -> Vec<&str> {
    page["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sid"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn list_pages_like_twilio() {
    let rig = Rig::new().await;
    three_calls(&rig).await;
    let (status, first) = rig.get(&path("/Calls.json?PageSize=2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sids(&first), [CA3, CA2]);
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "calls",
            "end",
            "first_page_uri",
            "next_page_uri",
            "page",
            "page_size",
            "previous_page_uri",
            "start",
            "uri"
        ]
    );
    assert_eq!(first["page"], 0);
    assert_eq!(first["page_size"], 2);
    assert_eq!(first["start"], 0);
    assert_eq!(first["end"], 1);
    assert_eq!(first["previous_page_uri"], Value::Null);
    assert_eq!(first["uri"], path("/Calls.json?PageSize=2&Page=0"));
    assert_eq!(
        first["first_page_uri"],
        path("/Calls.json?PageSize=2&Page=0")
    );
    let next = first["next_page_uri"].as_str().unwrap();
    assert!(
        next.starts_with(&path("/Calls.json?PageSize=2&Page=1&PageToken=PA")),
        "{next}"
    );
    // twilio-python requests next_page_uri verbatim.
    let (status, second) = rig.get(next).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sids(&second), [CA1]);
    assert_eq!(second["page"], 1);
    assert_eq!(second["start"], 2);
    assert_eq!(second["end"], 2);
    assert_eq!(second["next_page_uri"], Value::Null);
    assert_eq!(second["uri"], next);
    assert_eq!(
        second["previous_page_uri"],
        path("/Calls.json?PageSize=2&Page=0")
    );
    // Page=N without a token is an offset.
    let (_, by_offset) = rig.get(&path("/Calls.json?PageSize=2&Page=1")).await;
    assert_eq!(sids(&by_offset), [CA1]);

    for bad in [
        "PageSize=0",
        "PageSize=1001",
        "PageSize=ten",
        "Page=-1",
        "PageToken=PAzz",
    ] {
        let (status, body) = rig.get(&path(&format!("/Calls.json?{bad}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["code"], 20007, "{bad}");
    }
    let (status, max) = rig.get(&path("/Calls.json?PageSize=1000")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(max["page_size"], 1000);
}

#[tokio::test]
async fn list_filters_are_applied_and_carried() {
    let rig = Rig::new().await;
    three_calls(&rig).await;
    let (_, to_a) = rig.get(&path("/Calls.json?To=client%3Aa&PageSize=1")).await;
    assert_eq!(sids(&to_a), [CA3]);
    let next = to_a["next_page_uri"].as_str().unwrap();
    assert!(next.starts_with(&path(
        "/Calls.json?To=client%3Aa&PageSize=1&Page=1&PageToken="
    )));
    let (_, rest) = rig.get(next).await;
    assert_eq!(sids(&rest), [CA1]);
    assert_eq!(rest["next_page_uri"], Value::Null);

    let (_, queued) = rig.get(&path("/Calls.json?Status=queued")).await;
    assert_eq!(sids(&queued).len(), 3);
    let (_, done) = rig.get(&path("/Calls.json?Status=completed")).await;
    assert!(sids(&done).is_empty());
    let (_, started) = rig
        .get(&path("/Calls.json?StartTime%3E=2010-08-01T00:00:00Z"))
        .await;
    assert!(sids(&started).is_empty(), "queued calls have no start time");
    for bad in [
        "Status=ended",
        "StartTime=yesterday",
        "EndTime%3C=2010-13-01",
        "ParentCallSid=CAx",
    ] {
        let (status, body) = rig.get(&path(&format!("/Calls.json?{bad}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["code"], 20001, "{bad}");
    }
}

#[tokio::test]
async fn update_and_delete() {
    let rig = Rig::new().await;
    rig.post(&path("/Calls.json"), CREATE).await;
    let p = call_path(CA1);

    // Deleting a live call is refused.
    let (status, body) = rig.delete(&p).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(
                20009,
                400,
                "Cannot delete this resource before it is complete: the call is still live"
            )
        )
    );

    // An update with nothing to change returns the call.
    let (status, same) = rig.post(&p, "Unknown=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["status"], "queued");

    // The engine's refusal is passed through.
    *rig.control.refuse_next.lock().unwrap() = Some(ControlError {
        retry_after: None,
        status: StatusCode::BAD_REQUEST,
        code: TwilioCode(21220),
        message: "Call is not in-progress. Cannot redirect.".into(),
    });
    let (status, body) = rig
        .post(&p, "Url=https%3A%2F%2Fapp.test%2Fnext&Method=GET")
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(21220, 400, "Call is not in-progress. Cannot redirect.")
        )
    );
    // An engine that no longer holds a call the store knows: it has ended, 21220.
    *rig.control.refuse_next.lock().unwrap() = Some(ControlError {
        retry_after: None,
        status: StatusCode::NOT_FOUND,
        code: TwilioCode(20404),
        message: "gone".into(),
    });
    let (status, body) = rig.post(&p, "Status=canceled").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(21220, 400, "Call is not in-progress. Cannot update.")
        )
    );

    let (status, body) = rig.post(&p, "Status=ringing").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 20001);
    let (status, body) = rig.post(&p, "Url=bad").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 21205);

    let (status, ended) = rig
        .post(
            &p,
            "Status=completed&StatusCallback=https%3A%2F%2Fapp.test%2Fs2",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ended["status"], "completed");
    assert_eq!(ended["end_time"], NOW_TEXT);
    {
        let recorded = rig.control.recorded.lock().unwrap();
        let (sid, update) = recorded.updated.last().unwrap();
        assert_eq!(sid.to_string(), CA1);
        assert_eq!(update.status, Some(TargetStatus::Completed));
        assert_eq!(
            update
                .status_callback
                .as_ref()
                .map(dialtone_types::WebUrl::as_str),
            Some("https://app.test/s2")
        );
    }

    // An ended call cannot be changed; the engine is not asked.
    let before = rig.control.recorded.lock().unwrap().updated.len();
    let (status, body) = rig.post(&p, "Twiml=%3CResponse%2F%3E").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(21220, 400, "Call is not in-progress. Cannot redirect.")
        )
    );
    assert_eq!(rig.control.recorded.lock().unwrap().updated.len(), before);

    assert_eq!(rig.delete(&p).await, (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = rig.get(&p).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        error(
            20404,
            404,
            &format!("The requested resource {p} was not found")
        )
    );
}

#[tokio::test]
async fn events_and_notifications() {
    let rig = Rig::new().await;
    rig.post(&path("/Calls.json"), CREATE).await;
    let call: Sid = CA1.parse().unwrap();
    rig.store
        .append_event(
            account(),
            call,
            &NewCallEvent {
                request_method: "POST".into(),
                request_url: "https://app.test/voice".into(),
                request_parameters: vec![
                    ("CallSid".into(), CA1.into()),
                    ("CallStatus".into(), "ringing".into()),
                ],
                response_status: Some(200),
                response_duration_ms: Some(43),
                response_content_type: Some("text/xml".into()),
                response_body: Some("<Response/>".into()),
                requested_at: NOW,
            },
        )
        .await
        .unwrap();
    rig.store
        .append_event(
            account(),
            call,
            &NewCallEvent {
                request_method: "GET".into(),
                request_url: "https://app.test/down".into(),
                request_parameters: vec![],
                response_status: None,
                response_duration_ms: None,
                response_content_type: None,
                response_body: None,
                requested_at: NOW,
            },
        )
        .await
        .unwrap();
    let events_path = path(&format!("/Calls/{CA1}/Events.json"));
    let (status, events) = rig.get(&events_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        events["events"],
        json!([
            {
                "request": {
                    "method": "POST",
                    "parameters": {"CallSid": CA1, "CallStatus": "ringing"},
                    "url": "https://app.test/voice",
                },
                "response": {
                    "content_type": "text/xml",
                    "request_duration": 43,
                    "response_body": "<Response/>",
                    "response_code": 200,
                },
            },
            {
                "request": {"method": "GET", "parameters": {}, "url": "https://app.test/down"},
                "response": {
                    "content_type": null,
                    "request_duration": null,
                    "response_body": null,
                    "response_code": null,
                },
            },
        ])
    );
    assert_eq!(events["uri"], format!("{events_path}?PageSize=50&Page=0"));

    let no = Sid::new(SidKind::Notification, 7);
    rig.store
        .append_notification(
            account(),
            call,
            &NewNotification {
                sid: no,
                error_code: TwilioCode(11200),
                level: Level::Error,
                message_text: "HTTP retrieval failure".into(),
                request_url: Some("https://app.test/down".into()),
                request_method: Some("GET".into()),
                response_body: Some("oops".into()),
            },
            NOW,
        )
        .await
        .unwrap();
    let ac = account().to_string();
    let n_uri = format!("/2010-04-01/Accounts/{ac}/Calls/{CA1}/Notifications/{no}.json");
    let listed = json!({
        "account_sid": ac,
        "api_version": "2010-04-01",
        "call_sid": CA1,
        "date_created": NOW_TEXT,
        "date_updated": NOW_TEXT,
        "error_code": "11200",
        "log": "0",
        "message_date": NOW_TEXT,
        "message_text": "HTTP retrieval failure",
        "more_info": "https://www.twilio.com/docs/errors/11200",
        "request_method": "GET",
        "request_url": "https://app.test/down",
        "sid": no.to_string(),
        "uri": n_uri,
    });
    let (status, list) = rig
        .get(&path(&format!("/Calls/{CA1}/Notifications.json")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["notifications"], json!([listed]));
    let (status, one) = rig.get(&n_uri).await;
    assert_eq!(status, StatusCode::OK);
    let mut expected = listed.clone();
    expected["response_body"] = json!("oops");
    expected["request_variables"] = Value::Null;
    expected["response_headers"] = Value::Null;
    assert_eq!(one, expected);

    // Unknown call, and another account's call: 20404.
    let unknown = path("/Calls/CA000000000000000000000000000000ff/Events.json");
    let (status, body) = rig.get(&unknown).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            error(
                20404,
                404,
                &format!("The requested resource {unknown} was not found")
            )
        )
    );
    let other = other_account().to_string();
    for rest in [
        format!("/Calls/{CA1}.json"),
        format!("/Calls/{CA1}/Events.json"),
        format!("/Calls/{CA1}/Notifications.json"),
        format!("/Calls/{CA1}/Notifications/{no}.json"),
    ] {
        let p = format!("/2010-04-01/Accounts/{other}{rest}");
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let (status, body) = rig
                .send_as(
                    method.clone(),
                    &p,
                    "Status=completed",
                    Some((&other, OTHER_TOKEN)),
                )
                .await;
            if status == StatusCode::METHOD_NOT_ALLOWED {
                continue;
            }
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {p}");
            assert_eq!(
                body,
                error(
                    20404,
                    404,
                    &format!("The requested resource {p} was not found")
                )
            );
        }
    }
    let (_, others) = rig
        .send_as(
            Method::GET,
            &format!("/2010-04-01/Accounts/{other}/Calls.json"),
            "",
            Some((&other, OTHER_TOKEN)),
        )
        .await;
    assert_eq!(others["calls"], json!([]));
    assert!(rig.control.recorded.lock().unwrap().updated.is_empty());
}
