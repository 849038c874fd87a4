//! Fast path for the common telemetry line: a flat JSON object (no nested
//! object) as `ConvertTo-Json -Compress` writes it. Its top-level fields are
//! found in one memchr-accelerated pass, without a general parser. Any line
//! of another shape returns `None`, and the caller parses it with serde, so
//! results never differ, only speed.

use std::borrow::Cow;

use super::telemetry::{Event, Flag, Num, Scalar, Text};

/// Parse a flat object line into an [`Event`], or `None` to fall back.
pub fn parse(line: &[u8]) -> Option<Event<'_>> {
    let mut ev = Event::default();
    parse_into(line, &[], &mut [], &mut ev)?;
    Some(ev)
}

/// [`parse`] into `ev` (which is only whole on `Some`; the event is large,
/// and is filled in place rather than moved), also storing the top-level
/// value of each of `keys` in the same slot of `out` (`None` when absent),
/// as serde would give them. A repeated key keeps its last value, as
/// `serde_json::Value` does; a dotted key is a path into nested objects,
/// which a flat line has none of.
pub fn parse_into<'a>(
    line: &'a [u8],
    keys: &[&str],
    out: &mut [Option<Scalar<'a>>],
    ev: &mut Event<'a>,
) -> Option<()> {
    debug_assert_eq!(keys.len(), out.len());
    out.iter_mut().for_each(|o| *o = None);
    let mut seen = 0u64;
    fields(
        line,
        #[inline(always)]
        |key, value| {
            for (i, k) in keys.iter().enumerate() {
                if k.as_bytes() == key && !k.contains('.') {
                    out[i] = Some(value.clone());
                }
            }
            if let Some(bit) = assign(ev, key, value)? {
                if seen & bit != 0 {
                    return None; // duplicate known field: serde reports it
                }
                seen |= bit;
            }
            Some(())
        },
    )
}

/// Call `each(key, value)` for every top-level field of a flat object line;
/// `None` when the line is not one (or `each` gives up).
fn fields<'a>(
    line: &'a [u8],
    mut each: impl FnMut(&'a [u8], Scalar<'a>) -> Option<()>,
) -> Option<()> {
    if line.len() < 2 || line[0] != b'{' || line[line.len() - 1] != b'}' {
        return None;
    }
    // Nested objects, invalid UTF-8 and raw control bytes (which JSON
    // forbids inside strings) go to serde.
    let bytes = ByteChecks::of(&line[1..]);
    if bytes.brace || bytes.control || (bytes.high && std::str::from_utf8(line).is_err()) {
        return None;
    }
    // Without a backslash in the line, strings end at the next quote.
    let escapes = bytes.backslash;
    let mut pos = skip_ws(line, 1);
    if line[pos] == b'}' {
        return (pos == line.len() - 1).then_some(());
    }
    loop {
        // "key"
        if line.get(pos) != Some(&b'"') {
            return None;
        }
        let key_end = pos + 1 + next_mark(&line[pos + 1..], escapes)?;
        if line[key_end] != b'"' {
            return None; // escaped key: let serde decide
        }
        let key = &line[pos + 1..key_end];
        pos = skip_ws(line, key_end + 1);
        if line.get(pos) != Some(&b':') {
            return None;
        }
        pos = skip_ws(line, pos + 1);
        let (value, next) = value(line, pos, escapes)?;
        each(key, value)?;
        pos = skip_ws(line, next);
        match line.get(pos) {
            Some(b',') => pos = skip_ws(line, pos + 1),
            Some(b'}') if pos == line.len() - 1 => return Some(()),
            _ => return None,
        }
    }
}

