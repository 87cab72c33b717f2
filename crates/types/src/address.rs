//! Twilio's address forms for `From`/`To`: `+E164`, `client:alice`, `whatsapp:+E164`, `sip:...`.

use std::fmt;
use std::str::FromStr;

/// An E.164 number: `+`, a non-zero first digit, at most 15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

/// Why a string is not a valid address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not `+` followed by 2 to 15 digits, the first not zero.
    #[error("not an E.164 number (+ and up to 15 digits)")]
    NotE164,
    /// `client:` with an empty, too long (> 256) or non-printable identity.
    #[error("invalid client identity")]
    ClientIdentity,
    /// `sip:` URI that is empty after the scheme.
    #[error("invalid SIP URI")]
    SipUri,
    /// Empty string.
    #[error("empty address")]
    Empty,
}

impl E164 {
    /// Parses strict E.164 (`+` then 2–15 digits, first digit not 0).
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let digits = s.strip_prefix('+').ok_or(AddressError::NotE164)?;
        let ok = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(AddressError::NotE164)
        }
    }

    /// The number with its `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for E164 {
    /// Redacted: phone numbers are personal data and must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", crate::Redacted(self.as_str()))
    }
}

/// A call endpoint in one of Twilio's address forms.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A phone number (PSTN): `+14155550100`.
    Phone(E164),
    /// A Voice SDK softphone: `client:alice`.
    Client(String),
    /// A WhatsApp user or sender: `whatsapp:+14155550100`.
    WhatsApp(E164),
    /// A SIP URI: `sip:alice@example.com`.
    Sip(String),
    /// Text that is none of the forms above, kept exactly as sent: the `To` a Voice SDK
    /// client chose for a call into a TwiML App (`support`, `queue-7`, or empty). Twilio
    /// passes it to the application unvalidated; it is never dialed. Only
    /// [`Address::as_sent`] makes one: parsing (`FromStr`) never does.
    Text(String),
}

impl Address {
    /// `text` as an address if it is one of Twilio's forms (exactly as [`FromStr`] reads
    /// it), else [`Address::Text`] with `text` unchanged. Never fails, and always shows as
    /// `text` again.
    pub fn as_sent(text: &str) -> Self {
        text.parse().unwrap_or_else(|_| Self::Text(text.to_owned()))
    }

    /// True for the forms a call can be placed to (everything but [`Address::Text`]).
    pub fn is_dialable(&self) -> bool {
        !matches!(self, Self::Text(_))
    }

    /// True for PSTN phone numbers, which may never be bridged to WhatsApp.
    pub fn is_pstn(&self) -> bool {
        matches!(self, Self::Phone(_))
    }

    /// True for `whatsapp:` addresses.
    pub fn is_whatsapp(&self) -> bool {
        matches!(self, Self::WhatsApp(_))
    }
}

/// Checks a Voice SDK identity: 1–256 characters, no control characters or whitespace.
pub(crate) fn valid_client_identity(identity: &str) -> bool {
    !identity.is_empty()
        && identity.chars().count() <= 256
        && !identity
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        if let Some(identity) = s.strip_prefix("client:") {
            return if valid_client_identity(identity) {
                Ok(Self::Client(identity.to_owned()))
            } else {
                Err(AddressError::ClientIdentity)
            };
        }
        if let Some(number) = s.strip_prefix("whatsapp:") {
            return E164::parse(number).map(Self::WhatsApp);
        }
        if s.starts_with("sip:") || s.starts_with("sips:") {
            let rest = s.split_once(':').map_or("", |(_, r)| r);
            return if rest.is_empty() || rest.chars().any(char::is_whitespace) {
                Err(AddressError::SipUri)
            } else {
                Ok(Self::Sip(s.to_owned()))
            };
        }
        E164::parse(s).map(Self::Phone)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(n) => write!(f, "{n}"),
            Self::Client(id) => write!(f, "client:{id}"),
            Self::WhatsApp(n) => write!(f, "whatsapp:{n}"),
            Self::Sip(uri) | Self::Text(uri) => f.write_str(uri),
        }
    }
}

