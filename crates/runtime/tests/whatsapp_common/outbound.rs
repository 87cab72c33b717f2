//! `<Dial><WhatsApp>` test support: a parent call dialing the WhatsApp user, the exact
//! `connect` Meta must receive, the user's media leg, and what the child left behind
//! (callbacks, `<Dial action>` requests, notifications), each checked the same way every time.

use std::time::Duration;

use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg};
use dialtone_runtime::{Behavior, Handle, SoftphoneConfig, WhatsAppConfig};
use dialtone_store::{Call, PageRequest, PageSize, Store};
use dialtone_types::{CallStatus, Direction, Sid};
use dialtone_whatsapp::webhook::{CallDirection, CallStatusKind, EventKind};

use super::{
    ACCESS_TOKEN, Meta, USER, USER_DIGITS, answer, calls_path, dial_app, post, status,
    store_sender, terminate, terminate_body,
};
use crate::common::{self, App, Seen, account, call_request, eventually};

/// Parent call to a softphone that answers and stays.
pub async fn start_parent(rt: &Handle, app: &App) -> Call {
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::Answer,
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("agent")
        },
    );
    rt.create_call(call_request("client:agent", app.url("/voice")))
        .await
        .unwrap()
}

/// Waits for the `connect` and checks it is exactly what Meta documents.
pub async fn connect_request(meta: &Meta, n: usize, parent: Sid, store: &Store) -> (Sid, String) {
    let seen = meta.request(n).await;
    assert_eq!(seen.path, calls_path());
    assert_eq!(
        seen.authorization.as_deref(),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(seen.action(), "connect");
    let body = seen.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "action",
            "biz_opaque_callback_data",
            "messaging_product",
            "session",
            "to"
        ]
    );
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], USER_DIGITS);
    assert_eq!(body["session"]["sdp_type"], "offer");
    let offer = body["session"]["sdp"].as_str().unwrap().to_owned();
    assert!(offer.contains("\r\na=ice-ufrag:"), "{offer}");
    let child: Sid = body["biz_opaque_callback_data"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let stored = store.fetch_call(account(), child).await.unwrap();
    assert_eq!(stored.parent_call_sid, Some(parent));
    assert_eq!(stored.direction, Direction::OutboundDial);
    assert_eq!(stored.to, format!("whatsapp:{USER}"));
    (child, offer)
}

/// The user's phone: an ICE-lite leg answering our offer.
pub async fn user_answers(offer: &str) -> (MediaLeg, String) {
    MediaEngine::new(MediaConfig::lite())
        .answer(offer)
        .await
        .unwrap()
}

/// Waits for at least `n` callbacks of `child` at `/child`.
pub async fn child_callbacks(app: &App, child: Sid, n: usize) -> Vec<Seen> {
    eventually(&format!("{n} child callbacks"), || async {
        let seen = app.callbacks_of("/child", child);
        (seen.len() >= n).then_some(seen)
    })
    .await
}

/// The `CallStatus` of each callback.
pub fn statuses(callbacks: &[Seen]) -> Vec<&str> {
    callbacks
        .iter()
        .map(|c| c.param("CallStatus").unwrap())
        .collect()
}

/// `call`'s notifications as (code, message).
pub async fn notifications(store: &Store, call: Sid) -> Vec<(u32, String)> {
    let page = PageRequest::first(PageSize::new(50).unwrap());
    store
        .list_notifications(account(), call, &page)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|n| (n.error_code.0, n.message_text))
        .collect()
}

/// Waits for `call` to reach `want`.
pub async fn status_of(store: &Store, call: Sid, want: CallStatus) {
    eventually(&format!("{call} {want}"), || async {
        let c = store.fetch_call(account(), call).await.ok()?;
        (c.status == want).then_some(())
    })
    .await;
}

/// Every child callback names the parent and counts up from 0.
pub fn check_sequence(callbacks: &[Seen], parent: Sid) {
    for (i, cb) in callbacks.iter().enumerate() {
        assert_eq!(cb.param("SequenceNumber"), Some(i.to_string().as_str()));
        assert_eq!(cb.param("ParentCallSid"), Some(parent.to_string().as_str()));
        assert_eq!(cb.param("Direction"), Some("outbound-dial"));
        assert_eq!(cb.param("From"), Some("whatsapp:+15550001111"));
        assert_eq!(cb.param("To"), Some("whatsapp:+447700900123"));
        assert!(cb.signature_ok());
    }
}

/// A fake Meta, the dialing application (`<Dial timeout>` of `timeout` seconds), a runtime
/// with `config` and the sender stored.
pub async fn setup_with(timeout: u32, config: WhatsAppConfig, meta: Meta) -> (App, Handle, Store) {
    let app = App::start().await;
    dial_app(&app, timeout);
    let (rt, store) = super::runtime(&meta, config).await;
    store_sender(&store, None).await;
    (app, rt, store)
}

/// [`setup_with`] with the fake's own connector settings.
pub async fn setup(timeout: u32) -> (Meta, App, Handle, Store) {
    let meta = Meta::start().await;
    let (app, rt, store) = setup_with(timeout, meta.config(), meta.clone()).await;
    (meta, app, rt, store)
}

