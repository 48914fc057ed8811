//! Remote content: http(s) files and git repositories a kustomization names, fetched
//! through a [`Remote`] the embedder grants ([`crate::Options::remote`]; none by default,
//! so a library build reaches no network and runs no git). [`DefaultRemote`] is upstream's
//! way: files over http(s) (cargo feature `http`), and repositories cloned with the system
//! `git` into a temporary directory removed when the build no longer needs it, under a
//! timeout (cargo feature `git`).
//!
//! Repository URLs come in every form upstream accepts (its `RepoSpec`).
//!
//! Forms: `https://host/org/repo//path?ref=v1&timeout=30s&submodules=false`,
//! `ssh://git@host/org/repo.git/path`, `git@host:org/repo/path`, `github.com/org/repo/path`
//! (two path segments make the repository unless `//`, `.git` or `_git/` marks it),
//! `file:///abs/repo//path` (the whole path is the repository unless marked), and a
//! `git::` prefix (stripped).

#[cfg(feature = "git")]
use std::path::Path;
use std::path::PathBuf;
#[cfg(feature = "git")]
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
#[cfg(feature = "git")]
use std::time::Instant;

#[cfg(feature = "git")]
mod cache;
#[cfg(feature = "git")]
pub use cache::GitCache;

use crate::fs::FileSystem;

/// Where a build's remote content comes from. Implement it to serve bases from an
/// artifact cache, to allow-list hosts, or to refuse; [`DefaultRemote`] fetches as
/// upstream does. Errors are messages: the build wraps them with the URL.
pub trait Remote: Send + Sync + std::fmt::Debug {
    /// The bytes at an `http://` or `https://` URL, at most `limit` bytes (a longer
    /// body is an error).
    fn fetch_file(&self, url: &str, limit: u64) -> Result<Vec<u8>, RemoteError>;

    /// A checkout of the repository `spec` names, within `timeout` (the smaller of the
    /// URL's `timeout` and the build's time left).
    fn fetch_repo(&self, spec: &RepoSpec, timeout: Duration) -> Result<RemoteRepo, RemoteError>;
}

/// Why a remote fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteError {
    /// The URL answered with an error status (upstream then tries it as a repository when
    /// it reads as one).
    Status(u16),
    /// Anything else.
    Failed(String),
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteError::Status(code) => write!(f, "status code {code}"),
            RemoteError::Failed(message) => f.write_str(message),
        }
    }
}

/// A repository checked out for a build: the files are read through `fs` (root-only,
/// whatever the build's load restrictor), the repository's top directory is `dir` in it.
pub struct RemoteRepo {
    /// The file system holding the checkout.
    pub fs: Arc<dyn FileSystem>,
    /// The repository's top directory in `fs`.
    pub dir: PathBuf,
    /// Dropped when the build no longer reads the repository (a temporary clone removes
    /// itself then).
    pub keep: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for RemoteRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteRepo")
            .field("dir", &self.dir)
            .finish()
    }
}

/// Upstream's remote content: files over http(s) with a 30 s timeout (feature `http`),
/// repositories cloned with the system `git` into a temporary directory (feature `git`).
/// Without a feature, its kind of fetch fails saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRemote;

impl Remote for DefaultRemote {
    fn fetch_file(&self, url: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        http_get(url, limit)
    }

    fn fetch_repo(&self, spec: &RepoSpec, timeout: Duration) -> Result<RemoteRepo, RemoteError> {
        git_checkout(spec, timeout)
    }
}

#[cfg(feature = "http")]
fn http_get(url: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
    let fail = |e: ureq::Error| RemoteError::Failed(e.to_string());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(fail)?;
    let status = response.status();
    if !status.is_success() {
        return Err(RemoteError::Status(status.as_u16()));
    }
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(fail)
}

#[cfg(not(feature = "http"))]
fn http_get(_url: &str, _limit: u64) -> Result<Vec<u8>, RemoteError> {
    Err(RemoteError::Failed(
        "kustomize-rs was built without the `http` feature".into(),
    ))
}

#[cfg(feature = "git")]
fn git_checkout(spec: &RepoSpec, timeout: Duration) -> Result<RemoteRepo, RemoteError> {
    let clone = clone(spec, timeout).map_err(RemoteError::Failed)?;
    let dir = clone.dir().to_path_buf();
    Ok(RemoteRepo {
        fs: Arc::new(crate::fs::DiskFs),
        dir,
        keep: Some(Box::new(clone)),
    })
}

#[cfg(not(feature = "git"))]
fn git_checkout(_spec: &RepoSpec, _timeout: Duration) -> Result<RemoteRepo, RemoteError> {
    Err(RemoteError::Failed(
        "kustomize-rs was built without the `git` feature".into(),
    ))
}

