//! The Content API subset (`/v1/Content`, approvals, `/v1/ContentAndApprovals`, JSON):
//! exact representations, the `meta` list envelope, every validation error, isolation, the
//! simulator's time-driven approval and Meta mode through a fake template port.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use common::{Counter, FakeControl, NOW, OTHER_TOKEN, TOKEN, account, error, other_account};
use dialtone_api::{
    ApiState, BoxFuture, Clock, ContentApprovals, SIMULATED_REJECTION, SimulatedVerdict,
    TemplateError, TemplateSubmission, TemplateVerdict, WhatsAppTemplates,
};
use dialtone_store::{NewSender, Store};
use dialtone_types::{Sid, SidKind, UnixMillis};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const HOST: &str = "http://dialtone.test";
const HX1: &str = "HX00000000000000000000000000000001";
const DATE: &str = "2010-08-31T20:36:28Z";

/// A clock tests move.
#[derive(Clone)]
struct Time(Arc<AtomicU64>);

impl Clock for Time {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0.load(Ordering::SeqCst))
    }
}

impl Time {
    fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

struct Rig {
    app: Router,
    store: Store,
    time: Time,
}

impl Rig {
    async fn new(approvals: ContentApprovals) -> Self {
        let store = Store::open_sqlite_memory().await.unwrap();
        store.ensure_account(account(), TOKEN, NOW).await.unwrap();
        store
            .ensure_account(other_account(), OTHER_TOKEN, NOW)
            .await
            .unwrap();
        let time = Time(Arc::new(AtomicU64::new(NOW.0)));
        let state = ApiState::new(
            store.clone(),
            Arc::new(FakeControl::new(store.clone())),
            Arc::new(time.clone()),
            Arc::new(Counter::default()),
        )
        .with_content_approvals(approvals);
        Self {
            app: dialtone_api::router(state),
            store,
            time,
        }
    }

    async fn simulated(verdict: SimulatedVerdict, delay_secs: u64) -> Self {
        Self::new(ContentApprovals::Simulated {
            verdict,
            delay: Duration::from_secs(delay_secs),
        })
        .await
    }

    async fn send_as(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        credentials: Option<(&str, &str)>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "dialtone.test")
            .header(header::ACCEPT, "application/json");
        if let Some((user, password)) = credentials {
            let auth =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request = request.header(header::AUTHORIZATION, format!("Basic {auth}"));
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, json)
    }

    async fn send(&self, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let me = account().to_string();
        self.send_as(method, uri, body, Some((&me, TOKEN))).await
    }

    async fn other(&self, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let other = other_account().to_string();
        self.send_as(method, uri, body, Some((&other, OTHER_TOKEN)))
            .await
    }

    async fn create(&self, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, "/v1/Content", Some(body)).await
    }

    async fn approve(&self, sid: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            Method::POST,
            &format!("/v1/Content/{sid}/ApprovalRequests/whatsapp"),
            Some(body),
        )
        .await
    }

    async fn approval(&self, sid: &str) -> (StatusCode, Value) {
        self.send(
            Method::GET,
            &format!("/v1/Content/{sid}/ApprovalRequests"),
            None,
        )
        .await
    }
}

/// What twilio-python's `ContentCreateRequest.to_dict()` sends: every type key, every
/// action field, `null` where not given.
fn cpr_request() -> Value {
    json!({
        "friendly_name": "voice_call_request",
        "language": "en",
        "variables": {"1": "ON-12853"},
        "types": {
            "twilio/text": null, "twilio/media": null, "twilio/location": null,
            "twilio/list-picker": null, "twilio/quick-reply": null, "twilio/card": null,
            "twilio/catalog": null, "twilio/carousel": null, "twilio/flows": null,
            "twilio/schedule": null, "whatsapp/card": null, "whatsapp/authentication": null,
            "whatsapp/flows": null,
            "twilio/call-to-action": {
                "body": "May we call you about order {{1}} today?",
                "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request",
                             "url": null, "phone": null, "code": null, "id": null}]
            }
        }
    })
}