/// A slice of the line as text. `parse` has checked that the whole line is
/// UTF-8, and every slice taken here starts and ends at ASCII delimiters
/// (quotes, commas, braces), hence at character boundaries.
fn utf8(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: see above; a sub-slice of valid UTF-8 cut at ASCII bytes is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// The byte checks of a flat line, from one vectorised pass.
struct ByteChecks {
    /// A raw control byte (below 0x20), which JSON forbids in strings.
    control: bool,
    /// A byte of a multi-byte UTF-8 character (0x80 and up).
    high: bool,
    brace: bool,
    backslash: bool,
}

impl ByteChecks {
    #[inline]
    fn of(bytes: &[u8]) -> ByteChecks {
        // Lane-wise accumulators over 16-byte chunks compile to SIMD; the
        // tail is padded with a byte that trips no check.
        let (mut lo, mut hi, mut br, mut bs) = ([u8::MAX; 16], [0u8; 16], [0u8; 16], [0u8; 16]);
        let mut lanes = |c: &[u8; 16]| {
            for i in 0..16 {
                lo[i] = lo[i].min(c[i]);
                hi[i] = hi[i].max(c[i]);
                br[i] |= u8::from(c[i] == b'{');
                bs[i] |= u8::from(c[i] == b'\\');
            }
        };
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            lanes(c.try_into().expect("16 bytes"));
        }
        let mut tail = [b'a'; 16];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        lanes(&tail);
        ByteChecks {
            control: lo.into_iter().any(|b| b < 0x20),
            high: hi.into_iter().any(|b| b >= 0x80),
            brace: br.into_iter().any(|b| b != 0),
            backslash: bs.into_iter().any(|b| b != 0),
        }
    }
}

#[inline(always)]
fn skip_ws(line: &[u8], mut pos: usize) -> usize {
    // Compact JSON has no whitespace: one test decides.
    if line.get(pos).is_some_and(|b| *b > b' ') {
        return pos;
    }
    while pos < line.len() && matches!(line[pos], b' ' | b'\t' | b'\r' | b'\n') {
        pos += 1;
    }
    pos
}

