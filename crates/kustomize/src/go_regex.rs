//! Go's regular expressions (package `regexp`, RE2 syntax with Perl flags), compiled with
//! the `regex` crate so that they match what Go matches and fail where Go fails.
//!
//! Upstream compiles every pattern a kustomization gives (patch and selector targets,
//! `images[].name`, replacement `[key=regex]` path parts) with Go's `regexp`. The two
//! syntaxes differ; a Go pattern is translated before the `regex` crate sees it:
//!
//! * `{` that does not start a valid repetition (`{n}`, `{n,}`, `{n,m}`: decimal counts
//!   without leading zeros or spaces) is a literal: `\${CLUSTER_NAME}`, `a{`, `a{,3}`;
//!   counts above 1,000 or a minimum above the maximum are `invalid repeat count`;
//! * a repetition operator right after another (`a**`, `a+*`, `a*??`, `a{2}{3}`) is
//!   `invalid nested repetition operator` (one lazy `?` is allowed: `a*?`);
//! * `\Q...\E` quotes a literal (to the end without `\E`); octal escapes (`\0`, `\012`,
//!   `\123`) are characters, a lone `\1`..`\9` an error, `\u`/`\U` errors;
//! * `\d`, `\w`, `\s`, `\b` and their negations are ASCII (`\s` is `[\t\n\f\r ]`), where
//!   the `regex` crate's are Unicode; `\<` and `\>` are the literals `<` and `>`;
//! * inside a class, `[`, `&&`, `~~` and `--` are literals (the `regex` crate reads nested
//!   classes and set operations there), `[:name:]` must name one of the 14 POSIX classes,
//!   and `\p{^X}` is `\P{X}`;
//! * only the flags `i`, `m`, `s` and `U` exist; a capture name is `[A-Za-z0-9_]+`;
//! * nesting goes to 1,000 levels.
//!
//! Errors read as Go's: ``error parsing regexp: invalid nested repetition operator: `**` ``.

use regex::{Regex, RegexBuilder};

/// Go's `regexp.Compile` of `pattern`: the compiled expression, or Go's error message.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    RegexBuilder::new(&translated)
        .nest_limit(1_100)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| {
            let detail = match &e {
                regex::Error::Syntax(s) => s.lines().last().unwrap_or(s).trim().to_owned(),
                other => other.to_string(),
            };
            format!("error parsing regexp: {detail}: `{pattern}`")
        })
}

/// The largest repetition count Go accepts.
const MAX_REPEAT: u32 = 1000;

/// The POSIX classes Go knows inside brackets.
const POSIX_CLASSES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

fn go_error(code: &str, fragment: &str) -> String {
    format!("error parsing regexp: {code}: `{fragment}`")
}

/// What the translator last wrote, for repetition rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Nothing a repetition can apply to (start, `(`, `|`).
    Nothing,
    /// An atom.
    Atom,
    /// A repetition operator; `lazy` once its `?` followed.
    Repeat { lazy: bool },
}

/// Groups Go lets an expression nest.
const MAX_NESTING: usize = 1000;

/// Go's `repeatIsValid`: along any chain of counted repetitions nested in one another, the
/// product of their counts (the maximum, or the minimum when unbounded; a count of 0 ends
/// the chain) may not pass 1,000 when the outer one repeats at least twice. Each group
/// keeps the largest product of a chain inside it; `last` is that of the last atom.
#[derive(Default)]
struct Products {
    groups: Vec<u64>,
    last: u64,
}

impl Products {
    fn atom(&mut self) {
        self.last = 1;
    }

    fn open(&mut self) {
        self.groups.push(1);
    }

    /// The group closes: it is the last atom, with the longest chain inside it.
    fn close(&mut self) {
        let inner = self.groups.pop().unwrap_or(1);
        self.last = inner.max(self.last);
    }

