//! A simulated WhatsApp user's messages, under `/sim/v1/WhatsAppUsers/{Number}/Messages`:
//!
//! - `GET`: what the user received from the account's business numbers and what it wrote,
//!   oldest first (`direction` `outbound` / `inbound`; `type` `text`,
//!   `call_permission_request` or `template`; `status` `sent`, `delivered`, `read`, `failed`
//!   with Meta's `error_code`, or `received`; a request's `reply` and `date_replied`).
//! - `POST` form `To` (`whatsapp:+…`, a sender of the account), `Body`: the user writes to the
//!   business. Dialtone receives Meta's `messages` webhook, and the 24-hour customer service
//!   window opens (free-form messages and call permission requests need it).
//! - `POST …/Messages/{MessageId}` form `Reply` (`accept`, `accept-permanent`, `reject`): the
//!   user answers a delivered call permission request now, or changes its answer while the
//!   request lives (7 days); Dialtone receives the `call_permission_reply` webhook. The same
//!   answer twice is refused (409), so is an expired request (400).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use dialtone_types::{Address, Sid};
use serde_json::{Value, json};

use super::{BASE, date, known_user, user_uri};
use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::params::Form;
use crate::resources::sim_params::invalid;
use crate::simulator::{WhatsAppConsentReply, WhatsAppMessage};
use crate::state::ApiState;
use crate::target::Target;

pub(super) fn routes() -> Router<ApiState> {
    Router::new()
        .route(&format!("{BASE}/{{number}}/Messages"), post(send).get(list))
        .route(
            &format!("{BASE}/{{number}}/Messages/{{message}}"),
            post(answer),
        )
}

fn message_json(account: Sid, m: &WhatsAppMessage) -> Value {
    json!({
        "account_sid": account,
        "body": m.body,
        "business": format!("whatsapp:{}", m.business),
        "date_created": date(Some(m.created_at)),
        "date_replied": date(m.replied_at),
        "direction": m.direction,
        "error_code": m.error_code,
        "reply": m.reply.map(WhatsAppConsentReply::as_str),
        "sid": m.id,
        "status": m.status,
        "template": m.template,
        "type": m.kind,
    })
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let (sim, user) = known_user(&state, caller.account, &target)?;
    let messages: Vec<Value> = sim
        .messages(caller.account, &user.number)
        .iter()
        .map(|m| message_json(caller.account, m))
        .collect();
    Ok(Json(json!({
        "messages": messages,
        "uri": format!("{}/Messages", user_uri(&user.number)),
    })))
}

async fn send(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (sim, user) = known_user(&state, caller.account, &target)?;
    let to = params
        .get("To")
        .ok_or_else(|| ApiError::invalid(codes::TO_REQUIRED, "To is required"))?;
    if !matches!(to.parse::<Address>(), Ok(Address::WhatsApp(_))) {
        return Err(ApiError::invalid(
            codes::INVALID_TO,
            format!("To must be a WhatsApp address (whatsapp:+E164): {to:?}"),
        ));
    }
    let body = params
        .get("Body")
        .filter(|b| !b.is_empty())
        .ok_or_else(|| invalid("Body is required".to_owned()))?;
    let message = sim
        .send_message(caller.account, user.number, to.to_owned(), body.to_owned())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(message_json(caller.account, &message)),
    ))
}

async fn answer(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Form(params): Form,
) -> Result<Json<Value>, ApiError> {
    let (sim, user) = known_user(&state, caller.account, &target)?;
    let id = target.segment("message")?.to_owned();
    let reply = params
        .get("Reply")
        .ok_or_else(|| invalid("Reply is required".to_owned()))?;
    let reply = WhatsAppConsentReply::parse(reply)
        .filter(|r| *r != WhatsAppConsentReply::Ignore)
        .ok_or_else(|| {
            invalid(format!(
                "Reply is not valid: {reply:?}. Use accept, accept-permanent or reject"
            ))
        })?;
    let message = sim.answer_request(caller.account, &user.number, &id, reply)?;
    Ok(Json(message_json(caller.account, &message)))
}
