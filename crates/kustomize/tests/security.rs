//! Attacks on the engine, as a stranger's kustomization would make them (see
//! `SECURITY.md`): each test is the attack's input, and what must and must not happen.

use std::path::Path;
use std::sync::Arc;

use kustomize::fs::{DiskFs, MemoryFs};
use kustomize::HelmOptions;
use kustomize::PluginOptions;
use kustomize::{Error, Kustomizer, Limits, Options};

mod common;
use common::{fake_helm, git, git_repo, have_git, on_small_thread, temp_dir, write};

fn build_disk(dir: &Path, options: Options) -> Result<String, Error> {
    Kustomizer::new(options)
        .build(Arc::new(DiskFs), dir)
        .and_then(|out| out.resources.to_yaml())
}

fn build_memory(files: &[(&str, String)], options: Options) -> Result<String, Error> {
    let mut fs = MemoryFs::new();
    for (path, content) in files {
        fs.add_file(format!("/app/{path}"), content.as_bytes());
    }
    Kustomizer::new(options)
        .build(Arc::new(fs), Path::new("/app"))
        .and_then(|out| out.resources.to_yaml())
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: y\n";

/// A `ref` (or `version`) that reads as an option must never reach git as one: upstream
/// runs `--upload-pack` through the shell. Every spelling is tried, as a resource and as
/// a component; the build fails and the command's file never appears.
#[test]
fn git_refs_never_become_options() {
    let dir = temp_dir("git-injection");
    let marker = dir.0.join("pwned");
    let m = marker.display().to_string();
    let encoded = m.replace('/', "%2F");
    let urls = [
        format!("file:///nonexistent/repo?ref=--upload-pack=touch {m}"),
        format!("file:///nonexistent/repo?version=--upload-pack=touch {m}"),
        format!("git::file:///nonexistent/repo?ref=--upload-pack=touch {m}"),
        format!("file:///nonexistent/repo?ref=--upload-pack=touch {m};x"),
        format!("file:///nonexistent/repo?ref=%2D%2Dupload-pack%3Dtouch%20{encoded}"),
        format!("file:///nonexistent/repo?ref=--upload-pack=touch+{m}"),
        format!("file:///nonexistent/repo?ref=&version=--upload-pack=touch {m}"),
        format!("https://github.com/org/repo//base?ref=--upload-pack=touch {m}"),
        format!("git@github.com:org/repo.git/base?ref=-oProxyCommand=touch {m}"),
    ];
    for url in &urls {
        for field in ["resources", "components"] {
            write(
                &dir.0.join("app/kustomization.yaml"),
                &format!("{field}:\n- \"{url}\"\n"),
            );
            let err = build_disk(&dir.0.join("app"), Options::cli()).unwrap_err();
            assert!(!marker.exists(), "{field}: {url} ran a command");
            let text = err.chain();
            let option_ref =
                url.contains("ref=-") || url.contains("version=-") || url.contains("%2D");
            if option_ref && !url.contains(';') {
                assert!(text.contains("may not start with '-'"), "{url}: {text}");
            }
        }
    }
}

/// The refusal is of refs that start with `-` only: a real repository still builds at a
/// tag, also with the ref %-encoded.
#[test]
fn git_refs_still_work() {
    if !have_git() {
        println!("skipped: no git");
        return;
    }
    let repo = temp_dir("git-ref-ok");
    git_repo(
        &repo.0,
        &[
            ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
            ("base/cm.yaml", CM),
        ],
    );
    git(&repo.0, &["tag", "v1.0+a"]);
    let overlay = temp_dir("git-ref-ok-overlay");
    let url = format!("file://{}//base?ref=v1.0%2Ba", repo.0.display());
    write(
        &overlay.0.join("kustomization.yaml"),
        &format!("resources:\n- {url}\n"),
    );
    let out = build_disk(&overlay.0, Options::cli()).unwrap();
    assert!(out.contains("name: c\n"), "{out}");
}

/// `resources: ["ééé"]` once panicked while looking for a URL scheme.
#[test]
fn non_ascii_entries_are_errors_not_panics() {
    for entry in ["ééé", "gé", "git::é", "ssh://é", "é@é:é/é"] {
        let files = [(
            "kustomization.yaml",
            format!("resources:\n- \"{entry}\"\ncomponents:\n- \"{entry}\"\n"),
        )];
        assert!(build_memory(&files, Options::default()).is_err(), "{entry}");
    }
}

fn helm_options(command: String) -> Options {
    Options {
        helm: HelmOptions {
            enabled: true,
            command,
            ..HelmOptions::default()
        },
        ..Options::default()
    }
}

/// No value of a chart reaches helm where it could be read as an option: every valued
/// flag is `--flag=value`, and the release name and chart come after `--`.
#[cfg(unix)]
#[test]
fn helm_values_never_become_options() {
    let dir = temp_dir("helm-injection");
    let (helm, args) = fake_helm(&dir.0);
    let app = dir.0.join("app");
    write(&app.join("charts/c/Chart.yaml"), "name: c\n");
    write(&app.join("charts/c/values.yaml"), "x: 1\n");
    write(
        &app.join("kustomization.yaml"),
        "helmCharts:\n- name: c\n  releaseName: --post-renderer=sh\n  namespace: --post-renderer=sh\n  nameTemplate: -x\n  kubeVersion: --debug\n  apiVersions: [--devel]\n",
    );
    build_disk(&app, helm_options(helm)).unwrap();
    let args = std::fs::read_to_string(args).unwrap();
    let args: Vec<&str> = args.lines().collect();
    let end = args.iter().position(|a| *a == "--").expect("'--' passed");
    for (i, a) in args.iter().enumerate() {
        if i < end && *a != "template" {
            assert!(
                a.starts_with("--")
                    && (!a.contains("post-renderer") || a.starts_with("--namespace=")),
                "an option helm could misread: {a} in {args:?}"
            );
        }
    }
    assert_eq!(&args[end + 1..end + 2], ["--post-renderer=sh"]);
    assert!(args.contains(&"--namespace=--post-renderer=sh"));
    assert!(args.contains(&"--kube-version=--debug"));
}

/// A chart name is a path below the chart home: an absolute one does not replace it (so
/// nothing is read or written where it points), and one that climbs out of the root is
/// refused.
#[cfg(unix)]
#[test]
fn helm_chart_names_stay_in_the_root() {
    let dir = temp_dir("helm-escape");
    let (helm, _) = fake_helm(&dir.0);
    let outside = dir.0.join("outside");
    write(&outside.join("chart/Chart.yaml"), "name: chart\n");
    let app = dir.0.join("app");
    for name in [
        outside.join("o").display().to_string(),
        outside.join("chart").display().to_string(),
        "../../outside/chart".to_owned(),
    ] {
        write(
            &app.join("kustomization.yaml"),
            &format!(
                "helmCharts:\n- name: {name}\n  releaseName: r\n  valuesInline: {{x: \"1\"}}\n"
            ),
        );
        let err = build_disk(&app, helm_options(helm.clone())).unwrap_err();
        let text = err.chain();
        assert!(
            text.contains("no chart found") || text.contains("security"),
            "{name}: {text}"
        );
        assert!(
            !outside.join("o-kustomize-values.yaml").exists(),
            "{name} wrote a values file outside"
        );
    }
}

/// A function that echoes its input back: writing all of a large input before reading
/// any output deadlocked.
#[cfg(unix)]
#[test]
fn exec_functions_with_large_input_do_not_deadlock() {
    let dir = temp_dir("exec-deadlock");
    let cms: String = (0..3000)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  x: \"{i}\"\n"))
        .collect();
    write(&dir.0.join("cms.yaml"), &cms);
    write(&dir.0.join("cat.sh"), "#!/bin/sh\ncat\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.0.join("cat.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    write(
        &dir.0.join("fn.yaml"),
        "apiVersion: example.com/v1\nkind: Cat\nmetadata:\n  name: cat\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./cat.sh\n",
    );
    write(
        &dir.0.join("kustomization.yaml"),
        "resources: [cms.yaml]\ntransformers: [fn.yaml]\n",
    );
    let path = dir.0.clone();
    let out = on_small_thread(120, move || {
        let options = Options {
            plugins: PluginOptions {
                alpha: true,
                exec: true,
            },
            ..Options::default()
        };
        build_disk(&path, options)
    })
    .unwrap();
    assert_eq!(out.matches("kind: ConfigMap").count(), 3000);
}

