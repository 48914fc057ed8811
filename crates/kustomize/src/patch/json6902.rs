//! JSON patches (RFC 6902) as upstream applies them (evanphx/json-patch): `add`, `remove`,
//! `replace`, `move`, `copy`, `test`; JSON pointers with `~0`/`~1` escapes, `-` for the
//! end of an array, negative indices counting from the end. A patch is a JSON array, or
//! YAML (then read with YAML 1.1 scalars, as upstream converts it to JSON first).

use kustomize_yaml::{
    parse_documents_in, Budget, Exhausted, Mapping, Schema, Value, MAX_DEPTH, MAX_DEPTH_MESSAGE,
};

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `add`, `remove`, ...
    pub op: String,
    /// JSON pointer.
    pub path: String,
    /// `from` of `move` / `copy`.
    pub from: Option<String>,
    /// `value` of `add` / `replace` / `test`.
    pub value: Option<Value>,
}

/// Parses a patch's text: a JSON array, or YAML holding a sequence of operations.
pub fn parse(text: &str, budget: Option<&Budget>) -> Result<Vec<Operation>, String> {
    if text.is_empty() {
        return Err("empty json patch operations".into());
    }
    let schema = if text.starts_with('[') {
        Schema::Kyaml
    } else {
        Schema::Yaml11
    };
    let cx = kustomize_yaml::Context { keys: None, budget };
    let doc = parse_documents_in(text, schema, cx)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .unwrap_or_default();
    let Value::Seq(items) = doc else {
        return Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into());
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Map(mut m) = item else {
                return Err("json: cannot unmarshal a non-object operation".to_owned());
            };
            let text = |m: &mut Mapping, key: &str| match m.shift_remove(key) {
                Some(Value::String(s)) => Ok(Some(String::from(s))),
                None | Some(Value::Null | Value::Blank) => Ok(None),
                Some(other) => Err(format!(
                    "'{key}' must be a string, found {}",
                    other.type_name()
                )),
            };
            Ok(Operation {
                op: text(&mut m, "op")?.unwrap_or_default(),
                path: text(&mut m, "path")?.unwrap_or_default(),
                from: text(&mut m, "from")?,
                value: m.shift_remove("value"),
            })
        })
        .collect()
}

/// Why a patch did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// An operation failed (upstream's message).
    Op(String),
    /// A value the patch would copy in does not fit the build's budget.
    Budget(Exhausted),
}

impl From<String> for ApplyError {
    fn from(message: String) -> Self {
        ApplyError::Op(message)
    }
}

impl From<&str> for ApplyError {
    fn from(message: &str) -> Self {
        ApplyError::Op(message.to_owned())
    }
}

/// Applies every operation in order. Each value an operation puts in (`add`, `replace`,
/// `copy`, `move`) may not make the document nest deeper than [`MAX_DEPTH`] collections
/// (upstream decodes the patched JSON with Go's limit of 10,000), and the copies `add`,
/// `replace` and `copy` make are charged to `budget`, so that copies of copies (each
/// doubling the document) stop at the build's limit.
pub fn apply(
    doc: &mut Value,
    ops: &[Operation],
    budget: Option<&Budget>,
) -> Result<(), ApplyError> {
    for op in ops {
        apply_one(doc, op, budget)?;
    }
    Ok(())
}

/// Checks that `value` fits at `pointer`, and charges it when it is a copy.
fn admit(pointer: &str, value: &Value, budget: Option<&Budget>) -> Result<(), ApplyError> {
    let size = value.size();
    let depth = pointer.matches('/').count() + size.depth;
    if depth > MAX_DEPTH {
        return Err(ApplyError::Op(MAX_DEPTH_MESSAGE.into()));
    }
    if let Some(budget) = budget {
        budget.charge(size.cost).map_err(ApplyError::Budget)?;
    }
    Ok(())
}

fn apply_one(doc: &mut Value, op: &Operation, budget: Option<&Budget>) -> Result<(), ApplyError> {
    let value = || {
        let v = op
            .value
            .clone()
            .ok_or_else(|| format!("{} operation missing value", op.op))?;
        admit(&op.path, &v, budget)?;
        Ok::<Value, ApplyError>(v)
    };
    match op.op.as_str() {
        "add" => Ok(add(doc, &op.path, value()?)?),
        "remove" => Ok(remove(doc, &op.path).map(|_| ())?),
        "replace" => Ok(replace(doc, &op.path, value()?)?),
        "move" => {
            let from = op.from.as_deref().ok_or("move operation missing from")?;
            let v = remove(doc, from)?;
            admit(&op.path, &v, None)?;
            Ok(add(doc, &op.path, v)?)
        }
        "copy" => {
            let from = op.from.as_deref().ok_or("copy operation missing from")?;
            let v = get_mut(doc, from).ok_or_else(|| {
                format!("copy operation does not apply: doc is missing from path: {from}")
            })?;
            admit(&op.path, v, budget)?;
            let v = v.clone();
            Ok(add(doc, &op.path, v)?)
        }
        "test" => {
            let expected = op.value.clone().unwrap_or(Value::Null);
            match get_mut(doc, &op.path) {
                Some(actual) if *actual == expected => Ok(()),
                _ => Err(format!("testing value {} failed", op.path).into()),
            }
        }
        other => Err(format!("unexpected operation: {other}").into()),
    }
}

