//! What the runtime's tasks share: the store and its writer, the HTTP sender, identifiers,
//! the accounts' signing keys, and the calls' media legs (audio routes and playback).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dialtone_store::{NewCallEvent, Store, StoreError};
use dialtone_types::Sid;
use dialtone_webhook::{SigningKey, WebhookRequest};
use tokio::sync::Notify;

use dialtone_media::LegControl;

use crate::audio::AudioRoutes;
use crate::ids::Ids;
use crate::persist::{Persister, Write};
use crate::playback::Playback;
use crate::sender::{HttpSender, Outcome};

/// Accounts whose tokens are cached; beyond that the cache starts over.
const TOKEN_CACHE: usize = 1024;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) persister: Persister,
    pub(crate) http: HttpSender,
    pub(crate) ids: Ids,
    /// Wakes the status-callback deliverer.
    pub(crate) outbox_wake: Arc<Notify>,
    /// The audio routes of bridged calls.
    pub(crate) audio: AudioRoutes,
    /// Prompts and ringback played on calls' legs.
    pub(crate) playback: Arc<Playback>,
    tokens: Mutex<HashMap<Sid, Arc<str>>>,
}

impl Shared {
    pub(crate) fn new(
        store: Store,
        persister: Persister,
        outbox_wake: Arc<Notify>,
        playback: Arc<Playback>,
        bridge: crate::BridgeMode,
    ) -> Self {
        Self {
            store,
            persister,
            http: HttpSender::default(),
            ids: Ids::new(),
            outbox_wake,
            audio: AudioRoutes::new(bridge),
            playback,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// `call`'s media leg is connected: bridges and prompts may use it.
    pub(crate) fn attach_leg(&self, call: Sid, leg: LegControl) {
        self.audio.attach(call, leg.clone());
        self.playback.attach(call, leg);
    }

    /// `call`'s media leg is gone.
    pub(crate) fn detach_leg(&self, call: Sid) {
        self.audio.detach(call);
        self.playback.detach(call);
    }

    /// The key that signs `account`'s webhooks: its Auth Token.
    pub(crate) async fn signing_key(&self, account: Sid) -> Result<SigningKey, StoreError> {
        let cached = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&account)
            .cloned();
        let token = if let Some(token) = cached {
            token
        } else {
            let token: Arc<str> = Arc::from(self.store.fetch_account(account).await?.auth_token);
            let mut tokens = self
                .tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if tokens.len() >= TOKEN_CACHE {
                tokens.clear();
            }
            tokens.insert(account, Arc::clone(&token));
            token
        };
        Ok(SigningKey::auth_token(&token))
    }

    /// Records every attempt of a webhook as an event of `call`.
    pub(crate) async fn record(
        &self,
        account: Sid,
        call: Sid,
        request: &WebhookRequest,
        params: &[(String, String)],
        outcome: &Outcome,
    ) {
        for attempt in &outcome.attempts {
            let response = attempt.response.as_ref();
            let event = NewCallEvent {
                request_method: request.method.as_str().to_owned(),
                request_url: request.url.clone(),
                request_parameters: params.to_vec(),
                response_status: response.map(|r| r.status),
                response_duration_ms: Some(crate::clock::millis(attempt.duration)),
                response_content_type: response.and_then(|r| r.content_type.clone()),
                response_body: response.map(|r| {
                    let cut = r.body.len().min(dialtone_store::RESPONSE_BODY_EXCERPT_MAX);
                    String::from_utf8_lossy(&r.body[..cut]).into_owned()
                }),
                requested_at: attempt.requested_at,
            };
            self.persister
                .send(Write::Event {
                    account,
                    call,
                    event: Box::new(event),
                })
                .await;
        }
    }
}
