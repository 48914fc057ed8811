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
    // About 1 MB of output: more than a pipe holds, so a write finds the reader gone.
    let tree = std::env::temp_dir().join(format!("kustomize-rs-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&tree).unwrap();
    let maps: String = (0..4000)
        .map(|i| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  text: {}\n---\n", "x".repeat(200)))
        .collect();
    std::fs::write(tree.join("maps.yaml"), maps).unwrap();
    std::fs::write(tree.join("kustomization.yaml"), "resources:\n- maps.yaml\n").unwrap();
    let mut child = bin()
        .arg("build")
        .arg(&tree)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&tree);
    assert_eq!(out.status.signal(), Some(13), "{out:?}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Error"),
        "{out:?}"
    );
}

/// A full disk is a failure to write the output, said as such (not "reading").
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_write_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        println!("skipped: no /dev/full");
        return;
    };
    let out = bin()
        .args(["build", "testdata/examples/hello/overlay"])
        .current_dir(repo())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("writing the output"), "{err}");
}

/// `completion SHELL` prints a completion script, and upstream's global `--stack-trace`
/// is accepted anywhere.
#[test]
fn completion_scripts_and_the_stack_trace_flag() {
    for (shell, marker) in [
        ("bash", "complete"),
        ("zsh", "#compdef"),
        ("fish", "complete -c"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = bin().args(["completion", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("build"), "{shell}");
    }
    let out = bin()
        .args(["--stack-trace", "build", "testdata/examples/hello/overlay"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = bin().args(["version", "--stack-trace"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
}
