//! `POST /{phone_number_id}/calls`: `connect`, `pre_accept`, `accept`, `reject`, `terminate`.
//!
//! Checks run in Meta's order as far as it is observable: the token (190), the phone number id
//! (100, subcode 33), the body (100), the SDP (100 with the problems in `error_data.details`),
//! then the calling rules: permission (138006), one call per pair (138003), concurrency
//! (138002), connected calls per pair per day (138012). A user the simulator does not know is
//! treated like a user without permission (138006): Meta does not reveal whether a number is on
//! WhatsApp (reference §2.3 "uncallable numbers also return `no_permission`").

use dialtone_types::UnixMillis;
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::graph::{
    CallAction, CallRef, CallRequest, ConnectResponse, MAX_OPAQUE_DATA_CHARS, MESSAGING_PRODUCT,
    SdpType, Session,
};
use dialtone_whatsapp::sdp;
use serde_json::Value;

use super::{GraphReply, GraphRequest, GraphResult, invalid, success, user_number};
use crate::network::call::{Call, CallStatus, Direction, Script, SimSender};
use crate::network::network::{Ending, Network};
use crate::network::output::Output;

fn no_permission() -> GraphError {
    GraphError::new(
        138_006,
        "(#138006) No approved call permission",
        Some("No approved call permission from the recipient"),
    )
}

fn checked_sdp(session: &Session, expected: SdpType) -> GraphResult<()> {
    if session.sdp_type != expected {
        let wanted = match expected {
            SdpType::Offer => "offer",
            SdpType::Answer => "answer",
        };
        return Err(invalid(&format!("session.sdp_type must be {wanted}")));
    }
    sdp::check(&session.sdp, expected)
        .map(|_| ())
        .map_err(|error| invalid(&error.to_string()))
}

impl Network {
    /// `POST /{phone_number_id}/calls` with `body`.
    pub fn handle_calls(
        &mut self,
        now: UnixMillis,
        request: &GraphRequest<'_>,
        body: &[u8],
    ) -> GraphReply {
        let result = self
            .authorize(request, "post")
            .and_then(|sender| Ok((sender.clone(), parse_call_request(body)?)))
            .and_then(|(sender, call)| self.apply(now, &sender, call.action));
        self.reply(result)
    }

    fn apply(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        action: CallAction,
    ) -> GraphResult<GraphReply> {
        match action {
            CallAction::Connect {
                to,
                session,
                biz_opaque_callback_data,
            } => self.connect(now, sender, &to, &session, biz_opaque_callback_data),
            CallAction::PreAccept { call_id, session } => {
                self.pre_accept(sender, &call_id, &session)
            }
            CallAction::Accept {
                call_id,
                session,
                biz_opaque_callback_data,
            } => self.accept(now, sender, &call_id, &session, biz_opaque_callback_data),
            CallAction::Reject { call_id } => {
                let call = self.user_initiated(sender, &call_id)?;
                if call.status == CallStatus::InProgress {
                    return Err(invalid("the call was already accepted; use terminate"));
                }
                self.end(now, &call_id, Ending::unanswered(CallStatus::Rejected));
                Ok(success())
            }
            CallAction::Terminate { call_id } => {
                let call = self.active_call(sender, &call_id)?;
                let ending = if call.answered_at.is_some() {
                    Ending::completed()
                } else if call.direction == Direction::UserInitiated {
                    Ending::unanswered(CallStatus::Rejected)
                } else {
                    Ending::unanswered(CallStatus::Canceled)
                };
                self.end(now, &call_id, ending);
                Ok(success())
            }
        }
    }

    fn connect(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        to: &str,
        session: &Session,
        opaque: Option<String>,
    ) -> GraphResult<GraphReply> {
        let number =
            user_number(to).ok_or_else(|| invalid(&format!("to is not a phone number: {to}")))?;
        checked_sdp(session, SdpType::Offer)?;
        check_opaque(opaque.as_deref())?;
        if !self.permission(now, sender, &number).is_granted() {
            return Err(no_permission());
        }
        let user = self
            .user_ref(sender.account, &number)
            .ok_or_else(no_permission)?;
        let script = Script::of(user);
        if self.pair_busy(sender, &number) {
            return Err(GraphError::new(
                138_003,
                "(#138003) Duplicate call",
                Some("There is already an ongoing call between the business and this user"),
            ));
        }
        if self.sender_full(sender) {
            return Err(GraphError::new(
                138_002,
                "(#138002) Concurrent calls limit reached",
                Some(&format!(
                    "The business phone number has reached its limit of {} concurrent calls",
                    self.config.max_concurrent_calls
                )),
            ));
        }
        let (used, frees_at) = self.connected_today(now, sender, &number);
        if used >= self.config.max_connected_per_day {
            let next = frees_at.map_or(0, |t| t.0 / 1000);
            return Err(GraphError::new(
                138_012,
                "(#138012) Business initiated calls limit reached",
                Some(&format!(
                    "Limit of {used} connected calls in 24 hours reached; next call allowed at {next}"
                )),
            ));
        }
        let id = self.new_call_id();
        self.place(
            now,
            Call {
                id: id.clone(),
                sender: sender.clone(),
                user: number,
                direction: Direction::BusinessInitiated,
                status: CallStatus::Calling,
                script,
                created_at: now,
                answered_at: None,
                ended_at: None,
                offer: Some(session.sdp.clone()),
                answer: None,
                awaiting_answer: false,
                opaque,
                media: None,
            },
        );
        Ok(GraphReply::ok(&ConnectResponse {
            messaging_product: Some(MESSAGING_PRODUCT.to_owned()),
            calls: vec![CallRef { id }],
        }))
    }

