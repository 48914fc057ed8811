//! `vars:` substitution (upstream's `refVarTransformer` and `filters/refvar`): `$(NAME)` in
//! the fields of the `varReference` table becomes the var's value.
//!
//! Rules: only string scalars (in a field, a map's values, or a list's items) are
//! rewritten; a string that is exactly `$(NAME)` takes the value's type (a number stays a
//! number); inside a longer string the value prints as Go's `%v`; `$$` is a literal `$`;
//! an unknown `$(NAME)` is left as it is; a value that is a map or a list is not
//! substituted. What a var's value is follows its field's tag (`var_value`).

use std::collections::BTreeMap;

use kustomize_yaml::Value;

use std::sync::Arc;

use super::Transformer;
use crate::fieldspec::FieldSpec;
use crate::limits::Allowance;
use crate::resmap::ResMap;
use crate::Error;

/// Substitutes var values.
#[derive(Debug, Clone)]
pub struct RefVarTransformer {
    /// Var names and values.
    pub values: BTreeMap<String, Value>,
    /// The `varReference` table.
    pub field_specs: Vec<FieldSpec>,
    /// What the build has left of its limits: each string rewritten is charged (a long
    /// value substituted in many places is a copy each time).
    pub allowance: Arc<Allowance>,
}

impl Transformer for RefVarTransformer {
    fn transform(&self, resources: &mut ResMap) -> Result<(), Error> {
        let err = |message: String| Error::Transform {
            transformer: "vars",
            message,
        };
        let stop = resources.stop();
        for (i, r) in resources.iter_mut().enumerate() {
            stop.poll(i)?;
            let gvk = r.gvk();
            for spec in &self.field_specs {
                spec.apply(r.value_mut(), &gvk, None, &mut |node| self.set(node))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

impl RefVarTransformer {
    fn set(&self, node: &mut Value) -> Result<(), String> {
        match node {
            Value::String(s) => {
                *node = self.replace_charged(s)?;
                Ok(())
            }
            Value::Map(m) => {
                for v in m.values_mut() {
                    if let Value::String(s) = v {
                        *v = self.replace_charged(s)?;
                    }
                }
                Ok(())
            }
            Value::Seq(items) => {
                for item in items.iter_mut() {
                    let Value::String(s) = item else {
                        return Err("invalid value type expect a string".into());
                    };
                    *item = self.replace_charged(s)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// [`RefVarTransformer::replace`], charging what it made when it made something.
    fn replace_charged(&self, input: &str) -> Result<Value, String> {
        let out = self.replace(input);
        if out.as_str() != Some(input) {
            self.allowance.copy(&out).map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    /// The substitutable value of a var: scalars only.
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.values
            .get(name)
            .filter(|v| !matches!(v, Value::Seq(_) | Value::Map(_)))
    }

    /// Upstream's `DoReplacements`.
    fn replace(&self, input: &str) -> Value {
        if let Some(name) = input.strip_prefix("$(").and_then(|s| s.strip_suffix(')')) {
            if !name.contains(')') {
                return match self.lookup(name) {
                    Some(v) => v.clone(),
                    None => Value::from(input.to_owned()),
                };
            }
        }
        let bytes = input.as_bytes();
        let mut out = String::with_capacity(input.len());
        let (mut i, mut checkpoint) = (0, 0);
        while i < bytes.len() {
            if bytes[i] == b'$' && i + 1 < bytes.len() {
                out.push_str(&input[checkpoint..i]);
                let rest = &input[i + 1..];
                let advance = if rest.starts_with('$') {
                    out.push('$');
                    1
                } else if let Some(stripped) = rest.strip_prefix('(') {
                    match stripped.find(')') {
                        Some(end) => {
                            let name = &stripped[..end];
                            match self.lookup(name) {
                                Some(v) => out.push_str(&text_of(v)),
                                None => {
                                    out.push_str("$(");
                                    out.push_str(name);
                                    out.push(')');
                                }
                            }
                            end + 2
                        }
                        None => {
                            out.push_str("$(");
                            1
                        }
                    }
                } else {
                    let c = rest.chars().next().unwrap_or('$');
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                };
                i += advance;
                checkpoint = i + 1;
            }
            i += 1;
        }
        out.push_str(&input[checkpoint.min(input.len())..]);
        Value::from(out)
    }
}

/// A value as Go's `%v` prints it (a float in `%g` form: `1000`, `1e+21`).
fn text_of(v: &Value) -> String {
    match v {
        Value::Float(f) => kustomize_yaml::resolve::go_format_float64(*f),
        v => v.text().into_owned(),
    }
}

/// The value a var takes from the field it names (kyaml's `GetFieldValue`): a string's
/// text; an integer's text read by Go's `strconv.Atoi` (`017` is 17, `+12` is 12, and
/// `0x1F`, `0o17`, `1_000` fail); a float's by `ParseFloat` (`.inf` and `.nan` fail); a
/// boolean's by `ParseBool`; any other scalar (a null, a timestamp) its text as written
/// (`~`, `2001-12-14`). A map or a list is kept (and never substituted). `None` when the
/// text does not parse: upstream then reports the field as not found.
pub(crate) fn var_value(field: &Value) -> Option<Value> {
    let text = field.text();
    match (field, &*field.resolved()) {
        (Value::String(_) | Value::Seq(_) | Value::Map(_), _) => Some(field.clone()),
        (_, Value::Int(_) | Value::UInt(_)) => go_atoi(&text).map(Value::Int),
        (_, Value::Float(_)) => text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float),
        (_, Value::Bool(b)) => Some(Value::Bool(*b)),
        _ => Some(Value::from(text.into_owned())),
    }
}

/// Go's `strconv.Atoi` on a 64-bit machine: an optional sign and decimal digits.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> RefVarTransformer {
        let mut values = BTreeMap::new();
        values.insert("A".to_owned(), Value::from("x"));
        values.insert("N".to_owned(), Value::Int(3));
        RefVarTransformer {
            values,
            field_specs: Vec::new(),
            allowance: Allowance::new(Default::default()),
        }
    }

    #[test]
    fn replacements() {
        let t = t();
        assert_eq!(t.replace("$(A)"), Value::from("x"));
        assert_eq!(t.replace("$(N)"), Value::Int(3));
        assert_eq!(t.replace("a-$(A)-$(N)"), Value::from("a-x-3"));
        assert_eq!(t.replace("$$(A)"), Value::from("$(A)"));
        assert_eq!(t.replace("$(B) $"), Value::from("$(B) $"));
        assert_eq!(t.replace("$(A"), Value::from("$(A"));
    }

    #[test]
    fn var_values_follow_the_field_tag() {
        let field = |src: &str| {
            let doc = kustomize_yaml::parse_documents(
                &format!("v: {src}\n"),
                kustomize_yaml::Schema::Kyaml,
            )
            .unwrap();
            doc[0].get("v").unwrap().clone()
        };
        let value = |src: &str| var_value(&field(src));
        assert_eq!(value("017"), Some(Value::Int(17)));
        assert_eq!(value("+12"), Some(Value::Int(12)));
        assert_eq!(value("-0"), Some(Value::Int(0)));
        for fails in ["0x1F", "0o17", "1_000", ".inf", "-.Inf", ".nan"] {
            assert_eq!(value(fails), None, "{fails}");
        }
        assert_eq!(value("1e3"), Some(Value::Float(1000.0)));
        assert_eq!(value("FALSE"), Some(Value::Bool(false)));
        assert_eq!(value("'0x1F'"), Some(Value::from("0x1F")));
        for (src, text) in [
            ("~", "~"),
            ("", ""),
            ("null", "null"),
            ("2001-12-14", "2001-12-14"),
        ] {
            assert_eq!(value(src), Some(Value::from(text)), "{src:?}");
        }
        assert_eq!(text_of(&Value::Float(1e21)), "1e+21");
        assert_eq!(text_of(&Value::Float(1000.0)), "1000");
    }
}