/// A parsed repository URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// The URL as written.
    pub raw: String,
    /// Scheme, user and host (`https://github.com/`, `git@github.com:`, `file://`).
    pub host: String,
    /// The repository path on the host.
    pub repo_path: String,
    /// The kustomization directory inside the repository.
    pub kust_root_path: String,
    /// `ref` (or `version`) query value.
    pub git_ref: String,
    /// `timeout` query value (default 27 s).
    pub timeout: Duration,
    /// `submodules` query value (default true).
    pub submodules: bool,
}

impl RepoSpec {
    /// Parses a repository URL; an error for anything that is not one (local paths).
    pub fn parse(n: &str) -> Result<RepoSpec, String> {
        if n.starts_with('/') {
            return Err(format!("uri looks like abs path: {n}"));
        }
        let (rest, query) = n.split_once('?').unwrap_or((n, ""));
        let (git_ref, timeout, submodules) = parse_query(query);
        let (host, path) = extract_host(rest)?;
        let all_segments = host.starts_with("file://");
        let (repo_path, kust_root_path) = split_path(&path, all_segments)?;
        Ok(RepoSpec {
            raw: n.to_owned(),
            host,
            repo_path,
            kust_root_path,
            git_ref,
            timeout,
            submodules,
        })
    }

    /// What `git` fetches from.
    pub fn clone_spec(&self) -> String {
        format!("{}{}", self.host, self.repo_path)
    }
}

/// Upstream's `parseQuery`: the query is read as Go's `url.ParseQuery` reads it (pairs
/// split on `&`, keys and values %-decoded with `+` as a space, the first value of a key
/// wins), and when that fails (a `;` in a pair, a bad %-escape) every option keeps its
/// default. `ref` wins over `version` unless it is empty.
fn parse_query(query: &str) -> (String, Duration, bool) {
    let defaults = (String::new(), Duration::from_secs(27), true);
    let Some(values) = go_parse_query(query) else {
        return defaults;
    };
    let get = |key: &str| {
        values
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    let git_ref = match get("ref") {
        "" => get("version"),
        r => r,
    };
    let timeout = match get("timeout") {
        "" => None,
        v => parse_duration(v),
    };
    let submodules = match get("submodules") {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
        "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
        _ => defaults.2,
    };
    (
        git_ref.to_owned(),
        timeout.unwrap_or(defaults.1),
        submodules,
    )
}

/// Go's `url.ParseQuery`: `None` where it returns an error.
fn go_parse_query(query: &str) -> Option<Vec<(String, String)>> {
    let mut values = Vec::new();
    let mut ok = true;
    for pair in query.split('&') {
        if pair.contains(';') {
            ok = false;
            continue;
        }
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (go_query_unescape(k), go_query_unescape(v)) {
            (Some(k), Some(v)) => values.push((k, v)),
            _ => ok = false,
        }
    }
    ok.then_some(values)
}

/// Go's `url.QueryUnescape`: `%XX` decoded, `+` as a space; `None` for a `%` not followed
/// by two hex digits. Decoded bytes that are not UTF-8 are replaced.
fn go_query_unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let digit = |b: u8| char::from(b).to_digit(16);
                out.push((digit(hex[0])? * 16 + digit(hex[1])?) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Seconds as an integer, or a Go duration such as `1m30s`.
fn parse_duration(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.parse::<u64>() {
        return (secs > 0).then(|| Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
    }
    (num.is_empty() && total > 0.0).then(|| Duration::from_secs_f64(total))
}

/// `s` without `prefix`, matched without regard to ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn extract_host(n: &str) -> Result<(String, String), String> {
    let n = strip_prefix_ci(n, "git::").unwrap_or(n);
    let (scheme, n) = ["ssh://", "https://", "http://", "file://"]
        .iter()
        .find_map(|p| strip_prefix_ci(n, p).map(|rest| (p.to_string(), rest)))
        .unwrap_or((String::new(), n));
    let (username, n) = match n.find('@') {
        Some(i)
            if i > 0
                && n[..i]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && n[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            (format!("{}@", &n[..i]), &n[i + 1..])
        }
        _ => (String::new(), n),
    };
    let lower = n.to_ascii_lowercase();
    let github = lower.starts_with("github.com/") || lower.starts_with("github.com:");
    let accept_scp = scheme.is_empty() && (!username.is_empty() || github);
    if scheme.is_empty() && !accept_scp {
        return Err("failed to parse scheme".into());
    }
    if scheme == "file://" {
        return Ok((scheme, format!("{username}{n}")));
    }
    let mut sep = n.find('/');
    if accept_scp {
        if let Some(colon) = n.find(':') {
            if colon > 0 && sep.is_none_or(|s| colon < s) {
                sep = Some(colon);
            }
        }
    }
    let (mut host, rest) = match sep {
        Some(i) => (n[..=i].to_owned(), n[i + 1..].to_owned()),
        None => (n.to_owned(), String::new()),
    };
    let (mut scheme, mut username) = (scheme, username);
    if github {
        if scheme.starts_with("ssh://") || !username.is_empty() {
            scheme = String::new();
            host = "github.com:".into();
        } else {
            scheme = "https://".into();
            username = String::new();
            host = "github.com/".into();
        }
    }
    if host.is_empty() {
        return Err("failed to parse host segment".into());
    }
    Ok((format!("{scheme}{username}{host}"), rest))
}

fn split_path(n: &str, all_segments: bool) -> Result<(String, String), String> {
    let (repo, root) = if let Some(i) = n.find("_git/") {
        let after = &n[i + 5..];
        let mut segs = after.splitn(2, '/');
        let first = segs.next().unwrap_or("");
        (
            format!("{}{first}", &n[..i + 5]),
            segs.next().unwrap_or("").to_owned(),
        )
    } else if let Some(i) = n.find("//") {
        (n[..i].to_owned(), n[i + 2..].to_owned())
    } else if let Some(i) = n.find(".git") {
        (n[..i + 4].to_owned(), n[i + 4..].to_owned())
    } else if all_segments {
        (n.to_owned(), String::new())
    } else {
        let segs: Vec<&str> = n.split('/').collect();
        if segs.len() < 2 {
            return Err("failed to parse repo path segment".into());
        }
        (segs[..2].join("/"), segs[2..].join("/"))
    };
    if repo.is_empty() {
        return Err("failed to parse repo path segment".into());
    }
    let root = root.trim_start_matches('/').to_owned();
    let mut depth = 0i32;
    for part in root.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return Err(format!("url path exits repo: {n}"));
        }
    }
    Ok((repo, root))
}

