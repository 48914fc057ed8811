//! JSON text exactly as Go's `encoding/json` writes a decoded YAML value: map keys sorted
//! bytewise, no spaces, HTML-safe escaping (`<`, `>`, `&` as `\u003c`, `\u003e`,
//! `\u0026`; U+2028 and U+2029 escaped), and Go's float format. Upstream hashes generated
//! ConfigMaps and Secrets over these bytes, so every byte matters.

use std::fmt::Write;

use crate::{Key, Value};

/// The JSON encoding of `value`; an error for NaN or infinity, which Go refuses.
pub fn to_go_json(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null | Value::Blank => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => out.push_str(&go_json_float(*f)?),
        Value::String(s) => write_string(s, out),
        Value::Plain(_) => return write_value(&value.resolved(), out),
        Value::Seq(_) | Value::Map(_) => {
            return crate::stack::deeper(|| write_collection(value, out))
        }
    }
    Ok(())
}

fn write_collection(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut entries: Vec<(&Key, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(v, out)?;
            }
            out.push('}');
        }
        _ => write_value(value, out)?,
    }
    Ok(())
}

/// A JSON string literal as Go's encoder writes it.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's JSON float format: shortest digits, fixed notation unless the magnitude is below
/// 1e-6 or at least 1e21, then `1e-7` / `1e+21` style.
pub fn go_json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            crate::resolve::go_nonfinite_name(f)
        ));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        let digits = if sign == '+' && digits.len() < 2 {
            format!("0{digits}")
        } else {
            digits.to_owned()
        };
        return Ok(format!("{mantissa}e{sign}{digits}"));
    }
    Ok(format!("{f}"))
}

/// Checks that `text` is one JSON value as Go's `encoding/json` reads it (RFC 8259:
/// no comments, no trailing commas, double-quoted strings with JSON escapes, numbers
/// without leading zeros or `+`), nesting at most 10,000 levels. The error is Go's:
/// ``invalid character 'x' looking for beginning of value``.
pub fn check_json(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let invalid = |i: usize, what: &str| -> String {
        match b.get(i) {
            Some(&c) => format!("invalid character {:?} {what}", char::from(c)),
            None => "unexpected end of JSON input".into(),
        }
    };
    let ws = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    /// What comes next.
    enum State {
        Value,
        /// The first element of an array, or its end.
        FirstItem,
        /// The first key of an object, or its end.
        FirstKey,
        /// A key, then `:` (after a `,` in an object).
        Key,
        /// `,` or the end of the open container (or of the text).
        After,
    }
    // The open containers: `[` or `{`.
    let mut open: Vec<u8> = Vec::new();
    let mut state = State::Value;
    let mut i = 0;
    loop {
        ws(&mut i);
        state = match state {
            State::Value => match b.get(i) {
                Some(&c @ (b'[' | b'{')) => {
                    if open.len() >= 10_000 {
                        return Err("exceeded max depth".into());
                    }
                    open.push(c);
                    i += 1;
                    if c == b'[' {
                        State::FirstItem
                    } else {
                        State::FirstKey
                    }
                }
                Some(b'"') => {
                    i = json_string(b, i)?;
                    State::After
                }
                Some(b'-' | b'0'..=b'9') => {
                    i = json_number(b, i)?;
                    State::After
                }
                _ => {
                    let literal = ["true", "false", "null"]
                        .into_iter()
                        .find(|l| text[i..].starts_with(l));
                    match literal {
                        Some(l) => {
                            i += l.len();
                            State::After
                        }
                        None => return Err(invalid(i, "looking for beginning of value")),
                    }
                }
            },
            State::FirstItem if b.get(i) == Some(&b']') => {
                i += 1;
                open.pop();
                State::After
            }
            State::FirstItem => State::Value,
            State::FirstKey if b.get(i) == Some(&b'}') => {
                i += 1;
                open.pop();
                State::After
            }
            State::FirstKey | State::Key => {
                if b.get(i) != Some(&b'"') {
                    return Err(invalid(i, "looking for beginning of object key string"));
                }
                i = json_string(b, i)?;
                ws(&mut i);
                if b.get(i) != Some(&b':') {
                    return Err(invalid(i, "after object key"));
                }
                i += 1;
                State::Value
            }
            State::After => {
                let Some(&top) = open.last() else { break };
                let close = if top == b'[' { b']' } else { b'}' };
                match b.get(i) {
                    Some(&c) if c == close => {
                        i += 1;
                        open.pop();
                        State::After
                    }
                    Some(b',') => {
                        i += 1;
                        if top == b'[' {
                            State::Value
                        } else {
                            State::Key
                        }
                    }
                    _ if top == b'[' => return Err(invalid(i, "after array element")),
                    _ => return Err(invalid(i, "after object key:value pair")),
                }
            }
        };
    }
    if i < b.len() {
        return Err(invalid(i, "after top-level value"));
    }
    Ok(())
}

