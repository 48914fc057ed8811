//! Go's `filepath.Glob` and `filepath.Match`, which upstream's `edit` commands expand their
//! file arguments with.
//!
//! The `glob` crate differs where it matters (`[^...]` negation, `**`, escapes), so the
//! rules are written out: `*` matches any run of characters but `/`, `?` one such
//! character, `[...]` a class (`^` negates, `a-z` ranges, `\` escapes), `\` escapes the next
//! character. A pattern without meta characters matches itself if the path exists. Matches
//! are sorted per directory (Go reads directories sorted). A malformed pattern is an error
//! (`syntax error in pattern`).

use std::path::Path;

/// Go's `filepath.ErrBadPattern`.
pub const BAD_PATTERN: &str = "syntax error in pattern";

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// The existing paths `pattern` matches, relative to `cwd` as the pattern is.
pub fn glob(cwd: &Path, pattern: &str) -> Result<Vec<String>, String> {
    // Go checks the whole pattern's syntax first.
    matches(pattern, "")?;
    if !has_meta(pattern) {
        let exists = cwd.join(pattern).symlink_metadata().is_ok();
        return Ok(if exists {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        });
    }
    let (dir, file) = match pattern.rfind('/') {
        Some(i) => (&pattern[..i + 1], &pattern[i + 1..]),
        None => ("", pattern),
    };
    let dir = clean_dir(dir);
    let dirs: Vec<String> = if !has_meta(&dir) {
        vec![dir]
    } else {
        glob(cwd, &dir)?
    };
    let mut out = Vec::new();
    for d in dirs {
        out.extend(glob_in(cwd, &d, file)?);
    }
    Ok(out)
}

/// kyaml's `fsOnDisk.Glob`: Go's glob without hidden files (a match whose base name starts
/// with `.`), unless the pattern's base name starts with `.` itself.
pub fn glob_visible(cwd: &Path, pattern: &str) -> Result<Vec<String>, String> {
    let mut out = glob(cwd, pattern)?;
    let base = |p: &str| {
        p.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string()
    };
    if !base(pattern).starts_with('.') {
        out.retain(|p| !base(p).starts_with('.'));
    }
    Ok(out)
}

/// Go's `cleanGlobPath`: "" is ".", a trailing separator is dropped (but not from "/").
fn clean_dir(dir: &str) -> String {
    match dir {
        "" => ".".into(),
        "/" => "/".into(),
        d => d[..d.len() - 1].to_string(),
    }
}

fn glob_in(cwd: &Path, dir: &str, pattern: &str) -> Result<Vec<String>, String> {
    let full = cwd.join(dir);
    if !full.is_dir() {
        return Ok(Vec::new());
    }
    let Ok(entries) = std::fs::read_dir(&full) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        if matches(pattern, &n)? {
            out.push(if dir == "." {
                n
            } else if dir.ends_with('/') {
                format!("{dir}{n}")
            } else {
                format!("{dir}/{n}")
            });
        }
    }
    Ok(out)
}

/// Go's `filepath.Match` (on a `/`-separated system).
pub fn matches(pattern: &str, name: &str) -> Result<bool, String> {
    let mut pattern = pattern;
    let mut name = name;
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the name unless it has a separator.
            return Ok(!name.contains('/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            // Look for a match, skipping i characters of the name (never a separator).
            for (i, c) in name.char_indices() {
                if c == '/' {
                    break;
                }
                let after = &name[i + c.len_utf8()..];
                let (t, ok) = match_chunk(chunk, after)?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
            }
        }
        // Go checks the rest of the pattern's syntax before answering no.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, "")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the leading stars and the chunk up to the next unescaped star outside a class.
fn scan_chunk(pattern: &str) -> (bool, &str, &str) {
    let trimmed = pattern.trim_start_matches('*');
    let star = trimmed.len() != pattern.len();
    let bytes = trimmed.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if i + 1 < bytes.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &trimmed[..i], &trimmed[i..])
}

/// Matches `chunk` (no stars) against the start of `s`: the rest of `s` and whether it
/// matched; a malformed chunk is an error even when the text runs out.
fn match_chunk<'s>(chunk: &str, s: &'s str) -> Result<(&'s str, bool), String> {
    let bad = || BAD_PATTERN.to_string();
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        let first = chunk.as_bytes()[0];
        match first {
            b'[' => {
                let mut r = '\0';
                if !failed {
                    let c = s.chars().next().unwrap_or('\0');
                    r = c;
                    s = &s[c.len_utf8()..];
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut n = 0;
                loop {
                    if !chunk.is_empty() && chunk.as_bytes()[0] == b']' && n > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk).ok_or_else(bad)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.starts_with('-') {
                        let (h, rest) = get_esc(&chunk[1..]).ok_or_else(bad)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    n += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    let c = s.chars().next().unwrap_or('\0');
                    if c == '/' {
                        failed = true;
                    }
                    s = &s[c.len_utf8().min(s.len())..];
                }
                chunk = &chunk[1..];
            }
            b'\\' => {
                chunk = &chunk[1..];
                if chunk.is_empty() {
                    return Err(bad());
                }
                literal(&mut chunk, &mut s, &mut failed);
            }
            _ => literal(&mut chunk, &mut s, &mut failed),
        }
    }
    if failed {
        return Ok(("", false));
    }
    Ok((s, true))
}

/// Matches the chunk's first character literally against the text's.
fn literal(chunk: &mut &str, s: &mut &str, failed: &mut bool) {
    let c = chunk.chars().next().unwrap_or('\0');
    if !*failed {
        if s.starts_with(c) {
            *s = &s[c.len_utf8()..];
        } else {
            *failed = true;
        }
    }
    *chunk = &chunk[c.len_utf8()..];
}

/// One possibly escaped character of a class; `None` for a malformed class.
fn get_esc(chunk: &str) -> Option<(char, &str)> {
    let mut rest = chunk;
    if rest.is_empty() || rest.starts_with('-') || rest.starts_with(']') {
        return None;
    }
    if let Some(r) = rest.strip_prefix('\\') {
        rest = r;
        if rest.is_empty() {
            return None;
        }
    }
    let c = rest.chars().next()?;
    rest = &rest[c.len_utf8()..];
    if rest.is_empty() {
        return None;
    }
    Some((c, rest))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn go_match_table() {
        // From Go's path/filepath match_test.go.
        let table: &[(&str, &str, Result<bool, ()>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", Err(())),
            ("[-]", "-", Err(())),
            ("[x-]", "x", Err(())),
            ("[x-]", "-", Err(())),
            ("[x-]", "z", Err(())),
            ("[-x]", "x", Err(())),
            ("[-x]", "-", Err(())),
            ("[-x]", "a", Err(())),
            ("\\", "a", Err(())),
            ("[a-b-c]", "a", Err(())),
            ("[", "a", Err(())),
            ("[^", "a", Err(())),
            ("[^bc", "a", Err(())),
            ("a[", "a", Err(())),
            ("a[", "ab", Err(())),
            ("a[", "x", Err(())),
            ("a/b[", "x", Err(())),
            ("*x", "xxx", Ok(true)),
        ];
        for (p, s, want) in table {
            let got = matches(p, s).map_err(|_| ());
            assert_eq!(&got, want, "Match({p:?}, {s:?})");
        }
    }

    proptest::proptest! {
        /// Any pattern against any name: an answer or `ErrBadPattern`, never a panic.
        #[test]
        fn match_takes_any_input(p in "[a-z*?\\[\\]\\\\^/-]{0,12}", s in "[a-z/\\]-]{0,12}") {
            let _ = matches(&p, &s);
        }
    }
}