/// A clone in a temporary directory, removed on drop.
#[cfg(feature = "git")]
#[derive(Debug)]
struct Clone {
    dir: PathBuf,
}

#[cfg(feature = "git")]
impl Clone {
    /// The clone's root.
    fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(feature = "git")]
impl Drop for Clone {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(feature = "git")]
/// A new, empty directory under `base`. `create_dir` fails on an existing one, so two
/// clones started at once (threads of `build_many`) never share a directory.
fn fresh_dir(base: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    for attempt in 0..1000 {
        let dir = base.join(format!(
            "kustomize-rs-git-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create a clone directory: {e}")),
        }
    }
    Err("cannot create a clone directory: every candidate name is taken".into())
}

/// The transports a clone (and its submodules) may use: never `ext::` or another remote
/// helper, which could run a command of the repository's choosing.
#[cfg(feature = "git")]
const GIT_ALLOW_PROTOCOL: &str = "file:git:http:https:ssh";

/// Clones the repository as upstream does: `git init`, `git remote add`, a shallow fetch
/// of the ref (or `HEAD`), `git checkout FETCH_HEAD`, and submodules, each step under the
/// spec's timeout.
///
/// Nothing from the URL can reach git as an option: the URL and the ref come after `--`,
/// and a ref that starts with `-` is refused before git runs. (Upstream passes a ref such
/// as `--upload-pack=...` to `git fetch`, which runs it through the shell.)
#[cfg(feature = "git")]
fn clone(spec: &RepoSpec, timeout: Duration) -> Result<Clone, String> {
    let clone = Clone {
        dir: fresh_dir(&std::env::temp_dir())?,
    };
    clone_into(spec, clone.dir(), timeout)?;
    Ok(clone)
}

/// Clones the repository into the empty directory `dir` (see [`clone`]).
#[cfg(feature = "git")]
fn clone_into(spec: &RepoSpec, dir: &Path, timeout: Duration) -> Result<(), String> {
    check_ref(spec)?;
    let git_ref = if spec.git_ref.is_empty() {
        "HEAD"
    } else {
        &spec.git_ref
    };
    let clone_spec = spec.clone_spec();
    let mut steps: Vec<Vec<&str>> = vec![
        vec!["init", "--quiet"],
        vec!["remote", "add", "origin", "--", &clone_spec],
        vec!["fetch", "--depth=1", "--", &clone_spec, git_ref],
        vec!["checkout", "--quiet", "FETCH_HEAD"],
    ];
    if spec.submodules {
        steps.push(vec!["submodule", "update", "--init", "--recursive"]);
    }
    for args in steps {
        run_git(dir, &args, timeout)?;
    }
    Ok(())
}

