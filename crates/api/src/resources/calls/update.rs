//! Checking `POST .../Calls/{Sid}.json`: redirect (`Url`/`Twiml` with `Method`), end
//! (`Status=completed|canceled`) and the callback and limit options.

use crate::control::{CallSource, CallUpdateRequest, TargetStatus};
use crate::error::{ApiError, codes};
use crate::params::Params;
use crate::validate::{http_url, method_param, seconds_param, url_param};

/// Longest `TimeLimit` (24 hours).
const MAX_TIME_LIMIT: u32 = 86_400;

pub(super) fn call_update_request(p: &Params) -> Result<CallUpdateRequest, ApiError> {
    let redirect = if let Some(url) = p.get("Url") {
        let url = http_url(url).ok_or_else(|| {
            ApiError::invalid(codes::INVALID_URL, format!("Url is not a valid URL: {url}"))
        })?;
        Some(CallSource::Url(url))
    } else if let Some(twiml) = p.get("Twiml") {
        super::create::check_twiml(twiml)?;
        Some(CallSource::Twiml(twiml.to_owned()))
    } else {
        None
    };
    let status = match p.get("Status") {
        None => None,
        Some("completed") => Some(TargetStatus::Completed),
        Some("canceled") => Some(TargetStatus::Canceled),
        Some(other) => {
            return Err(ApiError::invalid(
                codes::INVALID_PARAMETER,
                format!("Status is not valid: {other:?}. Use completed or canceled"),
            ));
        }
    };
    Ok(CallUpdateRequest {
        redirect,
        method: method_param(p, "Method")?.unwrap_or_default(),
        status,
        fallback_url: url_param(p, "FallbackUrl")?,
        fallback_method: method_param(p, "FallbackMethod")?,
        status_callback: url_param(p, "StatusCallback")?,
        status_callback_method: method_param(p, "StatusCallbackMethod")?,
        time_limit: seconds_param(p, "TimeLimit", 1..=MAX_TIME_LIMIT, codes::INVALID_PARAMETER)?,
    })
}

/// 21220 for an update of a call that has ended, worded as Twilio words it.
pub(super) fn invalid_state(request: &CallUpdateRequest) -> ApiError {
    let what = if request.redirect.is_some() {
        "redirect"
    } else {
        "update"
    };
    ApiError::invalid(
        dialtone_types::TwilioCode::INVALID_CALL_STATE,
        format!("Call is not in-progress. Cannot {what}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_twiml::Method;

    #[test]
    fn reads_updates() {
        let r = call_update_request(&Params::parse(
            b"Url=https%3A%2F%2Fa.test%2Fx&Twiml=ignored&Method=GET&Status=completed",
        ))
        .unwrap();
        assert_eq!(
            r.redirect,
            Some(CallSource::Url("https://a.test/x".parse().unwrap()))
        );
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.status, Some(TargetStatus::Completed));
        assert!(call_update_request(&Params::default()).unwrap().is_empty());
        let e = call_update_request(&Params::parse(b"Status=ringing")).unwrap_err();
        assert_eq!(e.status_and_code().1, Some(codes::INVALID_PARAMETER));
    }
}