/// A document nested `depth` collections deep (the root included): a ConfigMap whose
/// `data2` holds mappings in mappings.
fn nested(depth: usize) -> String {
    let mut s = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata2:\n");
    for i in 1..depth {
        s.push_str(&"  ".repeat(i));
        s.push_str("a:\n");
    }
    s.push_str(&"  ".repeat(depth));
    s.push_str("b\n");
    s
}

/// Upstream renders 10,000 nested collections and refuses 10,001; so do we, on a
/// controller's 2 MiB thread, parsing, cloning, merging, printing and dropping.
#[test]
fn the_deepest_documents_upstream_renders_build_on_a_small_thread() {
    let out = on_small_thread(120, || {
        let files = [
            ("kustomization.yaml", "resources: [r.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: x\n    data: {k: v}\nnamePrefix: p-\n".to_owned()),
            ("r.yaml", nested(10_000)),
        ];
        build_memory(&files, Options::default())
    })
    .unwrap();
    assert_eq!(out.lines().filter(|l| l.trim() == "a:").count(), 9_998);
    let err = on_small_thread(120, || {
        let files = [
            ("kustomization.yaml", "resources: [r.yaml]\n".to_owned()),
            ("r.yaml", nested(10_001)),
        ];
        build_memory(&files, Options::default())
    })
    .unwrap_err();
    assert!(err.chain().contains("exceeded max depth of 10000"), "{err}");
}

