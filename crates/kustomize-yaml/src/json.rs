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

#[cfg(test)]
mod tests {
    use super::*;

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
