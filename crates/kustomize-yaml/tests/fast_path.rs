//! The fast path against granit-parser on every YAML file under `../shared` (inputs and
//! expected outputs): `parse_documents` (the fast path for the documents it takes, granit-parser
//! for the rest) must give exactly the documents granit-parser alone gives (in order, `Blank`
//! apart from `Null`), and fail where granit-parser fails.

use std::fs;
use std::path::{Path, PathBuf};

use kustomize_yaml::parse::{parse_fast, parse_full};
use kustomize_yaml::{parse_documents, Schema};

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn fast_path_agrees_with_the_full_parser() {
    let Some(shared) = shared_dir() else {
        eprintln!("fast_path: ../shared not found; SKIPPED");
        return;
    };
    let mut files = Vec::new();
    for sub in ["conformance", "realworld", "bench"] {
        walk(&shared.join(sub), &mut files);
    }
    files.sort();
    // FAST_PATH_DECLINED=1 lists the files with documents the fast path leaves to granit-parser.
    let list_declined = std::env::var_os("FAST_PATH_DECLINED").is_some();
    let (mut fast_docs, mut all_docs) = (0usize, 0usize);
    let mut failures = Vec::new();
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        for schema in [Schema::Kyaml, Schema::Yaml11] {
            let hybrid = parse_documents(&text, schema);
            let full = parse_full(&text, schema);
            match (&hybrid, &full) {
                (Ok(h), Ok(f)) if format!("{h:?}") == format!("{f:?}") => {
                    let fast = parse_fast(&text, schema).map_or(0, |(_, n)| n);
                    if fast < f.len() && list_declined && schema == Schema::Kyaml {
                        eprintln!("declined: {} ({fast} of {})", path.display(), f.len());
                    }
                    fast_docs += fast;
                    all_docs += f.len();
                }
                (Err(h), Err(f)) if h.to_string() == f.to_string() => {}
                _ => failures.push(format!("{}: {schema:?} differs", path.display())),
            }
        }
    }
    eprintln!("fast_path: {fast_docs} of {all_docs} documents took the fast path");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        fast_docs * 10 > all_docs * 8,
        "the fast path took only {fast_docs} of {all_docs}"
    );
}

mod generated {
    //! Random block YAML in the shapes the fast path reads, and near them: whatever the
    //! text, the fast path with granit-parser behind it must agree with granit-parser alone.

    use kustomize_yaml::parse::parse_full;
    use kustomize_yaml::{parse_documents, Schema};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Node {
        Scalar(Scalar),
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
    }

