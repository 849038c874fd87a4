//! Fast path for the common telemetry line: a flat JSON object (no nested
//! object) as `ConvertTo-Json -Compress` writes it. One vector pass marks
//! the line's quotes and checks its bytes; the fields are then walked from
//! quote to quote, known keys found by a perfect hash, and values kept as
//! spans of the line until a field converts them. Any line of another
//! shape returns `None`, and the caller parses it with serde, so results
//! never differ, only speed.

use std::borrow::Cow;

use super::event::{Event, Flag, Num, Scalar, Text};

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
                    out[i] = Some(value.scalar(line));
                }
            }
            if let Some(field) = field_of(key) {
                let bit = 1u64 << field;
                if seen & bit != 0 {
                    return None; // duplicate known field: serde reports it
                }
                seen |= bit;
                assign(ev, field, value.read(line));
            }
            Some(())
        },
    )
}

/// Call `each(key, value)` for every top-level field of a flat object line;
/// `None` when the line is not one (or `each` gives up).
fn fields<'a>(line: &'a [u8], mut each: impl FnMut(&'a [u8], Span) -> Option<()>) -> Option<()> {
    if line.len() < 2 || line[0] != b'{' || line[line.len() - 1] != b'}' {
        return None;
    }
    // Short lines keep their quote bitmap on the stack.
    let (mut stack, mut heap) = ([0u64; 8], Vec::new());
    let words = line.len().div_ceil(64);
    let bits = if words <= stack.len() {
        &mut stack[..words]
    } else {
        heap.resize(words, 0);
        &mut heap[..]
    };
    let marks = mark(line, bits);
    // Nested objects, invalid UTF-8 and raw control bytes (which JSON
    // forbids inside strings) go to serde.
    if marks.brace || marks.control || (marks.high && std::str::from_utf8(line).is_err()) {
        return None;
    }
    let quotes = Quotes {
        bits,
        escapes: marks.backslash,
    };
    let mut pos = skip_ws(line, 1);
    if line[pos] == b'}' {
        return (pos == line.len() - 1).then_some(());
    }
    loop {
        // "key"
        if line.get(pos) != Some(&b'"') {
            return None;
        }
        let key_end = quotes.next(pos + 1)?;
        let key = &line[pos + 1..key_end];
        if quotes.escapes && memchr::memchr(b'\\', key).is_some() {
            return None; // escaped key: let serde decide
        }
        pos = skip_ws(line, key_end + 1);
        if line.get(pos) != Some(&b':') {
            return None;
        }
        pos = skip_ws(line, pos + 1);
        let (value, next) = value(line, pos, &quotes)?;
        each(key, value)?;
        pos = skip_ws(line, next);
        match line.get(pos) {
            Some(b',') => pos = skip_ws(line, pos + 1),
            Some(b'}') if pos == line.len() - 1 => return Some(()),
            _ => return None,
        }
    }
}

