//! Graph requests as plain data: method, path, headers and JSON body, ready for whatever HTTP
//! client the runtime uses. Building a request checks what Meta would refuse anyway (opaque data
//! over 512 characters, an SDP without ICE or fingerprint), so such calls fail before any IO.

use std::fmt;

use dialtone_types::E164;

use super::body::{CallAction, CallRequest, MAX_OPAQUE_DATA_CHARS, SdpType, Session};
use crate::sdp::{self, SdpError};

/// Meta's Graph API host.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
/// The Graph version used unless configured (calling needs v17.0 or later).
pub const DEFAULT_GRAPH_VERSION: &str = "v24.0";

/// Where and as whom to call the Graph API.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphConfig {
    base_url: String,
    version: String,
    access_token: String,
}

impl fmt::Debug for GraphConfig {
    /// The access token is a secret and never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

/// Why a configuration or a request was refused before any IO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The base URL is not `http://` or `https://` followed by a host.
    #[error("Graph URL must start with http:// or https://")]
    BaseUrl,
    /// The version is not `v` + major + `.` + minor, e.g. `v24.0`.
    #[error("Graph version must look like v24.0")]
    Version,
    /// The access token is empty or contains whitespace or control characters.
    #[error("access token must be non-empty and without whitespace")]
    AccessToken,
    /// A phone-number id or call id that is empty or not URL-safe.
    #[error("invalid {0} (empty or not URL-safe)")]
    Id(&'static str),
    /// `biz_opaque_callback_data` over 512 characters.
    #[error("biz_opaque_callback_data has {0} characters (at most 512)")]
    OpaqueDataTooLong(usize),
    /// The SDP does not fit Meta's profile.
    #[error(transparent)]
    Sdp(#[from] SdpError),
}

impl GraphConfig {
    /// A configuration; `base_url` without a trailing `/` (one is tolerated).
    pub fn new(base_url: &str, version: &str, access_token: &str) -> Result<Self, RequestError> {
        let base_url = base_url.trim_end_matches('/');
        let host = base_url
            .strip_prefix("https://")
            .or_else(|| base_url.strip_prefix("http://"))
            .ok_or(RequestError::BaseUrl)?;
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RequestError::BaseUrl);
        }
        if !is_version(version) {
            return Err(RequestError::Version);
        }
        if access_token.is_empty()
            || access_token
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(RequestError::AccessToken);
        }
        Ok(Self {
            base_url: base_url.to_owned(),
            version: version.to_owned(),
            access_token: access_token.to_owned(),
        })
    }

    /// The base URL, without trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Graph version, e.g. `v24.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// An authorized request for `path` (below the base URL, starting with `/{version}`), with
    /// a JSON `body` for a POST.
    pub fn request(&self, method: HttpMethod, path: String, body: Option<Vec<u8>>) -> HttpRequest {
        let mut headers = vec![("Authorization", format!("Bearer {}", self.access_token))];
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        HttpRequest {
            method,
            url: format!("{}{path}", self.base_url),
            path,
            headers,
            body,
        }
    }
}

fn is_version(version: &str) -> bool {
    let Some((major, minor)) = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

fn is_url_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 512
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'=' | b'~'))
}

/// GET or POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl HttpMethod {
    /// `GET` or `POST`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One HTTP request for the IO layer to send.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// The full URL.
    pub url: String,
    /// The path and query below the base URL, e.g. `/v24.0/1234/calls`.
    pub path: String,
    /// Headers: `Authorization: Bearer …`, and `Content-Type` when there is a body.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body of a POST.
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for HttpRequest {
    /// The `Authorization` header is redacted; bodies are shown by length (they carry numbers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if *name == "Authorization" {
                    (*name, "<redacted>")
                } else {
                    (*name, value.as_str())
                }
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

/// Builds the calling requests of one business phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphRequests {
    config: GraphConfig,
    phone_number_id: String,
}

impl GraphRequests {
    /// Requests for `phone_number_id` (Meta's id of the business number).
    pub fn new(config: GraphConfig, phone_number_id: &str) -> Result<Self, RequestError> {
        if !is_url_safe_id(phone_number_id) {
            return Err(RequestError::Id("phone-number id"));
        }
        Ok(Self {
            config,
            phone_number_id: phone_number_id.to_owned(),
        })
    }