/// A ref that starts with `-` could reach git as an option: refused.
#[cfg(feature = "git")]
fn check_ref(spec: &RepoSpec) -> Result<(), String> {
    if spec.git_ref.starts_with('-') {
        return Err(format!(
            "invalid git ref '{}': a ref may not start with '-'",
            spec.git_ref
        ));
    }
    Ok(())
}

/// Runs `git ARGS` in `dir` under `timeout`; its standard output.
#[cfg(feature = "git")]
fn run_git(dir: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", GIT_ALLOW_PROTOCOL)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("no 'git' program on path: {e}"))?;
    // Each pipe is read on its own thread, so that a chatty git never blocks on a full pipe.
    fn drain(
        pipe: Option<impl std::io::Read + Send + 'static>,
    ) -> Option<std::thread::JoinHandle<String>> {
        pipe.map(|mut p| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut p, &mut text);
                text
            })
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "hit {timeout:?} timeout running 'git {}'",
                    args.join(" ")
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() {
        return Ok(out);
    }
    let err = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Err(format!(
        "failed to run 'git {}': {status}: {}",
        args.join(" "),
        err.trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str) -> (String, String, String, String) {
        let s = RepoSpec::parse(url).unwrap();
        (s.host, s.repo_path, s.kust_root_path, s.git_ref)
    }

    #[test]
    fn parses_upstream_forms() {
        assert_eq!(
            spec("https://github.com/org/repo//path/to?ref=v1"),
            (
                "https://github.com/".into(),
                "org/repo".into(),
                "path/to".into(),
                "v1".into()
            )
        );
        assert_eq!(
            spec("github.com/org/repo/path"),
            (
                "https://github.com/".into(),
                "org/repo".into(),
                "path".into(),
                "".into()
            )
        );
        assert_eq!(
            spec("git@github.com:org/repo.git/base?version=v2"),
            (
                "git@github.com:".into(),
                "org/repo.git".into(),
                "base".into(),
                "v2".into()
            )
        );
        assert_eq!(
            spec("ssh://git@example.com/org/repo//x"),
            (
                "ssh://git@example.com/".into(),
                "org/repo".into(),
                "x".into(),
                "".into()
            )
        );
        assert_eq!(
            spec("file:///tmp/repo//sub?ref=main"),
            (
                "file://".into(),
                "/tmp/repo".into(),
                "sub".into(),
                "main".into()
            )
        );
        assert_eq!(spec("git::https://gitlab.com/a/b").1, "a/b");
        assert!(RepoSpec::parse("../base").is_err());
        assert!(RepoSpec::parse("base").is_err());
        assert!(RepoSpec::parse("https://github.com/org/repo//../x").is_err());
    }

    /// Go's `url.ParseQuery`: %-escapes and `+` decoded, the first value of a key wins, and
    /// a `;` or a bad escape anywhere resets every option to its default.
    #[test]
    fn query_is_read_as_go_reads_it() {
        let q = |query: &str| {
            let s = RepoSpec::parse(&format!("https://h.com/a/b?{query}")).unwrap();
            (s.git_ref, s.timeout.as_secs(), s.submodules)
        };
        assert_eq!(q("ref=v%2B1&timeout=5"), ("v+1".into(), 5, true));
        assert_eq!(q("ref=a+b"), ("a b".into(), 27, true));
        assert_eq!(q("ref=x&ref=y"), ("x".into(), 27, true));
        assert_eq!(q("ref=&ref=y&version=v"), ("v".into(), 27, true));
        assert_eq!(q("ref=x;y&timeout=5&submodules=0"), ("".into(), 27, true));
        assert_eq!(q("ref=x&timeout=5&bad=%zz"), ("".into(), 27, true));
        assert_eq!(
            q("ref=%2D%2Dupload-pack"),
            ("--upload-pack".into(), 27, true)
        );
        assert_eq!(q("%72ef=x&submodules=false"), ("x".into(), 27, false));
    }

    #[test]
    fn scheme_prefixes_are_found_in_any_text() {
        assert_eq!(strip_prefix_ci("GIT::x", "git::"), Some("x"));
        assert_eq!(strip_prefix_ci("ééé", "git::"), None);
        assert_eq!(strip_prefix_ci("gé", "git::"), None);
        assert!(RepoSpec::parse("ééé").is_err());
    }

    #[test]
    fn query_options() {
        let s = RepoSpec::parse("https://h.com/a/b?timeout=90&submodules=false").unwrap();
        assert_eq!(s.timeout, Duration::from_secs(90));
        assert!(!s.submodules);
        assert_eq!(
            RepoSpec::parse("https://h.com/a/b?timeout=1m30s")
                .unwrap()
                .timeout,
            Duration::from_secs(90)
        );
    }
}