/// The end of the JSON string starting at `b[i] == '"'`.
fn json_string(b: &[u8], mut i: usize) -> Result<usize, String> {
    i += 1;
    loop {
        match b.get(i) {
            None => return Err("unexpected end of JSON input".into()),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match b.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u')
                    if b.get(i + 2..i + 6)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                {
                    i += 6
                }
                Some(&c) => {
                    return Err(format!(
                        "invalid character {:?} in string escape code",
                        char::from(c)
                    ))
                }
                None => return Err("unexpected end of JSON input".into()),
            },
            Some(&c) if c < 0x20 => {
                return Err(format!(
                    "invalid character {:?} in string literal",
                    char::from(c)
                ))
            }
            Some(_) => i += 1,
        }
    }
}

/// The end of the JSON number starting at `b[i]`.
fn json_number(b: &[u8], mut i: usize) -> Result<usize, String> {
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        Some(&c) => {
            return Err(format!(
                "invalid character {:?} in numeric literal",
                char::from(c)
            ))
        }
        None => return Err("unexpected end of JSON input".into()),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return Err("invalid character after decimal point in numeric literal".into());
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return Err("invalid character in exponent of numeric literal".into());
        }
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_json_as_go_reads_it() {
        for ok in [
            "[]",
            "[{\"op\": \"add\", \"path\": \"/a\", \"value\": [1, -2.5e+3, true, null, {}]}]",
            " {\"a\": \"\\u00e9\\n\"} ",
        ] {
            assert_eq!(check_json(ok), Ok(()), "{ok}");
        }
        for (bad, want) in [
            (
                "[{op: add}]",
                "invalid character 'o' looking for beginning of object key string",
            ),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            ("[01]", "invalid character '1' after array element"),
            (
                "['a']",
                "invalid character '\\'' looking for beginning of value",
            ),
            ("[1] x", "invalid character 'x' after top-level value"),
            ("[", "unexpected end of JSON input"),
        ] {
            assert_eq!(check_json(bad), Err(want.to_owned()), "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(10_001), "]".repeat(10_001));
        assert!(check_json(&deep).is_err());
    }

    #[test]
    fn escapes_like_go() {
        let mut s = String::new();
        write_string("a<b>&\"\\\n\u{1}\u{2028}é", &mut s);
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001\u2028é""#);
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(go_json_float(1.0).unwrap(), "1");
        assert_eq!(go_json_float(1.5).unwrap(), "1.5");
        assert_eq!(go_json_float(1e-7).unwrap(), "1e-7");
        assert_eq!(go_json_float(1e21).unwrap(), "1e+21");
        assert_eq!(go_json_float(123456789.5).unwrap(), "123456789.5");
    }

    #[test]
    fn maps_sort_bytewise() {
        let mut m = crate::Mapping::default();
        m.insert("b", Value::Int(1));
        m.insert("B", Value::Null);
        m.insert("a", Value::from(vec![Value::Bool(true)]));
        assert_eq!(
            to_go_json(&Value::Map(m)).unwrap(),
            r#"{"B":null,"a":[true],"b":1}"#
        );
    }

    #[test]
    fn non_finite_floats_are_named_as_go_names_them() {
        assert_eq!(
            go_json_float(f64::INFINITY).unwrap_err(),
            "json: unsupported value: +Inf"
        );
        assert_eq!(
            go_json_float(f64::NAN).unwrap_err(),
            "json: unsupported value: NaN"
        );
    }
}
