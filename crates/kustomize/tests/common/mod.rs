//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new, empty directory under the system's temporary directory, named after the test
/// and this process.
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("kustomize-rs-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Writes `content` to `path`, making its directory.
pub fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Whether the system has a `git`.
pub fn have_git() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

/// Runs git in `dir` as a fixed user; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
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
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// Writes `files` (paths relative to `dir`) and commits them as a new git repository.
pub fn git_repo(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        write(&dir.join(path), content);
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "files"]);
}

/// Runs `f` on a thread with a 2 MiB stack (a controller's worker thread), failing if it
/// takes longer than `seconds`.
pub fn on_small_thread<T: Send + 'static>(
    seconds: u64,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(seconds))
        .expect("finished in time, without crashing its thread")
}

/// A fake helm that answers `version` and otherwise records its arguments (one a line)
/// and prints a ConfigMap. Every run appends a line to `helm-calls` beside it.
pub fn fake_helm(dir: &Path) -> (String, std::path::PathBuf) {
    let args = dir.join("helm-args");
    let helm = dir.join("helm");
    write(
        &helm,
        &format!(
            "#!/bin/sh\necho \"$1\" >> '{calls}'\nif [ \"$1\" = version ]; then echo v3.18.0; exit 0; fi\nprintf '%s\\n' \"$@\" > '{}'\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-helm\\n'\n",
            args.display(),
            calls = dir.join("helm-calls").display(),
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (helm.display().to_string(), args)
}
