//! No input panics: arbitrary URLs, fragments, parameters, headers and responses only ever
//! produce values or errors.

use dialtone_webhook::{
    Method, ReceivedResponse, RequestValidator, SignatureAlgorithm, SignatureError, SigningKey,
    build_request, classify_response, split_configured_url,
};
use proptest::prelude::*;

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(https?|HTTP|ftp)://[a-zA-Z0-9@:\\[\\]%.]{0,20}(:[0-9a-z]{0,6})?[/?#&=a-z0-9%:]{0,30}",
        "https://app\\.test/x#[a-z]{0,3}=[a-z0-9,%]{0,8}(&[a-z]{0,3}=[a-z0-9,%]{0,8}){0,4}",
    ]
}

proptest! {
    #[test]
    fn requests_and_overrides(url in url(), params in proptest::collection::vec((any::<String>(), any::<String>()), 0..4), get in any::<bool>(), token in any::<String>()) {
        let _ = split_configured_url(&url);
        let method = if get { Method::Get } else { Method::Post };
        let key = SigningKey::auth_token("12345");
        if let Ok(request) = build_request(method, &url, params.iter().map(|(n, v)| (n.as_str(), v.as_str())), &key, &token) {
            prop_assert!(!request.url.contains('#'));
            prop_assert!(request.header("X-Twilio-Signature").is_some());
        }
    }

    #[test]
    fn validation(url in url(), signature in any::<String>(), body in any::<Vec<u8>>(), header in any::<Option<String>>()) {
        let algorithm = SignatureAlgorithm::from_settings_header(header.as_deref()).unwrap_or_default();
        let validator = RequestValidator::new("12345");
        let verdict = validator.validate(algorithm, &url, [("a", "b")], &signature);
        if signature.trim().is_empty() {
            prop_assert_eq!(verdict, Err(SignatureError::Mismatch));
        }
        let _ = validator.validate_body(algorithm, &url, &body, &signature);
    }

    #[test]
    fn responses(status in any::<u16>(), content_type in any::<Option<String>>(), body in any::<Vec<u8>>()) {
        let response = ReceivedResponse { status, content_type: content_type.as_deref(), body: &body };
        if let Err(failure) = classify_response(&response) {
            prop_assert!((11000..13000).contains(&failure.code().0));
        }
    }
}