fn cpr_types() -> Value {
    json!({"twilio/call-to-action": {
        "body": "May we call you about order {{1}} today?",
        "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request"}]}})
}

fn content(sid: &str, date: &str) -> Value {
    let url = format!("{HOST}/v1/Content/{sid}");
    json!({
        "sid": sid,
        "account_sid": account().to_string(),
        "friendly_name": "voice_call_request",
        "language": "en",
        "variables": {"1": "ON-12853"},
        "types": cpr_types(),
        "url": url,
        "links": {
            "approval_create": format!("{url}/ApprovalRequests/whatsapp"),
            "approval_fetch": format!("{url}/ApprovalRequests"),
        },
        "date_created": DATE,
        "date_updated": date,
    })
}

fn whatsapp(status: &str, reason: &str) -> Value {
    json!({
        "type": "whatsapp", "name": "call_permission_req", "category": "UTILITY",
        "content_type": "twilio/call-to-action", "status": status,
        "rejection_reason": reason, "allow_category_change": true,
    })
}

fn invalid(message: &str) -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, error(20001, 400, message))
}

fn not_found(path: &str) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        error(
            20404,
            404,
            &format!("The requested resource {path} was not found"),
        ),
    )
}

fn approval_request() -> Value {
    json!({"name": "call_permission_req", "category": "UTILITY",
           "send_ttl_seconds": null, "bid_amount": null})
}

