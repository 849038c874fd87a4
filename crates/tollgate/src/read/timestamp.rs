//! Timestamps as StateTrace writes them: round-trip ISO-8601 with an offset,
//! `/Date(ms)/`, and stamps inside file names.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

/// Parse an ISO-8601 time with offset (`2025-12-23T13:33:33.0271017-07:00`,
/// `...Z`) or a .NET `/Date(1766520000000)/` / `/Date(ms-0700)/` value.
pub fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let digits_end = inner
            .char_indices()
            .find(|&(i, c)| i > 0 && (c == '+' || c == '-'))
            .map(|(i, _)| i)
            .unwrap_or(inner.len());
        let ms: i64 = inner[..digits_end].parse().ok()?;
        return Utc
            .timestamp_millis_opt(ms)
            .single()
            .map(|t| t.fixed_offset());
    }
    DateTime::parse_from_rfc3339(s).ok()
}

fn name_stamp_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(\d{4})-?(\d{2})-?(\d{2})(?:[-_T](\d{2})(\d{2})(\d{2}))?")
            .expect("valid regex")
    })
}

/// The time stamped in a file name (`20251222-170626`, `2025-12-23`,
/// `20251219`), as local wall-clock time. A date alone means the end of that
/// day, so that a day's file is never older than anything written that day.
pub fn name_timestamp(name: &str) -> Option<NaiveDateTime> {
    for c in name_stamp_re().captures_iter(name) {
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let (Some(y), Some(mo), Some(d)) = (num(1), num(2), num(3)) else {
            continue;
        };
        let Some(date) = NaiveDate::from_ymd_opt(y as i32, mo, d) else {
            continue;
        };
        if !(1990..=2200).contains(&y) {
            continue;
        }
        let time = match (num(4), num(5), num(6)) {
            (Some(h), Some(mi), Some(s)) => date.and_hms_opt(h, mi, s),
            _ => date.and_hms_opt(23, 59, 59),
        };
        if let Some(t) = time {
            return Some(t);
        }
    }
    None
}

/// Now, local, in .NET's round-trip format (`2025-12-23T13:33:33.0271017-07:00`).
pub fn now_roundtrip() -> String {
    roundtrip(&chrono::Local::now().fixed_offset())
}

/// A time in .NET's round-trip format: 7 fractional digits and the offset.
pub fn roundtrip(t: &DateTime<FixedOffset>) -> String {
    use chrono::Timelike;
    format!(
        "{}.{:07}{}",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.nanosecond() % 1_000_000_000 / 100,
        t.format("%:z")
    )
}

/// Now, local, as a file-name stamp `yyyyMMdd-HHmmss`.
pub fn now_stamp() -> String {
    chrono::Local::now().format("%Y%m%d-%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_dotnet_dates() {
        let t = parse_time("2025-12-23T13:33:33.0271017-07:00").unwrap();
        assert_eq!(t.offset().local_minus_utc(), -7 * 3600);
        assert!(parse_time("2025-01-01T00:00:00Z").is_some());
        let d = parse_time("/Date(1766520000000)/").unwrap();
        assert_eq!(d.timestamp(), 1_766_520_000);
        assert!(parse_time("/Date(1766520000000-0700)/").is_some());
        assert!(parse_time("yesterday").is_none());
        assert!(parse_time("/Date(x)/").is_none());
    }

    #[test]
    fn roundtrip_has_seven_digits() {
        let t = parse_time("2025-12-23T13:33:33.0271017-07:00").unwrap();
        assert_eq!(roundtrip(&t), "2025-12-23T13:33:33.0271017-07:00");
        assert_eq!(
            now_roundtrip().len(),
            "2025-12-23T13:33:33.0271017-07:00".len()
        );
    }

    #[test]
    fn file_name_stamps() {
        let t = name_timestamp("WarmRunTelemetry-20251222-170626-1.json").unwrap();
        assert_eq!(t.to_string(), "2025-12-22 17:06:26");
        let d = name_timestamp("SharedCacheStoreState-2025-12-23.json").unwrap();
        assert_eq!(d.to_string(), "2025-12-23 23:59:59");
        assert!(name_timestamp("20251219.json").is_some());
        assert!(name_timestamp("README.md").is_none());
        assert!(name_timestamp("QueueDelaySummary-latest.json").is_none());
        assert!(name_timestamp("x-99999999.json").is_none());
    }
}
