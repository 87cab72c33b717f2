//! The statuses a call went through, as triggers in the schema record them
//! (`call_transitions`, migration 0009): every change of `calls.status`, in order, with the
//! call's `date_updated` at the change. Read-only here; no writer can skip it.

use dialtone_types::{CallStatus, Sid, UnixMillis};

use crate::Store;
use crate::convert::{status, time};
use crate::error::{Context, StoreError};

/// A call's status and when it took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTransition {
    /// The status the call took.
    pub status: CallStatus,
    /// When: the call's creation for its first status, its `date_updated` for the others.
    pub at: UnixMillis,
}

/// More than any call goes through (queued, initiated, ringing, in-progress and an end).
const MAX_TRANSITIONS: i64 = 64;

impl Store {
    /// The statuses call `call` of `account` went through, oldest first.
    pub async fn list_call_transitions(
        &self,
        account: Sid,
        call: Sid,
    ) -> Result<Vec<CallTransition>, StoreError> {
        const SQL: &str = "SELECT t.status, t.at FROM call_transitions t \
             JOIN calls c ON c.sid = t.call_sid \
             WHERE t.call_sid = $1 AND c.account_sid = $2 ORDER BY t.id LIMIT $3";
        self.require_call(account, call).await?;
        let rows: Vec<(String, i64)> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(call.to_string())
            .bind(account.to_string())
            .bind(MAX_TRANSITIONS)
            .fetch_all(pool)
            .await)
        .ctx("list call transitions")?;
        rows.into_iter()
            .map(|(s, at)| {
                Ok(CallTransition {
                    status: status(&s)?,
                    at: time(at, "call_transitions.at")?,
                })
            })
            .collect()
    }
}
