//! What a Meta messaging error means for a Twilio Message: its `ErrorCode` and whether the
//! message ends `failed` or `undelivered` (reference `whatsapp-consent.md` §2.7, §4).
//!
//! Documented pairs are used as given; Twilio documents no code for a call permission request
//! over Meta's limits (138009) or while a permanent permission exists (138017): those choices,
//! and `failed` versus `undelivered`, are listed in `docs/twilio-compat.md` (UNCONFIRMED).

/// Twilio's generic "Unknown error" for anything without a documented mapping.
pub const UNKNOWN_MESSAGE_ERROR: u32 = 30_008;

/// A message failure in Twilio's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageFailure {
    /// Twilio's `ErrorCode`.
    pub code: u32,
    /// `true`: `undelivered` (delivery to the handset failed); `false`: `failed`.
    pub undelivered: bool,
}

impl MessageFailure {
    /// Twilio's status for it.
    pub const fn status(self) -> &'static str {
        if self.undelivered {
            "undelivered"
        } else {
            "failed"
        }
    }
}

/// The Twilio failure for Meta's error `code` (synchronous or in a `failed` status).
pub const fn message_failure(code: u32) -> MessageFailure {
    let (code, undelivered) = match code {
        // Outside the customer service window.
        131_047 | 470 => (63_016, false),
        // Meta marketing experiment; marketing template not delivered.
        130_472 => (63_032, false),
        131_049 => (63_049, false),
        // Recipient cannot receive it (not on WhatsApp, client too old).
        131_026 | 1_026 => (63_024, true),
        // Template missing for the language; parameter count mismatch.
        132_001 => (63_027, false),
        132_000 => (63_028, false),
        // UNCONFIRMED: call permission request limit -> Twilio's channel rate limit.
        138_009 => (63_018, false),
        // UNCONFIRMED: permanent permission exists -> channel policy refusal.
        138_017 => (63_013, false),
        _ => (UNKNOWN_MESSAGE_ERROR, false),
    };
    MessageFailure { code, undelivered }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_and_chosen_codes() {
        assert_eq!(message_failure(131_047).code, 63_016);
        assert_eq!(message_failure(131_047).status(), "failed");
        assert_eq!(message_failure(131_026).status(), "undelivered");
        assert_eq!(message_failure(131_026).code, 63_024);
        assert_eq!(message_failure(132_000).code, 63_028);
        assert_eq!(message_failure(132_001).code, 63_027);
        assert_eq!(message_failure(138_009).code, 63_018);
        assert_eq!(message_failure(138_017).code, 63_013);
        assert_eq!(message_failure(1).code, UNKNOWN_MESSAGE_ERROR);
    }
}
