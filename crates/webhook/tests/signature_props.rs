//! Properties of signing: what Dialtone signs, its own validator accepts, and any change to the
//! URL, a parameter or the key is refused.

use dialtone_webhook::{
    Method, RequestValidator, SignatureAlgorithm, SignatureError, SigningKey, build_request,
    compute_signature,
};
use proptest::collection::btree_map;
use proptest::prelude::*;

const URL: &str = "https://app.test/voice?x=1";

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    btree_map("[A-Za-z][A-Za-z0-9]{0,11}", "\\PC{0,16}", 0..8)
        .prop_map(|map| map.into_iter().collect())
}

fn algorithm() -> impl Strategy<Value = SignatureAlgorithm> {
    prop_oneof![
        Just(SignatureAlgorithm::HmacSha1),
        Just(SignatureAlgorithm::HmacSha256)
    ]
}

proptest! {
    #[test]
    fn signed_then_validated(params in params(), algorithm in algorithm(), token in "[0-9a-f]{32}") {
        let signature = compute_signature(algorithm, token.as_bytes(), URL, params_ref(&params));
        let validator = RequestValidator::new(token.clone());
        prop_assert_eq!(validator.validate(algorithm, URL, params_ref(&params), &signature), Ok(()));
        // Parameter order never matters.
        let mut reversed = params.clone();
        reversed.reverse();
        prop_assert_eq!(validator.validate(algorithm, URL, params_ref(&reversed), &signature), Ok(()));
    }

    #[test]
    fn changing_a_value_breaks_it(
        params in params().prop_filter("need a parameter", |p| !p.is_empty()),
        index in any::<prop::sample::Index>(),
        suffix in "\\PC{1,4}",
    ) {
        let signature = compute_signature(SignatureAlgorithm::HmacSha1, b"token", URL, params_ref(&params));
        let mut changed = params.clone();
        let slot = index.index(changed.len());
        changed[slot].1.push_str(&suffix);
        prop_assert_eq!(
            RequestValidator::new("token").validate(SignatureAlgorithm::HmacSha1, URL, params_ref(&changed), &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn adding_or_removing_a_parameter_breaks_it(
        params in params().prop_filter("need a parameter", |p| !p.is_empty()),
        index in any::<prop::sample::Index>(),
        value in "\\PC{0,8}",
    ) {
        let v = RequestValidator::new("token");
        let sha1 = SignatureAlgorithm::HmacSha1;
        let signature = compute_signature(sha1, b"token", URL, params_ref(&params));
        let mut removed = params.clone();
        removed.remove(index.index(removed.len()));
        prop_assert_eq!(v.validate(sha1, URL, params_ref(&removed), &signature), Err(SignatureError::Mismatch));
        let mut added = params.clone();
        // `_` never appears in generated names, so this is a new parameter.
        added.push(("z_extra".to_owned(), value));
        prop_assert_eq!(v.validate(sha1, URL, params_ref(&added), &signature), Err(SignatureError::Mismatch));
    }

    #[test]
    fn changing_url_or_key_breaks_it(params in params(), path in "[a-z]{1,8}") {
        let sha1 = SignatureAlgorithm::HmacSha1;
        let signature = compute_signature(sha1, b"token", URL, params_ref(&params));
        let other_url = format!("https://app.test/{path}/voice?x=1");
        prop_assert_eq!(
            RequestValidator::new("token").validate(sha1, &other_url, params_ref(&params), &signature),
            Err(SignatureError::Mismatch)
        );
        prop_assert_eq!(
            RequestValidator::new("tokem").validate(sha1, URL, params_ref(&params), &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn built_requests_validate(params in params(), get in any::<bool>(), token in "[0-9a-f]{32}") {
        let method = if get { Method::Get } else { Method::Post };
        let key = SigningKey::auth_token(&token);
        let request = build_request(method, "https://app.test:8443/voice?x=1#rc=2", params_ref(&params), &key, "idem")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let signature = request.header("X-Twilio-Signature").unwrap_or_default();
        // What the receiving side sees: the URL, and for POST the decoded form body.
        let received: Vec<(String, String)> = request
            .body
            .as_deref()
            .map(|body| form_urlencoded::parse(body.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        prop_assert_eq!(
            RequestValidator::new(token).validate(SignatureAlgorithm::HmacSha1, &request.url, params_ref(&received), signature),
            Ok(())
        );
    }
}

fn params_ref(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}
