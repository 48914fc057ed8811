//! Writing a build's output: stdout, one file (`-o FILE`), or one file per resource into an
//! existing directory (`-o DIR`), named as upstream names them. Everything is rendered
//! before anything is written, and files are renamed into place only once all are written,
//! so a failure leaves nothing behind.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use kustomize::ResMap;
use kustomize_commands::write::write_files;

/// Writes `resources` where `output` says (stdout when `None`).
pub fn write(resources: &ResMap, output: Option<&str>) -> Result<(), String> {
    match output {
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            resources
                .write_yaml_threads(&mut out, usize::MAX)
                .map_err(|e| e.to_string())?;
            out.flush().map_err(|e| format!("writing the output: {e}"))
        }
        Some(dir) if Path::new(dir).is_dir() => write_files(&per_resource_files(resources, dir)?),
        Some(file) => {
            let yaml = resources.to_yaml().map_err(|e| e.chain())?;
            write_files(&BTreeMap::from([(PathBuf::from(file), yaml)]))
        }
    }
}

/// Upstream's `-o DIR` layout: `<group_version_kind>_<name>.yaml` in lower case, prefixed by
/// `<namespace>_` when namespaced resources span more than one namespace.
fn per_resource_files(resources: &ResMap, dir: &str) -> Result<BTreeMap<PathBuf, String>, String> {
    let namespaces: std::collections::BTreeSet<String> = resources
        .iter()
        .map(|r| r.cur_id())
        .filter(|id| !id.gvk.is_cluster_scoped())
        .map(|id| id.effective_namespace().to_owned())
        .collect();
    let mut files = BTreeMap::new();
    for r in resources {
        let id = r.cur_id();
        let mut name = format!(
            "{}_{}.yaml",
            id.gvk.string_without_empty_fields().to_lowercase(),
            id.name.to_lowercase()
        );
        if namespaces.len() > 1 && !id.gvk.is_cluster_scoped() {
            name = format!("{}_{name}", id.effective_namespace().to_lowercase());
        }
        let name = file_name_in_dir(&name);
        let yaml = r.to_yaml().map_err(|e| e.chain())?;
        files.insert(Path::new(dir).join(name), yaml);
    }
    Ok(files)
}

/// `name` as one file name: every path separator (and NUL) becomes `_`, so that a
/// resource whose apiVersion, namespace or name holds `/` or `../` is written inside the
/// output directory. (Upstream joins them as a path and writes outside it.)
fn file_name_in_dir(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c => c,
        })
        .collect()
}

/// The output file of a directory in `build DIR... -o OUT`: its path with `/` as `__`.
pub fn file_name_for_dir(dir: &str) -> String {
    let trimmed = dir.trim_start_matches("./").trim_end_matches('/');
    let name = if trimmed.is_empty() || trimmed == "." {
        "root"
    } else {
        trimmed
    };
    format!("{}.yaml", name.replace('/', "__"))
}

/// Writes `(file name, content)` pairs into `dir`, all or nothing; two contents for one
/// name (`a/b` and `a__b`, a directory given twice) are an error, not an overwrite.
pub fn write_named(dir: &str, files: Vec<(String, String)>) -> Result<(), String> {
    let mut named = BTreeMap::new();
    for (name, yaml) in files {
        let path = Path::new(dir).join(&name);
        if named.insert(path, yaml).is_some() {
            return Err(format!(
                "two directories would be written to the same file '{name}'"
            ));
        }
    }
    write_files(&named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(yaml: &str) -> ResMap {
        let mut map = ResMap::new();
        for r in
            kustomize::unstable::resource::resources_from_bytes(yaml.as_bytes(), "r.yaml".as_ref())
                .unwrap()
        {
            map.append(r).unwrap();
        }
        map
    }

    fn out_dir(name: &str) -> PathBuf {
        let out =
            std::env::temp_dir().join(format!("kustomize-rs-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(out.join("dir")).unwrap();
        out
    }

    /// An apiVersion, namespace or name with `/` or `../` names a file inside the output
    /// directory (upstream writes outside it).
    #[test]
    fn file_names_stay_in_the_directory() {
        let out = out_dir("escape");
        let dir = out.join("dir");
        let map = resources(
            "apiVersion: ../../x/v1\nkind: K\nmetadata:\n  name: ../../../evil\n  namespace: ../n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a/b\n  namespace: other\n",
        );
        write(&map, Some(dir.to_str().unwrap())).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".._n_.._.._x_v1_k_.._.._.._evil.yaml",
                "other_v1_configmap_a_b.yaml"
            ]
        );
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "nothing beside dir"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }

    /// Builds writing into one directory at once each write all of their files, under
    /// temporary names of their own, and leave none behind.
    #[test]
    fn concurrent_writes_into_one_directory() {
        let out = out_dir("concurrent");
        let dir = out.join("dir");
        let yaml = |v: usize| -> String {
            (0..200)
                .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  v: \"{v}\"\n"))
                .collect()
        };
        std::thread::scope(|scope| {
            for v in 0..4 {
                let map = resources(&yaml(v));
                let dir = dir.to_str().unwrap().to_owned();
                scope.spawn(move || {
                    for _ in 0..5 {
                        write(&map, Some(&dir)).unwrap();
                    }
                });
            }
        });
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 200, "no temporary file left");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(text.starts_with("apiVersion: v1\ndata:\n  v: \""), "{text}");
        }
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn two_directories_for_one_file_write_nothing() {
        let out = std::env::temp_dir().join(format!("kustomize-rs-out-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let dir = out.to_str().unwrap();
        let files = vec![
            (file_name_for_dir("a/b"), "x: 1\n".to_owned()),
            (file_name_for_dir("a__b"), "x: 2\n".to_owned()),
        ];
        let err = write_named(dir, files).unwrap_err();
        assert!(err.contains("a__b.yaml"), "{err}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
        std::fs::remove_dir_all(&out).unwrap();
    }
}
