//! Plain-scalar resolution as upstream's two YAML libraries do it, and the Go number and
//! time formatting the output path depends on.
//!
//! * [`resolve_v3`]: go-yaml v3 (`resolve.go`), used by kyaml for resources: YAML 1.2 booleans,
//!   Go `strconv` integers and floats, timestamps.
//! * [`resolve_v2`]: go-yaml v2, used for kustomization files and by the emitter's quoting
//!   decision: YAML 1.1 booleans (`yes`, `on`, `y`, ...), otherwise the same rules.

use std::fmt::Write as _;

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// `~`, `null`, `Null`, `NULL` or empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX` that fits `u64`.
    UInt(u64),
    /// A float (including `.inf` / `.nan`).
    Float(f64),
    /// A YAML timestamp (`2001-12-14`, `2001-12-14T21:59:43.10Z`, ...).
    Timestamp(Timestamp),
    /// Anything else: a string.
    Str,
}

impl Resolved {
    /// The short YAML tag name (`str`, `int`, ...), as go-yaml names it in errors.
    pub fn tag_name(&self) -> &'static str {
        match self {
            Resolved::Null => "null",
            Resolved::Bool(_) => "bool",
            Resolved::Int(_) | Resolved::UInt(_) => "int",
            Resolved::Float(_) => "float",
            Resolved::Timestamp(_) => "timestamp",
            Resolved::Str => "str",
        }
    }
}

/// Which go-yaml major version's table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V2,
    V3,
}

/// go-yaml v3 resolution of a plain scalar (`try_timestamp` is false under an explicit tag
/// other than `!!timestamp`).
pub fn resolve_v3(s: &str, try_timestamp: bool) -> Resolved {
    resolve(s, Version::V3, try_timestamp)
}

/// go-yaml v2 (YAML 1.1) resolution of a plain scalar.
pub fn resolve_v2(s: &str, try_timestamp: bool) -> Resolved {
    resolve(s, Version::V2, try_timestamp)
}

/// Whether go-yaml v2's encoder may print `s` as a plain scalar: it must resolve to a string
/// and not look like a YAML 1.1 base-60 float (`1:20`).
pub fn v2_plain_is_string(s: &str) -> bool {
    matches!(resolve_v2(s, true), Resolved::Str) && !is_base60_float(s)
}

fn resolve(s: &str, version: Version, try_timestamp: bool) -> Resolved {
    let Some(&first) = s.as_bytes().first() else {
        return Resolved::Null;
    };
    // The first byte picks the candidates (go-yaml's `resolveTable` hint).
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            resolve_word(s, version).unwrap_or(Resolved::Str)
        }
        b'.' => {
            if let Some(r) = resolve_word(s, version) {
                return r;
            }
            // Go's ParseFloat on a string starting with '.'.
            if is_yaml_float_syntax(s) {
                if let Some(f) = parse_finite_f64(s) {
                    return Resolved::Float(f);
                }
            }
            Resolved::Str
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(r) = resolve_word(s, version) {
                return r;
            }
            resolve_number(s, version, try_timestamp)
        }
        _ => Resolved::Str,
    }
}

