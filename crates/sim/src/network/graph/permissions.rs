//! `GET /{phone_number_id}/call_permissions?user_wa_id=…` (reference `whatsapp-consent.md`
//! §3.4): the pair's permission (`no_permission`, `temporary` with `expiration_time`,
//! `permanent`) and what the business may do next, with the limits counted so far:
//! `send_call_permission_request` (1 per 24 h, 2 per 7 days; refused while a permanent
//! permission exists) and `start_call` (connected calls per 24 h). At most 5 reads per second
//! per business number (613, HTTP 429).

use dialtone_types::{E164, UnixMillis};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::graph::{
    ACTION_SEND_PERMISSION_REQUEST, ACTION_START_CALL, ActionLimit, CallPermissionsResponse,
    MESSAGING_PRODUCT, Permission as GraphPermission, PermissionAction, PermissionStatus,
};

use super::{GraphReply, GraphRequest, GraphResult, invalid, user_number};
use crate::network::call::SimSender;
use crate::network::consent::PermissionState;
use crate::network::network::Network;

const SECOND_MS: u64 = 1000;

fn limit(period: &str, max: usize, used: usize, frees_at: Option<UnixMillis>) -> ActionLimit {
    ActionLimit {
        time_period: period.to_owned(),
        max_allowed: max as u64,
        current_usage: used as u64,
        limit_expiration_time: if used >= max {
            frees_at.map(|t| t.0 / 1000)
        } else {
            None
        },
    }
}

impl Network {
    /// `GET /{phone_number_id}/call_permissions?user_wa_id=…`.
    pub fn handle_call_permissions(
        &mut self,
        now: UnixMillis,
        request: &GraphRequest<'_>,
        user_wa_id: Option<&str>,
    ) -> GraphReply {
        let result = self.authorize(request, "get").and_then(|sender| {
            let sender = sender.clone();
            self.throttle_reads(now, &sender)?;
            let wa_id = user_wa_id
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid("user_wa_id is required"))?;
            let number = user_number(wa_id)
                .ok_or_else(|| invalid(&format!("user_wa_id is not a phone number: {wa_id}")))?;
            Ok(GraphReply::ok(
                &self.permissions_body(now, &sender, &number),
            ))
        });
        self.reply(result)
    }

    /// Meta's 5 reads per second per business number.
    fn throttle_reads(&mut self, now: UnixMillis, sender: &SimSender) -> GraphResult<()> {
        let max = self.config.consent.permission_reads_per_second;
        let reads = self
            .permission_reads
            .entry(sender.phone_number_id.clone())
            .or_default();
        while reads
            .front()
            .is_some_and(|t| t.plus_millis(SECOND_MS) <= now)
        {
            reads.pop_front();
        }
        if reads.len() >= max {
            return Err(GraphError::new(
                613,
                "(#613) Calls to this api have exceeded the rate limit.",
                Some(&format!(
                    "At most {max} call_permissions requests per second per phone number"
                )),
            ));
        }
        reads.push_back(now);
        Ok(())
    }

    fn permissions_body(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        number: &E164,
    ) -> CallPermissionsResponse {
        let state = self.permission(now, sender, number);
        let (used, frees_at) = self.connected_today(now, sender, number);
        let max = self.config.max_connected_per_day;
        let limits = self.config.consent;
        let requests = self.request_usage(now, sender, number);
        let can_request = state != PermissionState::Permanent
            && requests.day < limits.requests_per_day
            && requests.week < limits.requests_per_week;
        let (status, expiration_time) = match state {
            PermissionState::NoPermission => (PermissionStatus::NoPermission, None),
            PermissionState::Temporary { expires_at } => {
                (PermissionStatus::Temporary, Some(expires_at.0 / 1000))
            }
            PermissionState::Permanent => (PermissionStatus::Permanent, None),
        };
        CallPermissionsResponse {
            messaging_product: Some(MESSAGING_PRODUCT.to_owned()),
            permission: GraphPermission {
                status,
                expiration_time,
                expiration: None,
            },
            actions: vec![
                PermissionAction {
                    action_name: ACTION_SEND_PERMISSION_REQUEST.to_owned(),
                    can_perform_action: can_request,
                    limits: vec![
                        limit(
                            "PT24H",
                            limits.requests_per_day,
                            requests.day,
                            requests.day_frees_at,
                        ),
                        limit(
                            "P7D",
                            limits.requests_per_week,
                            requests.week,
                            requests.week_frees_at,
                        ),
                    ],
                },
                PermissionAction {
                    action_name: ACTION_START_CALL.to_owned(),
                    can_perform_action: state.is_granted() && used < max,
                    limits: vec![limit("PT24H", max, used, frees_at)],
                },
            ],
        }
    }
}
