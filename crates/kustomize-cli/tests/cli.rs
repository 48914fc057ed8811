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

/// Every command of upstream v5.7.1's `kustomize --help` tree exists here (its help
/// prints); `cfg` and `fn` say they are not implemented and fail.
#[test]
fn upstream_command_tree() {
    let commands: &[&[&str]] = &[
        &["build"],
        &["completion", "bash"],
        &["create"],
        &["init"],
        &["edit"],
        &["edit", "add"],
        &["edit", "add", "annotation"],
        &["edit", "add", "base"],
        &["edit", "add", "buildmetadata"],
        &["edit", "add", "component"],
        &["edit", "add", "configmap"],
        &["edit", "add", "generator"],
        &["edit", "add", "label"],
        &["edit", "add", "patch"],
        &["edit", "add", "resource"],
        &["edit", "add", "secret"],
        &["edit", "add", "transformer"],
        &["edit", "alpha-list-builtin-plugin"],
        &["edit", "fix"],
        &["edit", "remove"],
        &["edit", "remove", "annotation"],
        &["edit", "remove", "buildmetadata"],
        &["edit", "remove", "configmap"],
        &["edit", "remove", "label"],
        &["edit", "remove", "patch"],
        &["edit", "remove", "resource"],
        &["edit", "remove", "secret"],
        &["edit", "remove", "transformer"],
        &["edit", "set"],
        &["edit", "set", "annotation"],
        &["edit", "set", "buildmetadata"],
        &["edit", "set", "configmap"],
        &["edit", "set", "image"],
        &["edit", "set", "label"],
        &["edit", "set", "nameprefix"],
        &["edit", "set", "namespace"],
        &["edit", "set", "namesuffix"],
        &["edit", "set", "replicas"],
        &["edit", "set", "secret"],
        &["localize"],
        &["openapi"],
        &["openapi", "fetch"],
        &["openapi", "info"],
        &["version"],
        &["docs-merge"],
        &["docs-merge3"],
        &["docs-fn"],
        &["docs-fn-spec"],
        &["docs-io-annotations"],
        &["tutorials-command-basics"],
        &["tutorials-function-basics"],
    ];
    for c in commands {
        let out = bin().args(*c).arg("--help").output().unwrap();
        assert!(out.status.success(), "{c:?} --help: {out:?}");
    }
    for flags in [
        &["version", "--short"][..],
        &["version", "-o", "yaml"],
        &["build", "--help", "--stack-trace"],
        &[
            "edit",
            "add",
            "label",
            "--help",
            "--without-selector",
            "--include-templates",
            "-f",
        ],
        &[
            "build",
            "--help",
            "--enable-helm",
            "--helm-command",
            "h",
            "--helm-api-versions",
            "v1",
            "--helm-kube-version",
            "1.30",
            "--helm-debug",
            "--enable-alpha-plugins",
            "--enable-exec",
            "--network",
            "--network-name",
            "n",
            "--mount",
            "m",
            "-e",
            "A=b",
            "--as-current-user",
            "--load-restrictor",
            "LoadRestrictionsNone",
            "-o",
            "x",
        ],
    ] {
        let out = bin().args(flags).output().unwrap();
        assert!(out.status.success(), "{flags:?}: {out:?}");
    }
    for c in ["cfg", "fn"] {
        let out = bin().args([c, "run", "."]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{c}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not implemented by kustomize-rs"));
    }
}

/// `edit` writes through a temporary file and a rename: a process killed in the middle of
/// the write (`KUSTOMIZE_RS_TEST_ABORT_WRITE` aborts after that many bytes) and a command
/// that fails both leave the kustomization byte-identical.
#[test]
fn edit_never_leaves_a_half_written_file() {
    let dir = std::env::temp_dir().join(format!("kustomize-rs-atomic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let original = "# keep me\nresources:\n- a.yaml\nnamePrefix: p-\n";
    let file = dir.join("kustomization.yaml");
    std::fs::write(&file, original).unwrap();

    let out = bin()
        .args(["edit", "set", "image", "app=registry/app:v2"])
        .current_dir(&dir)
        .env("KUSTOMIZE_RS_TEST_ABORT_WRITE", "10")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    let out = bin()
        .args(["edit", "set", "replicas", "app=notanumber"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    let out = bin()
        .args(["edit", "set", "image", "app=registry/app:v2"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "# keep me\nresources:\n- a.yaml\nnamePrefix: p-\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n- name: app\n  newName: registry/app\n  newTag: v2\n"
    );
    // Only the kustomization and the aborted run's temporary file are there; no other
    // run left one.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .filter(|n| n.ends_with("kustomize-rs-tmp"))
            .count()
            <= 1,
        "{names:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
