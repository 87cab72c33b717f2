//! The GET subscription check every Meta webhook endpoint must answer: Meta sends
//! `hub.mode=subscribe`, the `hub.verify_token` configured in the app dashboard, and a
//! `hub.challenge` that must be echoed back as the body of a 200. Anything else gets a refusal.

use subtle::ConstantTimeEq as _;

/// Why a subscription check is refused (answer 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// `hub.mode` is missing or not `subscribe`.
    #[error("hub.mode must be subscribe")]
    Mode,
    /// `hub.verify_token` is missing or not the configured token (or none is configured).
    #[error("hub.verify_token does not match")]
    Token,
    /// `hub.challenge` is missing, empty, longer than 256 characters or not printable ASCII.
    #[error("hub.challenge missing or invalid")]
    Challenge,
}

/// Checks the decoded query pairs of the GET; returns the challenge to answer with.
pub fn verify_subscription<I, K, V>(
    query: I,
    verify_token: &str,
) -> Result<String, SubscriptionError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (key, value) in query {
        let slot = match key.as_ref() {
            "hub.mode" => &mut mode,
            "hub.verify_token" => &mut token,
            "hub.challenge" => &mut challenge,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.as_ref().to_owned());
        }
    }
    if mode.as_deref() != Some("subscribe") {
        return Err(SubscriptionError::Mode);
    }
    let token_ok = token.is_some_and(|token| {
        !verify_token.is_empty() && bool::from(token.as_bytes().ct_eq(verify_token.as_bytes()))
    });
    if !token_ok {
        return Err(SubscriptionError::Token);
    }
    challenge
        .filter(|c| !c.is_empty() && c.len() <= 256 && c.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(SubscriptionError::Challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)]) -> Result<String, SubscriptionError> {
        verify_subscription(pairs.iter().copied(), "s3cret-token")
    }

    #[test]
    fn a_correct_check_echoes_the_challenge() {
        assert_eq!(
            check(&[
                ("hub.mode", "subscribe"),
                ("hub.challenge", "1158201444"),
                ("hub.verify_token", "s3cret-token"),
            ]),
            Ok("1158201444".to_owned())
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            check(&[("hub.verify_token", "s3cret-token"), ("hub.challenge", "1")]),
            Err(SubscriptionError::Mode)
        );
        assert_eq!(
            check(&[
                ("hub.mode", "unsubscribe"),
                ("hub.verify_token", "s3cret-token"),
                ("hub.challenge", "1")
            ]),
            Err(SubscriptionError::Mode)
        );
        assert_eq!(
            check(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "wrong"),
                ("hub.challenge", "1")
            ]),
            Err(SubscriptionError::Token)
        );
        assert_eq!(
            check(&[("hub.mode", "subscribe"), ("hub.challenge", "1")]),
            Err(SubscriptionError::Token)
        );
        assert_eq!(
            check(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "s3cret-token")
            ]),
            Err(SubscriptionError::Challenge)
        );
        assert_eq!(
            check(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "s3cret-token"),
                ("hub.challenge", "<script>alert(1) </script>")
            ]),
            Err(SubscriptionError::Challenge)
        );
        assert_eq!(
            verify_subscription(
                [
                    ("hub.mode", "subscribe"),
                    ("hub.verify_token", ""),
                    ("hub.challenge", "1")
                ],
                ""
            ),
            Err(SubscriptionError::Token)
        );
    }
}