    /// A counted repetition of the last atom; false when Go refuses its size.
    fn repeat(&mut self, min: u32, max: Option<u32>) -> bool {
        let m = u64::from(max.unwrap_or(min));
        let chain = if m == 0 { 1 } else { m * self.last };
        let checked = min >= 2 || max.is_none_or(|m| m >= 2);
        self.last = chain;
        self.note(chain);
        !(checked && chain > u64::from(MAX_REPEAT))
    }

    /// The chain ending here counts for the enclosing group.
    fn note(&mut self, chain: u64) {
        if let Some(g) = self.groups.last_mut() {
            *g = (*g).max(chain);
        }
    }
}

/// Translates a Go pattern into the `regex` crate's syntax (see the module docs).
pub fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut last = Last::Nothing;
    let mut products = Products::default();
    let mut i = 0;
    let text = |from: usize, to: usize| chars[from..to.min(chars.len())].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (emitted, next) = escape(&chars, i, false)?;
                out.push_str(&emitted);
                // `\Q` with nothing quoted writes nothing.
                if !emitted.is_empty() {
                    last = Last::Atom;
                    products.atom();
                }
                i = next;
            }
            '[' => {
                let (emitted, next) = class(&chars, i)?;
                out.push_str(&emitted);
                last = Last::Atom;
                products.atom();
                i = next;
            }
            '(' => {
                let (emitted, next) = group_open(&chars, i)?;
                out.push_str(&emitted);
                // A flags-only group `(?i)` leaves what came before it as it was.
                if emitted.ends_with(':') || emitted == "(" {
                    last = Last::Nothing;
                    products.open();
                    if products.groups.len() > MAX_NESTING {
                        return Err(go_error("expression nests too deeply", pattern));
                    }
                }
                i = next;
            }
            ')' => {
                out.push(')');
                last = Last::Atom;
                products.close();
                i += 1;
            }
            '|' => {
                out.push('|');
                last = Last::Nothing;
                i += 1;
            }
            '*' | '+' | '?' => {
                match last {
                    Last::Nothing => {
                        return Err(go_error(
                            "missing argument to repetition operator",
                            &c.to_string(),
                        ))
                    }
                    Last::Repeat { lazy: false } if c == '?' => {
                        last = Last::Repeat { lazy: true };
                        out.push('?');
                        i += 1;
                        continue;
                    }
                    Last::Repeat { .. } => {
                        let start = operator_start(&chars, i);
                        return Err(go_error(
                            "invalid nested repetition operator",
                            &text(start, i + 1),
                        ));
                    }
                    Last::Atom => {}
                }
                out.push(c);
                last = Last::Repeat { lazy: false };
                products.note(products.last);
                i += 1;
            }
            '{' => match repeat(&chars, i) {
                Some((min, max, end)) => {
                    let fragment = text(i, end);
                    match last {
                        Last::Nothing => {
                            return Err(go_error(
                                "missing argument to repetition operator",
                                &fragment,
                            ))
                        }
                        Last::Repeat { .. } => {
                            let start = operator_start(&chars, i);
                            return Err(go_error(
                                "invalid nested repetition operator",
                                &text(start, end),
                            ));
                        }
                        Last::Atom => {}
                    }
                    if min > MAX_REPEAT
                        || max.is_some_and(|m| m > MAX_REPEAT || m < min)
                        || !products.repeat(min, max)
                    {
                        return Err(go_error("invalid repeat count", &fragment));
                    }
                    out.push_str(&fragment);
                    last = Last::Repeat { lazy: false };
                    i = end;
                }
                None => {
                    out.push_str("\\{");
                    last = Last::Atom;
                    products.atom();
                    i += 1;
                }
            },
            '^' | '$' | '.' => {
                // An empty-width assertion may be repeated in Go (`^*`).
                out.push(c);
                last = Last::Atom;
                products.atom();
                i += 1;
            }
            c => {
                push_literal(&mut out, c);
                last = Last::Atom;
                products.atom();
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Where the repetition operators that end just before `i` start (for Go's error text).
fn operator_start(chars: &[char], i: usize) -> usize {
    let mut j = i;
    while j > 0 {
        match chars[j - 1] {
            '*' | '+' | '?' => j -= 1,
            '}' => match chars[..j].iter().rposition(|&c| c == '{') {
                Some(open) if repeat(chars, open).is_some_and(|(_, _, end)| end == j) => j = open,
                _ => break,
            },
            _ => break,
        }
    }
    j
}

/// A valid repetition `{n}`, `{n,}` or `{n,m}` at `i`: its counts and where it ends.
fn repeat(chars: &[char], i: usize) -> Option<(u32, Option<u32>, usize)> {
    let mut j = i + 1;
    let min = number(chars, &mut j)?;
    let max = if chars.get(j) == Some(&',') {
        j += 1;
        if chars.get(j) == Some(&'}') {
            None
        } else {
            Some(number(chars, &mut j)?)
        }
    } else {
        Some(min)
    };
    (chars.get(j) == Some(&'}')).then_some((min, max, j + 1))
}

/// A decimal count at `*j` as Go's parser reads one: `0` or digits without a leading zero
/// (counts too large for Go's int read as out of range).
fn number(chars: &[char], j: &mut usize) -> Option<u32> {
    let start = *j;
    while chars.get(*j).is_some_and(char::is_ascii_digit) {
        *j += 1;
    }
    let digits: String = chars[start..*j].iter().collect();
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    Some(digits.parse::<u32>().unwrap_or(u32::MAX))
}

/// `c` as a literal: escaped when it is a meta character.
fn push_literal(out: &mut String, c: char) {
    let mut buf = [0; 4];
    out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
}

/// An escape at `chars[i] == '\\'`, outside (`in_class == false`) or inside a class:
/// what to write, and where the pattern goes on.
fn escape(chars: &[char], i: usize, in_class: bool) -> Result<(String, usize), String> {
    let Some(&c) = chars.get(i + 1) else {
        return Err(go_error("trailing backslash at end of expression", ""));
    };
    let fragment = |len: usize| {
        chars[i..(i + len).min(chars.len())]
            .iter()
            .collect::<String>()
    };
    let ascii = |class: &str, negated: bool| match (in_class, negated) {
        (true, false) => class.to_owned(),
        (true, true) | (false, true) => format!("[^{class}]"),
        (false, false) => format!("[{class}]"),
    };
    let out = match c {
        'Q' if !in_class => {
            let mut j = i + 2;
            let mut out = String::new();
            while j < chars.len() {
                if chars[j] == '\\' && chars.get(j + 1) == Some(&'E') {
                    return Ok((out, j + 2));
                }
                push_literal(&mut out, chars[j]);
                j += 1;
            }
            return Ok((out, j));
        }
        'd' => ascii("0-9", false),
        'D' => ascii("0-9", true),
        'w' => ascii("0-9A-Za-z_", false),
        'W' => ascii("0-9A-Za-z_", true),
        's' => ascii("\\t\\n\\f\\r ", false),
        'S' => ascii("\\t\\n\\f\\r ", true),
        'b' if !in_class => "(?-u:\\b)".to_owned(),
        'B' if !in_class => "(?-u:\\B)".to_owned(),
        // Literals in Go; word-boundary assertions to the `regex` crate.
        '<' | '>' => c.to_string(),
        '0'..='7' => {
            // Octal: `\0` and up to two more digits, or `\1`..`\7` and one or two more.
            let mut j = i + 2;
            let mut digits = String::from(c);
            while digits.len() < 3 && chars.get(j).is_some_and(|d| ('0'..='7').contains(d)) {
                digits.push(chars[j]);
                j += 1;
            }
            if c != '0' && digits.len() == 1 {
                return Err(go_error("invalid escape sequence", &fragment(2)));
            }
            let value = u32::from_str_radix(&digits, 8).unwrap_or(0);
            return Ok((format!("\\x{{{value:X}}}"), j));
        }
        '8' | '9' | 'u' | 'U' | 'Q' | 'E' => {
            return Err(go_error("invalid escape sequence", &fragment(2)))
        }
        'p' | 'P' | 'x' => {
            // The argument: `{...}`, or one character (`\pL`) or two (`\x41`).
            let (arg, next) = if chars.get(i + 2) == Some(&'{') {
                match chars[i + 3..].iter().position(|&d| d == '}') {
                    Some(close) => (
                        chars[i + 3..i + 3 + close].iter().collect::<String>(),
                        i + 4 + close,
                    ),
                    None => return Err(go_error("invalid escape sequence", &fragment(3))),
                }
            } else {
                let n = if c == 'x' { 2 } else { 1 };
                (
                    chars[(i + 2).min(chars.len())..(i + 2 + n).min(chars.len())]
                        .iter()
                        .collect(),
                    i + 2 + n,
                )
            };
            let braced = chars.get(i + 2) == Some(&'{');
            if c == 'x' {
                // A surrogate is a character Go accepts and nothing matches.
                let surrogate =
                    u32::from_str_radix(&arg, 16).is_ok_and(|v| (0xD800..=0xDFFF).contains(&v));
                if surrogate {
                    let never = if in_class { "" } else { "[^\\x00-\\x{10FFFF}]" };
                    return Ok((never.to_owned(), next));
                }
            }
            if c != 'x' && !go_knows_property(&arg) {
                return Err(go_error(
                    "invalid character class range",
                    &fragment(next - i),
                ));
            }
            // `\p{^X}` negates, as `\P{X}`.
            let (c, arg) = match arg.strip_prefix('^') {
                Some(rest) if c != 'x' && braced => {
                    (if c == 'p' { 'P' } else { 'p' }, rest.to_owned())
                }
                _ => (c, arg),
            };
            return Ok((
                if braced {
                    format!("\\{c}{{{arg}}}")
                } else {
                    format!("\\{c}{arg}")
                },
                next,
            ));
        }
        c => format!("\\{c}"),
    };
    Ok((out, i + 2))
}

/// Whether Go's `\p{...}` knows `name` (a general category or its alias, a script's long
/// name, `Any`, `ASCII`): the `regex` crate also knows binary properties (`Alphabetic`,
/// `White_Space`, `Emoji`), `name=value` forms and four-letter script codes, which Go
/// refuses.
fn go_knows_property(name: &str) -> bool {
    let name = name.trim_start_matches('^');
    if name.contains(['=', ':']) {
        return false;
    }
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    const RUST_ONLY: [&str; 40] = [
        "alphabetic",
        "alpha",
        "whitespace",
        "wspace",
        "space",
        "emoji",
        "emojipresentation",
        "emojimodifier",
        "emojimodifierbase",
        "emojicomponent",
        "extendedpictographic",
        "lowercase",
        "lower",
        "uppercase",
        "upper",
        "math",
        "hexdigit",
        "asciihexdigit",
        "dash",
        "ideographic",
        "diacritic",
        "extender",
        "defaultignorablecodepoint",
        "noncharactercodepoint",
        "joincontrol",
        "quotationmark",
        "terminalpunctuation",
        "sentenceterminal",
        "softdotted",
        "idstart",
        "idcontinue",
        "xidstart",
        "xidcontinue",
        "latn",
        "grek",
        "cyrl",
        "hani",
        "arab",
        "hebr",
        "zyyy",
    ];
    !RUST_ONLY.contains(&folded.as_str())
}

/// A group's opening at `chars[i] == '('`: `(`, `(?:`, flags, or a named capture (written
/// as a plain group: names do not change what matches).
fn group_open(chars: &[char], i: usize) -> Result<(String, usize), String> {
    if chars.get(i + 1) != Some(&'?') {
        return Ok(("(".to_owned(), i + 1));
    }
    let rest: String = chars[i..].iter().take(64).collect();
    let named = if rest.starts_with("(?P<") {
        Some(i + 4)
    } else if rest.starts_with("(?<") {
        Some(i + 3)
    } else {
        None
    };
    if let Some(start) = named {
        let Some(len) = chars[start..].iter().position(|&c| c == '>') else {
            return Err(go_error("invalid named capture", &rest));
        };
        let name: String = chars[start..start + len].iter().collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(go_error(
                "invalid named capture",
                &chars[i..=start + len].iter().collect::<String>(),
            ));
        }
        return Ok(("(".to_owned(), start + len + 1));
    }
    // Flags: `(?flags)` or `(?flags:`, of `i`, `m`, `s`, `U`, with one `-`.
    let mut j = i + 2;
    let mut out = String::from("(?");
    let mut seen_minus = false;
    while let Some(&c) = chars.get(j) {
        match c {
            'i' | 'm' | 's' | 'U' => out.push(c),
            '-' if !seen_minus => {
                seen_minus = true;
                out.push(c);
            }
            ':' | ')' => {
                if out.ends_with('-') || (out == "(?" && c == ')') {
                    break;
                }
                out.push(c);
                return Ok((out, j + 1));
            }
            _ => break,
        }
        j += 1;
    }
    let fragment: String = chars[i..(j + 1).min(chars.len())].iter().collect();
    Err(go_error("invalid or unsupported Perl syntax", &fragment))
}

/// A class at `chars[i] == '['`: what to write and where the pattern goes on.
fn class(chars: &[char], i: usize) -> Result<(String, usize), String> {
    let mut out = String::from("[");
    let mut j = i + 1;
    if chars.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    // A `]` right after the opening is a member.
    if chars.get(j) == Some(&']') {
        out.push_str("\\]");
        j += 1;
    }
    // Whether the last member was a single character (which a `-` may make a range from).
    let mut last_char = false;
    while let Some(&c) = chars.get(j) {
        match c {
            ']' => {
                out.push(']');
                return Ok((out, j + 1));
            }
            '[' if chars.get(j + 1) == Some(&':') => {
                let rest: String = chars[j..].iter().take(16).collect();
                let end = rest.find(":]");
                let name = end.map(|e| rest[2..e].trim_start_matches('^'));
                match (end, name) {
                    (Some(e), Some(n)) if POSIX_CLASSES.contains(&n) => {
                        out.push_str(&rest[..e + 2]);
                        j += rest[..e + 2].chars().count();
                        last_char = false;
                    }
                    (Some(e), _) => {
                        return Err(go_error("invalid character class range", &rest[..e + 2]))
                    }
                    (None, _) => {
                        out.push_str("\\[");
                        j += 1;
                        last_char = true;
                    }
                }
            }
            '\\' => {
                let (emitted, next) = escape(chars, j, true)?;
                out.push_str(&emitted);
                last_char = !matches!(
                    chars.get(j + 1),
                    Some('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'p' | 'P')
                );
                j = next;
            }
            '-' => {
                // A range needs a character before and after; else `-` is a member.
                let next = chars.get(j + 1);
                if last_char && next.is_some_and(|&n| n != ']') {
                    if next == Some(&'-') {
                        let fragment: String =
                            chars[j - 1..(j + 2).min(chars.len())].iter().collect();
                        return Err(go_error("invalid character class range", &fragment));
                    }
                    out.push('-');
                    last_char = false;
                } else {
                    out.push_str("\\-");
                    last_char = true;
                }
                j += 1;
            }
            '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                last_char = true;
                j += 1;
            }
            c => {
                out.push(c);
                last_char = true;
                j += 1;
            }
        }
    }
    let fragment: String = chars[i..].iter().collect();
    Err(go_error("missing closing ]", &fragment))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether Go's `^(?:p)$` matches `s`; `None` when Go refuses the pattern.
    fn whole(p: &str, s: &str) -> Option<bool> {
        compile(&format!("^(?:{p})$")).ok().map(|re| re.is_match(s))
    }

    /// Each case checked with the reference (patch targets by name, whose regex upstream
    /// compiles as `^(?:NAME)$` with Go's `regexp`).
    #[test]
    fn matches_as_go_does() {
        assert_eq!(whole(r"\${CLUSTER_NAME}", "${CLUSTER_NAME}"), Some(true));
        assert_eq!(whole("a{", "a{"), Some(true));
        assert_eq!(whole("a{}", "a{}"), Some(true));
        assert_eq!(whole("{x}", "{x}"), Some(true));
        assert_eq!(whole("a{,3}", "a{,3}"), Some(true));
        assert_eq!(whole("a{01}", "a{01}"), Some(true));
        assert_eq!(whole("a{2}", "aa"), Some(true));
        assert_eq!(whole(r"\Q.\E", "."), Some(true));
        assert_eq!(whole(r"\Q.\E", "x"), Some(false));
        assert_eq!(whole(r"\d", "3"), Some(true));
        assert_eq!(whole(r"\d", "٣"), Some(false));
        assert_eq!(whole(r"\w+", "é"), Some(false));
        assert_eq!(whole(r"a\sb", "a\u{0B}b"), Some(false));
        assert_eq!(whole(r"a\sb", "a\u{A0}b"), Some(false));
        assert_eq!(whole(r"a\sb", "a b"), Some(true));
        assert_eq!(whole(r"é\b", "é"), Some(false));
        assert_eq!(whole("[[:alpha:]]+", "abc"), Some(true));
        assert_eq!(whole("(?i)abc", "ABC"), Some(true));
        assert_eq!(whole("[a&&b]", "&"), Some(true));
        assert_eq!(whole("[a~~b]", "~"), Some(true));
        assert_eq!(whole("[a[b]]", "a]"), Some(true));
        assert_eq!(whole(r"[\d-z]", "-"), Some(true));
        assert_eq!(whole(r"\101", "A"), Some(true));
        assert_eq!(whole(r"\0", "\0"), Some(true));
        assert_eq!(whole(r"\<a\>", "<a>"), Some(true));
        assert_eq!(whole(r"\p{^Greek}", "a"), Some(true));
        assert_eq!(whole("(?P<n>a)(?<m>b)", "ab"), Some(true));
        assert_eq!(whole("a*?", "aa"), Some(true));
        assert_eq!(whole("a??", "a"), Some(true));
        assert_eq!(whole("[]a]+", "]a"), Some(true));
        assert_eq!(whole("[^]a]+", "bc"), Some(true));
        assert_eq!(whole("a|", "a"), Some(true));
        assert_eq!(whole("a)|(b", "axx"), Some(true));
    }

    #[test]
    fn refuses_what_go_refuses() {
        for (p, want) in [
            ("a**", "invalid nested repetition operator: `**`"),
            ("a+*", "invalid nested repetition operator: `+*`"),
            ("a*??", "invalid nested repetition operator: `*??`"),
            ("a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("a{3,2}", "invalid repeat count: `{3,2}`"),
            (r"\1", "invalid escape sequence: `\\1`"),
            (r"\u0041", "invalid escape sequence: `\\u`"),
            ("(?x)a", "invalid or unsupported Perl syntax: `(?x`"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            ("[a--b]", "invalid character class range: `a--`"),
            ("*a", "missing argument to repetition operator: `*`"),
        ] {
            let err = compile(p).unwrap_err();
            assert!(err.ends_with(want), "{p}: {err}");
        }
        assert!(compile("(").is_err());
        assert!(compile("[z-a]").is_err());
        assert!(compile(r"\C").is_err());
    }

    #[test]
    fn nests_as_deep_as_go() {
        let deep = format!("{}a{}", "(".repeat(999), ")".repeat(999));
        assert!(compile(&deep).is_ok());
    }
}
