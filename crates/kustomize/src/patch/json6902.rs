//! JSON patches (RFC 6902) as upstream applies them: kustomize v5.7.1 calls
//! `gopkg.in/evanphx/json-patch.v4` v4.13.0's `Patch.Apply` (negative indices allowed, no
//! copy limit). Its rules, each checked with the reference (see `tests` and the testdata
//! cases):
//!
//! * a pointer is split at `/` and its first part dropped, whatever it is (`x/a` is `/a`);
//!   the parent of the last token must be an object or an array on the way (a `null`
//!   stops the walk); `""` (the whole document) is refused by `add`, `remove`, `move` and
//!   `copy` ("doc is missing path"), and `replace ""` needs an object;
//! * the fields are read when the operation runs: a missing or `null` `path` is "missing
//!   value", an `op` that is not a string is `unknown`; `add` and `replace` without a
//!   `value` put `null`;
//! * `replace` of a missing object key sets it; `copy` from a missing object key copies
//!   `null`; `move` is a get, a remove and an add, with its own messages;
//! * array indices are Go's `strconv.Atoi` (`+1`, `01` are indices), negative ones count
//!   from the end, `-` appends (for `add` only);
//! * `test` of a missing key or a `null` passes when its `value` is `null` or missing;
//!   values compare as JSON: objects by key, arrays by element, scalars by Go's JSON text
//!   (`1.0` equals `1`).
//!
//! A patch is a JSON array (when the text starts with `[`) or YAML holding a sequence of
//! operations (read with YAML 1.1 scalars, as upstream converts it to JSON first).

use kustomize_yaml::json::to_go_json;
use kustomize_yaml::{
    parse_documents_in, Budget, Exhausted, Schema, Value, MAX_DEPTH, MAX_DEPTH_MESSAGE,
};

/// One operation, its fields as the patch holds them: upstream reads them only when the
/// operation runs (`None` when the field is absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `op`.
    pub op: Option<Value>,
    /// `path`: a JSON pointer.
    pub path: Option<Value>,
    /// `from` of `move` / `copy`.
    pub from: Option<Value>,
    /// `value` of `add` / `replace` / `test`.
    pub value: Option<Value>,
}

impl Operation {
    /// An operation with string fields (for tests and callers that build patches).
    pub fn new(op: &str, path: &str, from: Option<&str>, value: Option<Value>) -> Operation {
        Operation {
            op: Some(Value::from(op)),
            path: Some(Value::from(path)),
            from: from.map(Value::from),
            value,
        }
    }

    /// Upstream's `Operation.Kind`: the `op` string, else `unknown`.
    fn kind(&self) -> &str {
        match &self.op {
            Some(Value::String(s)) => s,
            _ => "unknown",
        }
    }
}

/// A pointer field read as Go reads it into a string: `Err(None)` when absent or `null`,
/// `Err(Some(message))` when not a string.
fn pointer(field: &Option<Value>) -> Result<&str, Option<String>> {
    match field {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null | Value::Blank) => Err(None),
        Some(other) => Err(Some(format!(
            "json: cannot unmarshal {} into Go value of type string",
            go_json_type(other)
        ))),
    }
}

/// The JSON type name Go's decoder reports.
fn go_json_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
        Value::String(_) => "string",
        _ => "number",
    }
}