/// The fixed words of go-yaml's `resolveMap`.
fn resolve_word(s: &str, version: Version) -> Option<Resolved> {
    Some(match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" if version == Version::V2 => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" if version == Version::V2 => {
            Resolved::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Int, float or timestamp, for scalars starting with a sign or a digit.
fn resolve_number(s: &str, version: Version, try_timestamp: bool) -> Resolved {
    if try_timestamp {
        if let Some(t) = parse_timestamp(s) {
            return Resolved::Timestamp(t);
        }
    }
    let stripped;
    let plain: &str = if s.contains('_') {
        stripped = s.replace('_', "");
        &stripped
    } else {
        s
    };
    if let Some(i) = go_parse_int(plain, 0) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(plain, 0) {
        return Resolved::UInt(u);
    }
    if is_yaml_float_syntax(plain) {
        if let Some(f) = parse_finite_f64(plain) {
            return Resolved::Float(f);
        }
    }
    // go-yaml retries explicit prefixes with Go's ParseInt, which then accepts a sign after
    // the prefix (`0b-1` is -1).
    let int_or_uint = |digits: &str, base: u32| {
        go_parse_int(digits, base)
            .map(Resolved::Int)
            .or_else(|| go_parse_uint(digits, base).map(Resolved::UInt))
    };
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Some(r) = int_or_uint(rest, 2) {
            return r;
        }
    } else if let Some(rest) = plain.strip_prefix("-0b") {
        if let Some(i) = go_parse_int(&format!("-{rest}"), 2) {
            return Resolved::Int(i);
        }
    }
    if version == Version::V3 {
        if let Some(rest) = plain.strip_prefix("0o") {
            if let Some(r) = int_or_uint(rest, 8) {
                return r;
            }
        } else if let Some(rest) = plain.strip_prefix("-0o") {
            if let Some(i) = go_parse_int(&format!("-{rest}"), 8) {
                return Resolved::Int(i);
            }
        }
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (go-yaml's `yamlStyleFloat`).
fn is_yaml_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's ParseFloat for already-validated decimal syntax: an overflow is an error.
fn parse_finite_f64(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `strconv.ParseUint(s, base, 64)`; base 0 reads `0x`, `0o`, `0b` and `0` prefixes.
/// Underscores are not accepted (callers strip them first, as go-yaml does).
pub fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    let (digits, base) = if base == 0 {
        let b = s.as_bytes();
        if b.first() == Some(&b'0') {
            match b.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if b.len() >= 3 => (&s[2..], 2),
                Some(b'o') if b.len() >= 3 => (&s[2..], 8),
                Some(b'x') if b.len() >= 3 => (&s[2..], 16),
                _ => (&s[1..], 8),
            }
        } else {
            if s.is_empty() {
                return None;
            }
            (s, 10)
        }
    } else {
        if s.is_empty() {
            return None;
        }
        (s, base)
    };
    let mut n: u64 = 0;
    for c in digits.bytes() {
        let d = (c as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, base, 64)`: an optional sign, then [`go_parse_uint`].
pub fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest, base)?;
    if neg {
        if u <= 1 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// go-yaml v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !b.contains(&b':') {
        return false;
    }
    let mut i = usize::from(c == b'+' || c == b'-');
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one or two digits, the first of two at most 5.
        let d1 = b.get(i).copied().filter(u8::is_ascii_digit);
        let d2 = b.get(i + 1).copied().filter(u8::is_ascii_digit);
        match (d1, d2) {
            (Some(a), Some(_)) if a <= b'5' => i += 2,
            (Some(_), _) => i += 1,
            (None, _) => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// A timestamp as Go's `time.Parse` reads go-yaml's allowed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Four-digit year.
    pub year: u32,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-59.
    pub second: u32,
    /// Nanoseconds.
    pub nanos: u32,
    /// Offset from UTC in seconds (0 for `Z` or no zone).
    pub offset: i32,
}

impl Timestamp {
    /// Go's `time.RFC3339Nano` layout, as `json.Marshal` prints a `time.Time`.
    pub fn to_rfc3339_nano(&self) -> String {
        let mut s = String::with_capacity(35);
        let _ = write!(
            s,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        if self.offset == 0 {
            s.push('Z');
        } else {
            let minutes = self.offset.unsigned_abs() / 60;
            s.push(if self.offset < 0 { '-' } else { '+' });
            let _ = write!(s, "{:02}:{:02}", minutes / 60, minutes % 60);
        }
        s
    }
}

/// go-yaml's `parseTimestamp`: `YYYY-M-D`, optionally followed by `T`/`t`/spaces and
/// `h:m:s[.frac]`, and with `T`/`t` by a zone (`Z` or `±hh:mm`).
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    // Quick check: all formats start with YYYY-.
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut p = Cursor { b, i: 5 };
    let year = (b[0] - b'0') as u32 * 1000
        + (b[1] - b'0') as u32 * 100
        + (b[2] - b'0') as u32 * 10
        + (b[3] - b'0') as u32;
    let month = p.num12()?;
    p.lit(b'-')?;
    let day = p.num12()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let mut t = Timestamp {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: 0,
    };
    if p.i < b.len() {
        // "T" / "t" with a zone, or spaces without one.
        let with_zone = match b[p.i] {
            b'T' | b't' => {
                p.i += 1;
                true
            }
            b' ' => {
                while p.i < b.len() && b[p.i] == b' ' {
                    p.i += 1;
                }
                false
            }
            _ => return None,
        };
        t.hour = p.num12()?;
        if t.hour >= 24 {
            return None;
        }
        p.lit(b':')?;
        t.minute = p.num12()?;
        if t.minute >= 60 {
            return None;
        }
        p.lit(b':')?;
        t.second = p.num12()?;
        if t.second >= 60 {
            return None;
        }
        // Fractional seconds: '.' or ',' followed by digits; more than nine are truncated.
        if p.i + 1 < b.len() && matches!(b[p.i], b'.' | b',') && b[p.i + 1].is_ascii_digit() {
            p.i += 1;
            let mut nanos = 0u32;
            let mut n = 0;
            while p.i < b.len() && b[p.i].is_ascii_digit() {
                if n < 9 {
                    nanos = nanos * 10 + u32::from(b[p.i] - b'0');
                    n += 1;
                }
                p.i += 1;
            }
            while n < 9 {
                nanos *= 10;
                n += 1;
            }
            t.nanos = nanos;
        }
        if with_zone {
            if b.get(p.i) == Some(&b'Z') {
                p.i += 1;
            } else {
                let z = b.get(p.i..p.i + 6)?;
                if z[3] != b':' || !matches!(z[0], b'+' | b'-') {
                    return None;
                }
                let two = |x: &[u8]| -> Option<i32> {
                    (x[0].is_ascii_digit() && x[1].is_ascii_digit())
                        .then(|| i32::from(x[0] - b'0') * 10 + i32::from(x[1] - b'0'))
                };
                let (hh, mm) = (two(&z[1..3])?, two(&z[4..6])?);
                if hh > 24 || mm > 60 {
                    return None;
                }
                let off = (hh * 60 + mm) * 60;
                t.offset = if z[0] == b'-' { -off } else { off };
                p.i += 6;
            }
        }
    }
    if p.i != b.len() || day < 1 || day > days_in_month(month, year) {
        return None;
    }
    Some(t)
}

// `is_multiple_of` needs Rust 1.87; the workspace supports 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// Go's `getnum(s, false)`: one or two digits.
    fn num12(&mut self) -> Option<u32> {
        let d1 = self.b.get(self.i).filter(|c| c.is_ascii_digit())?;
        self.i += 1;
        let mut n = u32::from(d1 - b'0');
        if let Some(d2) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            self.i += 1;
            n = n * 10 + u32::from(d2 - b'0');
        }
        Some(n)
    }

    fn lit(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
pub fn go_format_float64(f: f64) -> String {
    go_nonfinite(f.is_nan(), f.is_infinite(), f > 0.0)
        .unwrap_or_else(|| format_g_shortest(&format!("{f:e}")))
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`.
pub fn go_format_float32(f: f32) -> String {
    go_nonfinite(f.is_nan(), f.is_infinite(), f > 0.0)
        .unwrap_or_else(|| format_g_shortest(&format!("{f:e}")))
}

/// How Go's `FormatFloat` writes NaN and the infinities.
fn go_nonfinite(nan: bool, infinite: bool, positive: bool) -> Option<String> {
    match (nan, infinite, positive) {
        (true, _, _) => Some("NaN".into()),
        (_, true, true) => Some("+Inf".into()),
        (_, true, false) => Some("-Inf".into()),
        _ => None,
    }
}

/// Turns Rust's shortest `{:e}` text (`-1.2345e8`) into Go's shortest `%g`: the `%e` form
/// (`1.2345e+08`, two exponent digits at least) when the exponent is below -4 or at least 6
/// (Go's fixed threshold for shortest precision), else the `%f` form.
fn format_g_shortest(e_form: &str) -> String {
    let (digits, exp, neg) = split_e_form(e_form);
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if digits == "0" {
        out.push('0');
        return out;
    }
    let nd = digits.len() as i32;
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else {
        let dp = exp + 1; // digits before the decimal point
        if dp <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-dp) as usize));
            out.push_str(&digits);
        } else if dp >= nd {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (dp - nd) as usize));
        } else {
            out.push_str(&digits[..dp as usize]);
            out.push('.');
            out.push_str(&digits[dp as usize..]);
        }
    }
    out
}