/// The value at `pos` and the position after it. Inlined: returned
/// through memory, the value stalls its reader on store forwarding.
#[inline(always)]
fn value(line: &[u8], pos: usize, escapes: bool) -> Option<(Scalar<'_>, usize)> {
    match *line.get(pos)? {
        b'"' => {
            let (end, escaped) = string_end(line, pos, escapes)?;
            let body = &line[pos + 1..end];
            let text = if escaped {
                Cow::Owned(serde_json::from_slice::<String>(&line[pos..=end]).ok()?)
            } else {
                Cow::Borrowed(utf8(body))
            };
            Some((Scalar::Str(text), end + 1))
        }
        b'[' => {
            // Scalars only (no `{` in the line): find the matching `]`.
            let mut depth = 0usize;
            let mut i = pos;
            while i < line.len() {
                match line[i] {
                    b'"' => i = string_end(line, i, escapes)?.0,
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((Scalar::Other, i + 1));
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        b't' | b'f' | b'n' => {
            let len = line[pos..].iter().position(|b| is_delimiter(*b))?;
            let v = match &line[pos..pos + len] {
                b"true" => Scalar::Bool(true),
                b"false" => Scalar::Bool(false),
                b"null" => Scalar::Null,
                _ => return None,
            };
            Some((v, pos + len))
        }
        _ => {
            let (len, exponent) = number_len(&line[pos..])?;
            if !line.get(pos + len).copied().is_some_and(is_delimiter) {
                return None;
            }
            let s = utf8(&line[pos..pos + len]);
            // serde rejects a number beyond f64's range, so decline it
            // too (only an exponent or 309+ digits can get there).
            if (exponent || s.len() > 300) && !s.parse::<f64>().is_ok_and(f64::is_finite) {
                return None;
            }
            Some((Scalar::Number(Cow::Borrowed(s)), pos + len))
        }
    }
}

/// What may follow a scalar value.
#[inline]
fn is_delimiter(b: u8) -> bool {
    matches!(b, b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
}

/// The length of the JSON number at the start of `s`
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) and whether it has an
/// exponent; `None` if it does not start with one. The caller checks what
/// follows.
#[inline]
fn number_len(s: &[u8]) -> Option<(usize, bool)> {
    let digits_from = |i: usize| {
        s.get(i..)
            .map_or(0, |t| t.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let mut i = usize::from(s.first() == Some(&b'-'));
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits_from(i),
        _ => return None,
    }
    if s.get(i) == Some(&b'.') {
        let n = digits_from(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    let exponent = matches!(s.get(i), Some(b'e' | b'E'));
    if exponent {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits_from(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some((i, exponent))
}

/// Index of the first `"` or `\\` in `s`. Keys and values are mostly
/// short, so the first 32 bytes are tested 8 at a time inline, and only a
/// longer tail goes to memchr.
#[inline]
pub(crate) fn quote_or_escape(s: &[u8]) -> Option<usize> {
    next_mark(s, true)
}

/// Index of the first `"` in `s`, or of the first `"` or `\\` when
/// `escapes` (a line without a backslash needs only the quote).
#[inline(always)]
fn next_mark(s: &[u8], escapes: bool) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Flags the zero bytes of `v`; the lowest flag is always a real one.
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = 0;
    while i + 8 <= s.len() && i < 32 {
        let chunk: [u8; 8] = s[i..i + 8].try_into().expect("8 bytes");
        let w = u64::from_le_bytes(chunk);
        let mut m = zeros(w ^ (ONES * u64::from(b'"')));
        if escapes {
            m |= zeros(w ^ (ONES * u64::from(b'\\')));
        }
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if escapes {
        memchr::memchr2(b'"', b'\\', &s[i..]).map(|j| i + j)
    } else {
        memchr::memchr(b'"', &s[i..]).map(|j| i + j)
    }
}

/// Index of the quote closing the string that opens at `open`, and whether
/// the string has an escape (never, when the line has no backslash).
#[inline]
fn string_end(line: &[u8], open: usize, escapes: bool) -> Option<(usize, bool)> {
    let (mut i, mut escaped) = (open + 1, false);
    loop {
        i += next_mark(line.get(i..)?, escapes)?;
        if line[i] == b'\\' {
            (i, escaped) = (i + 2, true);
        } else {
            return Some((i, escaped));
        }
    }
}

#[inline]
fn text(v: Scalar<'_>) -> Text<'_> {
    match v {
        Scalar::Str(s) => Text::of(s),
        Scalar::Null | Scalar::Other => Text(None),
        Scalar::Bool(b) => Text::of(Cow::Borrowed(if b { "True" } else { "False" })),
        // serde gives integers that fit 64 bits as written, all else as f64.
        Scalar::Number(n) => match n.parse::<f64>() {
            Ok(x) => {
                let integer = !n.contains(['.', 'e', 'E'])
                    && (n.parse::<u64>().is_ok() || n.parse::<i64>().is_ok_and(|v| v != 0));
                Text::of(Cow::Owned(if integer {
                    n.into_owned()
                } else {
                    x.to_string()
                }))
            }
            Err(_) => Text(None),
        },
    }
}

#[inline]
fn num(v: Scalar<'_>) -> Num {
    if let Scalar::Number(n) = &v {
        if let Some(x) = decimal(n.as_bytes()) {
            return Num(Some(x));
        }
    }
    Num(v.number())
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal `-?digits(.digits)?` of at most 15 digits, converted
/// without the general parser: the digits and the power of ten are exact
/// in an f64, so their one division is correctly rounded, as `str::parse`
/// is (Clinger's fast path). `None` for any other number text.
#[inline]
fn decimal(s: &[u8]) -> Option<f64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    // A digit on each side of any dot.
    let digit_at = |i: Option<&u8>| i.is_some_and(u8::is_ascii_digit);
    if digits.len() > 16 || !digit_at(digits.first()) || !digit_at(digits.last()) {
        return None;
    }
    let (mut m, mut count, mut frac, mut dot) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(b - b'0');
                count += 1;
                frac += usize::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if count > 15 {
        return None;
    }
    let v = m as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

#[inline]
fn flag(v: Scalar<'_>) -> Flag {
    let t = text(v);
    Flag(t.get().and_then(|s| match s.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }))
}

/// Store a known field; `Some(bit)` for known keys, `Some(None)` for others.
#[inline]
fn assign<'a>(ev: &mut Event<'a>, key: &[u8], v: Scalar<'a>) -> Option<Option<u64>> {
    let bit = |n: u32| Some(Some(1u64 << n));
    match key {
        b"EventName" => {
            ev.event_name = text(v);
            bit(0)
        }
        b"Timestamp" => {
            ev.timestamp = text(v);
            bit(1)
        }
        b"Site" => {
            ev.site = text(v);
            bit(2)
        }
        b"Hostname" => {
            ev.hostname = text(v);
            bit(3)
        }
        b"Status" => {
            ev.status = text(v);
            bit(4)
        }
        b"Action" => {
            ev.action = text(v);
            bit(5)
        }
        b"Operation" => {
            ev.operation = text(v);
            bit(6)
        }
        b"SiteCacheFetchStatus" => {
            ev.site_cache_fetch_status = text(v);
            bit(7)
        }
        b"SiteCacheProvider" => {
            ev.site_cache_provider = text(v);
            bit(8)
        }
        b"SiteCacheProviderReason" => {
            ev.site_cache_provider_reason = text(v);
            bit(9)
        }
        b"Success" => {
            ev.success = flag(v);
            bit(10)
        }
        b"DurationSeconds" => {
            ev.duration_seconds = num(v);
            bit(11)
        }
        b"LatencyMs" => {
            ev.latency_ms = num(v);
            bit(12)
        }
        b"Rows" => {
            ev.rows = num(v);
            bit(13)
        }
        b"DeletedRows" => {
            ev.deleted_rows = num(v);
            bit(14)
        }
        b"SiteCacheFetchDurationMs" => {
            ev.site_cache_fetch_duration_ms = num(v);
            bit(15)
        }
        b"UsageNumerator" => {
            ev.usage_numerator = num(v);
            bit(16)
        }
        b"UsageDenominator" => {
            ev.usage_denominator = num(v);
            bit(17)
        }
        b"DurationMinutes" => {
            ev.duration_minutes = num(v);
            bit(18)
        }
        b"DurationMs" => {
            ev.duration_ms = num(v);
            bit(19)
        }
        b"TotalCount" => {
            ev.total_count = num(v);
            bit(20)
        }
        b"AddedCount" => {
            ev.added_count = num(v);
            bit(21)
        }
        b"RemovedCount" => {
            ev.removed_count = num(v);
            bit(22)
        }
        b"ChangedCount" => {
            ev.changed_count = num(v);
            bit(23)
        }
        b"UnchangedCount" => {
            ev.unchanged_count = num(v);
            bit(24)
        }
        b"QueueBuildDelayMs" => {
            ev.queue_build_delay_ms = num(v);
            bit(25)
        }
        b"QueueBuildDurationMs" => {
            ev.queue_build_duration_ms = num(v);
            bit(26)
        }
        b"QueueDelayMs" => {
            ev.queue_delay_ms = num(v);
            bit(27)
        }
        b"QueueDurationMs" => {
            ev.queue_duration_ms = num(v);
            bit(28)
        }
        _ => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::telemetry::Event;

    /// The fast path either declines or agrees with serde exactly.
    pub fn agrees(line: &[u8]) -> bool {
        match parse(line) {
            None => true,
            Some(fast) => serde_json::from_slice::<Event>(line).is_ok_and(|slow| slow == fast),
        }
    }

    #[test]
    fn agrees_with_serde_or_declines() {
        let lines: &[&[u8]] = &[
            br#"{"EventName":"ParseDuration","Timestamp":"2025-12-19T08:35:05.3155843-07:00","Site":"BOYO","DurationSeconds":3.029,"Success":true,"Rows":12,"DeletedRows":-0}"#,
            br#"{ "EventName" : "A" , "LatencyMs" : "12.5", "Site":"x\"y", "Tags":["a","]",[1]], "Success":"False" }"#,
            br#"{"EventName":"A","Site":null,"Hostname":5,"Status":true,"Action":1e3,"Operation":-2.50}"#,
            br#"{"EventName":"A","Nested":{"Site":"inner"},"Site":"outer"}"#,
            br#"{"EventName":"A","LatencyMs":01}"#,
            br#"{"EventName":"A","LatencyMs":1.}"#,
            br#"{"EventName":"A","LatencyMs":1e400}"#,
            br#"{"EventName":77777777777777777777777777777777777777777777777777777777777777661,"Site":-0,"Hostname":-9223372036854775808,"Status":18446744073709551616}"#,
            br#"{"EventName":"A","Other":-2e-400,"Big":18446744073709551616}"#,
            br#"{"EventName":"A","EventName":"B"}"#,
            br#"{"EventName":"A",}"#,
            b"{\"EventName\":\"A\tB\"}",
            br#"{}"#,
            br#"{"a":1}x"#,
        ];
        for l in lines {
            assert!(agrees(l), "{}", String::from_utf8_lossy(l));
        }
        for (i, l) in lines.iter().enumerate().take(3) {
            assert!(parse(l).is_some(), "line {i} should take the fast path");
        }
        assert!(
            parse(lines[3]).is_none() && parse(lines[4]).is_none() && parse(lines[6]).is_none()
        );
    }

    #[test]
    fn quote_or_escape_finds_the_first_of_either() {
        for len in 0..80 {
            for at in 0..len {
                for mark in [b'"', b'\\'] {
                    let mut s = vec![b'a'; len];
                    s[at] = mark;
                    if at + 1 < len {
                        s[at + 1] = b'"';
                    }
                    assert_eq!(quote_or_escape(&s), Some(at), "{len} {at}");
                }
            }
            assert_eq!(quote_or_escape(&vec![0x21u8; len]), None);
        }
        // Bytes next to the marks (0x21, 0x5b, 0x5d) and high bytes never match.
        assert_eq!(quote_or_escape(b"!#[]\xff\xfe\x01\""), Some(7));
    }

    #[test]
    fn number_grammar() {
        for ok in ["0", "-0", "12", "-1.5", "1e3", "2.5E-7", "0.25e+2"] {
            assert_eq!(
                number_len(ok.as_bytes()).map(|n| n.0),
                Some(ok.len()),
                "{ok}"
            );
        }
        for bad in [
            "01", "1.", ".5", "+1", "-", "1e", "NaN", "inf", "1.2.3", "1e+",
        ] {
            assert_ne!(
                number_len(bad.as_bytes()).map(|n| n.0),
                Some(bad.len()),
                "{bad}"
            );
        }
    }

    #[test]
    fn plain_decimals_convert_exactly_as_the_general_parser() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut fast = 0;
        for _ in 0..200_000 {
            let digits = 1 + (next() % 17) as usize;
            let mut s: String = (0..digits)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let dot = (next() % (digits as u64 + 1)) as usize;
            if dot > 0 && dot < digits {
                s.insert(dot, '.');
            }
            if next() % 2 == 0 {
                s.insert(0, '-');
            }
            if let Some(v) = decimal(s.as_bytes()) {
                fast += 1;
                assert_eq!(v.to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}");
            }
        }
        assert!(fast > 100_000, "{fast} took the fast path");
        for declined in [
            "1e3",
            "1234567890123456",
            "1.",
            ".5",
            "-",
            "",
            "--1",
            "1.2.3",
        ] {
            assert_eq!(decimal(declined.as_bytes()), None, "{declined}");
        }
        assert_eq!(decimal(b"-0").map(f64::to_bits), Some((-0.0f64).to_bits()));
    }
}