/// The pointer's unescaped tokens; `""` is the whole document.
fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("invalid JSON pointer: {pointer}"));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// An array index token: `-` is the end (only for `add`), negative counts from the end.
fn index(token: &str, len: usize, allow_end: bool) -> Option<usize> {
    if token == "-" {
        return allow_end.then_some(len);
    }
    let i: i64 = token.parse().ok()?;
    // A negative index counts from the end: of the array after insertion for `add`.
    let size = if allow_end {
        len as i64 + 1
    } else {
        len as i64
    };
    let i = if i < 0 { i + size } else { i };
    let limit = if allow_end {
        len as i64
    } else {
        len as i64 - 1
    };
    (0..=limit).contains(&i).then_some(i as usize)
}

fn get_mut<'a>(doc: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in tokens(pointer).ok()? {
        cur = match cur {
            Value::Map(m) => m.get_mut(&t)?,
            Value::Seq(s) => {
                let i = index(&t, s.len(), false)?;
                s.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

/// The parent container of a pointer and the last token.
fn parent<'a>(
    doc: &'a mut Value,
    pointer: &str,
    op: &str,
) -> Result<(&'a mut Value, String), String> {
    let mut toks = tokens(pointer)?;
    let Some(last) = toks.pop() else {
        return Err(format!(
            "{op} operation does not apply: doc is missing path: {pointer}"
        ));
    };
    let parent_pointer: String = toks
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect();
    let p = get_mut(doc, &parent_pointer).ok_or_else(|| {
        format!("{op} operation does not apply: doc is missing path: \"{pointer}\"")
    })?;
    Ok((p, last))
}

fn add(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (p, last) = parent(doc, pointer, "add")?;
    match p {
        Value::Map(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Seq(s) => {
            let i = index(&last, s.len(), true).ok_or_else(|| {
                format!("add operation does not apply: index out of bounds: {pointer}")
            })?;
            s.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{pointer}\""
        )),
    }
}

/// `replace`: as upstream's json-patch, a missing key of an object is simply set; an
/// array index must exist.
fn replace(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (p, last) = parent(doc, pointer, "replace")?;
    match p {
        Value::Map(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Seq(s) => {
            let i = index(&last, s.len(), false).ok_or_else(|| {
                format!("replace operation does not apply: doc is missing key: {pointer}")
            })?;
            s[i] = value;
            Ok(())
        }
        _ => Err(format!(
            "replace operation does not apply: doc is missing path: {pointer}"
        )),
    }
}

fn remove(doc: &mut Value, pointer: &str) -> Result<Value, String> {
    let (p, last) = parent(doc, pointer, "remove")?;
    let missing = || format!("remove operation does not apply: doc is missing path: \"{pointer}\"");
    match p {
        Value::Map(m) => m.shift_remove(&last).ok_or_else(missing),
        Value::Seq(s) => {
            let i = index(&last, s.len(), false).ok_or_else(missing)?;
            Ok(s.remove(i))
        }
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_yaml::parse_documents;
    use proptest::prelude::*;

    fn doc(yaml: &str) -> Value {
        parse_documents(yaml, Schema::Kyaml).unwrap().remove(0)
    }

    #[test]
    fn operations() {
        let mut d = doc("a: {b: [1, 2]}\nc~d: x\n");
        let ops = parse(r#"[{"op":"add","path":"/a/b/-","value":3},{"op":"remove","path":"/c~0d"},{"op":"replace","path":"/a/b/0","value":"one"},{"op":"copy","from":"/a/b","path":"/e"},{"op":"move","from":"/e/1","path":"/f"},{"op":"test","path":"/f","value":2}]"#, None).unwrap();
        apply(&mut d, &ops, None).unwrap();
        assert_eq!(d, doc("a: {b: [one, 2, 3]}\ne: [one, 3]\nf: 2\n"));
    }

    #[test]
    fn yaml_patches_use_yaml_1_1() {
        let ops = parse("- op: add\n  path: /x\n  value: yes\n", None).unwrap();
        assert_eq!(ops[0].value, Some(Value::Bool(true)));
    }

    #[test]
    fn missing_paths_are_errors() {
        let mut d = doc("a: 1\n");
        assert!(apply(
            &mut d,
            &parse(r#"[{"op":"replace","path":"/b/c","value":1}]"#, None).unwrap(),
            None
        )
        .is_err());
        assert!(apply(
            &mut d,
            &parse(r#"[{"op":"add","path":"/b/c","value":1}]"#, None).unwrap(),
            None
        )
        .is_err());
        assert!(apply(
            &mut d,
            &parse(r#"[{"op":"remove","path":"/b"}]"#, None).unwrap(),
            None
        )
        .is_err());
    }

    proptest! {
        #[test]
        fn add_then_remove_restores(key in "[a-z~/]{1,8}", val in "[a-z]{0,8}") {
            let original = doc("a: {b: 1}\nlist: [1, 2]\n");
            let mut d = original.clone();
            let escaped = key.replace('~', "~0").replace('/', "~1");
            let path = format!("/a/{escaped}");
            prop_assume!(key != "b");
            let ops = vec![
                Operation { op: "add".into(), path: path.clone(), from: None, value: Some(Value::from(val)) },
                Operation { op: "remove".into(), path, from: None, value: None },
            ];
            apply(&mut d, &ops, None).unwrap();
            prop_assert_eq!(d, original);
        }
    }
}
