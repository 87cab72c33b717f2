//! A sender's known call permissions: `GET /v2/Channels/Senders/{Sid}/CallPermissions`, a
//! Dialtone extension (Twilio documents no permission-state API; reference
//! `whatsapp-consent.md` §5 step 5).
//!
//! Read-only: each WhatsApp user who answered a call permission request of the sender's
//! number, with the answer as Meta gave it (`temporary` until `expiration`, `permanent`,
//! `rejected`). A temporary permission whose expiration passed reads `expired` (Meta sends
//! nothing when it ends). In both modes the list is what Dialtone learnt from the replies; in
//! simulator mode `GET /sim/v1/WhatsAppUsers/{Number}` shows the simulated Meta's own view.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use dialtone_store::CallPermission;
use dialtone_types::{SidKind, UnixMillis};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::origin;
use crate::paging::{Paging, meta_envelope};
use crate::params::Query;
use crate::state::ApiState;
use crate::target::Target;

fn permission_json(p: &CallPermission, now: UnixMillis) -> Value {
    let status = match (p.status.as_str(), p.expires_at) {
        ("temporary", Some(until)) if now >= until => "expired",
        (s, _) => s,
    };
    json!({
        "user": format!("whatsapp:+{}", p.user_wa_id),
        "wa_id": p.user_wa_id,
        "status": status,
        "expiration": p.expires_at.map(|t| t.iso8601().to_string()),
        "response_source": p.response_source,
        "request_message_sid": p.request_message_sid,
        "date_created": p.date_created.iso8601().to_string(),
        "date_updated": p.date_updated.iso8601().to_string(),
    })
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    target: Target,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let sid = target.sid("sender", SidKind::Sender)?;
    let sender = state
        .store
        .fetch_sender(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    let paging = Paging::from_params(&query)?;
    let now = state.now();
    let records = state
        .store
        .call_permissions_of(caller.account, &sender.phone_number_id)
        .await
        .map_err(ApiError::store)?
        .iter()
        .map(|p| permission_json(p, now))
        .collect();
    let url = format!("{}{}", origin(&headers), target.path());
    Ok(Json(meta_envelope(
        "call_permissions",
        records,
        &paging,
        None,
        &url,
        &[],
    )))
}
