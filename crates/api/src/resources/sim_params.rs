//! Form parameters every simulated device of `/sim/v1` takes (softphones under `Clients`,
//! WhatsApp users under `WhatsAppUsers`): `Behavior`, `AnswerAfter`, `HangupAfter` and `Digits`,
//! parsed and bounded the same way so both resources answer the same errors; and `Audio`
//! (WhatsApp users for now).

use std::time::Duration;

use dialtone_types::SimulatedAudio;

use crate::control::Behavior;
use crate::error::{ApiError, codes};
use crate::params::Params;

/// Longest ring or talk time a simulated device accepts, in seconds (one day).
const MAX_SECONDS: f64 = 86_400.0;
/// Most DTMF digits a simulated device presses.
const MAX_DIGITS: usize = 256;

/// A 400 with code 21218 (invalid parameter).
pub(crate) fn invalid(message: String) -> ApiError {
    ApiError::invalid(codes::INVALID_PARAMETER, message)
}

/// `Behavior`; `answer` when absent.
pub(crate) fn behavior(p: &Params) -> Result<Behavior, ApiError> {
    choice(
        p,
        "Behavior",
        Behavior::parse,
        "answer, busy, reject, no-answer or unreachable",
    )
}

/// Parameter `name`, one of the values `parse` accepts (listed in `choices` for the error);
/// the default when absent.
pub(crate) fn choice<T: Default>(
    p: &Params,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
    choices: &str,
) -> Result<T, ApiError> {
    p.get(name).map_or_else(
        || Ok(T::default()),
        |v| parse(v).ok_or_else(|| invalid(format!("{name} is not valid: {v:?}. Use {choices}"))),
    )
}

/// `Digits`: 0-9, `*`, `#`, A-D and the `w`/`W` pauses, at most [`MAX_DIGITS`].
pub(crate) fn digits(p: &Params) -> Result<Option<String>, ApiError> {
    let Some(d) = p.get("Digits") else {
        return Ok(None);
    };
    let ok = d.len() <= MAX_DIGITS
        && d.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'#' | b'w' | b'W' | b'A'..=b'D'));
    if ok {
        Ok(Some(d.to_owned()))
    } else {
        Err(invalid(format!(
            "Digits is not valid: {d:?} (0-9, *, #, A-D, w and W; at most {MAX_DIGITS})"
        )))
    }
}

/// `Audio`: `silence` (when absent), `tone:HZ` or the `http(s)` URL of a WAV file.
pub(crate) fn audio(p: &Params) -> Result<SimulatedAudio, ApiError> {
    p.get("Audio").map_or(Ok(SimulatedAudio::Silence), |v| {
        SimulatedAudio::parse(v).map_err(|e| invalid(e.to_string()))
    })
}

/// `AnswerAfter`; one second when absent.
pub(crate) fn answer_after(p: &Params) -> Result<Duration, ApiError> {
    Ok(seconds(p, "AnswerAfter")?.unwrap_or(Duration::from_secs(1)))
}

/// `ReplyAfter`; one second when absent.
pub(crate) fn reply_after(p: &Params) -> Result<Duration, ApiError> {
    Ok(seconds(p, "ReplyAfter")?.unwrap_or(Duration::from_secs(1)))
}

/// `HangupAfter`; `None` (stays on the call) when absent.
pub(crate) fn hangup_after(p: &Params) -> Result<Option<Duration>, ApiError> {
    seconds(p, "HangupAfter")
}

/// A number of seconds, fractional, from 0 to [`MAX_SECONDS`].
fn seconds(p: &Params, name: &str) -> Result<Option<Duration>, ApiError> {
    p.get(name)
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && (0.0..=MAX_SECONDS).contains(s))
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    invalid(format!(
                        "{name} must be a number of seconds between 0 and {MAX_SECONDS}: {v:?}"
                    ))
                })
        })
        .transpose()
}
