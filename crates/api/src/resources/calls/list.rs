//! `GET .../Calls.json` with Twilio's filters.
//!
//! Filters: `To`, `From`, `ParentCallSid`, `Status`, and `StartTime`/`EndTime` with their
//! `<` (on or before) and `>` (on or after) forms, as `YYYY-MM-DD` or
//! `YYYY-MM-DDTHH:MM:SSZ` (twilio-python sends the latter). Filters the client sent are
//! carried into every page URI so `next_page_uri` keeps them.

use axum::Json;
use axum::extract::State;
use dialtone_store::{CallFilter, DateOp, TimeRange};
use dialtone_types::{CallStatus, Sid, SidKind};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::paging::{Paging, envelope};
use crate::params::{Params, Query};
use crate::render::account_base;
use crate::state::ApiState;

const FILTERS: [&str; 10] = [
    "To",
    "From",
    "ParentCallSid",
    "Status",
    "StartTime",
    "StartTime<",
    "StartTime>",
    "EndTime",
    "EndTime<",
    "EndTime>",
];

fn invalid(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::invalid(
        codes::INVALID_PARAMETER,
        format!("Invalid {name} {value:?}: expected {expected}"),
    )
}

fn constrain(range: &mut TimeRange, op: DateOp, name: &str, value: &str) -> Result<(), ApiError> {
    range
        .constrain(op, value)
        .map_err(|_| invalid(name, value, "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"))
}

fn call_filter(p: &Params) -> Result<CallFilter, ApiError> {
    let mut filter = CallFilter {
        to: p.get("To").map(str::to_owned),
        from: p.get("From").map(str::to_owned),
        ..CallFilter::default()
    };
    if let Some(v) = p.get("ParentCallSid") {
        filter.parent_call_sid = Some(
            Sid::parse_kind(v, SidKind::Call)
                .map_err(|_| invalid("ParentCallSid", v, "a call SID"))?,
        );
    }
    if let Some(v) = p.get("Status") {
        let status: CallStatus = v
            .parse()
            .map_err(|_| invalid("Status", v, "a call status such as completed"))?;
        filter.status = Some(status);
    }
    for (name, op) in [
        ("StartTime", DateOp::On),
        ("StartTime<", DateOp::OnOrBefore),
        ("StartTime>", DateOp::OnOrAfter),
    ] {
        if let Some(v) = p.get(name) {
            constrain(&mut filter.start_time, op, name, v)?;
        }
    }
    for (name, op) in [
        ("EndTime", DateOp::On),
        ("EndTime<", DateOp::OnOrBefore),
        ("EndTime>", DateOp::OnOrAfter),
    ] {
        if let Some(v) = p.get(name) {
            constrain(&mut filter.end_time, op, name, v)?;
        }
    }
    Ok(filter)
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let filter = call_filter(&query)?;
    let paging = Paging::from_params(&query)?;
    let page = state
        .store
        .list_calls(caller.account, &filter, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let records = page.items.iter().map(super::call_json).collect();
    let path = format!("{}/Calls.json", account_base(caller.account));
    let filters: Vec<(&str, &str)> = FILTERS
        .iter()
        .filter_map(|name| query.get(name).map(|v| (*name, v)))
        .collect();
    Ok(Json(envelope(
        "calls", records, &paging, page.next, &path, &filters,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::UnixMillis;

    #[test]
    fn reads_filters() {
        let f = call_filter(&Params::parse(
            b"To=%2B15551112222&Status=in-progress&StartTime%3E=2024-01-01&StartTime%3C=2024-01-31T10:00:00Z",
        ))
        .unwrap();
        assert_eq!(f.to.as_deref(), Some("+15551112222"));
        assert_eq!(f.status, Some(CallStatus::InProgress));
        assert_eq!(f.start_time.from, Some(UnixMillis(1_704_067_200_000)));
        assert_eq!(f.start_time.before, Some(UnixMillis(1_706_695_201_000)));
        for bad in ["Status=bogus", "ParentCallSid=CA1", "EndTime=yesterday"] {
            let e = call_filter(&Params::parse(bad.as_bytes())).unwrap_err();
            assert_eq!(
                e.status_and_code().1,
                Some(codes::INVALID_PARAMETER),
                "{bad}"
            );
        }
    }
}