    /// Meta's id of the business number.
    pub fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }

    /// Where and as whom the requests go.
    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// `connect`: call `to` with `sdp_offer` (checked, normalised to CRLF).
    pub fn connect(
        &self,
        to: &E164,
        sdp_offer: &str,
        biz_opaque_callback_data: Option<&str>,
    ) -> Result<HttpRequest, RequestError> {
        let opaque = checked_opaque(biz_opaque_callback_data)?;
        let session = checked_session(sdp_offer, SdpType::Offer)?;
        self.call(&CallRequest::new(CallAction::Connect {
            to: digits(to),
            session,
            biz_opaque_callback_data: opaque,
        }))
    }

    /// `pre_accept`: send the answer to a user-initiated call before accepting it.
    pub fn pre_accept(&self, call_id: &str, sdp_answer: &str) -> Result<HttpRequest, RequestError> {
        let session = checked_session(sdp_answer, SdpType::Answer)?;
        self.call(&CallRequest::new(CallAction::PreAccept {
            call_id: call_id.to_owned(),
            session,
        }))
    }

    /// `accept`: accept a user-initiated call (same SDP as `pre_accept`).
    pub fn accept(
        &self,
        call_id: &str,
        sdp_answer: &str,
        biz_opaque_callback_data: Option<&str>,
    ) -> Result<HttpRequest, RequestError> {
        let opaque = checked_opaque(biz_opaque_callback_data)?;
        let session = checked_session(sdp_answer, SdpType::Answer)?;
        self.call(&CallRequest::new(CallAction::Accept {
            call_id: call_id.to_owned(),
            session,
            biz_opaque_callback_data: opaque,
        }))
    }

    /// `reject`: decline a user-initiated call.
    pub fn reject(&self, call_id: &str) -> Result<HttpRequest, RequestError> {
        self.call(&CallRequest::new(CallAction::Reject {
            call_id: call_id.to_owned(),
        }))
    }

    /// `terminate`: end a call.
    pub fn terminate(&self, call_id: &str) -> Result<HttpRequest, RequestError> {
        self.call(&CallRequest::new(CallAction::Terminate {
            call_id: call_id.to_owned(),
        }))
    }

    /// Any calls-endpoint body, as given (no SDP or length checks).
    pub fn call(&self, request: &CallRequest) -> Result<HttpRequest, RequestError> {
        if let Some(call_id) = request.action.call_id()
            && !is_url_safe_id(call_id)
        {
            return Err(RequestError::Id("call id"));
        }
        let path = format!("/{}/{}/calls", self.config.version, self.phone_number_id);
        // Serializing plain strings and enums to JSON cannot fail.
        let body = serde_json::to_vec(request).unwrap_or_default();
        Ok(self.request(HttpMethod::Post, path, Some(body)))
    }

    /// `GET /{phone-number-id}/call_permissions?user_wa_id=<digits>`.
    pub fn call_permissions(&self, user: &E164) -> HttpRequest {
        let path = format!(
            "/{}/{}/call_permissions?user_wa_id={}",
            self.config.version,
            self.phone_number_id,
            digits(user)
        );
        self.request(HttpMethod::Get, path, None)
    }

    fn request(&self, method: HttpMethod, path: String, body: Option<Vec<u8>>) -> HttpRequest {
        self.config.request(method, path, body)
    }
}

/// A WhatsApp id as Meta writes it: the E.164 digits without `+`.
pub fn digits(number: &E164) -> String {
    number.as_str().trim_start_matches('+').to_owned()
}

