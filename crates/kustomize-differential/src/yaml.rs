//! YAML documents as the generator writes them: every node keeps how it is written (plain,
//! quoted, block scalars with their headers; block or flow collections; anchors and
//! aliases), so that a tree exercises the surface forms users write, and the shrinker can
//! remove nodes without changing how the rest is written.

/// A scalar and how it is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Plain: the text as it stands (`0x1F`, `~`, `yes`, or nothing at all).
    Plain(String),
    /// Single-quoted; the string it holds.
    Single(String),
    /// Double-quoted; the string it holds.
    Double(String),
    /// A block scalar: literal (`|`) or folded (`>`), its chomping (`-`, `+` or none), an
    /// optional indentation indicator, and its lines.
    Block {
        /// `>` rather than `|`.
        folded: bool,
        /// `'-'`, `'+'` or `' '` (clip).
        chomp: char,
        /// Indentation indicator.
        indent: Option<u8>,
        /// The lines (without breaks).
        lines: Vec<String>,
    },
}

impl Scalar {
    /// A plain scalar.
    pub fn plain(s: impl Into<String>) -> Scalar {
        Scalar::Plain(s.into())
    }

    /// Whether the scalar can stand inside a flow collection.
    fn flow_safe(&self) -> bool {
        match self {
            Scalar::Plain(t) => {
                !t.is_empty()
                    && !t.contains([',', '[', ']', '{', '}', '#'])
                    && !t.contains(": ")
                    && !t.ends_with(':')
            }
            Scalar::Single(_) | Scalar::Double(_) => true,
            Scalar::Block { .. } => false,
        }
    }

    /// The scalar inline (not a block scalar).
    fn inline(&self) -> String {
        match self {
            Scalar::Plain(t) => t.clone(),
            Scalar::Single(s) => format!("'{}'", s.replace('\'', "''")),
            Scalar::Double(s) => double_quoted(s),
            Scalar::Block { lines, .. } => double_quoted(&lines.join("\n")),
        }
    }

    /// The scalar as JSON: a plain number, boolean or null stays, anything else is quoted.
    fn json(&self) -> String {
        match self {
            Scalar::Plain(t) if is_json_literal(t) => t.clone(),
            Scalar::Plain(t) | Scalar::Single(t) | Scalar::Double(t) => double_quoted(t),
            Scalar::Block { lines, .. } => double_quoted(&lines.join("\n")),
        }
    }
}

fn is_json_literal(t: &str) -> bool {
    if matches!(t, "true" | "false" | "null") {
        return true;
    }
    let t = t.strip_prefix('-').unwrap_or(t);
    let (int, rest) = t.split_at(t.find(['.', 'e', 'E']).unwrap_or(t.len()));
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()));
    int_ok && rest_ok
}

/// `s` double-quoted with YAML (and JSON) escapes.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A node.
#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    /// A scalar.
    S(Scalar),
    /// A mapping: entries (key, value), and whether it is written in flow style.
    M(Vec<(Scalar, Y)>, bool),
    /// A sequence, and whether it is written in flow style.
    L(Vec<Y>, bool),
    /// A node with an anchor.
    Anchor(String, Box<Y>),
    /// An alias.
    Alias(String),
}

impl Y {
    /// A plain scalar node.
    pub fn s(text: impl Into<String>) -> Y {
        Y::S(Scalar::Plain(text.into()))
    }

    /// A block mapping of plain keys.
    pub fn map(entries: Vec<(&str, Y)>) -> Y {
        Y::M(
            entries
                .into_iter()
                .map(|(k, v)| (Scalar::plain(k), v))
                .collect(),
            false,
        )
    }

    /// A block sequence.
    pub fn list(items: Vec<Y>) -> Y {
        Y::L(items, false)
    }

    fn flow_safe(&self) -> bool {
        match self {
            Y::S(s) => s.flow_safe(),
            Y::M(entries, _) => entries.iter().all(|(k, v)| k.flow_safe() && v.flow_safe()),
            Y::L(items, _) => items.iter().all(Y::flow_safe),
            Y::Anchor(..) => false,
            Y::Alias(_) => true,
        }
    }

    fn is_empty_collection(&self) -> bool {
        matches!(self, Y::M(e, _) if e.is_empty()) || matches!(self, Y::L(i, _) if i.is_empty())
    }

    /// The node in flow style (`{a: 1, b: [x]}`); `None` when something in it cannot be.
    fn flow(&self) -> Option<String> {
        Some(match self {
            Y::S(s) => {
                if !s.flow_safe() {
                    return None;
                }
                s.inline()
            }
            Y::M(entries, _) => {
                let parts: Option<Vec<String>> = entries
                    .iter()
                    .map(|(k, v)| {
                        if !k.flow_safe() {
                            return None;
                        }
                        Some(format!("{}: {}", k.inline(), v.flow()?))
                    })
                    .collect();
                format!("{{{}}}", parts?.join(", "))
            }
            Y::L(items, _) => {
                let parts: Option<Vec<String>> = items.iter().map(Y::flow).collect();
                format!("[{}]", parts?.join(", "))
            }
            Y::Alias(a) => format!("*{a}"),
            Y::Anchor(..) => return None,
        })
    }