/// Depth made after parsing: a replacement path of 15,000 fields with `create`, and JSON
/// patch `copy` operations that double a document's depth. Both are errors (as upstream),
/// not stack overflows, on a 2 MiB thread.
#[test]
fn depth_made_after_parsing_is_bounded() {
    let path = vec!["a"; 15_000].join(".");
    let replacement = format!(
        "resources: [cm.yaml]\nreplacements:\n- source: {{kind: ConfigMap, name: c, fieldPath: data.x}}\n  targets:\n  - select: {{kind: ConfigMap}}\n    fieldPaths: [spec.{path}]\n    options: {{create: true}}\n"
    );
    let err = on_small_thread(120, move || {
        build_memory(
            &[
                ("kustomization.yaml", replacement),
                ("cm.yaml", CM.to_owned()),
            ],
            Options::default(),
        )
    })
    .unwrap_err();
    assert!(err.chain().contains("exceeded max depth of 10000"), "{err}");

    // 9,998 fields nest 10,000 collections: upstream renders that.
    let path = vec!["a"; 9_998].join(".");
    let replacement = format!(
        "resources: [cm.yaml]\nreplacements:\n- source: {{kind: ConfigMap, name: c, fieldPath: data.x}}\n  targets:\n  - select: {{kind: ConfigMap}}\n    fieldPaths: [spec.{path}]\n    options: {{create: true}}\n"
    );
    on_small_thread(120, move || {
        build_memory(
            &[
                ("kustomization.yaml", replacement),
                ("cm.yaml", CM.to_owned()),
            ],
            Options::default(),
        )
    })
    .unwrap();

    // Each copy puts the whole of data2 at the end of its chain of `n`s: the chain grows
    // from c to 2c + 1, past 10,000 at the fourteenth.
    let mut ops = String::from("- op: add\n  path: /data2\n  value: {a: 1}\n");
    let mut chain = 0;
    for _ in 0..14 {
        let to = format!("/data2{}", "/n".repeat(chain + 1));
        ops.push_str(&format!("- op: copy\n  from: /data2\n  path: {to}\n"));
        chain = 2 * chain + 1;
    }
    let err = on_small_thread(120, move || {
        build_memory(
            &[
                (
                    "kustomization.yaml",
                    "resources: [cm.yaml]\npatches:\n- path: p.yaml\n  target: {kind: ConfigMap}\n"
                        .to_owned(),
                ),
                ("cm.yaml", CM.to_owned()),
                ("p.yaml", ops),
            ],
            Options::default(),
        )
    })
    .unwrap_err();
    let text = err.chain();
    assert!(
        text.contains("exceeded max depth") || text.contains("Limits::max_nodes"),
        "{text}"
    );
}

