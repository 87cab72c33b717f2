//! The web console (`/console`): sign-in (auth token, API key), the session cookie's flags,
//! the failed-attempt limit, CSRF on every change, logout and expiry, another account's SIDs
//! (404), escaping of user-supplied text, the TwiML diagnostics at their lines, the live list's
//! events, and a page of 10,000 calls.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use dialtone_api::{ApiState, Clock};
use dialtone_store::{NewCallEvent, NewNotification, PageRequest, Store};
use dialtone_types::{Direction, Level, Sid, SidKind, TwilioCode, UnixMillis};
use http_body_util::BodyExt;
use tower::ServiceExt;

use common::{Counter, FakeControl, NOW, OTHER_TOKEN, TOKEN, account, new_call, other_account};

/// A clock the test moves.
struct Movable(AtomicU64);

impl Clock for Movable {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0.load(Ordering::SeqCst))
    }
}

struct Console {
    app: axum::Router,
    store: Store,
    clock: Arc<Movable>,
    control: Arc<FakeControl>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// A signed-in browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

/// The value of `name="..." value="..."`-style attribute after `marker` in `html`.
fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let rest = &html[at..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key).unwrap() + key.len();
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_owned()
}

impl Console {
    async fn new() -> Self {
        Self::with(|s| s).await
    }

    async fn with(f: impl FnOnce(ApiState) -> ApiState) -> Self {
        let store = Store::open_sqlite_memory().await.unwrap();
        store.ensure_account(account(), TOKEN, NOW).await.unwrap();
        store
            .ensure_account(other_account(), OTHER_TOKEN, NOW)
            .await
            .unwrap();
        let clock = Arc::new(Movable(AtomicU64::new(NOW.0)));
        let control = Arc::new(FakeControl::new(store.clone()));
        let state = ApiState::new(
            store.clone(),
            control.clone(),
            clock.clone(),
            Arc::new(Counter::default()),
        );
        Self {
            app: dialtone_api::router(f(state)),
            store,
            clock,
            control,
        }
    }

    fn advance(&self, d: Duration) {
        self.clock
            .0
            .fetch_add(u64::try_from(d.as_millis()).unwrap(), Ordering::SeqCst);
    }