    /// The node as JSON (anchors expanded by the caller: aliases become null).
    pub fn json(&self, indent: usize) -> String {
        let pad = " ".repeat(indent + 2);
        let end = " ".repeat(indent);
        match self {
            Y::S(s) => s.json(),
            Y::M(entries, _) if entries.is_empty() => "{}".into(),
            Y::M(entries, _) => {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Scalar::Plain(t) | Scalar::Single(t) | Scalar::Double(t) => t.clone(),
                            Scalar::Block { lines, .. } => lines.join("\n"),
                        };
                        format!("{pad}{}: {}", double_quoted(&key), v.json(indent + 2))
                    })
                    .collect();
                format!("{{\n{}\n{end}}}", parts.join(",\n"))
            }
            Y::L(items, _) if items.is_empty() => "[]".into(),
            Y::L(items, _) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|v| format!("{pad}{}", v.json(indent + 2)))
                    .collect();
                format!("[\n{}\n{end}]", parts.join(",\n"))
            }
            Y::Anchor(_, y) => y.json(indent),
            Y::Alias(_) => "null".into(),
        }
    }

    /// The node as a block-style document (flow where a collection asks for it).
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Y::M(..) | Y::L(..) if !self.is_empty_collection() && !self.wants_flow() => {
                self.block(0, &mut out)
            }
            _ => {
                out.push_str(&self.value_inline(0));
                out.push('\n');
            }
        }
        out
    }

    fn wants_flow(&self) -> bool {
        matches!(self, Y::M(_, true) | Y::L(_, true)) && self.flow_safe()
    }

    /// What follows `key:` or `- ` on the same line: empty for a block collection (which
    /// starts on the next line), else the value.
    fn value_inline(&self, indent: usize) -> String {
        match self {
            Y::S(Scalar::Block {
                folded,
                chomp,
                indent: ind,
                lines,
            }) => {
                let mut out = String::from(if *folded { ">" } else { "|" });
                if let Some(i) = ind {
                    out.push_str(&i.to_string());
                }
                if *chomp != ' ' {
                    out.push(*chomp);
                }
                let pad = " ".repeat(indent + ind.map_or(2, usize::from));
                for l in lines {
                    out.push('\n');
                    if !l.is_empty() {
                        out.push_str(&pad);
                        out.push_str(l);
                    }
                }
                out
            }
            Y::S(s) => s.inline(),
            Y::Alias(a) => format!("*{a}"),
            y if y.is_empty_collection() => {
                if matches!(y, Y::M(..)) {
                    "{}".into()
                } else {
                    "[]".into()
                }
            }
            y if y.wants_flow() => y.flow().unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// A block collection starting at `indent`.
    fn block(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Y::M(entries, _) => {
                for (k, v) in entries {
                    out.push_str(&pad);
                    let key = match k {
                        Scalar::Block { .. } => k.inline(),
                        k => k.inline(),
                    };
                    out.push_str(&key);
                    out.push(':');
                    self::child(v, indent, out, true);
                }
            }
            Y::L(items, _) => {
                for v in items {
                    out.push_str(&pad);
                    out.push('-');
                    self::child(v, indent, out, false);
                }
            }
            Y::Anchor(a, y) => {
                out.push_str(&pad);
                out.push_str(&format!("&{a}\n"));
                y.block(indent, out);
            }
            _ => {}
        }
    }
}

/// The value of an entry (`in_map`) or an item, after its `key:` or `-`.
fn child(v: &Y, indent: usize, out: &mut String, in_map: bool) {
    let (anchor, v) = match v {
        Y::Anchor(a, y) => (Some(a.as_str()), y.as_ref()),
        v => (None, v),
    };
    if let Some(a) = anchor {
        out.push_str(&format!(" &{a}"));
    }
    let inline = v.value_inline(indent);
    let block = matches!(v, Y::M(..) | Y::L(..)) && !v.is_empty_collection() && !v.wants_flow();
    if block && !in_map && anchor.is_none() && matches!(v, Y::M(..)) {
        // A mapping in a sequence starts on the item's line (`- k: v`).
        let mut inner = String::new();
        v.block(indent + 2, &mut inner);
        out.push(' ');
        out.push_str(&inner[indent + 2..]);
    } else if block {
        out.push('\n');
        // Sequences under a key sit at the key's column (as kubectl writes them).
        let inner = if in_map && matches!(v, Y::L(..)) {
            indent
        } else {
            indent + 2
        };
        v.block(inner, out);
    } else {
        if !inline.is_empty() {
            out.push(' ');
            out.push_str(&inline);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_block_flow_and_scalars() {
        let doc = Y::map(vec![
            ("a", Y::s("0x1F")),
            ("b", Y::S(Scalar::Single("it's".into()))),
            (
                "c",
                Y::L(
                    vec![Y::s("x"), Y::map(vec![("k", Y::s("v")), ("l", Y::s(""))])],
                    false,
                ),
            ),
            ("d", Y::M(vec![(Scalar::plain("x"), Y::s("1"))], true)),
            (
                "e",
                Y::S(Scalar::Block {
                    folded: false,
                    chomp: '-',
                    indent: None,
                    lines: vec!["one".into(), "".into(), "two".into()],
                }),
            ),
            (
                "f",
                Y::Anchor("x".into(), Box::new(Y::map(vec![("g", Y::s("h"))]))),
            ),
            ("i", Y::Alias("x".into())),
        ]);
        assert_eq!(
            doc.render(),
            "a: 0x1F\nb: 'it''s'\nc:\n- x\n- k: v\n  l:\nd: {x: 1}\ne: |-\n  one\n\n  two\nf: &x\n  g: h\ni: *x\n"
        );
        assert_eq!(
            Y::map(vec![("a", Y::s("1")), ("b", Y::s("x"))]).json(0),
            "{\n  \"a\": 1,\n  \"b\": \"x\"\n}"
        );
    }
}
