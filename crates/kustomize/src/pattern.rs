//! Upstream's anchored regular expressions over names (selectors, image names), with the
//! common case matched by hand: a pattern made only of name characters and `.` (any
//! character) matches exactly as many characters as it has. Compiling a regular expression
//! costs more than a small build, and most patterns are plain names.

use regex::Regex;

/// Whether `pattern` is only name characters and `.`.
pub fn is_dotted_name(pattern: &str) -> bool {
    !pattern.is_empty()
        && pattern
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_/:@-.".contains(c))
}

/// The rest of `value` after a dotted-name `pattern` matched its start (`.` matches any
/// character but a line break, as in a regular expression); `None` if it does not match.
pub fn strip_dotted_prefix<'v>(pattern: &str, value: &'v str) -> Option<&'v str> {
    let mut chars = value.chars();
    for p in pattern.chars() {
        match chars.next() {
            Some(c) if c == p || (p == '.' && c != '\n') => {}
            _ => return None,
        }
    }
    Some(chars.as_str())
}

/// `^(?:PATTERN)$`: a dotted name matched by hand, anything else compiled.
#[derive(Debug, Clone)]
pub enum Anchored {
    /// Name characters and `.` only.
    Dotted(String),
    /// Any other pattern.
    Regex(Regex),
}

impl Anchored {
    /// The pattern, or Go's error for it. The whole anchored text is read as Go reads it
    /// ([`crate::go_regex`]): upstream wraps the pattern before compiling, so `a)|(b`
    /// matches `axx`, and an unclosed `\Q` quotes the `)$` too.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if is_dotted_name(pattern) {
            return Ok(Anchored::Dotted(pattern.to_owned()));
        }
        crate::go_regex::compile(&format!("^(?:{pattern})$")).map(Anchored::Regex)
    }

    /// Whether the whole of `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        match self {
            Anchored::Dotted(p) => strip_dotted_prefix(p, value).is_some_and(str::is_empty),
            Anchored::Regex(re) => re.is_match(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A dotted name matched by hand agrees with the regular expression.
        #[test]
        fn dotted_names_match_as_the_regex_does(
            pattern in "[a.:@/_-]{1,4}",
            value in "[a.:@/_b\\n-]{0,5}",
        ) {
            let re = Regex::new(&format!("^(?:{pattern})$")).unwrap();
            let hand = Anchored::new(&pattern).unwrap();
            proptest::prop_assert!(matches!(hand, Anchored::Dotted(_)));
            proptest::prop_assert_eq!(hand.is_match(&value), re.is_match(&value));
        }
    }

    #[test]
    fn other_patterns_compile() {
        assert!(Anchored::new("app-(a|b)").unwrap().is_match("app-b"));
        assert!(!Anchored::new("app-(a|b)").unwrap().is_match("app-c"));
        assert!(Anchored::new("(").is_err());
    }
}
