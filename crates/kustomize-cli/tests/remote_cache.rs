//! The remote-base cache (`--remote-cache DIR`) through the binary, against a `file://`
//! git repository made here, with `git` on the path replaced by a wrapper that logs every
//! call: a base pinned to a tag is cloned once and then read from the cache without git;
//! builds started at once share one clone; a branch is asked for its commit each build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("kustomize-rs-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// A repository with a base at `base/`, tagged `v1`; a wrapper `git` in `bin/` that logs
/// its arguments to `git.log`; and an overlay naming the base at `ref`.
struct Setup {
    root: PathBuf,
    path: String,
}

impl Setup {
    fn new(name: &str, git_ref: &str) -> Setup {
        let root = scratch(name);
        let repo = root.join("repo");
        std::fs::create_dir_all(repo.join("base")).unwrap();
        std::fs::write(
            repo.join("base/kustomization.yaml"),
            "resources:\n- cm.yaml\n",
        )
        .unwrap();
        std::fs::write(
            repo.join("base/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n",
        )
        .unwrap();
        git(&repo, &["init", "-q"]);
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-qm", "base"]);
        git(&repo, &["tag", "v1"]);
        let overlay = root.join("overlay");
        std::fs::create_dir_all(&overlay).unwrap();
        std::fs::write(
            overlay.join("kustomization.yaml"),
            format!(
                "resources:\n- file://{}//base?ref={git_ref}\nnamePrefix: x-\n",
                repo.display()
            ),
        )
        .unwrap();
        let real_git = String::from_utf8(
            Command::new("sh")
                .args(["-c", "command -v git"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_string();
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wrapper = bin.join("git");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nif [ \"$1\" = checkout ] && [ -n \"$GIT_WRAPPER_SLOW\" ]; then sleep 3; fi\nexec '{real_git}' \"$@\"\n",
                root.join("git.log").display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Setup { root, path }
    }

    fn build(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kustomize-rs"));
        c.args(["build", "overlay", "--remote-cache"])
            .arg(self.root.join("cache"))
            .current_dir(&self.root)
            .env("PATH", &self.path);
        c
    }

    /// The git calls logged so far, and the log emptied.
    fn take_log(&self) -> Vec<String> {
        let log = self.root.join("git.log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        text.lines().map(String::from).collect()
    }
}

const EXPECTED: &str = "apiVersion: v1\ndata:\n  a: b\nkind: ConfigMap\nmetadata:\n  name: x-cm\n";

#[test]
#[cfg(unix)]
fn a_tagged_base_is_cloned_once_then_read_without_git() {
    let s = Setup::new("tag", "v1");
    let out = s.build().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    let first = s.take_log();
    assert!(first.iter().any(|l| l.starts_with("fetch")), "{first:?}");

    let out = s.build().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    assert_eq!(
        s.take_log(),
        Vec::<String>::new(),
        "the second build ran git"
    );

    // Bypassing the cache clones again, as upstream does.
    let out = Command::new(env!("CARGO_BIN_EXE_kustomize-rs"))
        .args(["build", "overlay", "--no-remote-cache"])
        .current_dir(&s.root)
        .env("PATH", &s.path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(s.take_log().iter().any(|l| l.starts_with("fetch")));
    let _ = std::fs::remove_dir_all(&s.root);
}

#[test]
#[cfg(unix)]
fn builds_started_at_once_share_one_clone() {
    let s = Setup::new("concurrent", "v1");
    // Spawned together, then awaited together.
    let mut running = Vec::new();
    for _ in 0..20 {
        running.push(
            s.build()
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    }
    let log = s.take_log();
    let clones = log.iter().filter(|l| l.starts_with("init")).count();
    assert_eq!(clones, 1, "{log:?}");
    // No partial or temporary clone is left behind.
    let tmp = s.root.join("cache/tmp");
    assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
    let _ = std::fs::remove_dir_all(&s.root);
}

#[test]
#[cfg(unix)]
fn a_branch_is_resolved_every_build_and_its_commit_reused() {
    let s = Setup::new("branch", "main");
    let out = s.build().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    s.take_log();
    let out = s.build().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = s.take_log();
    assert!(log.iter().any(|l| l.starts_with("ls-remote")), "{log:?}");
    assert!(!log.iter().any(|l| l.starts_with("fetch")), "{log:?}");

    // A new commit on the branch is fetched.
    let repo = s.root.join("repo");
    std::fs::write(
        repo.join("base/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: c\n",
    )
    .unwrap();
    git(&repo, &["commit", "-qam", "change"]);
    let out = s.build().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("a: c"));
    assert!(s.take_log().iter().any(|l| l.starts_with("fetch")));
    let _ = std::fs::remove_dir_all(&s.root);
}

/// A cache directory that cannot be made (here: below a regular file; a read-only home
/// in practice) does not fail the build: the base is cloned as without the cache.
#[test]
#[cfg(unix)]
fn an_unusable_cache_directory_falls_back_to_a_plain_clone() {
    let s = Setup::new("unusable", "v1");
    std::fs::write(s.root.join("file"), "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kustomize-rs"))
        .args(["build", "overlay", "--remote-cache"])
        .arg(s.root.join("file/cache"))
        .current_dir(&s.root)
        .env("PATH", &s.path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    let _ = std::fs::remove_dir_all(&s.root);
}

/// A build killed in the middle of its clone leaves no entry a later build would read:
/// the clone was in `tmp/`, and the next build clones again and succeeds.
#[test]
#[cfg(unix)]
fn a_build_killed_mid_clone_leaves_no_partial_entry() {
    let s = Setup::new("killed", "v1");
    let mut child = s
        .build()
        .env("GIT_WRAPPER_SLOW", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the clone is checking out, then kill the build.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(s.root.join("git.log"))
        .unwrap_or_default()
        .contains("checkout")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the clone never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let trees = s.root.join("cache/trees");
    let entries = walk_count(&trees);
    assert_eq!(entries, 0, "a killed build left a tree in the cache");
    s.take_log();

    let out = s.build().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    assert!(s.take_log().iter().any(|l| l.starts_with("fetch")));
    let _ = std::fs::remove_dir_all(&s.root);
}

/// The commit directories under `trees/<url>/`.
fn walk_count(trees: &Path) -> usize {
    std::fs::read_dir(trees)
        .map(|d| {
            d.flatten()
                .map(|url| {
                    std::fs::read_dir(url.path())
                        .map(|c| c.count())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0)
}