    async fn send(&self, method: Method, path: &str, cookie: Option<&str>, form: &str) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let response = self
            .app
            .clone()
            .oneshot(req.body(Body::from(form.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Fills in and posts the sign-in form.
    async fn sign_in_form(&self, user: &str, password: &str, account_sid: &str) -> Answer {
        let form = self.send(Method::GET, "/console/login", None, "").await;
        assert_eq!(form.status, StatusCode::OK);
        let token = attr_after(&form.body, "name=\"csrf\"", "value");
        let cookie = form.cookies()[0].split(';').next().unwrap().to_owned();
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", &token)
            .append_pair("Username", user)
            .append_pair("Password", password)
            .append_pair("AccountSid", account_sid)
            .finish();
        self.send(Method::POST, "/console/login", Some(&cookie), &body)
            .await
    }

    async fn sign_in_as(&self, user: &str, password: &str) -> Browser {
        let done = self.sign_in_form(user, password, "").await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.location(), "/console/calls");
        let cookie = done
            .cookies()
            .iter()
            .find(|c| c.starts_with("dialtone_console="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page = self
            .send(Method::GET, "/console/calls", Some(&cookie), "")
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = attr_after(&page.body, "name=\"csrf-token\"", "content");
        Browser { cookie, csrf }
    }

    async fn sign_in(&self) -> Browser {
        self.sign_in_as(&account().to_string(), TOKEN).await
    }

    async fn get(&self, b: &Browser, path: &str) -> Answer {
        self.send(Method::GET, path, Some(&b.cookie), "").await
    }

    /// Posts `form` with the session's CSRF token.
    async fn post(&self, b: &Browser, path: &str, form: &str) -> Answer {
        let body = if form.is_empty() {
            format!("csrf={}", b.csrf)
        } else {
            format!("csrf={}&{form}", b.csrf)
        };
        self.send(Method::POST, path, Some(&b.cookie), &body).await
    }
}

fn call_sid(n: u128) -> Sid {
    Sid::new(SidKind::Call, n)
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_session_cookie() {
    let c = Console::new().await;
    let done = c.sign_in_form(&account().to_string(), TOKEN, "").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let session = done
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("dialtone_console="))
        .unwrap();
    let value = session.split(';').next().unwrap();
    assert_eq!(value.len(), "dialtone_console=".len() + 64, "{session}");
    assert!(
        session.ends_with("; Path=/console; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"),
        "{session}"
    );
    // The login form's own CSRF cookie is cleared.
    assert!(
        done.cookies()
            .iter()
            .any(|c| c.starts_with("dialtone_console_login=;") && c.contains("Max-Age=0"))
    );
    let b = c.sign_in().await;
    let page = c.get(&b, "/console/calls").await;
    assert!(page.body.contains(&account().to_string()));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn the_cookie_is_not_secure_over_plain_http() {
    let c = Console::with(|s| s.with_public_url("http://127.0.0.1:8080")).await;
    let done = c.sign_in_form(&account().to_string(), TOKEN, "").await;
    let session = done
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("dialtone_console="))
        .unwrap();
    assert!(
        session.ends_with("SameSite=Strict; Max-Age=43200"),
        "{session}"
    );
}

#[tokio::test]
async fn without_a_session_every_page_redirects_to_sign_in() {
    let c = Console::new().await;
    for (method, path) in [
        (Method::GET, "/console"),
        (Method::GET, "/console/calls"),
        (Method::GET, "/console/calls/live"),
        (Method::GET, "/console/applications"),
        (Method::POST, "/console/applications"),
        (Method::POST, "/console/logout"),
        (Method::GET, "/console/twiml"),
    ] {
        for cookie in [None, Some("dialtone_console=0123")] {
            let a = c.send(method.clone(), path, cookie, "").await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{method} {path}");
            assert_eq!(a.location(), "/console/login", "{method} {path}");
        }
    }
    // The sign-in page and the assets are open; the script is the console's own.
    let js = c
        .send(Method::GET, "/console/assets/console.js", None, "")
        .await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("EventSource"));
    let missing = c
        .send(Method::GET, "/console/assets/evil.js", None, "")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_credentials_are_401_and_the_sixth_try_is_429() {
    let c = Console::new().await;
    let ac = account().to_string();
    for _ in 0..5 {
        let a = c.sign_in_form(&ac, "wrong", "").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(a.body.contains("Those credentials are not valid."));
        assert!(
            !a.cookies()
                .iter()
                .any(|c| c.starts_with("dialtone_console="))
        );
    }
    // Limited: even the right token is not checked now.
    let a = c.sign_in_form(&ac, TOKEN, "").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.headers[header::RETRY_AFTER], "900");
    assert!(
        a.body
            .contains("Too many failed sign-ins. Try again in 15 minute(s).")
    );
    // Writing the SID's hex digits in capitals is the same account.
    let shouted = format!("AC{}", ac[2..].to_ascii_uppercase());
    let a = c.sign_in_form(&shouted, TOKEN, "").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // Another account is not locked out by failures on this one (no client address here).
    let other = c
        .sign_in_form(&other_account().to_string(), OTHER_TOKEN, "")
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    // The window passes.
    c.advance(Duration::from_mins(15));
    let a = c.sign_in_form(&ac, TOKEN, "").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    // Garbage is a wrong credential like any other, never a 500.
    for user in ["", "AC", "not a sid", "<script>", "SK123"] {
        let a = c.sign_in_form(user, "x", "").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{user:?}");
    }
}

#[tokio::test]
async fn the_sign_in_form_needs_its_own_csrf_token() {
    let c = Console::new().await;
    let body = format!("csrf=forged&Username={}&Password={TOKEN}", account());
    let a = c
        .send(
            Method::POST,
            "/console/login",
            Some("dialtone_console_login=real"),
            &body,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = c.send(Method::POST, "/console/login", None, &body).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        !a.cookies()
            .iter()
            .any(|c| c.starts_with("dialtone_console="))
    );
}

#[tokio::test]
async fn an_api_key_signs_in_but_cannot_manage_keys() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    let created = c.post(&b, "/console/keys", "FriendlyName=ci").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let start = created.body.find("<code class=\"secret\">").unwrap() + 21;
    let secret = &created.body[start..start + 32];
    let key_start = created.body.find("Key <code>").unwrap() + 10;
    let key = &created.body[key_start..key_start + 34];
    assert!(key.starts_with("SK"), "{key}");
    // With and without the account SID.
    let with_account = c.sign_in_form(key, secret, &account().to_string()).await;
    assert_eq!(with_account.status, StatusCode::SEE_OTHER);
    let kb = c.sign_in_as(key, secret).await;
    let page = c.get(&kb, "/console/calls").await;
    assert!(page.body.contains(&format!("(API key {key})")));
    let keys = c.get(&kb, "/console/keys").await;
    assert_eq!(keys.status, StatusCode::FORBIDDEN);
    assert!(keys.body.contains("API keys cannot manage API keys"));
    // A wrong account for the key.
    let wrong = c
        .sign_in_form(key, secret, &other_account().to_string())
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_change_needs_the_sessions_csrf_token() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    let form = "FriendlyName=Support&VoiceUrl=https%3A%2F%2Fapp.test%2Fvoice";
    for body in [
        form.to_owned(),
        format!("csrf=forged&{form}"),
        format!("csrf=&{form}"),
    ] {
        let a = c
            .send(
                Method::POST,
                "/console/applications",
                Some(&b.cookie),
                &body,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{body}");
        assert!(a.body.contains("CSRF token"));
    }
    // Another session's token does not do either.
    let other = c.sign_in().await;
    let a = c
        .send(
            Method::POST,
            "/console/applications",
            Some(&b.cookie),
            &format!("csrf={}&{form}", other.csrf),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let apps = c
        .store
        .list_applications(account(), None, &PageRequest::default())
        .await
        .unwrap();
    assert!(apps.items.is_empty(), "a forged request created something");
    let ok = c.post(&b, "/console/applications", form).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.location().starts_with("/console/applications/AP"));
    // Scripts may send the token in a header instead.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/console/logout")
        .header(header::COOKIE, &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .body(Body::empty())
        .unwrap();
    let out = c.app.clone().oneshot(req).await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[header::LOCATION], "/console/login");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    let forged = c
        .send(Method::POST, "/console/logout", Some(&b.cookie), "csrf=x")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let out = c.post(&b, "/console/logout", "").await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/console/login");
    assert!(out.cookies()[0].starts_with("dialtone_console=;"));
    let after = c.get(&b, "/console/calls").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location(), "/console/login");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    c.advance(Duration::from_mins(59));
    assert_eq!(c.get(&b, "/console/calls").await.status, StatusCode::OK);
    // Used a minute ago: still live 59 minutes later.
    c.advance(Duration::from_mins(59));
    assert_eq!(c.get(&b, "/console/calls").await.status, StatusCode::OK);
    c.advance(Duration::from_hours(1));
    let a = c.get(&b, "/console/calls").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/console/login?expired=1");
    let login = c.send(Method::GET, a.location(), None, "").await;
    assert!(login.body.contains("Your session expired. Sign in again."));
}

#[tokio::test]
async fn a_session_ends_twelve_hours_after_sign_in_however_busy() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    for _ in 0..24 {
        c.advance(Duration::from_mins(30));
        let a = c.get(&b, "/console/calls").await;
        if a.status != StatusCode::OK {
            assert_eq!(a.location(), "/console/login?expired=1");
            return;
        }
    }
    panic!("the session outlived 12 hours");
}

#[tokio::test]
async fn another_accounts_sids_are_404() {
    let c = Console::new().await;
    let theirs = call_sid(0xbb);
    c.store
        .insert_call(
            other_account(),
            &new_call(
                theirs,
                "client:bob".into(),
                "+15550001111".into(),
                Direction::OutboundApi,
            ),
            NOW,
        )
        .await
        .unwrap();
    let mine = call_sid(0xaa);
    c.store
        .insert_call(
            account(),
            &new_call(
                mine,
                "client:alice".into(),
                "+15550002222".into(),
                Direction::OutboundApi,
            ),
            NOW,
        )
        .await
        .unwrap();
    let b = c.sign_in().await;
    let ok = c.get(&b, &format!("/console/calls/{mine}")).await;
    assert_eq!(ok.status, StatusCode::OK);
    for path in [
        format!("/console/calls/{theirs}"),
        "/console/calls/CAnothex".to_owned(),
        format!("/console/calls/{}", call_sid(0xcc)),
        format!(
            "/console/applications/{}",
            Sid::new(SidKind::Application, 1)
        ),
    ] {
        let a = c.get(&b, &path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!a.body.contains("client:bob"));
    }
    let rec = Sid::new(SidKind::Recording, 9);
    for path in [
        format!("/console/recordings/{rec}.wav"),
        format!("/console/calls/{theirs}/heard.wav"),
    ] {
        assert_eq!(
            c.get(&b, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Their call is not in my list either.
    let list = c.get(&b, "/console/calls").await;
    assert!(list.body.contains(&mine.to_string()));
    assert!(!list.body.contains(&theirs.to_string()));
}

const SCRIPT: &str = "<script>alert('x')</script>";

#[tokio::test]
async fn user_supplied_text_is_shown_escaped() {
    let c = Console::new().await;
    let sid = call_sid(1);
    let mut call = new_call(
        sid,
        format!("client:{SCRIPT}"),
        SCRIPT.into(),
        Direction::Inbound,
    );
    call.url = Some("https://app.test/voice?<b>".into());
    c.store.insert_call(account(), &call, NOW).await.unwrap();
    let broken = format!("<Response>\n  <Say>{SCRIPT}</Say>\n  <Bogus/>\n</Response>");
    c.store
        .append_event(
            account(),
            sid,
            &NewCallEvent {
                request_method: "POST".into(),
                request_url: "https://app.test/voice".into(),
                request_parameters: vec![("From".into(), SCRIPT.into())],
                response_status: Some(200),
                response_duration_ms: Some(12),
                response_content_type: Some("text/xml".into()),
                response_body: Some(broken),
                requested_at: NOW,
            },
        )
        .await
        .unwrap();
    c.store
        .append_notification(
            account(),
            sid,
            &NewNotification {
                sid: Sid::new(SidKind::Notification, 1),
                error_code: TwilioCode(12100),
                level: Level::Error,
                message_text: SCRIPT.into(),
                request_url: None,
                request_method: None,
                response_body: None,
            },
            NOW,
        )
        .await
        .unwrap();
    let b = c.sign_in().await;
    let made = c
        .post(
            &b,
            "/console/applications",
            "FriendlyName=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let escaped = "&lt;script&gt;alert('x')&lt;/script&gt;";
    for path in [
        "/console/calls".to_owned(),
        format!("/console/calls/{sid}"),
        "/console/applications".to_owned(),
    ] {
        let page = c.get(&b, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("<Bogus"), "{path}");
        if path == "/console/applications" {
            assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
        } else {
            assert!(page.body.contains(escaped), "{path}");
        }
    }
    // The checker echoes the pasted document escaped, too.
    let checked = c
        .post(
            &b,
            "/console/twiml",
            &format!("Context=call&Twiml={}", urlencode(SCRIPT)),
        )
        .await;
    assert!(!checked.body.contains("<script>alert"));
    assert!(checked.body.contains(escaped));
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_fetched_documents_diagnostics_are_shown_at_their_lines() {
    let c = Console::new().await;
    let sid = call_sid(2);
    c.store
        .insert_call(
            account(),
            &new_call(
                sid,
                "client:alice".into(),
                "+15550001111".into(),
                Direction::OutboundApi,
            ),
            NOW,
        )
        .await
        .unwrap();
    let doc =
        "<Response>\n  <Say>Hello</Say>\n  <Dial><Nmber>+15550003333</Nmber></Dial>\n</Response>\n";
    let event = NewCallEvent {
        request_method: "POST".into(),
        request_url: "https://app.test/voice".into(),
        request_parameters: vec![
            ("CallSid".into(), sid.to_string()),
            ("CallStatus".into(), "in-progress".into()),
        ],
        response_status: Some(200),
        response_duration_ms: Some(34),
        response_content_type: Some("text/xml".into()),
        response_body: Some(doc.into()),
        requested_at: UnixMillis(NOW.0 + 1500),
    };
    c.store.append_event(account(), sid, &event).await.unwrap();
    for (status, ms) in [
        (dialtone_types::CallStatus::Ringing, 1000),
        (dialtone_types::CallStatus::InProgress, 1400),
    ] {
        let update = dialtone_store::CallUpdate {
            status: Some(status),
            ..dialtone_store::CallUpdate::default()
        };
        c.store
            .update_call(account(), sid, &update, UnixMillis(NOW.0 + ms))
            .await
            .unwrap();
    }
    let b = c.sign_in().await;
    let page = c.get(&b, &format!("/console/calls/{sid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let parsed = dialtone_twiml::parse(doc.as_bytes(), dialtone_twiml::Context::Call);
    let first = &parsed.diagnostics[0];
    assert_eq!(first.line, 3, "{first:?}");
    // The third line is flagged and carries the diagnostic's code and message.
    let line = page
        .body
        .find("id=\"L3\" class=\"flagged\"")
        .expect("line 3 flagged");
    let next = page.body[line..].find("id=\"L4\"").unwrap() + line;
    let shown = &page.body[line..next];
    assert!(
        shown.contains(&format!("data-code=\"{}\"", first.code.0)),
        "{shown}"
    );
    assert!(
        shown.contains(&maud::html! { (first.message) }.into_string()),
        "{shown}"
    );
    // The webhook in full: latency, status, parameters and the signature Twilio's validator
    // would check (HMAC-SHA1 of URL + sorted params with the auth token).
    assert!(page.body.contains("34 ms"));
    let signature = dialtone_webhook::SigningKey::auth_token(TOKEN).sign(
        "https://app.test/voice",
        event
            .request_parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    assert!(page.body.contains(&signature), "signature {signature}");
    // The timeline shows every status the call took, in order, then the webhook after them.
    let timeline = &page.body[page.body.find("id=\"timeline\"").unwrap()..];
    let timeline = &timeline[..timeline.find("</section>").unwrap()];
    let at = |needle: &str| {
        timeline
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {timeline}"))
    };
    assert!(at("Created (outbound-api)") < at("data-status=\"queued\""));
    assert!(at("data-status=\"queued\"") < at("data-status=\"ringing\""));
    assert!(at("data-status=\"ringing\"") < at("data-status=\"in-progress\""));
    assert!(at("data-status=\"in-progress\"") < at("https://app.test/voice"));
    assert_eq!(timeline.matches("data-status=").count(), 3, "{timeline}");
    // The checker finds the same at the same line.
    let checked = c
        .post(
            &b,
            "/console/twiml",
            &format!("Context=call&Twiml={}", urlencode(doc)),
        )
        .await;
    assert!(checked.body.contains("id=\"L3\" class=\"flagged\""));
}

#[tokio::test]
async fn the_live_list_streams_rows() {
    let c = Console::new().await;
    let sid = call_sid(3);
    c.store
        .insert_call(
            account(),
            &new_call(
                sid,
                "client:alice".into(),
                "+15550001111".into(),
                Direction::OutboundApi,
            ),
            NOW,
        )
        .await
        .unwrap();
    let b = c.sign_in().await;
    let req = Request::builder()
        .uri("/console/calls/live")
        .header(header::COOKIE, &b.cookie)
        .body(Body::empty())
        .unwrap();
    let response = c.app.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("a first event")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(
        text.starts_with("event: call\ndata: <tr id=\"call-"),
        "{text}"
    );
    assert!(text.contains(&sid.to_string()));
    assert!(text.contains("data-status=\"queued\""));
    // A bad filter is refused at once.
    let bad = c.get(&b, "/console/calls/live?status=nope").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ten_thousand_calls_are_paged_and_filtered() {
    let c = Console::new().await;
    for i in 0..10_000u64 {
        let mut call = new_call(
            call_sid(u128::from(i) + 1),
            format!("client:agent{}", i % 7),
            format!("+1555{i:07}"),
            if i % 2 == 0 {
                Direction::OutboundApi
            } else {
                Direction::Inbound
            },
        );
        call.status = dialtone_types::CallStatus::Queued;
        c.store
            .insert_call(account(), &call, UnixMillis(NOW.0 + i * 1000))
            .await
            .unwrap();
    }
    let b = c.sign_in().await;
    let page = c.get(&b, "/console/calls").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("<tr id=\"call-").count(), 50);
    // Newest first.
    assert!(page.body.contains(&call_sid(10_000).to_string()));
    // The next page follows on, with no overlap.
    let next = attr_after(&page.body, "rel=\"next\"", "href").replace("&amp;", "&");
    let second = c.get(&b, &next).await;
    assert_eq!(second.body.matches("<tr id=\"call-").count(), 50);
    assert!(second.body.contains(&call_sid(9_950).to_string()));
    assert!(!second.body.contains(&call_sid(9_951).to_string()));
    // Filters: direction and from.
    let inbound = c.get(&b, "/console/calls?direction=inbound").await;
    assert_eq!(inbound.body.matches("<tr id=\"call-").count(), 50);
    assert!(!inbound.body.contains("outbound-api</td>"));
    let one = c.get(&b, "/console/calls?from=%2B15550000042").await;
    assert_eq!(one.body.matches("<tr id=\"call-").count(), 1);
    let bad = c.get(&b, "/console/calls?date=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("invalid date"));
}

#[tokio::test]
async fn applications_are_created_edited_and_deleted_through_their_forms() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    // A refusal shows the API's code and message, and keeps what was typed.
    let bad = c
        .post(
            &b,
            "/console/applications",
            "FriendlyName=Support&VoiceUrl=not-a-url",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("Error 21205: VoiceUrl is not a valid URL: not-a-url"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"not-a-url\""));
    let made = c
        .post(
            &b,
            "/console/applications",
            "FriendlyName=Support&VoiceUrl=https%3A%2F%2Fapp.test%2Fvoice&VoiceMethod=GET",
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let edit_path = made.location().to_owned();
    let sid: Sid = edit_path.rsplit('/').next().unwrap().parse().unwrap();
    let edit = c.get(&b, &edit_path).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("value=\"https://app.test/voice\""));
    assert!(
        edit.body
            .contains("<option value=\"GET\" selected>GET</option>")
    );
    let saved = c
        .post(
            &b,
            &edit_path,
            "FriendlyName=Sales&VoiceUrl=https%3A%2F%2Fapp.test%2Fsales&VoiceMethod=POST\
             &VoiceFallbackUrl=&VoiceFallbackMethod=POST&StatusCallback=&StatusCallbackMethod=POST",
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = c.store.fetch_application(account(), sid).await.unwrap();
    assert_eq!(
        (
            stored.friendly_name.as_str(),
            stored.voice_url.as_deref(),
            stored.voice_method.as_str()
        ),
        ("Sales", Some("https://app.test/sales"), "POST")
    );
    let deleted = c.post(&b, &format!("{edit_path}/delete"), "").await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(c.store.fetch_application(account(), sid).await.is_err());
    let again = c.post(&b, &format!("{edit_path}/delete"), "").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // Another account's application cannot be edited either.
    let theirs = c
        .store
        .create_application(
            other_account(),
            &dialtone_store::NewApplication {
                sid: Sid::new(SidKind::Application, 0xbb),
                friendly_name: "theirs".into(),
                voice_url: None,
                voice_method: "POST".into(),
                voice_fallback_url: None,
                voice_fallback_method: "POST".into(),
                status_callback: None,
                status_callback_method: "POST".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    let path = format!("/console/applications/{}", theirs.sid);
    assert_eq!(c.get(&b, &path).await.status, StatusCode::NOT_FOUND);
    let post = c.post(&b, &path, "FriendlyName=mine").await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    let del = c.post(&b, &format!("{path}/delete"), "").await;
    assert_eq!(del.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.store
            .fetch_application(other_account(), theirs.sid)
            .await
            .unwrap()
            .friendly_name,
        "theirs"
    );
}

#[tokio::test]
async fn keys_are_created_renamed_and_deleted() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    let made = c.post(&b, "/console/keys", "FriendlyName=ci").await;
    assert_eq!(made.status, StatusCode::CREATED);
    let key_start = made.body.find("Key <code>").unwrap() + 10;
    let key: Sid = made.body[key_start..key_start + 34].parse().unwrap();
    // The secret is on the creation page only.
    let list = c.get(&b, "/console/keys").await;
    assert!(!list.body.contains("class=\"secret\""));
    assert!(list.body.contains(&key.to_string()));
    let renamed = c
        .post(&b, &format!("/console/keys/{key}"), "FriendlyName=deploy")
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.store
            .fetch_key(account(), key)
            .await
            .unwrap()
            .friendly_name,
        "deploy"
    );
    let deleted = c.post(&b, &format!("/console/keys/{key}/delete"), "").await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(c.store.fetch_key(account(), key).await.is_err());
    let missing = c.post(&b, &format!("/console/keys/{key}/delete"), "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_call_page_shows_its_parent_and_children() {
    let c = Console::new().await;
    let parent = call_sid(0x10);
    c.store
        .insert_call(
            account(),
            &new_call(
                parent,
                "client:agent".into(),
                "+15550001111".into(),
                Direction::OutboundApi,
            ),
            NOW,
        )
        .await
        .unwrap();
    let child = call_sid(0x11);
    let mut dialed = new_call(
        child,
        "whatsapp:+15550002222".into(),
        "whatsapp:+15550003333".into(),
        Direction::OutboundDial,
    );
    dialed.parent_call_sid = Some(parent);
    c.store.insert_call(account(), &dialed, NOW).await.unwrap();
    let b = c.sign_in().await;
    let page = c.get(&b, &format!("/console/calls/{parent}")).await;
    assert!(page.body.contains("Parent and children"));
    assert!(page.body.contains(&format!("id=\"call-{child}\"")));
    let page = c.get(&b, &format!("/console/calls/{child}")).await;
    assert!(page.body.contains(&format!("id=\"call-{parent}\"")));
    assert!(page.body.contains("whatsapp:+15550002222"));
}

#[tokio::test]
async fn softphones_are_registered_and_place_calls_from_the_console() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    let page = c.get(&b, "/console/whatsapp").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Simulated users exist in simulator mode only.")
    );
    let bad = c
        .post(
            &b,
            "/console/softphones",
            "Identity=alice&Behavior=sing&AnswerAfter=1&HangupAfter=",
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Behavior is not valid"), "{}", bad.body);
    let ok = c
        .post(
            &b,
            "/console/softphones",
            "Identity=alice&Behavior=busy&AnswerAfter=2&HangupAfter=&Audio=tone%3A440",
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    {
        let phones = c.control.phones.lock().unwrap();
        let alice = phones
            .get(&(account(), "alice".to_owned()))
            .expect("registered");
        assert_eq!(alice.behavior.as_str(), "busy");
        assert_eq!(alice.answer_after, Duration::from_secs(2));
        assert_eq!(alice.hangup_after, None);
    }
    let page = c.get(&b, "/console/whatsapp").await;
    assert!(page.body.contains("client:alice"));
    // A call from the softphone into an application.
    let made = c
        .post(
            &b,
            "/console/applications",
            "FriendlyName=IVR&VoiceUrl=https%3A%2F%2Fapp.test%2Fivr",
        )
        .await;
    let app = made.location().rsplit('/').next().unwrap().to_owned();
    let call = c
        .post(
            &b,
            "/console/softphones/call",
            &format!("Identity=alice&ApplicationSid={app}&To="),
        )
        .await;
    assert_eq!(call.status, StatusCode::SEE_OTHER, "{}", call.body);
    assert!(
        call.location().starts_with("/console/calls/CA"),
        "{}",
        call.location()
    );
    let sent = c.control.recorded.lock().unwrap().softphone_calls.clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].identity, "alice");
    assert!(sent[0].params.is_empty(), "{:?}", sent[0].params);
    let removed = c
        .post(&b, "/console/softphones/delete", "Identity=alice")
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let gone = c
        .post(&b, "/console/softphones/delete", "Identity=alice")
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn senders_say_whether_they_are_voice_enabled_and_why() {
    let c = Console::new().await;
    let b = c.sign_in().await;
    let made = c
        .post(
            &b,
            "/console/applications",
            "FriendlyName=Support&VoiceUrl=https%3A%2F%2Fapp.test%2Fvoice",
        )
        .await;
    let app: Sid = made.location().rsplit('/').next().unwrap().parse().unwrap();
    let silent = c
        .post(&b, "/console/applications", "FriendlyName=Silent")
        .await;
    let silent: Sid = silent
        .location()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for (n, number, voice) in [
        (1, "+15550000001", Some(app)),
        (2, "+15550000002", None),
        (3, "+15550000003", Some(silent)),
    ] {
        c.store
            .create_sender(
                account(),
                Sid::new(SidKind::Sender, n),
                &dialtone_store::NewSender {
                    sender_id: format!("whatsapp:{number}"),
                    friendly_name: Some(format!("<b>sender {n}</b>")),
                    status: "ONLINE".into(),
                    waba_id: None,
                    voice_application_sid: voice,
                    phone_number_id: format!("pn{n}"),
                    webhook: dialtone_store::SenderWebhook::default(),
                },
                NOW,
            )
            .await
            .unwrap();
    }
    let page = c.get(&b, "/console/whatsapp").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(
        "<span class=\"badge ok\">voice-enabled</span> calls run application {app} (Support)"
    )));
    assert!(page.body.contains(
        "<span class=\"badge bad\">not voice-enabled</span> no voice application \
         (configuration.voice_application_sid is not set)"
    ));
    assert!(page.body.contains(&format!(
        "<span class=\"badge bad\">not voice-enabled</span> its voice application {silent} has no Voice URL"
    )));
    assert!(page.body.contains("&lt;b&gt;sender 1&lt;/b&gt;"));
}

#[tokio::test]
async fn a_successful_sign_in_forgets_the_accounts_failures() {
    let c = Console::new().await;
    let ac = account().to_string();
    for _ in 0..4 {
        let a = c.sign_in_form(&ac, "wrong", "").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let ok = c.sign_in_form(&ac, TOKEN, "").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // Five more wrong tries are 401 (they would be 429 from the sixth failure on otherwise).
    for _ in 0..5 {
        let a = c.sign_in_form(&ac, "wrong", "").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = c.sign_in_form(&ac, "wrong", "").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
}
