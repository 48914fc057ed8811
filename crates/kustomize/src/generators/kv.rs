//! Key-value sources of the ConfigMap and Secret generators (upstream's `kv` loader):
//! `envs` files, then `literals`, then `files`. Every file is read through the
//! kustomization's loader, so the load restrictor applies.
//!
//! Upstream v5.7.1 does not validate keys (its validator accepts anything); repeated keys
//! are an error.

use std::collections::BTreeMap;

use crate::loader::Loader;
use crate::Error;

/// A value: text, or bytes that are not UTF-8 (they go to `binaryData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvValue {
    /// UTF-8 text.
    Text(String),
    /// Anything else.
    Binary(Vec<u8>),
}

impl KvValue {
    fn from_bytes(bytes: Vec<u8>) -> KvValue {
        match String::from_utf8(bytes) {
            Ok(s) => KvValue::Text(s),
            Err(e) => KvValue::Binary(e.into_bytes()),
        }
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            KvValue::Text(s) => s.as_bytes(),
            KvValue::Binary(b) => b,
        }
    }
}

/// Loads every pair of a generator's sources; an error names the generator and source.
pub fn load_pairs(
    loader: &Loader,
    generator: &str,
    envs: &[String],
    literals: &[String],
    files: &[String],
) -> Result<BTreeMap<String, KvValue>, Error> {
    let err = |message: String| Error::Generator {
        generator: generator.to_owned(),
        message,
    };
    let mut pairs: Vec<(String, KvValue)> = Vec::new();
    for env in envs {
        let (bytes, path) = loader
            .load(env)
            .map_err(|e| err(format!("env file: {e}")))?;
        let lines = env_file_pairs(&bytes)
            .map_err(|e| err(format!("env source file '{}': {e}", path.display())))?;
        pairs.extend(lines.into_iter().map(|(k, v)| (k, KvValue::Text(v))));
    }
    for literal in literals {
        let (k, v) = parse_literal(literal).map_err(err)?;
        pairs.push((k, KvValue::Text(v)));
    }
    for source in files {
        let (key, path) = parse_file_source(source).map_err(err)?;
        let (bytes, _) = loader
            .load(&path)
            .map_err(|e| err(format!("file source: {e}")))?;
        pairs.push((key, KvValue::from_bytes(bytes)));
    }
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        if out.contains_key(&k) {
            return Err(err(format!("illegally repeats the key `{k}`")));
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// `key=value`; quotes around the value (matching, `"` or `'`) are removed.
pub fn parse_literal(source: &str) -> Result<(String, String), String> {
    match source.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), remove_quotes(v).to_owned())),
        _ => Err(format!(
            "invalid literal source {source}, expected key=value"
        )),
    }
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// `path` (key: the file name) or `key=path`.
pub fn parse_file_source(source: &str) -> Result<(String, String), String> {
    match source.matches('=').count() {
        0 => {
            let key = source.rsplit('/').find(|s| !s.is_empty()).unwrap_or(source);
            Ok((key.to_owned(), source.to_owned()))
        }
        1 if source.starts_with('=') => Err(format!(
            "missing key name for file path \"{}\" in source \"{source}\"",
            &source[1..]
        )),
        1 if source.ends_with('=') => Err(format!(
            "missing file path for key name \"{}\" in source \"{source}\"",
            &source[..source.len() - 1]
        )),
        1 => {
            let (k, p) = source.split_once('=').unwrap_or_default();
            Ok((k.to_owned(), p.to_owned()))
        }
        _ => Err(format!(
            "source \"{source}\" key name or file path contains '='"
        )),
    }
}

/// An env file's pairs: one per line; leading whitespace and a BOM on the first line are
/// dropped, empty lines and `#` comments skipped; the key is what precedes the first
/// `=` (kept as written), the value all that follows (empty without `=`).
pub fn env_file_pairs(content: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, raw) in content.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(raw)
            .map_err(|_| format!("line {} has invalid utf8 bytes", i + 1))?;
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        if key.is_empty() {
            continue;
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(parse_literal("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(parse_literal("a=\"q\"").unwrap(), ("a".into(), "q".into()));
        assert_eq!(
            parse_literal("a='q\"").unwrap(),
            ("a".into(), "'q\"".into())
        );
        assert!(parse_literal("=x").is_err());
        assert!(parse_literal("x").is_err());
    }

    #[test]
    fn file_sources() {
        assert_eq!(
            parse_file_source("dir/app.env").unwrap(),
            ("app.env".into(), "dir/app.env".into())
        );
        assert_eq!(
            parse_file_source("k=dir/a").unwrap(),
            ("k".into(), "dir/a".into())
        );
        assert!(parse_file_source("=a").is_err());
        assert!(parse_file_source("k=").is_err());
        assert!(parse_file_source("a=b=c").is_err());
    }

    #[test]
    fn env_lines() {
        let pairs = env_file_pairs(b"\xef\xbb\xbfA=1\n  # c\n\nB\nC = x \r\nD=\"q\"\n").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "".into()),
                ("C ".into(), " x ".into()),
                ("D".into(), "\"q\"".into()),
            ]
        );
    }
}