/// A `<Dial><WhatsApp>` whose `connect` Meta has received (and checked): the child exists.
pub struct Dialed {
    pub meta: Meta,
    pub app: App,
    pub rt: Handle,
    pub store: Store,
    pub parent: Call,
    pub child: Sid,
    pub offer: String,
}

impl Dialed {
    /// Places the parent once set up with [`setup`].
    pub async fn start(timeout: u32) -> Self {
        Self::from_setup(setup(timeout).await, |_, _| {}).await
    }

    /// Places the parent after `before` (scripting Meta, routing the app) ran on the set-up.
    pub async fn from_setup(
        (meta, app, rt, store): (Meta, App, Handle, Store),
        before: impl FnOnce(&Meta, &App),
    ) -> Self {
        before(&meta, &app);
        let parent = start_parent(&rt, &app).await;
        let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
        Self {
            meta,
            app,
            rt,
            store,
            parent,
            child,
            offer,
        }
    }

    /// The child's SID as Meta echoes it (`biz_opaque_callback_data`).
    pub fn opaque(&self) -> String {
        self.child.to_string()
    }

    /// Meta's status webhook for `wacid.1`, with the opaque data when `opaque`.
    pub fn post_status(&self, kind: CallStatusKind, opaque: bool, ts: u64) {
        let data = self.opaque();
        post(
            &self.rt,
            &[status("wacid.1", kind, opaque.then_some(data.as_str()), ts)],
        );
    }

    /// Meta's terminate webhook for `wacid.1`.
    pub fn post_terminate(&self, duration: Option<u64>, opaque: bool, ts: u64) {
        post(&self.rt, &[self.terminate_event(duration, opaque, ts)]);
    }

    /// The terminate webhook event for `wacid.1`.
    pub fn terminate_event(&self, duration: Option<u64>, opaque: bool, ts: u64) -> EventKind {
        let data = self.opaque();
        terminate(
            "wacid.1",
            CallDirection::BusinessInitiated,
            duration,
            opaque.then_some(data.as_str()),
            ts,
        )
    }

    /// Meta's connect webhook carrying the user's `sdp` answer.
    pub fn post_answer(&self, sdp: &str, opaque: bool, ts: u64) {
        let data = self.opaque();
        post(
            &self.rt,
            &[answer("wacid.1", sdp, opaque.then_some(data.as_str()), ts)],
        );
    }

    /// The user answers (connect webhook at `ts`, with the opaque data when `opaque`); returns
    /// the user's leg once its media connected.
    pub async fn user_connects(&self, opaque: bool, ts: u64) -> MediaLeg {
        let (mut user, sdp) = user_answers(&self.offer).await;
        self.post_answer(&sdp, opaque, ts);
        assert_eq!(user.event().await, Some(MediaEvent::Connected));
        user
    }

    /// The phone rings (RINGING at 100), then the user answers (connect at 101): returns the
    /// user's leg once its media connected and the child is in progress.
    pub async fn rings_then_answers(&self) -> MediaLeg {
        let (mut user, sdp) = user_answers(&self.offer).await;
        self.post_status(CallStatusKind::Ringing, true, 100);
        self.child_is(CallStatus::Ringing).await;
        self.post_answer(&sdp, true, 101);
        assert_eq!(user.event().await, Some(MediaEvent::Connected));
        self.child_is(CallStatus::InProgress).await;
        user
    }

    /// Waits for the child to reach `want`.
    pub async fn child_is(&self, want: CallStatus) {
        status_of(&self.store, self.child, want).await;
    }

    /// Waits for the child to end and checks how.
    pub async fn child_ends(&self, want: CallStatus) -> Call {
        let done = common::ended(&self.store, self.child).await;
        assert_eq!(done.status, want);
        done
    }

    /// Waits for the `n`th Graph request and checks it is the `terminate` of `wacid.1`.
    pub async fn terminated_at_meta(&self, n: usize) {
        let seen = self.meta.request(n).await;
        assert_eq!(seen.path, calls_path());
        assert_eq!(seen.body, terminate_body("wacid.1"));
    }

    /// Waits for `n` child callbacks and checks their statuses (exactly `want`) and sequence.
    pub async fn callbacks_are(&self, want: &[&str]) -> Vec<Seen> {
        let callbacks = child_callbacks(&self.app, self.child, want.len()).await;
        assert_eq!(statuses(&callbacks), want);
        check_sequence(&callbacks, self.parent.sid);
        callbacks
    }

    /// Waits for the `n`th (0-based) `<Dial action>` request and checks its `DialCallStatus`.
    pub async fn action_is(&self, n: usize, want: &str) -> Seen {
        let action = eventually("the action request", || async {
            self.app.seen_at("/action").into_iter().nth(n)
        })
        .await;
        assert_eq!(action.param("DialCallStatus"), Some(want));
        action
    }

    /// The child's notifications as (code, message).
    pub async fn notifications(&self) -> Vec<(u32, String)> {
        notifications(&self.store, self.child).await
    }
}
