//! Turns an HTTP answer from the Graph API into a typed success body or a [`GraphFailure`].

use serde::de::DeserializeOwned;

use super::response::{ConnectResponse, SuccessResponse};
use crate::error::{GraphError, GraphFailure};

/// Decodes any documented success body, or the failure.
pub fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, GraphFailure> {
    if !(200..300).contains(&status) {
        return Err(match GraphError::parse(body) {
            Some(error) => GraphFailure::Graph { status, error },
            None => GraphFailure::Http { status },
        });
    }
    serde_json::from_slice(body).map_err(|error| GraphFailure::UnexpectedBody {
        status,
        reason: error.to_string(),
    })
}

/// Decodes the answer to `connect`; a body without a call id is a failure.
pub fn decode_connect(status: u16, body: &[u8]) -> Result<ConnectResponse, GraphFailure> {
    let response: ConnectResponse = decode(status, body)?;
    if response.call_id().is_none() {
        return Err(GraphFailure::UnexpectedBody {
            status,
            reason: "no call id in calls[]".to_owned(),
        });
    }
    Ok(response)
}

/// Decodes the answer to `pre_accept`/`accept`/`reject`/`terminate`; `success:false` is a failure.
pub fn decode_success(status: u16, body: &[u8]) -> Result<SuccessResponse, GraphFailure> {
    let response: SuccessResponse = decode(status, body)?;
    if !response.success {
        return Err(GraphFailure::UnexpectedBody {
            status,
            reason: "success is false".to_owned(),
        });
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::CallPermissionsResponse;

    #[test]
    fn successes_and_failures() {
        let ok = decode_connect(200, br#"{"calls":[{"id":"wacid.1"}]}"#).expect("ok");
        assert_eq!(ok.call_id(), Some("wacid.1"));
        assert!(matches!(
            decode_connect(200, br#"{"calls":[]}"#),
            Err(GraphFailure::UnexpectedBody { status: 200, .. })
        ));
        let refused = decode_connect(
            401,
            br#"{"error":{"message":"No permission","type":"OAuthException","code":138006,"fbtrace_id":"X"}}"#,
        )
        .expect_err("refused");
        let GraphFailure::Graph { status, error } = &refused else {
            panic!("expected a Graph error, got {refused:?}");
        };
        assert_eq!((*status, error.code), (401, Some(138_006)));
        assert_eq!(refused.classify().code.0, 37000);
        assert_eq!(
            decode_success(502, b"Bad Gateway"),
            Err(GraphFailure::Http { status: 502 })
        );
        assert!(matches!(
            decode_success(200, br#"{"success":false}"#),
            Err(GraphFailure::UnexpectedBody { .. })
        ));
        assert!(decode_success(200, br#"{"success":true}"#).is_ok());
        assert!(matches!(
            decode::<CallPermissionsResponse>(200, b"{"),
            Err(GraphFailure::UnexpectedBody { .. })
        ));
    }
}
