//! What the engine's fuzz targets share: a tree of files read from the fuzzer's bytes, and
//! builds that stay in memory and within small limits.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use arbitrary::{Arbitrary, Result, Unstructured};
use kustomize::fs::MemoryFs;
use kustomize::{Kustomizer, Limits, LoadRestrictor, Options, Reorder};

/// Files under `/app`: the text after the option bytes, split at lines `=== PATH`; text
/// before the first such line is `/app/kustomization.yaml`. A line `=== @build DIR` names
/// the directory to build (default `/app`). (`make-seeds.py` writes conformance trees in
/// this form.)
#[derive(Debug, Default)]
pub struct Tree {
    /// The directory built, relative to `/app`.
    pub build: String,
    /// Paths relative to `/app`, and contents.
    pub files: Vec<(String, String)>,
}

impl<'a> Arbitrary<'a> for Tree {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Self::arbitrary_take_rest(Unstructured::new(u.bytes(u.len())?))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> Result<Self> {
        let text = String::from_utf8_lossy(u.take_rest()).into_owned();
        Ok(Tree::parse(&text))
    }
}

impl Tree {
    pub fn parse(text: &str) -> Tree {
        let mut tree = Tree::default();
        let mut path = "kustomization.yaml".to_owned();
        let mut content = String::new();
        for line in text.split_inclusive('\n') {
            if let Some(dir) = line.strip_prefix("=== @build ") {
                tree.build = dir.trim_end().to_owned();
            } else if let Some(p) = line.strip_prefix("=== ") {
                tree.files
                    .push((std::mem::take(&mut path), std::mem::take(&mut content)));
                path = p.trim_end().to_owned();
            } else {
                content.push_str(line);
            }
        }
        tree.files.push((path, content));
        tree
    }

    /// Whether anything in the tree could reach the network or a clone (a URL, a git
    /// host): such inputs are skipped, a fuzzer must not fetch.
    pub fn is_remote(&self) -> bool {
        self.files.iter().any(|(p, c)| {
            [p, c].iter().any(|t| {
                [
                    "://",
                    "github.com",
                    "git@",
                    "git::",
                    "gitlab",
                    "_git/",
                    ".git",
                ]
                .iter()
                .any(|m| t.contains(m))
            })
        })
    }
}

/// The build options a fuzz input picks.
#[derive(Debug, Arbitrary)]
pub struct FuzzOptions {
    pub no_restrictor: bool,
    pub input_order: bool,
    pub threads: bool,
}

/// Builds `tree` from memory with small limits (a few hundred MB at most under the
/// sanitizers), never reaching outside it; the printed output, or the error's text.
pub fn build(tree: &Tree, o: &FuzzOptions) -> std::result::Result<String, String> {
    let mut fs = MemoryFs::new();
    for (path, content) in &tree.files {
        let path = path.trim_start_matches('/');
        if path.is_empty() || path.split('/').any(|s| s == "..") {
            continue;
        }
        fs.add_file(Path::new("/app").join(path), content.as_bytes());
    }
    let options = Options {
        load_restrictor: if o.no_restrictor {
            LoadRestrictor::None
        } else {
            LoadRestrictor::RootOnly
        },
        reorder: if o.input_order {
            Reorder::None
        } else {
            Reorder::Legacy
        },
        parse_threads: if o.threads { 2 } else { 1 },
        limits: Limits {
            max_nodes: 2_000_000,
            max_bytes_read: 16 << 20,
            ..Limits::default()
        },
        ..Options::default()
    };
    let dir = Path::new("/app").join(tree.build.trim_start_matches('/'));
    if tree.build.split('/').any(|s| s == "..") {
        return Err("the build directory leaves the tree".into());
    }
    let out = Kustomizer::new(options)
        .build(Arc::new(fs), &dir)
        .map_err(|e| e.to_string())?;
    let mut yaml = Vec::new();
    out.resources
        .write_yaml(&mut yaml)
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8(yaml).expect("the emitter writes UTF-8"))
}
