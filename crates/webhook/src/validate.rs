//! Checking a received `X-Twilio-Signature`, as an application (or Dialtone's own test
//! receivers and simulated softphones) does.
//!
//! Mirrors twilio-python's `RequestValidator.validate`: the signature is accepted when it matches
//! the URL without its port or with the scheme's default port written out (Twilio's own back end
//! is inconsistent about ports), the comparison takes constant time, and a JSON body is checked
//! against the `bodySHA256` query parameter. One deliberate difference: removing the port keeps
//! any user info (`https://user:pass@host:8443/x` → `https://user:pass@host/x`), where
//! twilio-python's string split drops everything after the first `:`.

use subtle::ConstantTimeEq as _;

use crate::signature::{
    BODY_SHA256_PARAM, Secret, SignatureAlgorithm, body_sha256_hex, params_payload, sign_payload,
};
use crate::url_text;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature matches neither URL variant.
    #[error("X-Twilio-Signature does not match the URL and parameters")]
    Mismatch,
    /// A JSON-body request whose URL has no `bodySHA256` query parameter.
    #[error("the URL has no bodySHA256 query parameter")]
    MissingBodyHash,
    /// The body's SHA-256 differs from the URL's `bodySHA256`.
    #[error("bodySHA256 does not match the SHA-256 of the body")]
    BodyHashMismatch,
}

/// Validates webhook signatures made with one secret (Auth Token or SharedKey secret).
#[derive(Debug, Clone)]
pub struct RequestValidator {
    secret: Secret,
}

impl RequestValidator {
    /// A validator for `secret` (an Auth Token is passed as its UTF-8 bytes).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: Secret::new(secret),
        }
    }

    /// Checks a form (or GET) request: `url` is the full URL the request was sent to, `params`
    /// the POST form parameters (none for GET), `signature` the `X-Twilio-Signature` header.
    pub fn validate<I, K, V>(
        &self,
        algorithm: SignatureAlgorithm,
        url: &str,
        params: I,
        signature: &str,
    ) -> Result<(), SignatureError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.check(algorithm, url, &params_payload(params), signature)
    }

    /// Checks a JSON-body request: the body's SHA-256 must equal the URL's `bodySHA256`, and the
    /// signature covers the URL alone.
    pub fn validate_body(
        &self,
        algorithm: SignatureAlgorithm,
        url: &str,
        body: &[u8],
        signature: &str,
    ) -> Result<(), SignatureError> {
        let (without_fragment, _) = url_text::split_fragment(url);
        let claimed = url_text::query(without_fragment)
            .and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(name, _)| name == BODY_SHA256_PARAM)
                    .map(|(_, value)| value.into_owned())
            })
            .ok_or(SignatureError::MissingBodyHash)?;
        let hash_ok = bool::from(body_sha256_hex(body).as_bytes().ct_eq(claimed.as_bytes()));
        let signature_ok = self.check(algorithm, url, "", signature);
        if !hash_ok {
            return Err(SignatureError::BodyHashMismatch);
        }
        signature_ok
    }

    fn check(
        &self,
        algorithm: SignatureAlgorithm,
        url: &str,
        payload: &str,
        signature: &str,
    ) -> Result<(), SignatureError> {
        let (url, _) = url_text::split_fragment(url);
        let given = signature.trim().as_bytes();
        let secret = self.secret.expose();
        // Both variants are always computed, so timing does not reveal which one matched.
        let without = sign_payload(algorithm, secret, &url_text::without_port(url), payload);
        let with = sign_payload(
            algorithm,
            secret,
            &url_text::with_default_port(url),
            payload,
        );
        let matched = without.as_bytes().ct_eq(given) | with.as_bytes().ct_eq(given);
        if bool::from(matched) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::url_with_body_sha256;

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const SHA1: SignatureAlgorithm = SignatureAlgorithm::HmacSha1;

    fn params() -> [(&'static str, &'static str); 5] {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
    }

    fn validator() -> RequestValidator {
        RequestValidator::new("12345")
    }

    #[test]
    fn accepts_the_reference_signature() {
        assert_eq!(
            validator().validate(SHA1, URL, params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
        assert_eq!(
            validator().validate(SHA1, URL, params(), " RSOYDt4T1cUTdK1PDd93/VVr8B8=\n"),
            Ok(())
        );
    }

    #[test]
    fn accepts_with_and_without_the_default_port() {
        // Signed with :443, received without a port, and the other way round.
        assert_eq!(
            validator().validate(SHA1, URL, params(), "kvajT1Ptam85bY51eRf/AJRuM3w="),
            Ok(())
        );
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(
            validator().validate(SHA1, with_port, params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Ok(())
        );
        let http = "http://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            validator().validate(SHA1, http, params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="),
            Ok(())
        );
        let custom = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            validator().validate(SHA1, custom, params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
            Ok(())
        );
    }

    #[test]
    fn refuses_wrong_signatures_tokens_and_params() {
        let v = validator();
        assert_eq!(
            v.validate(SHA1, URL, params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v.validate(SHA1, URL, params(), ""),
            Err(SignatureError::Mismatch)
        );
        let mut changed = params();
        changed[2].1 = "1235";
        assert_eq!(
            v.validate(SHA1, URL, changed, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            RequestValidator::new("12346").validate(
                SHA1,
                URL,
                params(),
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Err(SignatureError::Mismatch)
        );
        // An explicit non-default port is not replaced by the default one.
        let custom = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
        assert_eq!(
            v.validate(SHA1, custom, params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v.validate(
                SHA1,
                "http://mycompany.com:8080/myapp.php?foo=1&bar=2",
                params(),
                "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn multi_value_vector() {
        let params = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ];
        assert_eq!(
            validator().validate(SHA1, URL, params, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
            Ok(())
        );
    }

    #[test]
    fn sha256_signatures_need_the_sha256_algorithm() {
        let sig = "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s=";
        assert_eq!(
            validator().validate(SignatureAlgorithm::HmacSha256, URL, params(), sig),
            Ok(())
        );
        assert_eq!(
            validator().validate(SHA1, URL, params(), sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn json_body_vector() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let url = url_with_body_sha256(URL, body);
        let v = validator();
        assert_eq!(
            v.validate_body(SHA1, &url, body, "a9nBmqA0ju/hNViExpshrM61xv4="),
            Ok(())
        );
        assert_eq!(
            v.validate_body(
                SHA1,
                &url,
                br#"{"property": "value", "boolean": false}"#,
                "a9nBmqA0ju/hNViExpshrM61xv4="
            ),
            Err(SignatureError::BodyHashMismatch)
        );
        assert_eq!(
            v.validate_body(SHA1, &url, body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v.validate_body(SHA1, URL, body, "a9nBmqA0ju/hNViExpshrM61xv4="),
            Err(SignatureError::MissingBodyHash)
        );
    }
}