/// An alias bomb a document may hold (upstream expands it), a hundred times in one file:
/// the build's budget stops it, not each document's.
#[test]
fn alias_bombs_are_bounded_by_the_build() {
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\ndata2:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..5 {
        bomb.push_str(&format!(
            "  a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let file: String = (0..100)
        .map(|i| format!("---\n{}", bomb.replace("NAME", &format!("b{i}"))))
        .collect();
    let limits = Limits {
        max_nodes: 2_000_000,
        ..Limits::default()
    };
    let options = Options {
        limits,
        ..Options::default()
    };
    let err = build_memory(
        &[
            ("kustomization.yaml", "resources: [bombs.yaml]\n".to_owned()),
            ("bombs.yaml", file.clone()),
        ],
        options.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                field: "max_nodes",
                ..
            }
        ),
        "{err}"
    );
    // Ten of them fit.
    let ten: String = file.split_inclusive("---\n").take(11).collect();
    build_memory(
        &[
            ("kustomization.yaml", "resources: [bombs.yaml]\n".to_owned()),
            ("bombs.yaml", ten),
        ],
        options,
    )
    .unwrap();
}

/// Bases included through levels of diamonds double at each level: the build's budget
/// stops them, and so does the bound on bytes read.
#[test]
fn diamond_bases_are_bounded_by_the_build() {
    let mut files = vec![
        (
            "l0/kustomization.yaml".to_owned(),
            "resources: [cm.yaml]\n".to_owned(),
        ),
        ("l0/cm.yaml".to_owned(), CM.to_owned()),
    ];
    for l in 1..=12 {
        for side in ["a", "b"] {
            files.push((
                format!("l{l}/{side}/kustomization.yaml"),
                format!("resources: [../../l{}]\nnamePrefix: {side}-\n", l - 1),
            ));
        }
        files.push((
            format!("l{l}/kustomization.yaml"),
            "resources: [a, b]\n".to_owned(),
        ));
    }
    files.push((
        "kustomization.yaml".to_owned(),
        "resources: [l12]\n".to_owned(),
    ));
    let files: Vec<(&str, String)> = files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    for limits in [
        Limits {
            max_nodes: 20_000,
            ..Limits::default()
        },
        Limits {
            max_bytes_read: 100_000,
            ..Limits::default()
        },
    ] {
        let err = build_memory(
            &files,
            Options {
                limits,
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(err.chain().contains("the build exceeds its limit"), "{err}");
    }
    assert_eq!(
        build_memory(&files, Options::default())
            .unwrap()
            .matches("kind: ConfigMap")
            .count(),
        4096
    );
}

/// A validator that is an exec function fails on any resources, skipped or not: upstream
/// compares node identity, and the function's output is always new nodes.
#[test]
fn exec_validators_always_change_the_map() {
    let files = [
        ("kustomization.yaml", "resources: [cm.yaml]\nvalidators: [v.yaml]\n".to_owned()),
        ("cm.yaml", CM.to_owned()),
        ("v.yaml", "apiVersion: example.com/v1\nkind: Val\nmetadata:\n  name: v\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./val.sh\n".to_owned()),
    ];
    let options = Options {
        plugins: PluginOptions {
            alpha: true,
            exec: false,
        },
        ..Options::default()
    };
    let err = build_memory(&files, options).unwrap_err();
    assert!(
        err.chain()
            .contains("validator shouldn't modify the resource map"),
        "{err}"
    );
}
