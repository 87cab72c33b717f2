//! `GET /2010-04-01/Accounts/{AccountSid}.json`: the authenticated account.
//!
//! Its representation holds the auth token, so only the auth token itself may read it (not an
//! API key), as with Twilio's standard keys.

use axum::Json;
use axum::extract::State;
use dialtone_store::Account;
use dialtone_types::SidKind;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::render::{account_base, date};
use crate::state::ApiState;
use crate::target::Target;

/// The account as Twilio renders it.
pub(crate) fn account_json(a: &Account) -> Value {
    let base = account_base(a.sid);
    json!({
        "auth_token": a.auth_token,
        "date_created": date(a.date_created),
        "date_updated": date(a.date_updated),
        "friendly_name": a.friendly_name,
        "owner_account_sid": a.sid,
        "sid": a.sid,
        "status": a.status,
        "subresource_uris": {
            "applications": format!("{base}/Applications.json"),
            "calls": format!("{base}/Calls.json"),
            "keys": format!("{base}/Keys.json"),
        },
        "type": "Full",
        "uri": format!("{base}.json"),
    })
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let sid = target.json_sid("account", SidKind::Account)?;
    if sid != caller.account {
        return Err(target.not_found());
    }
    caller.require_auth_token()?;
    let account = state
        .store
        .fetch_account(sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(account_json(&account)))
}