    fn pre_accept(
        &mut self,
        sender: &SimSender,
        call_id: &str,
        session: &Session,
    ) -> GraphResult<GraphReply> {
        let call = self.user_initiated(sender, call_id)?;
        checked_sdp(session, SdpType::Answer)?;
        match call.status {
            CallStatus::Ringing => {
                if let Some(call) = self.calls.get_mut(call_id) {
                    call.status = CallStatus::PreAccepted;
                    call.answer = Some(session.sdp.clone());
                }
                self.outputs_apply_answer(call_id, &session.sdp);
                Ok(success())
            }
            CallStatus::PreAccepted if call.answer.as_deref() == Some(session.sdp.as_str()) => {
                Ok(success())
            }
            _ => Err(invalid("the call was already pre-accepted or accepted")),
        }
    }

    fn accept(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        call_id: &str,
        session: &Session,
        opaque: Option<String>,
    ) -> GraphResult<GraphReply> {
        let call = self.user_initiated(sender, call_id)?;
        checked_sdp(session, SdpType::Answer)?;
        check_opaque(opaque.as_deref())?;
        match call.status {
            CallStatus::Ringing => self.outputs_apply_answer(call_id, &session.sdp),
            CallStatus::PreAccepted if call.answer.as_deref() == Some(session.sdp.as_str()) => {}
            CallStatus::PreAccepted => {
                return Err(invalid("the accept SDP must equal the pre_accept SDP"));
            }
            _ => return Err(invalid("the call was already accepted")),
        }
        if let Some(call) = self.calls.get_mut(call_id) {
            call.status = CallStatus::InProgress;
            call.answered_at = Some(now);
            call.answer = Some(session.sdp.clone());
            if opaque.is_some() {
                call.opaque = opaque;
            }
        }
        // A connected call in either direction resets the pair's request counters.
        self.reset_requests(sender, &call.user);
        self.start_talking(now, call_id);
        Ok(success())
    }

    fn outputs_apply_answer(&mut self, call_id: &str, answer: &str) {
        self.push_output(Output::ApplyAnswer {
            call_id: call_id.to_owned(),
            answer: answer.to_owned(),
        });
    }

    /// An active call of this business number.
    fn active_call(&self, sender: &SimSender, call_id: &str) -> GraphResult<Call> {
        let call = self
            .calls
            .get(call_id)
            .filter(|call| call.sender.phone_number_id == sender.phone_number_id)
            .ok_or_else(|| invalid(&format!("Unknown call_id: {call_id}")))?;
        if call.is_active() {
            Ok(call.clone())
        } else {
            Err(invalid(&format!("The call has already ended: {call_id}")))
        }
    }

    /// An active user-initiated call of this business number.
    fn user_initiated(&self, sender: &SimSender, call_id: &str) -> GraphResult<Call> {
        let call = self.active_call(sender, call_id)?;
        if call.direction == Direction::UserInitiated {
            Ok(call)
        } else {
            Err(invalid(
                "pre_accept, accept and reject apply to user-initiated calls only",
            ))
        }
    }
}

fn check_opaque(opaque: Option<&str>) -> GraphResult<()> {
    match opaque {
        Some(data) if data.chars().count() > MAX_OPAQUE_DATA_CHARS => Err(invalid(&format!(
            "biz_opaque_callback_data must be at most {MAX_OPAQUE_DATA_CHARS} characters"
        ))),
        _ => Ok(()),
    }
}

/// The body as a calls request, refusing what Meta refuses with code 100.
fn parse_call_request(body: &[u8]) -> GraphResult<CallRequest> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("The request body is not valid JSON"))?;
    let Some(object) = value.as_object() else {
        return Err(invalid("The request body must be a JSON object"));
    };
    match object.get("messaging_product").and_then(Value::as_str) {
        Some(MESSAGING_PRODUCT) => {}
        Some(other) => {
            return Err(invalid(&format!(
                "Invalid value for messaging_product: {other}"
            )));
        }
        None => return Err(invalid("messaging_product is required")),
    }
    let action = match object.get("action") {
        Some(Value::String(action)) => action.clone(),
        Some(_) => return Err(invalid("action must be a string")),
        None => return Err(invalid("action is required")),
    };
    if !matches!(
        action.as_str(),
        "connect" | "pre_accept" | "accept" | "reject" | "terminate"
    ) {
        return Err(invalid(&format!("Invalid value for action: {action}")));
    }
    serde_json::from_value(value)
        .map_err(|error| invalid(&format!("Invalid parameters for {action}: {error}")))
}