fn checked_opaque(data: Option<&str>) -> Result<Option<String>, RequestError> {
    match data {
        Some(data) if data.chars().count() > MAX_OPAQUE_DATA_CHARS => {
            Err(RequestError::OpaqueDataTooLong(data.chars().count()))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

fn checked_session(sdp_text: &str, sdp_type: SdpType) -> Result<Session, RequestError> {
    let sdp_text = sdp::to_crlf(sdp_text);
    sdp::check(&sdp_text, sdp_type)?;
    Ok(Session {
        sdp_type,
        sdp: sdp_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{BUSINESS_OFFER, META_ANSWER};
    use crate::sdp::SdpProblem;
    use serde_json::{Value, json};

    fn requests() -> GraphRequests {
        let config = GraphConfig::new("http://127.0.0.1:8080/sim/graph/", "v23.0", "EAAtoken")
            .expect("valid config");
        GraphRequests::new(config, "106540352242922").expect("valid id")
    }

    fn body(request: &HttpRequest) -> Value {
        serde_json::from_slice(request.body.as_deref().expect("body")).expect("json")
    }

    #[test]
    fn connect_request_is_complete() {
        let to = E164::parse("+14085551234").expect("e164");
        let request = requests()
            .connect(&to, &BUSINESS_OFFER.replace("\r\n", "\n"), Some("CA01"))
            .expect("built");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.path, "/v23.0/106540352242922/calls");
        assert_eq!(
            request.url,
            "http://127.0.0.1:8080/sim/graph/v23.0/106540352242922/calls"
        );
        assert_eq!(
            request.headers,
            vec![
                ("Authorization", "Bearer EAAtoken".to_owned()),
                ("Content-Type", "application/json".to_owned())
            ]
        );
        assert_eq!(
            body(&request),
            json!({"messaging_product": "whatsapp", "action": "connect", "to": "14085551234",
                   "session": {"sdp_type": "offer", "sdp": BUSINESS_OFFER},
                   "biz_opaque_callback_data": "CA01"})
        );
    }

    #[test]
    fn answer_actions_and_call_id_actions() {
        let requests = requests();
        let pre = requests
            .pre_accept("wacid.ABC=", META_ANSWER)
            .expect("built");
        assert_eq!(body(&pre)["action"], "pre_accept");
        assert_eq!(body(&pre)["session"]["sdp_type"], "answer");
        let accept = requests
            .accept("wacid.ABC=", META_ANSWER, None)
            .expect("built");
        assert_eq!(body(&accept)["call_id"], "wacid.ABC=");
        assert_eq!(body(&accept).get("biz_opaque_callback_data"), None);
        let reject = requests.reject("wacid.ABC=").expect("built");
        assert_eq!(
            body(&reject),
            json!({"messaging_product": "whatsapp", "action": "reject", "call_id": "wacid.ABC="})
        );
        let terminate = requests.terminate("wacid.ABC=").expect("built");
        assert_eq!(body(&terminate)["action"], "terminate");
        assert_eq!(
            requests.terminate("wacid/../x"),
            Err(RequestError::Id("call id"))
        );
        assert_eq!(requests.reject(""), Err(RequestError::Id("call id")));
    }

    #[test]
    fn permissions_request_is_a_get_without_body() {
        let user = E164::parse("+5511987654321").expect("e164");
        let request = requests().call_permissions(&user);
        assert_eq!(request.method, HttpMethod::Get);
        assert_eq!(
            request.path,
            "/v23.0/106540352242922/call_permissions?user_wa_id=5511987654321"
        );
        assert_eq!(
            request.headers,
            vec![("Authorization", "Bearer EAAtoken".to_owned())]
        );
        assert_eq!(request.body, None);
    }

    #[test]
    fn bad_inputs_are_refused_before_io() {
        let to = E164::parse("+14085551234").expect("e164");
        let long = "x".repeat(513);
        assert_eq!(
            requests().connect(&to, BUSINESS_OFFER, Some(&long)),
            Err(RequestError::OpaqueDataTooLong(513))
        );
        assert!(
            requests()
                .connect(&to, BUSINESS_OFFER, Some(&"x".repeat(512)))
                .is_ok()
        );
        let no_ice = BUSINESS_OFFER.replace("a=ice-ufrag:dTn1\r\n", "");
        assert_eq!(
            requests().connect(&to, &no_ice, None),
            Err(RequestError::Sdp(SdpError {
                problems: vec![SdpProblem::IceUfrag]
            }))
        );
        assert_eq!(
            GraphConfig::new("ftp://x", "v23.0", "t"),
            Err(RequestError::BaseUrl)
        );
        assert_eq!(
            GraphConfig::new("https://", "v23.0", "t"),
            Err(RequestError::BaseUrl)
        );
        assert_eq!(
            GraphConfig::new("https://graph.facebook.com", "23.0", "t"),
            Err(RequestError::Version)
        );
        assert_eq!(
            GraphConfig::new("https://graph.facebook.com", "v23.0", "a b"),
            Err(RequestError::AccessToken)
        );
        let config = GraphConfig::new(DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, "t").expect("ok");
        assert_eq!(
            GraphRequests::new(config, "12/34"),
            Err(RequestError::Id("phone-number id"))
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let request = requests().reject("wacid.A").expect("built");
        let shown = format!("{request:?} {:?}", requests());
        assert!(!shown.contains("EAAtoken"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