/// Parses a patch's text: a JSON array, or YAML holding a sequence of operations. As
/// upstream's `DecodePatch`, any sequence of objects (or nulls) is a patch; what the
/// operations hold is checked when they run. YAML values that JSON cannot hold (`.inf`,
/// `.nan`) fail here, as upstream's conversion to JSON does.
pub fn parse(text: &str, budget: Option<&Budget>) -> Result<Vec<Operation>, String> {
    if text.is_empty() {
        return Err("empty json patch operations".into());
    }
    // Text that starts with `[` is JSON to upstream, read by Go's JSON decoder (so YAML
    // flow syntax such as `[{op: add}]` fails); anything else is YAML converted to JSON.
    let schema = if text.starts_with('[') {
        kustomize_yaml::json::check_json(text)?;
        Schema::Kyaml
    } else {
        Schema::Yaml11
    };
    let cx = kustomize_yaml::Context {
        keys: None,
        budget,
        first_key_wins: false,
        defer_key_errors: false,
    };
    let doc = parse_documents_in(text, schema, cx)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .unwrap_or_default();
    let Value::Seq(items) = doc else {
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            go_json_type(&doc)
        ));
    };
    if let Some(bad) = first_non_finite(&Value::Seq(items.clone())) {
        return Err(format!("json: unsupported value: {bad}"));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Map(mut m) => Ok(Operation {
                op: m.shift_remove("op"),
                path: m.shift_remove("path"),
                from: m.shift_remove("from"),
                value: m.shift_remove("value"),
            }),
            Value::Null | Value::Blank => Ok(Operation {
                op: None,
                path: None,
                from: None,
                value: None,
            }),
            other => Err(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                go_json_type(&other)
            )),
        })
        .collect()
}

/// The first infinite or NaN float in `v`, as Go names it (JSON cannot hold one).
pub fn first_non_finite(v: &Value) -> Option<&'static str> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Float(f) if f.is_nan() => return Some("NaN"),
            Value::Float(f) if *f > 0.0 && f.is_infinite() => return Some("+Inf"),
            Value::Float(f) if f.is_infinite() => return Some("-Inf"),
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    None
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
        match op.kind() {
            "add" => add(doc, op, budget)?,
            "remove" => remove(doc, op)?,
            "replace" => replace(doc, op, budget)?,
            "move" => move_(doc, op)?,
            "test" => test(doc, op)?,
            "copy" => copy(doc, op, budget)?,
            other => return Err(format!("Unexpected kind: {other}").into()),
        }
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

/// A pointer token decoded (`~1` is `/`, `~0` is `~`, in one pass).
fn decode_token(t: &str) -> String {
    if !t.contains('~') {
        return t.to_owned();
    }
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = rest.find('~') {
        out.push_str(&rest[..i]);
        match rest.as_bytes().get(i + 1) {
            Some(b'1') => {
                out.push('/');
                rest = &rest[i + 2..];
            }
            Some(b'0') => {
                out.push('~');
                rest = &rest[i + 2..];
            }
            _ => {
                out.push('~');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Go's `strconv.Atoi`, with its error text.
fn atoi(token: &str) -> Result<i64, String> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {token:?}: invalid syntax"));
    }
    token
        .parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {token:?}: value out of range"))
}

fn invalid_index(i: i64) -> String {
    format!("Unable to access invalid index: {i}: invalid index referenced")
}

/// An index into an array of `len` elements (negative ones count from the end).
fn array_index(token: &str, len: usize) -> Result<usize, String> {
    let i = atoi(token)?;
    let len = len as i64;
    let at = if i < 0 {
        if i < -len {
            return Err(invalid_index(i));
        }
        i + len
    } else {
        i
    };
    if at >= len {
        return Err(invalid_index(i));
    }
    Ok(at as usize)
}

/// Upstream's `findObject`: the object or array holding the pointer's last token, and the
/// token; `None` when the pointer has no `/`, or a step is missing, `null` or a scalar.
fn find_object<'d>(doc: &'d mut Value, pointer: &str) -> Option<(&'d mut Value, String)> {
    let parts: Vec<&str> = pointer.split('/').collect();
    if parts.len() < 2 {
        return None;
    }
    let mut cur = doc;
    for part in &parts[1..parts.len() - 1] {
        let key = decode_token(part);
        cur = match cur {
            Value::Map(m) => m.get_mut(key.as_str())?,
            Value::Seq(s) => {
                let i = array_index(&key, s.len()).ok()?;
                s.get_mut(i)?
            }
            _ => return None,
        };
        if !matches!(cur, Value::Map(_) | Value::Seq(_)) {
            return None;
        }
    }
    Some((cur, decode_token(parts[parts.len() - 1])))
}

/// The value at `key` of a container: `Ok(None)` for a missing or `null` object key.
fn get<'v>(con: &'v Value, key: &str) -> Result<Option<&'v Value>, String> {
    match con {
        Value::Map(m) => Ok(m.get(key).filter(|v| !v.is_null())),
        Value::Seq(s) => array_index(key, s.len()).map(|i| s.get(i).filter(|v| !v.is_null())),
        _ => Ok(None),
    }
}

