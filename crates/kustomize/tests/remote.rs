//! Remote bases from git: a repository made in the test, referred to by a `file://` URL,
//! cloned with the system `git` and removed afterwards.

use std::sync::Arc;

use kustomize::fs::DiskFs;
use kustomize::{Kustomizer, Options};

mod common;
use common::{git, have_git, temp_dir, write};

fn clones_left() -> usize {
    std::fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("kustomize-rs-git-{}-", std::process::id()))
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn builds_a_base_from_a_local_git_repository() {
    if !have_git() {
        println!("skipped: no git");
        return;
    }
    let repo = temp_dir("repo");
    write(
        &repo.0.join("base/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    );
    write(
        &repo.0.join("base/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\ndata:\n  a: b\n",
    );
    git(&repo.0, &["init", "-q"]);
    git(&repo.0, &["add", "."]);
    git(&repo.0, &["commit", "-qm", "base"]);
    git(&repo.0, &["tag", "v1"]);

    let overlay = temp_dir("overlay");
    let url = format!("file://{}//base?ref=v1&timeout=60", repo.0.display());
    write(
        &overlay.0.join("kustomization.yaml"),
        &format!("resources:\n- {url}\nnamePrefix: remote-\n"),
    );
    let out = Kustomizer::new(Options::default())
        .build(Arc::new(DiskFs), &overlay.0)
        .unwrap();
    assert_eq!(
        out.resources.to_yaml().unwrap(),
        "apiVersion: v1\ndata:\n  a: b\nkind: ConfigMap\nmetadata:\n  name: remote-from-git\n"
    );
    assert_eq!(clones_left(), 0, "the clone directory must be removed");

    // A ref that does not exist is an error, and leaves nothing behind either.
    write(
        &overlay.0.join("kustomization.yaml"),
        &format!("resources:\n- file://{}//base?ref=nope\n", repo.0.display()),
    );
    let err = Kustomizer::new(Options::default())
        .build(Arc::new(DiskFs), &overlay.0)
        .unwrap_err();
    assert!(err.to_string().contains("git"), "{err}");
    assert_eq!(clones_left(), 0);
}

/// Serves each body once, in order, on a loopback port; returns the base URL.
fn serve(responses: Vec<(u16, &'static str)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (status, body) in responses {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn reads_resources_from_http_urls() {
    let base = serve(vec![
        (
            200,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: over-http\n",
        ),
        (404, "not found"),
    ]);
    let dir = temp_dir("http");
    write(
        &dir.0.join("kustomization.yaml"),
        &format!("resources:\n- {base}/cm.yaml\n"),
    );
    let out = Kustomizer::new(Options::default())
        .build(Arc::new(DiskFs), &dir.0)
        .unwrap();
    assert_eq!(
        out.resources.to_yaml().unwrap(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: over-http\n"
    );
    let err = Kustomizer::new(Options::default())
        .build(Arc::new(DiskFs), &dir.0)
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
}
