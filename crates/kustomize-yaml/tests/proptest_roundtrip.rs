//! Property tests: whatever the emitter prints, the parser reads back as the same tree, and
//! printing is a fixed point.

use kustomize_yaml::resolve::{float_output_text, resolve_v3, Resolved};
use kustomize_yaml::{emit_document, parse_documents, Mapping, Schema, Value};
use proptest::prelude::*;

/// Pieces strings are made of: words, YAML indicators, whitespace, line breaks, unicode.
/// (Not U+2028/U+2029: YAML 1.1 line breaks for go-yaml, ordinary characters for
/// granit-parser, so a quoted scalar holding one does not read back the same.)
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "word",
        "Hello",
        "x",
        "yes",
        "no",
        "on",
        "y",
        "null",
        "~",
        "true",
        "1",
        "012",
        "1.5",
        "0x1F",
        "1e3",
        "2001-12-14",
        "1:20",
        " ",
        " ",
        " ",
        "  ",
        ":",
        ": ",
        " #",
        "#",
        "-",
        "- ",
        "?",
        "'",
        "\"",
        "\\",
        ",",
        "[",
        "]",
        "{",
        "}",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "\n",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "é",
        "日本語",
        "😀",
        "\u{a0}",
        "\u{feff}",
        "\u{0}",
        "\u{1b}",
        "---",
        "...",
        "=",
        "/",
        ".",
        "+",
        "lorem ipsum dolor sit amet",
        "averyveryverylongwordwithoutanyspacesinsideitatallreally",
    ])
}

fn text(max_pieces: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..max_pieces).prop_map(|p| p.concat())
}

fn key() -> impl Strategy<Value = String> {
    // `<<` would come back as a merge key, as it does upstream.
    prop_oneof![
        3 => prop::sample::select(vec!["a", "b", "name", "k1", "k10", "k2", "1", "yes", "n", "a b", ""])
            .prop_map(String::from),
        2 => text(6),
        1 => text(40),
    ]
    .prop_filter("merge key", |k| k != "<<")
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => text(30).prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::Int),
        1 => ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Value::UInt),
        1 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        1 => prop::sample::select(vec![0.5, 1.0, 1e-7, 123456789.5, 1e20, 1e21, -0.0, 0.1])
            .prop_map(Value::Float),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Map(entries.into_iter().collect::<Mapping>())),
        ]
    })
}

/// A resource-like document: a map at the top.
fn document() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), tree()), 0..8)
        .prop_map(|entries| Value::Map(entries.into_iter().collect::<Mapping>()))
}

/// What a float reads back as once printed (integral values come back as integers).
fn normalise(v: &Value) -> Value {
    match v {
        Value::Float(f) => match resolve_v3(&float_output_text(*f).expect("finite"), false) {
            Resolved::Int(i) => Value::Int(i),
            Resolved::UInt(u) => Value::UInt(u),
            Resolved::Float(f) => Value::Float(f),
            other => panic!("float printed as {other:?}"),
        },
        Value::Seq(items) => Value::Seq(items.iter().map(normalise).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), normalise(v))).collect()),
        other => other.clone(),
    }
}

fn emit(v: &Value) -> String {
    let mut out = String::new();
    emit_document(v, &mut out).expect("emittable");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn emitted_documents_parse_back(doc in document()) {
        let printed = emit(&doc);
        let parsed = parse_documents(&printed, Schema::Kyaml)
            .unwrap_or_else(|e| panic!("{e}\n--- printed:\n{printed}"));
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0], &normalise(&doc), "printed:\n{}", printed);
        prop_assert_eq!(emit(&parsed[0]), printed);
    }

    #[test]
    fn emitted_scalars_parse_back(s in text(40)) {
        let doc = Value::Map([("k".to_string(), Value::from(s))].into_iter().collect());
        let printed = emit(&doc);
        let parsed = parse_documents(&printed, Schema::Kyaml).expect("parses");
        prop_assert_eq!(&parsed[0], &doc, "printed:\n{}", printed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// YAML-ish noise never panics the parser or, once parsed, the emitter.
    #[test]
    fn noise_never_panics(src in "[-:#&*!|>'\"%@`{}\\[\\],?.~<=\\\\ \n\tab0-9yn\u{85}\u{2028}é]{0,120}") {
        for schema in [Schema::Kyaml, Schema::Yaml11] {
            if let Ok(docs) = parse_documents(&src, schema) {
                for d in &docs {
                    let _ = emit_document(d, &mut String::new());
                }
            }
        }
    }
}
