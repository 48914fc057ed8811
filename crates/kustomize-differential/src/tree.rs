//! A tree of files to build: what the generator makes, the shrinker cuts and the runner
//! writes out.

use std::collections::BTreeSet;

use crate::yaml::{Scalar, Y};

/// How a file's documents are written.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// YAML documents, separated by `---` (with one before the first when `leading`).
    Docs {
        /// The documents.
        docs: Vec<Y>,
        /// A `---` before the first document.
        leading: bool,
        /// A comment line before each document.
        comments: bool,
    },
    /// One document written as JSON.
    Json(Y),
    /// Text as it is (data files of generators).
    Text(String),
}

/// One file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Path relative to the tree's root.
    pub path: String,
    /// What it holds.
    pub content: Content,
    /// Lines end in `\r\n`.
    pub crlf: bool,
    /// A byte order mark first.
    pub bom: bool,
}

impl File {
    /// YAML documents, written plainly.
    pub fn docs(path: impl Into<String>, docs: Vec<Y>) -> File {
        File {
            path: path.into(),
            content: Content::Docs {
                docs,
                leading: false,
                comments: false,
            },
            crlf: false,
            bom: false,
        }
    }

    /// The file's bytes.
    pub fn render(&self) -> Vec<u8> {
        let mut text = match &self.content {
            Content::Docs {
                docs,
                leading,
                comments,
            } => {
                let mut out = String::new();
                for (i, d) in docs.iter().enumerate() {
                    if i > 0 || *leading {
                        out.push_str("---\n");
                    }
                    if *comments {
                        out.push_str(&format!("# document {i}\n"));
                    }
                    out.push_str(&d.render());
                }
                out
            }
            Content::Json(y) => {
                let mut s = y.json(0);
                s.push('\n');
                s
            }
            Content::Text(t) => t.clone(),
        };
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        let mut bytes = Vec::with_capacity(text.len() + 3);
        if self.bom {
            bytes.extend_from_slice("\u{feff}".as_bytes());
        }
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }

    /// Whether this is a kustomization file.
    pub fn is_kustomization(&self) -> bool {
        self.path.ends_with("kustomization.yaml")
    }
}

/// A tree and the directory to build.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// The files.
    pub files: Vec<File>,
    /// The directory built, relative to the root.
    pub build: String,
}

impl Tree {
    /// What the tree uses, for the per-feature table: every kustomization field
    /// (`field:namePrefix`), and the YAML surface forms of every file (`yaml:anchor`,
    /// `scalar:hex`, ...).
    pub fn features(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in &self.files {
            if f.crlf {
                out.insert("yaml:crlf".into());
            }
            if f.bom {
                out.insert("yaml:bom".into());
            }
            let docs: Vec<&Y> = match &f.content {
                Content::Docs { docs, comments, .. } => {
                    if docs.len() > 1 {
                        out.insert("yaml:multi-document".into());
                    }
                    if *comments {
                        out.insert("yaml:comments".into());
                    }
                    docs.iter().collect()
                }
                Content::Json(y) => {
                    out.insert("yaml:json-file".into());
                    vec![y]
                }
                Content::Text(_) => vec![],
            };
            for d in docs {
                if f.is_kustomization() {
                    if let Y::M(entries, _) = d {
                        for (k, v) in entries {
                            if let Scalar::Plain(k) = k {
                                out.insert(format!("field:{k}"));
                                if k == "kind" {
                                    if let Y::S(Scalar::Plain(v)) = v {
                                        out.insert(format!("kind:{v}"));
                                    }
                                }
                            }
                        }
                    }
                }
                surface(d, &mut out);
            }
        }
        out
    }
}

/// The YAML surface forms a node uses.
fn surface(y: &Y, out: &mut BTreeSet<String>) {
    let mut stack = vec![y];
    while let Some(y) = stack.pop() {
        match y {
            Y::S(s) => {
                if let Some(f) = scalar_form(s) {
                    out.insert(f.into());
                }
            }
            Y::M(entries, flow) => {
                if *flow {
                    out.insert("yaml:flow".into());
                }
                for (k, v) in entries {
                    if matches!(k, Scalar::Plain(t) if t == "<<") {
                        out.insert("yaml:merge-key".into());
                    }
                    stack.push(v);
                }
            }
            Y::L(items, flow) => {
                if *flow {
                    out.insert("yaml:flow".into());
                }
                stack.extend(items.iter());
            }
            Y::Anchor(_, y) => {
                out.insert("yaml:anchor".into());
                stack.push(y);
            }
            Y::Alias(_) => {
                out.insert("yaml:alias".into());
            }
        }
    }
}

/// The class of a scalar's written form, for the table.
fn scalar_form(s: &Scalar) -> Option<&'static str> {
    Some(match s {
        Scalar::Single(_) => "scalar:single-quoted",
        Scalar::Double(_) => "scalar:double-quoted",
        Scalar::Block { folded: true, .. } => "scalar:folded",
        Scalar::Block { .. } => "scalar:literal",
        Scalar::Plain(t) => match t.as_str() {
            "" => "scalar:empty",
            "~" | "null" | "Null" | "NULL" => "scalar:null",
            "true" | "True" | "false" | "False" | "yes" | "no" | "y" | "n" | "on" | "off"
            | "Yes" => "scalar:bool-like",
            t if t.starts_with("0x") => "scalar:hex",
            t if t.starts_with("0o") => "scalar:octal-0o",
            t if t.len() > 1 && t.starts_with('0') && t.bytes().all(|b| b.is_ascii_digit()) => {
                "scalar:octal-0"
            }
            t if t.contains('_')
                && t.bytes().any(|b| b.is_ascii_digit())
                && !t.contains(char::is_alphabetic) =>
            {
                "scalar:underscore-number"
            }
            t if t.ends_with(".inf")
                || t.ends_with(".nan")
                || t.ends_with(".Inf")
                || t == ".NaN" =>
            {
                "scalar:inf-nan"
            }
            t if t.starts_with('+') => "scalar:plus-sign",
            t if t.contains('e') && t.parse::<f64>().is_ok() => "scalar:exponent",
            t if t.contains('.') && t.parse::<f64>().is_ok() => "scalar:float",
            t if t.len() >= 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' => {
                "scalar:timestamp"
            }
            t if t.len() > 80 => "scalar:long",
            t if !t.is_ascii() => "scalar:unicode",
            _ => return None,
        },
    })
}
