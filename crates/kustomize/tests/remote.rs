//! Remote content: git bases from a repository made in the test, referred to by a
//! `file://` URL, cloned with the system `git` and removed afterwards; files over http from
//! a loopback server; and none of it without [`Options::remote`].

use std::sync::Arc;

use kustomize::fs::{DiskFs, MemoryFs};
use kustomize::remote::{Remote, RemoteError, RemoteRepo, RepoSpec};
use kustomize::{Capability, Error, ErrorKind, Kustomizer, Options};

mod common;
use common::{git, git_repo, have_git, temp_dir, write};

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
    git_repo(
        &repo.0,
        &[
            ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
            (
                "base/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\ndata:\n  a: b\n",
            ),
        ],
    );
    git(&repo.0, &["tag", "v1"]);

    let overlay = temp_dir("overlay");
    let url = format!("file://{}//base?ref=v1&timeout=60", repo.0.display());
    write(
        &overlay.0.join("kustomization.yaml"),
        &format!("resources:\n- {url}\nnamePrefix: remote-\n"),
    );
    let out = Kustomizer::new(Options::cli())
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
    let err = Kustomizer::new(Options::cli())
        .build(Arc::new(DiskFs), &overlay.0)
        .unwrap_err();
    assert!(err.chain().contains("git"), "{err}");
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
    let out = Kustomizer::new(Options::cli())
        .build(Arc::new(DiskFs), &dir.0)
        .unwrap();
    assert_eq!(
        out.resources.to_yaml().unwrap(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: over-http\n"
    );
    let err = Kustomizer::new(Options::cli())
        .build(Arc::new(DiskFs), &dir.0)
        .unwrap_err();
    assert!(err.chain().contains("404"), "{err}");
}

/// The default options grant no remote content: a build from memory that names an http
/// file or a `file://` git repository (with a Secret in it) fetches neither and fails,
/// before any fetch or clone, saying which option it needs.
#[test]
fn default_options_fetch_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let repo = temp_dir("secret-repo");
    let files = [
        ("kustomization.yaml", "resources: [secret.yaml]\n"),
        (
            "secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: host-secret\n",
        ),
    ];
    if have_git() {
        git_repo(&repo.0, &files);
    }
    for entry in [
        format!("http://{addr}/cm.yaml"),
        format!("file://{}", repo.0.display()),
        format!("file://{}//.?ref=main", repo.0.display()),
    ] {
        let mut fs = MemoryFs::new();
        fs.add_file(
            "/app/kustomization.yaml",
            format!("resources:\n- {entry}\n"),
        );
        let err = Kustomizer::new(Options::default())
            .build(Arc::new(fs), "/app".as_ref())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Denied, "{entry}: {err:?}");
        assert!(
            matches!(
                err.root(),
                Error::Denied {
                    capability: Capability::Remote,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.chain().contains("Options::remote"), "{}", err.chain());
        assert!(!err.chain().contains("--"), "no CLI flag: {}", err.chain());
    }
    assert!(
        listener.accept().is_err(),
        "nothing may connect to the server"
    );
}

/// An embedder's own [`Remote`]: bases served from memory (an artifact cache, say), read
/// through the file system it returns, never from the disk.
#[test]
fn an_embedders_remote_serves_bases_from_memory() {
    #[derive(Debug)]
    struct Cache;
    impl Remote for Cache {
        fn fetch_file(&self, url: &str, _limit: u64) -> Result<Vec<u8>, RemoteError> {
            match url {
                "https://example.com/cm.yaml" => {
                    Ok(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cached\n".to_vec())
                }
                _ => Err(RemoteError::Failed(format!("{url} is not allowed"))),
            }
        }
        fn fetch_repo(
            &self,
            spec: &RepoSpec,
            _timeout: std::time::Duration,
        ) -> Result<RemoteRepo, RemoteError> {
            assert_eq!(spec.repo_path, "org/repo");
            let mut fs = MemoryFs::new();
            fs.add_file("/repo/base/kustomization.yaml", "resources: [s.yaml]\n");
            fs.add_file(
                "/repo/base/s.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n",
            );
            Ok(RemoteRepo {
                fs: Arc::new(fs),
                dir: "/repo".into(),
                keep: None,
            })
        }
    }
    let mut fs = MemoryFs::new();
    fs.add_file(
        "/app/kustomization.yaml",
        "resources:\n- https://example.com/cm.yaml\n- github.com/org/repo//base?ref=v1\n",
    );
    let options = Options {
        remote: Some(Arc::new(Cache)),
        ..Options::default()
    };
    let out = Kustomizer::new(options.clone())
        .build(Arc::new(fs), "/app".as_ref())
        .unwrap();
    assert_eq!(
        out.resources.to_yaml().unwrap(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cached\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n"
    );
    let mut fs = MemoryFs::new();
    fs.add_file(
        "/app/kustomization.yaml",
        "resources:\n- https://evil.example.com/cm.yaml\n",
    );
    let err = Kustomizer::new(options)
        .build(Arc::new(fs), "/app".as_ref())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Remote, "{err:?}");
    assert!(err.chain().contains("is not allowed"), "{}", err.chain());
}

/// An embedder's `GitCache`: a base pinned to a tag is read from the cache once cloned, so
/// a build after the repository is gone still succeeds; the top-level target may itself be
/// a repository URL (upstream's `kustomize build URL`); default options refuse that too.
#[test]
fn a_git_cache_serves_pinned_bases_and_url_targets() {
    if !have_git() {
        println!("skipped: no git");
        return;
    }
    let repo = temp_dir("cache-repo");
    git_repo(
        &repo.0,
        &[
            ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
            (
                "base/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cached\n",
            ),
        ],
    );
    git(&repo.0, &["tag", "v1"]);
    let cache = temp_dir("cache-dir");
    let url = format!("file://{}//base?ref=v1", repo.0.display());
    let overlay = temp_dir("cache-overlay");
    write(
        &overlay.0.join("kustomization.yaml"),
        &format!("resources:\n- {url}\nnamePrefix: x-\n"),
    );
    let options = Options {
        remote: Some(Arc::new(kustomize::remote::GitCache::new(&cache.0))),
        ..Options::default()
    };
    let want = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x-cached\n";
    let build = |dir: &std::path::Path| {
        Kustomizer::new(options.clone())
            .build(Arc::new(DiskFs), dir)
            .map(|o| o.resources.to_yaml().unwrap())
    };
    assert_eq!(build(&overlay.0).unwrap(), want);
    // The repository is gone: the pinned tag is served from the cache, without git.
    std::fs::remove_dir_all(repo.0.join(".git")).unwrap();
    assert_eq!(build(&overlay.0).unwrap(), want);
    // A URL as the target.
    assert_eq!(
        build(std::path::Path::new(&url)).unwrap(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cached\n"
    );
    let err = Kustomizer::new(Options::default())
        .build(Arc::new(DiskFs), std::path::Path::new(&url))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Denied);
}