#[tokio::test]
async fn create_fetch_list_update_delete() {
    let rig = Rig::simulated(SimulatedVerdict::Approved, 0).await;
    assert_eq!(
        rig.create(cpr_request()).await,
        (StatusCode::CREATED, content(HX1, DATE))
    );
    let uri = format!("/v1/Content/{HX1}");
    assert_eq!(
        rig.send(Method::GET, &uri, None).await,
        (StatusCode::OK, content(HX1, DATE))
    );

    // A text and a quick-reply content; then pages of one.
    let (status, text) = rig
        .create(
            json!({"language": "pt_BR", "types": {"twilio/text": {"body": "Olá {{name}}"}},
                       "variables": {"name": "Ana"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(text["friendly_name"], Value::Null);
    let (status, qr) = rig
        .create(
            json!({"language": "en", "types": {"twilio/quick-reply": {"body": "Call?",
            "actions": [{"type": "QUICK_REPLY", "title": "Yes", "id": "yes"},
                        {"title": "No", "id": "no"}]}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(qr["variables"], json!({}));

    let (status, page) = rig.send(Method::GET, "/v1/Content?PageSize=1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["contents"], json!([content(HX1, DATE)]));
    let meta = &page["meta"];
    assert_eq!(meta["key"], "contents");
    assert_eq!(meta["page"], 0);
    assert_eq!(meta["page_size"], 1);
    assert_eq!(
        meta["first_page_url"],
        format!("{HOST}/v1/Content?PageSize=1&Page=0")
    );
    assert_eq!(meta["previous_page_url"], Value::Null);
    let next = meta["next_page_url"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{HOST}/v1/Content?PageSize=1&Page=1&PageToken=")),
        "{next}"
    );
    let (_, second) = rig
        .send(Method::GET, next.strip_prefix(HOST).unwrap(), None)
        .await;
    assert_eq!(second["contents"][0]["sid"], text["sid"]);
    let (_, all) = rig.send(Method::GET, "/v1/Content", None).await;
    assert_eq!(all["contents"].as_array().unwrap().len(), 3);
    assert_eq!(all["meta"]["next_page_url"], Value::Null);

    // PUT replaces, keeping the language.
    rig.time.advance(5_000);
    let mut changed = cpr_request();
    changed["variables"] = json!({"1": "ON-1"});
    let (status, updated) = rig.send(Method::PUT, &uri, Some(changed)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["variables"], json!({"1": "ON-1"}));
    assert_eq!(updated["date_updated"], "2010-08-31T20:36:33Z");
    let mut other_language = cpr_request();
    other_language["language"] = json!("es");
    assert_eq!(
        rig.send(Method::PUT, &uri, Some(other_language)).await,
        invalid(&format!(
            "The language of content {HX1} cannot change (it is \"en\")"
        ))
    );

    // Isolation: the other account sees nothing; malformed SIDs are 404 too.
    assert_eq!(rig.other(Method::GET, &uri, None).await, not_found(&uri));
    assert_eq!(rig.other(Method::DELETE, &uri, None).await, not_found(&uri));
    assert_eq!(
        rig.other(Method::PUT, &uri, Some(cpr_request())).await,
        not_found(&uri)
    );
    let (_, theirs) = rig.other(Method::GET, "/v1/Content", None).await;
    assert_eq!(theirs["contents"], json!([]));
    for bad in [
        "/v1/Content/HX1",
        "/v1/Content/XE00000000000000000000000000000001",
    ] {
        assert_eq!(rig.send(Method::GET, bad, None).await, not_found(bad));
    }
    let (status, body) = rig.send_as(Method::GET, "/v1/Content", None, None).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!(20003))
    );

    assert_eq!(
        rig.send(Method::DELETE, &format!("{uri}?deleteInWaba=maybe"), None)
            .await,
        invalid("Invalid deleteInWaba \"maybe\": expected true or false")
    );
    assert_eq!(
        rig.send(Method::DELETE, &uri, None).await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
    assert_eq!(rig.send(Method::GET, &uri, None).await, not_found(&uri));
    assert_eq!(rig.send(Method::DELETE, &uri, None).await, not_found(&uri));
}

#[tokio::test]
async fn bad_content_is_20001() {
    let rig = Rig::simulated(SimulatedVerdict::Approved, 0).await;
    let cta = |actions: Value| {
        json!({"language": "en", "types": {"twilio/call-to-action":
        {"body": "Hi", "actions": actions}}})
    };
    let long = "x".repeat(641);
    let cases: Vec<(Value, &str)> = vec![
        (json!([1]), "The request body must be a JSON object"),
        (
            json!({"types": {"twilio/text": {"body": "x"}}}),
            "Missing required parameter language",
        ),
        (
            json!({"language": "English", "types": {"twilio/text": {"body": "x"}}}),
            "Invalid language \"English\": expected an ISO 639-1 code such as en or pt_BR",
        ),
        (
            json!({"language": "en"}),
            "Missing required parameter types",
        ),
        (
            json!({"language": "en", "types": {"twilio/text": null}}),
            "types must hold at least one content type",
        ),
        (
            json!({"language": "en", "types": {"twilio/media": {"media": ["https://x"]}}}),
            "Content type twilio/media is not supported by Dialtone; supported: \
          twilio/call-to-action, twilio/quick-reply, twilio/text",
        ),
        (
            json!({"language": "en", "types": {"twilio/fax": {}}}),
            "Unknown content type \"twilio/fax\"",
        ),
        (
            json!({"language": "en", "types": {"twilio/text": {}}}),
            "Missing required parameter twilio/text.body",
        ),
        (
            json!({"language": "en", "variables": {"1": 5}, "types": {"twilio/text": {"body": "x"}}}),
            "variables.1 must be a string",
        ),
        (
            json!({"language": "en", "friendly_name": 7, "types": {"twilio/text": {"body": "x"}}}),
            "content.friendly_name must be a string",
        ),
        (
            json!({"language": "en", "types": {"twilio/call-to-action": {"body": long,
            "actions": [{"type": "VOICE_CALL_REQUEST", "title": "t"}]}}}),
            "twilio/call-to-action.body is longer than 640 characters",
        ),
        (
            cta(json!([])),
            "twilio/call-to-action.actions must hold 1 to 10 actions",
        ),
        (
            cta(json!([{"type": "VOICE_CALL_REQUEST", "title": "Call"},
                    {"type": "URL", "title": "Site", "url": "https://x.test"}])),
            "A VOICE_CALL_REQUEST action must be the only action of its twilio/call-to-action",
        ),
        (
            cta(json!([{"type": "VOICE_CALL_REQUEST"}])),
            "Missing required parameter twilio/call-to-action.actions.title",
        ),
        (
            cta(json!([{"title": "Call"}])),
            "Missing required parameter twilio/call-to-action.actions.type",
        ),
        (
            cta(json!([{"type": "FAX", "title": "Call"}])),
            "Invalid twilio/call-to-action action type \"FAX\": expected one of URL, PHONE_NUMBER, \
          COPY_CODE, VOICE_CALL, VOICE_CALL_REQUEST, REQUEST_CONTACT_INFO",
        ),
        (
            cta(json!([{"type": "URL", "title": "Site"}])),
            "Missing required parameter twilio/call-to-action.actions.url",
        ),
        (
            cta(json!([{"type": "PHONE_NUMBER", "title": "Call", "phone": "555"}])),
            "Invalid twilio/call-to-action.actions.phone \"555\": expected E.164",
        ),
        (
            cta(
                json!([{"type": "PHONE_NUMBER", "title": "A", "phone": "+15550001111"},
                    {"type": "VOICE_CALL", "title": "B"}]),
            ),
            "twilio/call-to-action allows one PHONE_NUMBER or VOICE_CALL action, not both or two",
        ),
        (
            cta(json!([{"type": "URL", "title": "A", "url": "https://a"},
                    {"type": "URL", "title": "B", "url": "https://b"},
                    {"type": "URL", "title": "C", "url": "https://c"}])),
            "twilio/call-to-action allows at most 2 URL actions",
        ),
        (
            json!({"language": "en", "types": {"twilio/quick-reply": {"body": "Q",
            "actions": [{"type": "URL", "title": "x"}]}}}),
            "Invalid twilio/quick-reply action type \"URL\": expected QUICK_REPLY",
        ),
        (
            json!({"language": "en", "types": {"twilio/quick-reply": {"body": "Q",
            "actions": [{"title": "a title longer than twenty"}]}}}),
            "twilio/quick-reply.actions.title is longer than 20 characters",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(rig.create(body.clone()).await, invalid(message), "{body}");
    }
    let (_, list) = rig.send(Method::GET, "/v1/Content", None).await;
    assert_eq!(list["contents"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn simulated_approval_follows_the_clock() {
    let rig = Rig::simulated(SimulatedVerdict::Approved, 30).await;
    rig.create(cpr_request()).await;
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"],
        json!({
        "type": "whatsapp", "name": "", "category": "", "content_type": "",
        "status": "unsubmitted", "rejection_reason": "", "allow_category_change": true})
    );

    let mut request = approval_request();
    request["category"] = json!("utility");
    request["send_ttl_seconds"] = json!(600);
    assert_eq!(
        rig.approve(HX1, request).await,
        (
            StatusCode::CREATED,
            json!({
            "name": "call_permission_req", "category": "UTILITY",
            "content_type": "twilio/call-to-action", "status": "received",
            "rejection_reason": "", "allow_category_change": true,
            "send_ttl_seconds": 600, "bid_amount": null})
        )
    );
    let fetched = rig.approval(HX1).await;
    assert_eq!(
        fetched,
        (
            StatusCode::OK,
            json!({
        "sid": HX1, "account_sid": account().to_string(),
        "whatsapp": whatsapp("pending", ""),
        "url": format!("{HOST}/v1/Content/{HX1}/ApprovalRequests")})
        )
    );
    rig.time.advance(29_999);
    assert_eq!(rig.approval(HX1).await.1["whatsapp"]["status"], "pending");
    rig.time.advance(1);
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"],
        whatsapp("approved", "")
    );
    let stored = rig
        .store
        .fetch_content(account(), Sid::new(SidKind::Content, 1))
        .await
        .unwrap();
    assert_eq!(
        stored.approval.unwrap().status,
        "approved",
        "the verdict is stored"
    );

    let (_, listed) = rig.send(Method::GET, "/v1/ContentAndApprovals", None).await;
    let mut item = content(HX1, DATE);
    item.as_object_mut().unwrap().remove("url");
    item.as_object_mut().unwrap().remove("links");
    item["approval_requests"] = whatsapp("approved", "");
    assert_eq!(listed["contents"], json!([item]));
    assert_eq!(listed["meta"]["key"], "contents");
    assert_eq!(
        listed["meta"]["url"],
        format!("{HOST}/v1/ContentAndApprovals?PageSize=50&Page=0")
    );

    // Once submitted: no second request, no change.
    assert_eq!(
        rig.approve(HX1, approval_request()).await,
        invalid(&format!(
            "Content {HX1} already has a WhatsApp approval request (status approved)"
        ))
    );
    assert_eq!(
        rig.send(
            Method::PUT,
            &format!("/v1/Content/{HX1}"),
            Some(cpr_request())
        )
        .await,
        invalid(&format!(
            "Content {HX1} was submitted for WhatsApp approval and can no longer be changed"
        ))
    );
}

#[tokio::test]
async fn simulated_rejection() {
    let rig = Rig::simulated(SimulatedVerdict::Rejected, 0).await;
    rig.create(cpr_request()).await;
    assert_eq!(
        rig.approve(HX1, approval_request()).await.1["status"],
        "received"
    );
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"],
        whatsapp("rejected", SIMULATED_REJECTION)
    );
}

#[tokio::test]
async fn bad_approval_requests() {
    let rig = Rig::simulated(SimulatedVerdict::Approved, 0).await;
    rig.create(cpr_request()).await;
    let (_, text) = rig
        .create(
            json!({"language": "en", "types": {"twilio/text": {"body": "Hi {{1}} {{2}}"}},
                       "variables": {"1": "Ana"}}),
        )
        .await;
    let text_sid = text["sid"].as_str().unwrap().to_owned();
    let with = |name: Value, category: Value| json!({"name": name, "category": category});
    let cases: Vec<(&str, Value, String)> = vec![
        (HX1, json!("x"), "The request body must be a JSON object".into()),
        (HX1, json!({"category": "UTILITY"}), "Missing required parameter name".into()),
        (HX1, with(json!("Call Me"), json!("UTILITY")),
         "Invalid name \"Call Me\": lowercase letters, digits and underscores only, at most 512".into()),
        (HX1, with(json!("ok"), Value::Null), "Missing required parameter category".into()),
        (HX1, with(json!("ok"), json!("PROMO")),
         "Invalid category \"PROMO\": expected UTILITY, MARKETING or AUTHENTICATION".into()),
        (HX1, with(json!("ok"), json!("AUTHENTICATION")),
         "A call permission request (VOICE_CALL_REQUEST) must be UTILITY or MARKETING".into()),
        (&text_sid, with(json!("ok"), json!("AUTHENTICATION")),
         "AUTHENTICATION templates need whatsapp/authentication content, which Dialtone does not support".into()),
        (HX1, json!({"name": "ok", "category": "UTILITY", "send_ttl_seconds": 5}),
         "Invalid send_ttl_seconds 5: expected an integer from 30 to 2592000".into()),
        (HX1, json!({"name": "ok", "category": "MARKETING", "bid_amount": 3}),
         "bid_amount (marketing max pricing) is not supported by Dialtone".into()),
        (&text_sid, with(json!("ok"), json!("UTILITY")),
         "Variable {{2}} has no sample value in the content's variables, which WhatsApp approval requires".into()),
    ];
    for (sid, body, message) in cases {
        assert_eq!(
            rig.approve(sid, body.clone()).await,
            invalid(&message),
            "{body}"
        );
    }
    let path = format!("/v1/Content/{HX1}/ApprovalRequests/whatsapp");
    assert_eq!(
        rig.other(Method::POST, &path, Some(approval_request()))
            .await,
        not_found(&path)
    );
    let fetch = format!("/v1/Content/{HX1}/ApprovalRequests");
    assert_eq!(
        rig.other(Method::GET, &fetch, None).await,
        not_found(&fetch)
    );
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"]["status"],
        "unsubmitted"
    );
}

/// Meta's side, as the connector would report it.
#[derive(Default)]
struct FakeMeta {
    submitted: Mutex<Vec<TemplateSubmission>>,
    answer: Mutex<Option<Result<TemplateVerdict, TemplateError>>>,
    status: Mutex<String>,
}

fn verdict(status: &str, reason: &str) -> TemplateVerdict {
    TemplateVerdict {
        template_id: "1689556908129832".to_owned(),
        status: status.to_owned(),
        rejection_reason: reason.to_owned(),
    }
}

impl WhatsAppTemplates for FakeMeta {
    fn submit(
        &self,
        t: TemplateSubmission,
    ) -> BoxFuture<'_, Result<TemplateVerdict, TemplateError>> {
        self.submitted.lock().unwrap().push(t);
        let answer = self
            .answer
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| Ok(verdict("pending", "")));
        Box::pin(async move { answer })
    }

    fn status(&self, id: &str) -> BoxFuture<'_, Result<TemplateVerdict, TemplateError>> {
        assert_eq!(id, "1689556908129832");
        let status = self.status.lock().unwrap().clone();
        Box::pin(async move { Ok(verdict(&status, "")) })
    }
}

#[tokio::test]
async fn meta_mode_creates_the_template_and_reports_metas_verdict() {
    let meta = Arc::new(FakeMeta::default());
    *meta.status.lock().unwrap() = "pending".to_owned();
    let rig = Rig::new(ContentApprovals::Meta(meta.clone())).await;
    rig.create(cpr_request()).await;
    assert_eq!(
        rig.approve(HX1, approval_request()).await,
        invalid(
            "No WhatsApp sender of this account has a configuration.waba_id: the template is \
                 created in that WhatsApp Business Account"
        )
    );
    let sender = NewSender {
        sender_id: "whatsapp:+15550001111".to_owned(),
        friendly_name: None,
        status: "ONLINE".to_owned(),
        waba_id: Some("102290129340398".to_owned()),
        voice_application_sid: None,
        phone_number_id: "106540352242922".to_owned(),
        webhook: dialtone_store::SenderWebhook::default(),
    };
    rig.store
        .create_sender(account(), Sid::new(SidKind::Sender, 9), &sender, NOW)
        .await
        .unwrap();

    // Unreachable: 503, nothing stored, so a retry may follow.
    *meta.answer.lock().unwrap() = Some(Err(TemplateError::Unavailable("timeout".into())));
    assert_eq!(
        rig.approve(HX1, approval_request()).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            error(
                20503,
                503,
                "WhatsApp could not be reached to submit the template; try again"
            )
        )
    );
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"]["status"],
        "unsubmitted"
    );

    assert_eq!(
        rig.approve(HX1, approval_request()).await.1["status"],
        "pending"
    );
    assert_eq!(
        meta.submitted.lock().unwrap().last().unwrap(),
        &TemplateSubmission {
            waba_id: "102290129340398".to_owned(),
            name: "call_permission_req".to_owned(),
            language: "en".to_owned(),
            category: "UTILITY".to_owned(),
            content_type: "twilio/call-to-action".to_owned(),
            content: cpr_types()["twilio/call-to-action"].clone(),
            variables: json!({"1": "ON-12853"}),
        }
    );
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"],
        whatsapp("pending", "")
    );
    *meta.status.lock().unwrap() = "approved".to_owned();
    assert_eq!(
        rig.approval(HX1).await.1["whatsapp"],
        whatsapp("approved", "")
    );
    assert_eq!(
        rig.send(
            Method::DELETE,
            &format!("/v1/Content/{HX1}?deleteInWaba=true"),
            None
        )
        .await,
        invalid(
            "deleteInWaba=true is not supported by Dialtone: delete the template in WhatsApp Manager"
        )
    );

    // Meta refusing the template: recorded as rejected with Meta's message.
    let (_, second) = rig.create(cpr_request()).await;
    let sid = second["sid"].as_str().unwrap().to_owned();
    *meta.answer.lock().unwrap() = Some(Err(TemplateError::Refused(
        "Template name already exists".into(),
    )));
    let (status, created) = rig.approve(&sid, approval_request()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["status"], "rejected");
    assert_eq!(created["rejection_reason"], "Template name already exists");
}