    #[derive(Debug, Clone)]
    enum Scalar {
        Plain(String),
        /// A plain scalar written over several lines.
        Folded(Vec<String>),
        Single(Vec<String>),
        Double(Vec<String>),
        Literal(String, Vec<String>),
        Flow(Vec<String>),
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a".to_owned()),
            Just("b c".to_owned()),
            Just("-1".to_owned()),
            Just("--flag=x".to_owned()),
            Just(":x".to_owned()),
            Just("a:b".to_owned()),
            Just("a#b".to_owned()),
            Just("null".to_owned()),
            Just("~".to_owned()),
            Just("true".to_owned()),
            Just("0x1F".to_owned()),
            Just("1e3".to_owned()),
            Just("é".to_owned()),
            Just("`x`".to_owned()),
            Just("x: y".to_owned()),
            Just("it's".to_owned()),
            Just("q\"q".to_owned()),
            Just("\\n".to_owned()),
            Just("- z".to_owned()),
            Just(" ".to_owned()),
            Just("".to_owned()),
            "[a-z]{1,6}",
        ]
    }

    fn scalar() -> impl Strategy<Value = Scalar> {
        prop_oneof![
            4 => word().prop_map(Scalar::Plain),
            1 => prop::collection::vec(word(), 2..4).prop_map(Scalar::Folded),
            1 => prop::collection::vec(word(), 1..3).prop_map(Scalar::Single),
            1 => prop::collection::vec(word(), 1..3).prop_map(Scalar::Double),
            1 => (prop_oneof![Just(""), Just("-"), Just("+")], prop::collection::vec(word(), 1..4))
                .prop_map(|(c, l)| Scalar::Literal(c.to_owned(), l)),
            1 => prop::collection::vec(word(), 0..3).prop_map(Scalar::Flow),
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        scalar()
            .prop_map(Node::Scalar)
            .prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(("[a-c]{1,2}|\"k\"|'k'|k x", inner.clone()), 1..4)
                        .prop_map(Node::Map),
                    prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
                ]
            })
    }

    /// Layout choices.
    #[derive(Debug, Clone)]
    struct Style {
        step: usize,
        indentless: bool,
        comments: bool,
        blank_lines: bool,
        /// `- key: value` with the mapping's other keys under the first.
        compact: bool,
        /// Spaces after `-` in compact entries.
        dash_gap: usize,
        trailing_comments: bool,
    }

    prop_compose! {
        fn style()(
            step in 1usize..4,
            indentless in any::<bool>(),
            comments in any::<bool>(),
            blank_lines in any::<bool>(),
            compact in any::<bool>(),
            dash_gap in 1usize..4,
            trailing_comments in any::<bool>(),
        ) -> Style {
            Style { step, indentless, comments, blank_lines, compact, dash_gap, trailing_comments }
        }
    }

    fn pad(n: usize) -> String {
        " ".repeat(n)
    }

    /// Writes `s` after `prefix` (which ends the line's key or dash), with continuation
    /// lines at `cont`.
    fn write_scalar(out: &mut String, s: &Scalar, cont: usize, st: &Style) {
        let comment = if st.trailing_comments { " # c" } else { "" };
        match s {
            Scalar::Plain(w) => out.push_str(&format!(" {w}{comment}\n")),
            Scalar::Folded(ws) => {
                out.push_str(&format!(" {}\n", ws[0]));
                for w in &ws[1..] {
                    if st.blank_lines {
                        out.push('\n');
                    }
                    out.push_str(&format!("{}{w}\n", pad(cont)));
                }
            }
            Scalar::Single(ws) => {
                let parts: Vec<String> = ws.iter().map(|w| w.replace('\'', "''")).collect();
                out.push_str(&format!(
                    " '{}'{comment}\n",
                    parts.join(&format!("\n{}", pad(cont)))
                ));
            }
            Scalar::Double(ws) => {
                let parts: Vec<String> = ws
                    .iter()
                    .map(|w| w.replace('\\', "\\\\").replace('"', "\\\""))
                    .collect();
                out.push_str(&format!(
                    " \"{}\"\n",
                    parts.join(&format!("\\\n{}", pad(cont)))
                ));
            }
            Scalar::Literal(chomp, lines) => {
                out.push_str(&format!(" |{chomp}\n"));
                for l in lines {
                    out.push_str(&format!("{}{l}\n", pad(cont)));
                }
                if st.blank_lines {
                    out.push('\n');
                }
            }
            Scalar::Flow(ws) => out.push_str(&format!(" [{}]{comment}\n", ws.join(", "))),
        }
    }

    fn write(out: &mut String, node: &Node, indent: usize, st: &Style) {
        match node {
            Node::Scalar(s) => {
                out.push_str(&pad(indent));
                out.push('x');
                out.push(':');
                write_scalar(out, s, indent + st.step, st);
            }
            Node::Map(entries) => {
                for (k, v) in entries {
                    if st.comments {
                        out.push_str(&format!("{}# note\n", pad(indent)));
                    }
                    out.push_str(&format!("{}{k}:", pad(indent)));
                    write_value(out, v, indent, st, true);
                }
            }
            Node::Seq(items) => {
                for item in items {
                    match item {
                        Node::Map(entries) if st.compact => {
                            // `-` then the first key on the same line, the others under it.
                            let col = indent + 1 + st.dash_gap;
                            for (i, (k, v)) in entries.iter().enumerate() {
                                if i == 0 {
                                    out.push_str(&format!(
                                        "{}-{}{k}:",
                                        pad(indent),
                                        pad(st.dash_gap)
                                    ));
                                } else {
                                    out.push_str(&format!("{}{k}:", pad(col)));
                                }
                                write_value(out, v, col, st, true);
                            }
                        }
                        _ => {
                            out.push_str(&format!("{}-", pad(indent)));
                            write_value(out, item, indent, st, false);
                        }
                    }
                }
            }
        }
    }

    fn write_value(out: &mut String, v: &Node, indent: usize, st: &Style, in_map: bool) {
        match v {
            Node::Scalar(s) => write_scalar(out, s, indent + st.step, st),
            Node::Seq(_) if in_map && st.indentless => {
                out.push('\n');
                write(out, v, indent, st);
            }
            _ => {
                out.push('\n');
                write(out, v, indent + st.step, st);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn fast_path_agrees_on_generated_yaml(
            docs in prop::collection::vec(node(), 1..3),
            st in style(),
            final_newline in any::<bool>(),
        ) {
            let mut text = String::new();
            for (i, d) in docs.iter().enumerate() {
                if i > 0 {
                    text.push_str("---\n");
                }
                let root = match d {
                    Node::Scalar(_) => Node::Map(vec![("r".into(), d.clone())]),
                    other => other.clone(),
                };
                write(&mut text, &root, 0, &st);
            }
            if !final_newline {
                text.pop();
            }
            for schema in [Schema::Kyaml, Schema::Yaml11] {
                let hybrid = parse_documents(&text, schema).map(|d| format!("{d:?}")).map_err(|e| e.to_string());
                let full = parse_full(&text, schema).map(|d| format!("{d:?}")).map_err(|e| e.to_string());
                prop_assert_eq!(hybrid, full, "{:?} for\n{}", schema, text);
            }
        }
    }
}