impl fmt::Debug for Address {
    /// Redacted: the address identifies a person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(n) => write!(f, "Phone({})", crate::Redacted(n.as_str())),
            Self::Client(id) => write!(f, "Client({})", crate::Redacted(id.as_str())),
            Self::WhatsApp(n) => write!(f, "WhatsApp({})", crate::Redacted(n.as_str())),
            Self::Sip(uri) => write!(f, "Sip({})", crate::Redacted(uri.as_str())),
            // Free text may well be a phone number in some other spelling.
            Self::Text(text) => write!(f, "Text({})", crate::Redacted(text.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_rules() {
        assert!(E164::parse("+14155550100").is_ok());
        assert!(E164::parse("+123456789012345").is_ok());
        assert_eq!(E164::parse("+1234567890123456"), Err(AddressError::NotE164));
        assert_eq!(E164::parse("14155550100"), Err(AddressError::NotE164));
        assert_eq!(E164::parse("+04155550100"), Err(AddressError::NotE164));
        assert_eq!(E164::parse("+1 415"), Err(AddressError::NotE164));
        assert_eq!(E164::parse("+1"), Err(AddressError::NotE164));
    }

    #[test]
    fn address_forms_round_trip() {
        for s in [
            "+14155550100",
            "client:alice",
            "whatsapp:+447700900123",
            "sip:alice@example.com;transport=tls",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        assert!(
            "whatsapp:+14155550100"
                .parse::<Address>()
                .unwrap()
                .is_whatsapp()
        );
        assert!("+14155550100".parse::<Address>().unwrap().is_pstn());
    }

    #[test]
    fn address_rejects() {
        assert_eq!("".parse::<Address>(), Err(AddressError::Empty));
        assert_eq!(
            "client:".parse::<Address>(),
            Err(AddressError::ClientIdentity)
        );
        assert_eq!(
            "client:a b".parse::<Address>(),
            Err(AddressError::ClientIdentity)
        );
        assert_eq!(
            "whatsapp:123".parse::<Address>(),
            Err(AddressError::NotE164)
        );
        assert_eq!("sip:".parse::<Address>(), Err(AddressError::SipUri));
        let long = format!("client:{}", "a".repeat(257));
        assert_eq!(long.parse::<Address>(), Err(AddressError::ClientIdentity));
    }

    #[test]
    fn debug_is_redacted() {
        let a: Address = "whatsapp:+447700900123".parse().unwrap();
        let shown = format!("{a:?}");
        assert!(!shown.contains("447700900123"), "{shown}");
        for text in ["0044 7700 900123", "+4477009001234567", "support-line-7"] {
            let a = Address::as_sent(text);
            assert!(matches!(a, Address::Text(_)), "{text}");
            let shown = format!("{a:?}");
            assert!(
                !shown.contains("900123") && !shown.contains("line"),
                "{shown}"
            );
        }
    }

    #[test]
    fn as_sent_keeps_any_text() {
        // Twilio's forms are read as such, everything else is free text; all show as sent.
        for (text, dialable) in [
            ("+14155550100", true),
            ("client:alice", true),
            ("whatsapp:+447700900123", true),
            ("sip:alice@example.com", true),
            ("support", false),
            ("queue-7", false),
            ("", false),
            ("client:", false),
            ("client:a b", false),
            ("whatsapp:123", false),
            ("sip:", false),
            ("14155550100", false),
            ("  spaced  out\t", false),
            ("émoji ☎", false),
        ] {
            let a = Address::as_sent(text);
            assert_eq!(a.to_string(), text, "{text:?}");
            assert_eq!(a.is_dialable(), dialable, "{text:?}");
            assert!(!a.is_pstn() || dialable, "{text:?}");
        }
        assert!(Address::as_sent("+14155550100").is_pstn());
        assert_eq!(
            Address::as_sent("client:alice"),
            Address::Client("alice".to_owned())
        );
        assert_eq!(
            Address::as_sent("support"),
            Address::Text("support".to_owned())
        );
        // Parsing stays strict.
        assert!("support".parse::<Address>().is_err());
    }
}
