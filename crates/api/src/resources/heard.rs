//! `GET /sim/v1/Calls/{CallSid}/Heard.wav`: what the simulated party at the far end of a
//! Dialtone call heard, so a test can check the audio a call really carried.
//!
//! The CallSid is looked up in the store for the credentials' account first, so another
//! account's call, an unknown CallSid and a malformed one all answer the same 20404. The
//! simulated parties then find theirs from the call's record (see
//! [`SimulatedParties::heard`], which decodes, on a blocking thread); a call with no simulated
//! party (or whose audio is no longer kept) is 404 with code 20404 too. The body is a WAV file:
//! 16-bit PCM, mono, at the rate the simulator keeps (16 kHz), from the party's media
//! connection to now (or to its end).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialtone_types::{SidKind, TwilioCode};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::simulator::{DialtoneCall, HeardAudio};
use crate::state::ApiState;
use crate::target::Target;

/// The route's path.
pub(crate) const PATH: &str = "/sim/v1/Calls/{call}/Heard.wav";

pub(crate) async fn heard(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Response, ApiError> {
    let sid = target.sid("call", SidKind::Call)?;
    let call = state
        .store
        .fetch_call(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    let call = DialtoneCall {
        sid,
        from: call.from,
        to: call.to,
        direction: call.direction,
        created: call.date_created,
    };
    let found = match state.heard.clone() {
        None => None,
        Some(parties) => {
            let account = caller.account;
            tokio::task::spawn_blocking(move || parties.heard(account, &call))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::from)?
        }
    };
    let Some(audio) = found else {
        return Err(ApiError::Refused {
            status: StatusCode::NOT_FOUND,
            code: TwilioCode::NOT_FOUND,
            message: format!("No simulated party heard call {sid}"),
        });
    };
    Ok(([(header::CONTENT_TYPE, "audio/x-wav")], wav(&audio)).into_response())
}

/// A canonical 44-byte-header WAV: 16-bit PCM, mono.
fn wav(audio: &HeardAudio) -> Vec<u8> {
    // Ten minutes at 16 kHz is far below the 4 GiB a RIFF size holds; saturate regardless.
    let data = u32::try_from(audio.samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + audio.samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16_u32.to_le_bytes());
    out.extend_from_slice(&1_u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1_u16.to_le_bytes()); // mono
    out.extend_from_slice(&audio.rate.to_le_bytes());
    out.extend_from_slice(&(audio.rate.saturating_mul(2)).to_le_bytes());
    out.extend_from_slice(&2_u16.to_le_bytes()); // block align
    out.extend_from_slice(&16_u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in &audio.samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_mono_16_bit_wav() {
        let bytes = wav(&HeardAudio {
            rate: 16_000,
            samples: vec![1, -2, 300],
        });
        assert_eq!(bytes.len(), 44 + 6);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 42);
        assert_eq!(
            u32::from_le_bytes(bytes[24..28].try_into().unwrap()),
            16_000
        );
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()), 6);
        assert_eq!(&bytes[44..], &[1, 0, 0xfe, 0xff, 0x2c, 0x01]);
    }
}
