//! The binary as a process: exit codes and output, as upstream's `kustomize` gives them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kustomize-rs"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn builds_the_example_and_fails_on_a_missing_directory() {
    let out = bin()
        .args(["build", "testdata/examples/hello/overlay"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: "));
    let out = bin().args(["build", "/nonexistent-dir"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Error: "));
}

/// A reader that goes away ends the process by SIGPIPE (exit status 141 in a shell), as
/// upstream's does, rather than with an error message.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let tree = repo().join("../shared/bench/scale-1000/all");
    if !tree.is_dir() {
        eprintln!("cli: ../shared not found; SKIPPED");
        return;
    }
    // About 1 MB of output: more than a pipe holds, so a write finds the reader gone.
    let mut child = bin()
        .arg("build")
        .arg(&tree)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(13), "{out:?}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Error"),
        "{out:?}"
    );
}
