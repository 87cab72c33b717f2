//! Recording media: `GET .../Recordings/{RE}` or `{RE}.wav` (`audio/x-wav`, the stored
//! 8 kHz 16-bit PCM file) and `{RE}.mp3` (`audio/mpeg`, encoded on request with libmp3lame),
//! authenticated like every account resource (twilio-media.md §7.4).
//!
//! - Only a `completed` recording with stored media is served; otherwise 404 (20404).
//! - `RequestedChannels=1` mixes a dual recording down to mono; `=2` on a mono recording is
//!   400 (Twilio: dual is not available); anything else is 400 too.
//! - One byte range (`Range: bytes=a-b`, `a-`, `-n`) is answered 206 with `Content-Range`;
//!   an unsatisfiable one 416 with `Content-Range: bytes */len`; several ranges, or a header
//!   that is not a byte range, get the whole file (200), as RFC 9110 allows.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use dialtone_store::{Recording, RecordingStatus};

use crate::error::{ApiError, codes};
use crate::params::Params;
use crate::resources::recordings::Format;
use crate::state::ApiState;
use crate::target::Target;

/// A parsed `Range` header against a body of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeReq {
    /// No usable range: the whole body.
    Full,
    /// `[start, end]`, inclusive.
    Part(u64, u64),
    /// 416.
    Unsatisfiable,
}

/// Parses `Range` for a body of `len` bytes.
pub(crate) fn parse_range(header: Option<&str>, len: u64) -> RangeReq {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeReq::Full;
    };
    if spec.contains(',') {
        return RangeReq::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeReq::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => match parse(b) {
            Some(0) => RangeReq::Unsatisfiable,
            Some(n) if len > 0 => RangeReq::Part(len.saturating_sub(n), len - 1),
            Some(_) => RangeReq::Unsatisfiable,
            None => RangeReq::Full,
        },
        (false, _) => {
            let Some(start) = parse(a) else {
                return RangeReq::Full;
            };
            let end = if b.is_empty() {
                Some(u64::MAX)
            } else {
                parse(b)
            };
            match end {
                None => RangeReq::Full,
                Some(end) if end < start => RangeReq::Full,
                Some(_) if start >= len => RangeReq::Unsatisfiable,
                Some(end) => RangeReq::Part(start, end.min(len - 1)),
            }
        }
        (true, true) => RangeReq::Full,
    }
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Internal(Box::new(e))
}

fn bad_channels(value: &str) -> ApiError {
    ApiError::invalid(
        codes::INVALID_PARAMETER,
        format!("RequestedChannels {value:?} is not available for this recording"),
    )
}

/// Serves recording `r` as `format`.
pub(crate) async fn serve(
    state: &ApiState,
    target: &Target,
    r: &Recording,
    format: Format,
    headers: &HeaderMap,
    query: &Params,
) -> Result<Response, ApiError> {
    let (Some(files), Some(name), RecordingStatus::Completed) =
        (state.recordings.clone(), r.media.clone(), r.status)
    else {
        return Err(target.not_found());
    };
    let downmix = match query.get("RequestedChannels") {
        None => false,
        Some("1") => r.channels == 2,
        Some("2") if r.channels == 2 => false,
        Some(other) => return Err(bad_channels(other)),
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = match format {
        Format::Mp3 => "audio/mpeg",
        _ => "audio/x-wav",
    };
    // Plain WAV: read only the range asked for.
    if format != Format::Mp3 && !downmix {
        let len = match files.len(&name).await {
            Ok(len) => len,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(target.not_found()),
            Err(e) => return Err(internal(e)),
        };
        let want = parse_range(range.as_deref(), len);
        let (start, count) = match want {
            RangeReq::Full => (0, len),
            RangeReq::Part(a, b) => (a, b - a + 1),
            RangeReq::Unsatisfiable => return Ok(unsatisfiable(len)),
        };
        let bytes = files
            .read_range(&name, start, count)
            .await
            .map_err(internal)?;
        return Ok(respond(content_type, bytes, want, len));
    }
    // Transformed (downmix, MP3): the whole file, transformed, then the range cut.
    let wav = match files.len(&name).await {
        Ok(len) => files.read_range(&name, 0, len).await,
        Err(e) => Err(e),
    };
    let wav = match wav {
        Ok(w) => w,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(target.not_found()),
        Err(e) => return Err(internal(e)),
    };
    let body = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let wav = if downmix {
            crate::transcode::downmix(&wav)?
        } else {
            wav
        };
        match format {
            Format::Mp3 => crate::transcode::wav_to_mp3(&wav),
            _ => Ok(wav),
        }
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let len = body.len() as u64;
    let want = parse_range(range.as_deref(), len);
    Ok(match want {
        RangeReq::Full => respond(content_type, body, want, len),
        RangeReq::Part(a, b) => {
            let part =
                body[usize::try_from(a).unwrap_or(0)..=usize::try_from(b).unwrap_or(0)].to_vec();
            respond(content_type, part, want, len)
        }
        RangeReq::Unsatisfiable => unsatisfiable(len),
    })
}

fn respond(content_type: &'static str, bytes: Vec<u8>, range: RangeReq, total: u64) -> Response {
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, bytes.len());
    builder = match range {
        RangeReq::Part(a, b) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{total}")),
        _ => builder.status(StatusCode::OK),
    };
    builder
        .body(Body::from(bytes))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn unsatisfiable(len: u64) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    response
        .headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeReq::*;
        assert_eq!(parse_range(None, 10), Full);
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Part(0, 3));
        assert_eq!(parse_range(Some("bytes=4-"), 10), Part(4, 9));
        assert_eq!(parse_range(Some("bytes=4-100"), 10), Part(4, 9));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Part(7, 9));
        assert_eq!(parse_range(Some("bytes=-30"), 10), Part(0, 9));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10), Full);
        assert_eq!(parse_range(Some("items=0-1"), 10), Full);
        assert_eq!(parse_range(Some("bytes=5-2"), 10), Full);
        assert_eq!(parse_range(Some("bytes=x-2"), 10), Full);
    }
}