/// Upstream's container `add`: an object key is set; an array gets an element inserted
/// at the index (`-` appends; the length itself is allowed).
fn container_add(con: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match con {
        Value::Map(m) => {
            m.insert(key.to_owned(), value);
            Ok(())
        }
        Value::Seq(s) => {
            if key == "-" {
                s.push(value);
                return Ok(());
            }
            let i = atoi(key)
                .map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            let size = s.len() as i64 + 1;
            if i >= size || i < -size {
                return Err(invalid_index(i));
            }
            let at = if i < 0 { i + size } else { i };
            s.insert(at as usize, value);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Upstream's container `remove`.
fn container_remove(con: &mut Value, key: &str) -> Result<Value, String> {
    match con {
        Value::Map(m) => m
            .shift_remove(key)
            .ok_or_else(|| format!("Unable to remove nonexistent key: {key}: missing value")),
        Value::Seq(s) => {
            let i = atoi(key)?;
            let len = s.len() as i64;
            if i >= len || i < -len {
                return Err(invalid_index(i));
            }
            let at = if i < 0 { i + len } else { i };
            Ok(s.remove(at as usize))
        }
        _ => Ok(Value::Null),
    }
}

/// What an operation puts in: its `value`, or `null` without one.
fn value_of(op: &Operation) -> Value {
    op.value.clone().unwrap_or(Value::Null)
}

fn add(doc: &mut Value, op: &Operation, budget: Option<&Budget>) -> Result<(), ApplyError> {
    let path = pointer(&op.path)
        .map_err(|_| "add operation failed to decode path: missing value".to_owned())?;
    let value = value_of(op);
    admit(path, &value, budget)?;
    let (con, key) = find_object(doc, path).ok_or_else(|| {
        format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
    })?;
    container_add(con, &key, value).map_err(|e| format!("error in add for path: '{path}': {e}"))?;
    Ok(())
}

fn remove(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let path = pointer(&op.path)
        .map_err(|_| "remove operation failed to decode path: missing value".to_owned())?;
    let (con, key) = find_object(doc, path).ok_or_else(|| {
        format!("remove operation does not apply: doc is missing path: \"{path}\": missing value")
    })?;
    container_remove(con, &key).map_err(|e| format!("error in remove for path: '{path}': {e}"))?;
    Ok(())
}

fn replace(doc: &mut Value, op: &Operation, budget: Option<&Budget>) -> Result<(), ApplyError> {
    let path = pointer(&op.path).map_err(|e| {
        format!(
            "replace operation failed to decode path: {}",
            e.unwrap_or_else(|| "operation missing path field: missing value".into())
        )
    })?;
    let value = value_of(op);
    admit(path, &value, budget)?;
    if path.is_empty() {
        return match value {
            Value::Map(_) => {
                *doc = value;
                Ok(())
            }
            Value::Seq(_) => Err(
                "json: cannot unmarshal array into Go value of type map[string]interface {}"
                    .to_owned()
                    .into(),
            ),
            _ => Err(
                "replace operation value must be object or array: %!w(<nil>)"
                    .to_owned()
                    .into(),
            ),
        };
    }
    let (con, key) = find_object(doc, path).ok_or_else(|| {
        format!("replace operation does not apply: doc is missing path: {path}: missing value")
    })?;
    match con {
        Value::Map(m) => {
            m.insert(key, value);
        }
        Value::Seq(s) => {
            let i = array_index(&key, s.len()).map_err(|_| {
                format!(
                    "replace operation does not apply: doc is missing key: {path}: missing value"
                )
            })?;
            s[i] = value;
        }
        _ => {}
    }
    Ok(())
}

fn move_(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let from = pointer(&op.from).map_err(|e| {
        format!(
            "move operation failed to decode from: {}",
            e.unwrap_or_else(|| "operation, missing from field: missing value".into())
        )
    })?;
    let (con, key) = find_object(doc, from).ok_or_else(|| {
        format!("move operation does not apply: doc is missing from path: {from}: missing value")
    })?;
    get(con, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let value =
        container_remove(con, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let path = pointer(&op.path).map_err(|e| {
        format!(
            "move operation failed to decode path: {}",
            e.unwrap_or_else(|| "operation missing path field: missing value".into())
        )
    })?;
    admit(path, &value, None)?;
    let (con, key) = find_object(doc, path).ok_or_else(|| {
        format!(
            "move operation does not apply: doc is missing destination path: {path}: missing value"
        )
    })?;
    container_add(con, &key, value)
        .map_err(|e| format!("error in move for path: '{path}': {e}"))?;
    Ok(())
}

fn copy(doc: &mut Value, op: &Operation, budget: Option<&Budget>) -> Result<(), ApplyError> {
    let from = pointer(&op.from).map_err(|e| {
        format!(
            "copy operation failed to decode from: {}",
            e.unwrap_or_else(|| "operation, missing from field: missing value".into())
        )
    })?;
    let (con, key) = find_object(doc, from).ok_or_else(|| {
        format!("copy operation does not apply: doc is missing from path: {from}: missing value")
    })?;
    let value = get(con, &key)
        .map_err(|e| format!("error in copy for from: '{from}': {e}"))?
        .cloned()
        .unwrap_or(Value::Null);
    let path = pointer(&op.path)
        .map_err(|_| "copy operation failed to decode path: missing value".to_owned())?;
    let (con, key) = find_object(doc, path).ok_or_else(|| {
        format!(
            "copy operation does not apply: doc is missing destination path: {path}: missing value"
        )
    })?;
    admit(path, &value, budget)?;
    container_add(con, &key, value)
        .map_err(|e| format!("error while adding value during copy: {e}"))?;
    Ok(())
}

fn test(doc: &mut Value, op: &Operation) -> Result<(), ApplyError> {
    let path = pointer(&op.path).map_err(|e| {
        format!(
            "test operation failed to decode path: {}",
            e.unwrap_or_else(|| "operation missing path field: missing value".into())
        )
    })?;
    let failed = || ApplyError::Op(format!("testing value {path} failed: test failed"));
    if path.is_empty() {
        return match &op.value {
            Some(v) if json_equal(doc, v) => Ok(()),
            _ => Err(failed()),
        };
    }
    let (con, key) = find_object(doc, path).ok_or_else(|| {
        format!("test operation does not apply: is missing path: {path}: missing value")
    })?;
    let actual = get(con, &key).map_err(|e| format!("error in test for path: '{path}': {e}"))?;
    let expected = op.value.as_ref().filter(|v| !v.is_null());
    match (actual, expected) {
        (None, None) => Ok(()),
        (Some(a), Some(e)) if json_equal(a, e) => Ok(()),
        _ => Err(failed()),
    }
}

/// Upstream's `lazyNode.equal`: objects by their keys (a `null` member equals only a
/// `null` one), arrays element by element, anything else by Go's JSON text.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.get(k).is_some_and(|w| match (v.is_null(), w.is_null()) {
                        (true, true) => true,
                        (false, false) => kustomize_yaml::stack::deeper(|| json_equal(v, w)),
                        _ => false,
                    })
                })
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(v, w)| kustomize_yaml::stack::deeper(|| json_equal(v, w)))
        }
        (Value::Map(_) | Value::Seq(_), _) | (_, Value::Map(_) | Value::Seq(_)) => false,
        _ => match (to_go_json(a), to_go_json(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
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
                Operation::new("add", &path, None, Some(Value::from(val))),
                Operation::new("remove", &path, None, None),
            ];
            apply(&mut d, &ops, None).unwrap();
            prop_assert_eq!(d, original);
        }
    }
}