/// How a float prints after upstream's `json.Marshal` -> go-yaml v2 round trip.
///
/// `json.Marshal` writes Go's shortest `%f` below 1e21 (`%e` below 1e-6 or from 1e21 up);
/// go-yaml v2 reads an integer-looking result back as an integer when it fits 64 bits
/// (`1.0` -> `1`, but 2^63 as a float is `9223372036854776000`), the rest prints with Go's
/// shortest `%g`. `None` for NaN and infinities (`json: unsupported value`).
pub fn float_output_text(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        let e_form = format!("{f:e}");
        let (digits, exp, neg) = split_e_form(&e_form);
        let nd = digits.len() as i32;
        if exp + 1 >= nd {
            // Integral text: digits padded with zeros.
            let mut text = String::with_capacity(24);
            if neg {
                text.push('-');
            }
            text.push_str(&digits);
            text.extend(std::iter::repeat_n('0', (exp + 1 - nd) as usize));
            if let Some(i) = go_parse_int(&text, 10) {
                return Some(i.to_string());
            }
            if let Some(u) = go_parse_uint(&text, 10) {
                return Some(u.to_string());
            }
        }
    }
    Some(go_format_float64(f))
}

/// Splits Rust's `{:e}` text into (significant digits, decimal exponent, negative).
fn split_e_form(e_form: &str) -> (String, i32, bool) {
    let (mantissa, exp) = e_form.split_once('e').expect("{:e} output has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exp, neg)
}

/// Go's name for a non-finite float in `json: unsupported value: ...`.
pub fn go_nonfinite_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// What a plain scalar of a resource stands for (go-yaml v3's rules, a timestamp as its
/// RFC 3339 text): the value of a [`crate::Value::Plain`]. Never a `Plain` itself.
pub fn resource_scalar(text: &str) -> crate::Value {
    use crate::Value;
    match resolve_v3(text, true) {
        Resolved::Null if text.is_empty() => Value::Blank,
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::UInt(u) => Value::UInt(u),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Timestamp(t) => Value::String(t.to_rfc3339_nano().into()),
        Resolved::Str => Value::from(text),
    }
}

/// Whether a plain scalar's `text` is exactly how its `resolved` value prints (`31`,
/// `true`, `null`, `1.5`), so that the value alone keeps everything upstream could use.
pub(crate) fn prints_as_written(resolved: &Resolved, text: &str) -> bool {
    match resolved {
        Resolved::Str => true,
        Resolved::Null => text.is_empty() || text == "null",
        Resolved::Bool(b) => text == if *b { "true" } else { "false" },
        Resolved::Int(i) => text == itoa::Buffer::new().format(*i),
        Resolved::UInt(u) => text == itoa::Buffer::new().format(*u),
        Resolved::Float(f) => crate::json::go_json_float(*f).is_ok_and(|t| t == text),
        Resolved::Timestamp(_) => false,
    }
}

/// A plain scalar with this text as the parser reads it from a resource (a tagged node):
/// a string when the text reads as one, else a value that keeps the text
/// ([`crate::Value::Plain`] unless the text is how its value prints).
pub fn plain(text: &str) -> crate::Value {
    use crate::Value;
    let resolved = resolve_v3(text, true);
    if !prints_as_written(&resolved, text) {
        return Value::Plain(crate::Str::new(text));
    }
    match resolved {
        Resolved::Null if text.is_empty() => Value::Blank,
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::UInt(u) => Value::UInt(u),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Timestamp(_) | Resolved::Str => Value::from(text),
    }
}

/// A plain scalar with this text and no tag, as kustomize writes one with kyaml's
/// `NewScalarRNode` (an image, a prefixed name, a field a replacement creates): its text,
/// marked [`untagged`](crate::Str::is_untagged), as a string when it reads as one and as a
/// [`crate::Value::Plain`] otherwise. go-yaml v3 resolves it when the resource is
/// printed: `80` prints as a number, `2001-12-14` as a timestamp.
pub fn untagged(text: &str) -> crate::Value {
    use crate::Value;
    let marked = crate::Str::new(text).untagged(true);
    match resolve_v3(text, true) {
        Resolved::Str => Value::String(marked),
        _ => Value::Plain(marked),
    }
}

/// Whether go-yaml v2 (YAML 1.1) reads this plain text as something other than a string:
/// kyaml's `IsValueNonString`, by which its field setter quotes an untagged scalar. Empty
/// and multi-line texts never are; a timestamp decodes as a string there.
pub fn is_yaml11_non_string(text: &str) -> bool {
    !text.is_empty()
        && !text.contains('\n')
        && !matches!(
            resolve_v2(text, false),
            Resolved::Str | Resolved::Timestamp(_)
        )
}

/// Whether a plain scalar with this text reads as null (`~`, `null`, `Null`, `NULL`, empty).
pub fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// The value an untagged plain scalar with this text resolves to when upstream reads a
/// resource (go-yaml v3 rules); timestamps stay text.
pub fn plain_scalar_value(text: &str) -> crate::Value {
    use crate::Value;
    match resolve_v3(text, false) {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::UInt(u) => Value::UInt(u),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Timestamp(_) | Resolved::Str => Value::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3(s: &str) -> Resolved {
        resolve_v3(s, true)
    }

    #[test]
    fn v3_table_checked_with_reference() {
        // Values observed from reference kustomize v5.7.1 output.
        assert_eq!(v3("yes"), Resolved::Str);
        assert_eq!(v3("on"), Resolved::Str);
        assert_eq!(v3("y"), Resolved::Str);
        assert_eq!(v3("True"), Resolved::Bool(true));
        assert_eq!(v3("FALSE"), Resolved::Bool(false));
        assert_eq!(v3("~"), Resolved::Null);
        assert_eq!(v3("Null"), Resolved::Null);
        assert_eq!(v3(""), Resolved::Null);
        assert_eq!(v3("012"), Resolved::Int(10));
        assert_eq!(v3("0x1F"), Resolved::Int(31));
        assert_eq!(v3("0b101"), Resolved::Int(5));
        assert_eq!(v3("0o17"), Resolved::Int(15));
        assert_eq!(v3("1_000"), Resolved::Int(1000));
        assert_eq!(v3("+12"), Resolved::Int(12));
        assert_eq!(v3("-0b11"), Resolved::Int(-3));
        assert_eq!(v3("09"), Resolved::Float(9.0));
        assert_eq!(v3("08.5"), Resolved::Float(8.5));
        assert_eq!(v3("18446744073709551615"), Resolved::UInt(u64::MAX));
        assert_eq!(
            v3("18446744073709551616"),
            Resolved::Float(18446744073709551616.0)
        );
        assert_eq!(v3("-9223372036854775808"), Resolved::Int(i64::MIN));
        assert_eq!(v3("1e3"), Resolved::Float(1000.0));
        assert_eq!(v3(".5"), Resolved::Float(0.5));
        assert_eq!(v3("+.5"), Resolved::Float(0.5));
        assert_eq!(v3("-.5e2"), Resolved::Float(-50.0));
        assert_eq!(v3("0."), Resolved::Float(0.0));
        assert_eq!(v3("1_000.5"), Resolved::Float(1000.5));
        assert_eq!(v3("0x1p3"), Resolved::Str);
        assert_eq!(v3(".Nan"), Resolved::Str);
        assert_eq!(v3("0o"), Resolved::Str);
        assert_eq!(v3("0x"), Resolved::Str);
        assert_eq!(v3("1e"), Resolved::Str);
        assert_eq!(v3("1e400"), Resolved::Str);
        assert_eq!(v3("1:20"), Resolved::Str);
        assert_eq!(v3("<<"), Resolved::Str);
        assert!(matches!(v3(".inf"), Resolved::Float(f) if f == f64::INFINITY));
    }

    #[test]
    fn v2_table() {
        for s in ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true"] {
            assert_eq!(resolve_v2(s, true), Resolved::Bool(true), "{s}");
        }
        for s in ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false"] {
            assert_eq!(resolve_v2(s, true), Resolved::Bool(false), "{s}");
        }
        assert_eq!(resolve_v2("0b-1", true), Resolved::Int(-1));
        assert_eq!(resolve_v2("0o17", true), Resolved::Int(15));
        assert_eq!(resolve_v2("0o-7", true), Resolved::Str);
        assert!(!v2_plain_is_string("1:20"));
        assert!(!v2_plain_is_string("190:20:30"));
        assert!(!v2_plain_is_string("1:2:3.5"));
        assert!(v2_plain_is_string("1:60"));
        assert!(v2_plain_is_string("a:1"));
        assert!(!v2_plain_is_string("2001-12-14"));
        assert!(v2_plain_is_string("1e400"));
    }

    #[test]
    fn timestamps_checked_with_reference() {
        let f = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339_nano());
        assert_eq!(f("2001-12-14").as_deref(), Some("2001-12-14T00:00:00Z"));
        assert_eq!(
            f("2001-12-14T21:59:43.10Z").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            f("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            f("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(f("2001-1-2").as_deref(), Some("2001-01-02T00:00:00Z"));
        assert_eq!(f("2001-02-29"), None);
        assert_eq!(f("2001-12-14 21:59:43.10 -5"), None);
        assert_eq!(
            f("2001-12-14T21:59:43+00:00").as_deref(),
            Some("2001-12-14T21:59:43Z")
        );
        assert_eq!(f("12001-12-14"), None);
    }

    #[test]
    fn float_text_checked_with_reference() {
        let f = |x: f64| float_output_text(x).unwrap();
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1e-7), "1e-07");
        assert_eq!(f(123456789.5), "1.234567895e+08");
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(1e-6), "1e-06");
        assert_eq!(f(100000.5), "100000.5");
        assert_eq!(f(1234567.5), "1.2345675e+06");
        assert_eq!(f(1e20), "1e+20");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(18446744073709551616.0), "1.8446744073709552e+19");
        // 2^63 as a float: json.Marshal prints the shortest digits padded with zeros.
        assert_eq!(f(9223372036854775808.0), "9223372036854776000");
        assert_eq!(f(-9223372036854775808.0), "-9.223372036854776e+18");
        assert_eq!(f(1e19), "10000000000000000000");
        assert_eq!(f(12345678901234567.0), "12345678901234568");
        assert_eq!(f(9007199254740993.0), "9007199254740992");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(float_output_text(f64::NAN), None);
        assert_eq!(go_format_float32(123456789.0), "1.2345679e+08");
        assert_eq!(go_format_float32(0.1), "0.1");
    }
}