/// A slice of the line as text. [`fields`] has checked that the whole line is
/// UTF-8, and every slice taken here starts and ends at ASCII delimiters
/// (quotes, commas, braces), hence at character boundaries.
fn utf8(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: see above; a sub-slice of valid UTF-8 cut at ASCII bytes is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// What one pass over a line found, besides its quotes.
#[derive(Debug, Default, PartialEq)]
struct Marks {
    /// A raw control byte (below 0x20), which JSON forbids in strings.
    control: bool,
    /// A byte of a multi-byte UTF-8 character (0x80 and up).
    high: bool,
    /// A `{` after the first byte: a nested object.
    brace: bool,
    backslash: bool,
}

/// One pass over `line`: bit `i % 64` of `bits[i / 64]` is set where byte
/// `i` is a quote (`bits` holds `line.len().div_ceil(64)` words), and the
/// other marks are returned. SSE2 is part of every x86_64 CPU.
#[cfg(target_arch = "x86_64")]
#[inline]
fn mark(line: &[u8], bits: &mut [u64]) -> Marks {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is in the x86_64 baseline, so every intrinsic here is
    // available; the only memory accesses are unaligned 16-byte loads
    // inside a 64-byte array.
    unsafe {
        let splat = |b: u8| _mm_set1_epi8(b as i8);
        let (quote, open, slash, below_space) =
            (splat(b'"'), splat(b'{'), splat(b'\\'), splat(0x1f));
        let zero = _mm_setzero_si128();
        let (mut control, mut high, mut backslash) = (zero, zero, zero);
        let mut braces = 0u64;
        // 64 bytes at a time: the quote bits of a block are one word.
        let mut block = |b: &[u8; 64]| -> (u64, u64) {
            let (mut q, mut br) = (0u64, 0u64);
            for k in 0..4 {
                let v = _mm_loadu_si128(b.as_ptr().add(16 * k).cast());
                q |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) as u16) << (16 * k);
                br |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, open)) as u16) << (16 * k);
                control = _mm_or_si128(control, _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v));
                high = _mm_or_si128(high, v);
                backslash = _mm_or_si128(backslash, _mm_cmpeq_epi8(v, slash));
            }
            (q, br)
        };
        // The first byte is the line's own opening brace, not a nested one.
        let mut first = !1u64;
        let mut blocks = line.chunks_exact(64);
        let mut words = bits.iter_mut();
        // (Blocks first: `zip` then stops without taking the tail's word.)
        for (b, word) in (&mut blocks).zip(&mut words) {
            let (q, br) = block(b.try_into().expect("64 bytes"));
            *word = q;
            braces |= br & first;
            first = !0;
        }
        if let Some(word) = words.next() {
            let rest = blocks.remainder().len();
            let (q, br) = if line.len() > 64 {
                // The tail as the line's last 64 bytes: the bytes it shares
                // with the block before are shifted out of its bits (and
                // check as they did).
                let end: &[u8; 64] = line[line.len() - 64..].try_into().expect("64 bytes");
                let (q, br) = block(end);
                (q >> (64 - rest), br >> (64 - rest))
            } else {
                // A short line, padded with a byte that marks nothing.
                let mut tail = [b'a'; 64];
                tail[..rest].copy_from_slice(blocks.remainder());
                block(&tail)
            };
            *word = q;
            braces |= br & first;
        }
        Marks {
            control: _mm_movemask_epi8(control) != 0,
            high: _mm_movemask_epi8(high) != 0,
            brace: braces != 0,
            backslash: _mm_movemask_epi8(backslash) != 0,
        }
    }
}

/// [`mark`], a byte at a time.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn mark_bytes(line: &[u8], bits: &mut [u64]) -> Marks {
    let mut m = Marks::default();
    for (i, &b) in line.iter().enumerate() {
        bits[i / 64] |= u64::from(b == b'"') << (i % 64);
        m.control |= b < 0x20;
        m.high |= b >= 0x80;
        m.brace |= b == b'{' && i > 0;
        m.backslash |= b == b'\\';
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
fn mark(line: &[u8], bits: &mut [u64]) -> Marks {
    mark_bytes(line, bits)
}

/// A line's quote bitmap, and whether the line has a backslash (without
/// one, every quote ends a string).
struct Quotes<'b> {
    bits: &'b [u64],
    escapes: bool,
}

