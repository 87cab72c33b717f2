//! Fetching a TwiML document for the engine: sign, send, record, answer.
//!
//! Runs as its own task per `Output::Fetch`, so a slow application delays only its own call.
//! Whatever happens, exactly one `Input::Fetched` goes back to the engine: a response the
//! engine judges itself, or a failure already mapped to its Twilio code.

use std::sync::Arc;

use dialtone_core::{FetchPurpose, FetchRequest, FetchResult, Input, Method};
use dialtone_types::{Sid, TwilioCode};
use dialtone_webhook::build_request;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument as _;

use crate::driver::Command;
use crate::sender::Kind;
use crate::shared::Shared;

/// The webhook crate's spelling of a TwiML method.
pub(crate) fn wire_method(method: Method) -> dialtone_webhook::Method {
    match method {
        Method::Get => dialtone_webhook::Method::Get,
        Method::Post => dialtone_webhook::Method::Post,
    }
}

/// Fetches `request` for a call of `account` and feeds the result back through `tx`.
///
/// `extra` are the Voice SDK parameters of a softphone call, sent with the voice URL (and its
/// fallback) as Twilio does, in their order, names and empty values unchanged; a name the
/// request itself carries (`From`, `CallSid`...) is not overridden. The
/// request is sent once `landed` fires (the call's earlier writes are stored) or its sender is
/// gone (shutdown).
pub(crate) fn spawn(
    shared: Arc<Shared>,
    account: Sid,
    request: FetchRequest,
    extra: Arc<[(String, String)]>,
    landed: oneshot::Receiver<()>,
    tx: mpsc::Sender<Command>,
) {
    let span = tracing::info_span!("fetch", call = %request.call, purpose = ?request.purpose);
    tokio::spawn(
        async move {
            let (call, id) = (request.call, request.request);
            let _ = landed.await;
            let result = fetch(&shared, account, &request, &extra).await;
            let input = Input::Fetched {
                call,
                request: id,
                result,
            };
            if tx.send(Command::Input(input)).await.is_err() {
                tracing::debug!("engine stopped; fetch result dropped");
            }
        }
        .instrument(span),
    );
}

async fn fetch(
    shared: &Shared,
    account: Sid,
    request: &FetchRequest,
    extra: &[(String, String)],
) -> FetchResult {
    let mut params = request.params.to_pairs();
    if matches!(
        request.purpose,
        FetchPurpose::Twiml | FetchPurpose::Fallback
    ) {
        // Only the request's own names win: an SDK parameter sent twice is sent twice.
        let own = params.len();
        for (name, value) in extra {
            if !params[..own].iter().any(|(n, _)| n == name) {
                params.push((name.clone(), value.clone()));
            }
        }
    }
    let key = match shared.signing_key(account).await {
        Ok(key) => key,
        Err(e) => {
            tracing::warn!(error = %e, "no signing key for the account");
            return FetchResult::Failed {
                code: TwilioCode::INTERNAL_FAILURE,
                message: "the account's auth token could not be read".to_owned(),
            };
        }
    };
    let token = shared.ids.token();
    let wire = match build_request(
        wire_method(request.method),
        request.url.as_str(),
        params.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        &key,
        &token,
    ) {
        Ok(wire) => wire,
        Err(e) => {
            return FetchResult::Failed {
                code: e.code(),
                message: e.to_string(),
            };
        }
    };
    let outcome = shared.http.send(&wire, Kind::Twiml).await;
    shared
        .record(account, request.call, &wire, &params, &outcome)
        .await;
    match outcome.result {
        Ok(received) => FetchResult::Response {
            status: received.status,
            content_type: received.content_type,
            body: received.body,
        },
        Err(failure) => {
            tracing::debug!(%failure, "fetch failed");
            FetchResult::Failed {
                code: failure.code(),
                message: failure.to_string(),
            }
        }
    }
}
