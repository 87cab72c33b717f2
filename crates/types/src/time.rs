//! Wall-clock time as a plain value, so that pure crates never read the clock.

use std::fmt;

/// Milliseconds since the Unix epoch, UTC. The IO shell reads the clock; everyone else is given it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UnixMillis(pub u64);

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl UnixMillis {
    /// This instant plus `ms` milliseconds (saturating).
    #[must_use]
    pub const fn plus_millis(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Whole seconds elapsed from `earlier` to `self` (0 if `earlier` is later).
    pub const fn whole_seconds_since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0) / 1000
    }

    /// RFC 2822 in UTC, as Twilio writes dates: `Tue, 31 Aug 2010 20:36:28 +0000`.
    pub fn rfc2822(self) -> Rfc2822 {
        Rfc2822(self)
    }

    /// ISO 8601 in UTC, whole seconds, as Twilio's newer APIs write dates:
    /// `2010-08-31T20:36:28Z`.
    pub fn iso8601(self) -> Iso8601 {
        Iso8601(self)
    }
}

/// Displays a [`UnixMillis`] in ISO 8601 form; allocation-free.
#[derive(Debug, Clone, Copy)]
pub struct Iso8601(UnixMillis);

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.0 / 1000;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(secs / 86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }
}

/// Displays a [`UnixMillis`] in RFC 2822 form; allocation-free.
#[derive(Debug, Clone, Copy)]
pub struct Rfc2822(UnixMillis);

impl fmt::Display for Rfc2822 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.0 / 1000;
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        // Index safety: days % 7 < 7 and month is 1..=12 by construction.
        let weekday = DAY_NAMES[usize::try_from(days % 7).unwrap_or(0)];
        let month_name = MONTH_NAMES[usize::from(month - 1)];
        write!(
            f,
            "{weekday}, {day:02} {month_name} {year} {:02}:{:02}:{:02} +0000",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u8, u8) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    // Both fit: day is 1..=31, month 1..=12.
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_twilio() {
        // 2010-08-31T20:36:28Z, the example in Twilio's docs.
        assert_eq!(
            UnixMillis(1_283_286_988_000).rfc2822().to_string(),
            "Tue, 31 Aug 2010 20:36:28 +0000"
        );
        assert_eq!(
            UnixMillis(0).rfc2822().to_string(),
            "Thu, 01 Jan 1970 00:00:00 +0000"
        );
        // Leap day.
        assert_eq!(
            UnixMillis(1_709_164_800_999).rfc2822().to_string(),
            "Thu, 29 Feb 2024 00:00:00 +0000"
        );
    }

    #[test]
    fn formats_iso8601() {
        assert_eq!(
            UnixMillis(1_283_286_988_999).iso8601().to_string(),
            "2010-08-31T20:36:28Z"
        );
        assert_eq!(UnixMillis(0).iso8601().to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixMillis(5_999).whole_seconds_since(UnixMillis(1_000)), 4);
        assert_eq!(UnixMillis(1).whole_seconds_since(UnixMillis(9)), 0);
        assert_eq!(UnixMillis(u64::MAX).plus_millis(1), UnixMillis(u64::MAX));
    }
}