impl Quotes<'_> {
    /// The first quote at or after `from`.
    #[inline(always)]
    fn next(&self, from: usize) -> Option<usize> {
        let mut word = from / 64;
        let mut m = *self.bits.get(word)? & (u64::MAX << (from % 64));
        while m == 0 {
            word += 1;
            m = *self.bits.get(word)?;
        }
        Some(word * 64 + m.trailing_zeros() as usize)
    }

    /// Index of the quote closing the string that opens at `open`, and
    /// whether the string has an escape.
    #[inline(always)]
    fn string_end(&self, line: &[u8], open: usize) -> Option<(usize, bool)> {
        let end = self.next(open + 1)?;
        if !self.escapes || memchr::memchr(b'\\', &line[open + 1..end]).is_none() {
            return Some((end, false));
        }
        // A backslash: walk escape by escape.
        let mut i = open + 1;
        loop {
            i += quote_or_escape(line.get(i..)?)?;
            if line[i] != b'\\' {
                return Some((i, true));
            }
            i += 2;
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

/// A value of a flat line, as its kind and place in the line (small and
/// `Copy`: it travels in registers, where a `Scalar` went through memory
/// and stalled its reader on store forwarding). Fields are converted from
/// it only when read.
#[derive(Debug, Clone, Copy)]
struct Span {
    kind: SpanKind,
    /// A string's body without its quotes; an escaped string with them.
    start: usize,
    end: usize,
    /// A number's value, when its scan could convert it (see [`number`]).
    number: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SpanKind {
    Str,
    /// A string with an escape, already checked to decode.
    Escaped,
    Number,
    True,
    False,
    Null,
    /// An array.
    Other,
}

/// The value of a span, read from its line.
#[derive(Clone, Copy)]
enum Value<'a> {
    /// An unescaped string: borrowed as is.
    Str(&'a str),
    /// A number as written, and its value if already converted.
    Number(&'a str, Option<f64>),
    /// Anything else, converted as serde would give it.
    Other(Span, &'a [u8]),
}

impl Span {
    fn of(kind: SpanKind, start: usize, end: usize) -> Span {
        Span {
            kind,
            start,
            end,
            number: None,
        }
    }

    #[inline(always)]
    fn read(self, line: &[u8]) -> Value<'_> {
        let text = || utf8(&line[self.start..self.end]);
        match self.kind {
            SpanKind::Str => Value::Str(text()),
            SpanKind::Number => Value::Number(text(), self.number),
            _ => Value::Other(self, line),
        }
    }

    /// The value as serde gives it.
    fn scalar(self, line: &[u8]) -> Scalar<'_> {
        let text = || utf8(&line[self.start..self.end]);
        match self.kind {
            SpanKind::Str => Scalar::Str(Cow::Borrowed(text())),
            // `value` has decoded it once already.
            SpanKind::Escaped => serde_json::from_slice::<String>(&line[self.start..self.end])
                .map_or(Scalar::Other, |s| Scalar::Str(Cow::Owned(s))),
            SpanKind::Number => Scalar::Number(Cow::Borrowed(text())),
            SpanKind::True => Scalar::Bool(true),
            SpanKind::False => Scalar::Bool(false),
            SpanKind::Null => Scalar::Null,
            SpanKind::Other => Scalar::Other,
        }
    }
}

/// The value at `pos` and the position after it.
#[inline(always)]
fn value(line: &[u8], pos: usize, quotes: &Quotes) -> Option<(Span, usize)> {
    match *line.get(pos)? {
        b'"' => {
            let (end, escaped) = quotes.string_end(line, pos)?;
            if !escaped {
                return Some((Span::of(SpanKind::Str, pos + 1, end), end + 1));
            }
            // Serde rejects a bad escape: so must this path.
            serde_json::from_slice::<String>(&line[pos..=end]).ok()?;
            Some((Span::of(SpanKind::Escaped, pos, end + 1), end + 1))
        }
        b'[' => {
            // Scalars only (no `{` in the line): find the matching `]`.
            let mut depth = 0usize;
            let mut i = pos;
            while i < line.len() {
                match line[i] {
                    b'"' => i = quotes.string_end(line, i)?.0,
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((Span::of(SpanKind::Other, pos, i + 1), i + 1));
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
            let kind = match &line[pos..pos + len] {
                b"true" => SpanKind::True,
                b"false" => SpanKind::False,
                b"null" => SpanKind::Null,
                _ => return None,
            };
            Some((Span::of(kind, pos, pos + len), pos + len))
        }
        _ => {
            let (len, exponent, number) = number(&line[pos..])?;
            if !line.get(pos + len).copied().is_some_and(is_delimiter) {
                return None;
            }
            let s = utf8(&line[pos..pos + len]);
            // serde rejects a number beyond f64's range, so decline it
            // too (only an exponent or 309+ digits can get there).
            if (exponent || s.len() > 300) && !s.parse::<f64>().is_ok_and(f64::is_finite) {
                return None;
            }
            let span = Span {
                number,
                ..Span::of(SpanKind::Number, pos, pos + len)
            };
            Some((span, pos + len))
        }
    }
}

/// What may follow a scalar value.
#[inline]
fn is_delimiter(b: u8) -> bool {
    matches!(b, b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The JSON number at the start of `s`
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), in one pass: its
/// length, whether it has an exponent, and its value when it is a plain
/// decimal of at most 15 digits. Those digits and their power of ten are
/// exact in an f64, so their one division is correctly rounded, as
/// `str::parse` is (Clinger's fast path). `None` if `s` does not start
/// with a number; the caller checks what follows.
#[inline]
fn number(s: &[u8]) -> Option<(usize, bool, Option<f64>)> {
    let neg = s.first() == Some(&b'-');
    let mut i = usize::from(neg);
    // The mantissa, its digit count and how many follow the dot.
    let (mut m, mut digits, mut frac) = (0u64, 0usize, 0usize);
    let mut take_digits = |i: &mut usize, after_dot: bool| {
        let from = *i;
        while let Some(d) = s.get(*i).filter(|b| b.is_ascii_digit()) {
            m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            *i += 1;
        }
        digits += *i - from;
        frac += if after_dot { *i - from } else { 0 };
        *i - from
    };
    match s.get(i) {
        // A leading zero is the whole integer part (and adds nothing).
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            take_digits(&mut i, false);
        }
        _ => return None,
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if take_digits(&mut i, true) == 0 {
            return None;
        }
    }
    let exponent = matches!(s.get(i), Some(b'e' | b'E'));
    if exponent {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        i += n;
    }
    let value = (!exponent && digits <= 15).then(|| {
        // (Below 10^15: exact through i64, one conversion instruction.)
        let v = (m as i64) as f64 / POW10[frac];
        if neg {
            -v
        } else {
            v
        }
    });
    Some((i, exponent, value))
}

/// Index of the first `"` or `\\` in `s`. Keys and values are mostly
/// short, so the first 32 bytes are tested 8 at a time inline, and only a
/// longer tail goes to memchr.
#[inline]
pub(crate) fn quote_or_escape(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Flags the zero bytes of `v`; the lowest flag is always a real one.
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = 0;
    while i + 8 <= s.len() && i < 32 {
        let chunk: [u8; 8] = s[i..i + 8].try_into().expect("8 bytes");
        let w = u64::from_le_bytes(chunk);
        let m = zeros(w ^ (ONES * u64::from(b'"'))) | zeros(w ^ (ONES * u64::from(b'\\')));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', &s[i..]).map(|j| i + j)
}

/// A text field's value as serde gives it. Out of line: [`assign`] keeps
/// the common case (a plain string) to itself.
#[inline(never)]
fn text(v: Value<'_>) -> Text<'_> {
    match v {
        Value::Str(s) => Text::borrowed(s),
        Value::Number(n, _) => number_text(n),
        Value::Other(span, line) => match span.scalar(line) {
            Scalar::Str(s) => Text::of(s),
            Scalar::Bool(b) => Text::of(Cow::Borrowed(if b { "True" } else { "False" })),
            _ => Text(None),
        },
    }
}

/// A number as text, as serde gives it: integers that fit 64 bits as
/// written, all else as f64.
fn number_text(n: &str) -> Text<'_> {
    match n.parse::<f64>() {
        Ok(x) => {
            let integer = !n.contains(['.', 'e', 'E'])
                && (n.parse::<u64>().is_ok() || n.parse::<i64>().is_ok_and(|v| v != 0));
            Text::of(if integer {
                Cow::Borrowed(n)
            } else {
                Cow::Owned(x.to_string())
            })
        }
        Err(_) => Text(None),
    }
}

/// A number field's value: converted by the scan, or parsed.
#[inline(always)]
fn num(v: Value<'_>) -> Num {
    match v {
        Value::Number(n, value) => Num(value.or_else(|| Scalar::Number(n.into()).number())),
        Value::Str(s) => Num(Scalar::Str(s.into()).number()),
        Value::Other(span, line) => Num(span.scalar(line).number()),
    }
}

/// A flag field's value: JSON booleans directly, anything else by its text.
#[inline]
fn flag(v: Value<'_>) -> Flag {
    match v {
        Value::Other(span, _) if span.kind == SpanKind::True => Flag(Some(true)),
        Value::Other(span, _) if span.kind == SpanKind::False => Flag(Some(false)),
        Value::Str(s) => Flag::of(&Text::borrowed(s)),
        _ => Flag::of(&text(v)),
    }
}

/// The JSON keys of [`Event`]'s fields; a key's index is its field's
/// number in [`assign`].
const KEYS: [&str; 29] = [
    "EventName",
    "Timestamp",
    "Site",
    "Hostname",
    "Status",
    "Action",
    "Operation",
    "SiteCacheFetchStatus",
    "SiteCacheProvider",
    "SiteCacheProviderReason",
    "Success",
    "DurationSeconds",
    "LatencyMs",
    "Rows",
    "DeletedRows",
    "SiteCacheFetchDurationMs",
    "UsageNumerator",
    "UsageDenominator",
    "DurationMinutes",
    "DurationMs",
    "TotalCount",
    "AddedCount",
    "RemovedCount",
    "ChangedCount",
    "UnchangedCount",
    "QueueBuildDelayMs",
    "QueueBuildDurationMs",
    "QueueDelayMs",
    "QueueDurationMs",
];

/// A key's slot in [`FIELD_AT`]: a hash that is distinct for every one of
/// [`KEYS`] (checked when the table is built, at compile time).
const fn slot(key: &[u8]) -> usize {
    (key.len() * 51 + key[0] as usize + key[key.len() - 2] as usize * 19) & 63
}

/// The index in [`KEYS`] of the key hashing to each slot, or `u8::MAX`.
const FIELD_AT: [u8; 64] = {
    let mut table = [u8::MAX; 64];
    let mut i = 0;
    while i < KEYS.len() {
        let s = slot(KEYS[i].as_bytes());
        assert!(table[s] == u8::MAX, "two keys share a slot: change slot()");
        table[s] = i as u8;
        i += 1;
    }
    table
};

/// The number of `key`'s field, if it is one of [`KEYS`]: one hash and
/// one comparison instead of a comparison per candidate.
#[inline(always)]
fn field_of(key: &[u8]) -> Option<usize> {
    if key.len() < 2 {
        return None;
    }
    let i = usize::from(FIELD_AT[slot(key)]);
    (KEYS.get(i)?.as_bytes() == key).then_some(i)
}

/// Store `v` in field number `field` (an index in [`KEYS`]). The field is
/// picked first and the value converted on one path, so that it stays in
/// registers (converted per arm, it went through the stack and stalled).
#[inline(always)]
fn assign<'a>(ev: &mut Event<'a>, field: usize, v: Value<'a>) {
    let text_field = match field {
        0 => &mut ev.event_name,
        1 => &mut ev.timestamp,
        2 => &mut ev.site,
        3 => &mut ev.hostname,
        4 => &mut ev.status,
        5 => &mut ev.action,
        6 => &mut ev.operation,
        7 => &mut ev.site_cache_fetch_status,
        8 => &mut ev.site_cache_provider,
        9 => &mut ev.site_cache_provider_reason,
        10 => {
            ev.success = flag(v);
            return;
        }
        _ => {
            let num_field = match field {
                11 => &mut ev.duration_seconds,
                12 => &mut ev.latency_ms,
                13 => &mut ev.rows,
                14 => &mut ev.deleted_rows,
                15 => &mut ev.site_cache_fetch_duration_ms,
                16 => &mut ev.usage_numerator,
                17 => &mut ev.usage_denominator,
                18 => &mut ev.duration_minutes,
                19 => &mut ev.duration_ms,
                20 => &mut ev.total_count,
                21 => &mut ev.added_count,
                22 => &mut ev.removed_count,
                23 => &mut ev.changed_count,
                24 => &mut ev.unchanged_count,
                25 => &mut ev.queue_build_delay_ms,
                26 => &mut ev.queue_build_duration_ms,
                27 => &mut ev.queue_delay_ms,
                28 => &mut ev.queue_duration_ms,
                _ => unreachable!("field numbers come from KEYS"),
            };
            *num_field = num(v);
            return;
        }
    };
    // The common case on its own path (merged with the rare ones, the
    // value was built on the stack and stalled when copied out).
    match v {
        Value::Str(s) => *text_field = Text::borrowed(s),
        _ => *text_field = text(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::event::Event;

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

    /// A line of random bytes drawn mostly from JSON's structural ones.
    fn random_line(next: &mut impl FnMut() -> u64) -> Vec<u8> {
        const BYTES: &[u8] = b"\"\\{}[]:,aZ09 \t\x01\x1f\x7f\x80\xc3\xa9\xff";
        let len = (next() % 300) as usize;
        (0..len)
            .map(|_| BYTES[(next() % BYTES.len() as u64) as usize])
            .collect()
    }

    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn the_vector_pass_marks_what_the_byte_loop_marks() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let line = random_line(&mut next);
            let words = line.len().div_ceil(64);
            let (mut a, mut b) = (vec![0u64; words], vec![0u64; words]);
            let (ma, mb) = (mark(&line, &mut a), mark_bytes(&line, &mut b));
            assert_eq!((ma, a), (mb, b), "{line:?}");
        }
    }

    #[test]
    fn quotes_are_found_across_words() {
        let mut line = vec![b'a'; 200];
        for at in [0, 63, 64, 130, 199] {
            line[at] = b'"';
        }
        let mut bits = vec![0u64; 4];
        mark(&line, &mut bits);
        let q = Quotes {
            bits: &bits,
            escapes: false,
        };
        let found: Vec<Option<usize>> = [0, 1, 64, 65, 131, 199, 200]
            .iter()
            .map(|f| q.next(*f))
            .collect();
        assert_eq!(
            found,
            [
                Some(0),
                Some(63),
                Some(64),
                Some(130),
                Some(199),
                Some(199),
                None
            ]
        );
    }

    #[test]
    fn every_known_key_has_its_own_field_and_no_other_key_does() {
        for (i, k) in KEYS.iter().enumerate() {
            assert_eq!(field_of(k.as_bytes()), Some(i), "{k}");
            let lower = k.to_ascii_lowercase();
            assert_eq!(field_of(lower.as_bytes()), None, "{lower}");
            assert_eq!(
                field_of(&k.as_bytes()[1..]),
                None,
                "{k} without its first letter"
            );
            let longer = format!("{k}s");
            assert_eq!(field_of(longer.as_bytes()), None, "{longer}");
        }
        for other in ["", "S", "Ms", "FileName", "EventNamf", "SiteX"] {
            assert_eq!(field_of(other.as_bytes()), None, "{other}");
        }
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
            assert_eq!(number(ok.as_bytes()).map(|n| n.0), Some(ok.len()), "{ok}");
        }
        for bad in [
            "01", "1.", ".5", "+1", "-", "1e", "NaN", "inf", "1.2.3", "1e+",
        ] {
            assert_ne!(
                number(bad.as_bytes()).map(|n| n.0),
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
            // (Numbers only: a leading zero ends one, as JSON has it.)
            if let Some((_, _, Some(v))) = number(s.as_bytes()).filter(|n| n.0 == s.len()) {
                fast += 1;
                assert_eq!(v.to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}");
            }
        }
        assert!(fast > 80_000, "{fast} took the fast path");
        for unconverted in ["1e3", "1234567890123456", "-0.1234567890123456"] {
            assert_eq!(
                number(unconverted.as_bytes()).map(|n| n.2),
                Some(None),
                "{unconverted}"
            );
        }
        let value = |s: &str| number(s.as_bytes()).and_then(|n| n.2).map(f64::to_bits);
        assert_eq!(value("-0"), Some((-0.0f64).to_bits()));
        assert_eq!(value("0.5"), Some(0.5f64.to_bits()));
    }
}
