//! Build metadata (`buildMetadata:`): where each resource came from
//! (`config.kubernetes.io/origin`) and which transformers touched it
//! (`alpha.config.kubernetes.io/transformations`), as upstream records them.
//!
//! Tracking is on for a whole build when the top kustomization lists any build metadata
//! option. Resources read from files carry the file's path relative to the top
//! kustomization; generated ones the kustomization file and generator that made them;
//! every builtin transformer that runs appends itself to every resource's
//! transformations (or becomes the origin of one that has none).

/// An origin, or a transformation entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// A file's path relative to the top kustomization directory.
    pub path: String,
    /// The repository of a remote resource.
    pub repo: String,
    /// Its ref.
    pub git_ref: String,
    /// The kustomization file (or plugin config file) that configured a generator or
    /// transformer.
    pub configured_in: String,
    /// The generator or transformer: apiVersion, kind, name, namespace.
    pub configured_by: Option<ConfiguredBy>,
}

/// What generated or transformed a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredBy {
    /// `builtin` for builtins.
    pub api_version: String,
    /// The generator or transformer kind.
    pub kind: String,
    /// The plugin config's name.
    pub name: String,
    /// The plugin config's namespace.
    pub namespace: String,
}

/// The annotation holding a resource's origin.
pub const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
/// The annotation holding the transformations.
pub const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";

impl Origin {
    /// This origin with `path` joined to its path (upstream's `Origin.Append`).
    pub fn append(&self, path: &str) -> Origin {
        let mut o = self.clone();
        o.path = join(&self.path, path);
        o
    }

    /// The origin of what a builtin generator or transformer of `kind`, configured in the
    /// kustomization file `file_name` of this kustomization, produced or changed.
    pub fn builtin(&self, file_name: &str, kind: &str) -> Origin {
        Origin {
            path: String::new(),
            repo: self.repo.clone(),
            git_ref: self.git_ref.clone(),
            configured_in: join(&self.path, file_name),
            configured_by: Some(ConfiguredBy {
                api_version: "builtin".into(),
                kind: kind.into(),
                ..ConfiguredBy::default()
            }),
        }
    }

    /// The YAML upstream writes for an origin (fields in upstream's struct order), each
    /// line indented by `indent` and the first by `first`.
    fn write(&self, out: &mut String, first: &str, indent: &str) {
        let mut lines: Vec<String> = Vec::new();
        for (k, v) in [
            ("path", &self.path),
            ("repo", &self.repo),
            ("ref", &self.git_ref),
            ("configuredIn", &self.configured_in),
        ] {
            if !v.is_empty() {
                lines.push(format!("{k}: {v}"));
            }
        }
        if let Some(by) = &self.configured_by {
            lines.push("configuredBy:".into());
            for (k, v) in [
                ("apiVersion", &by.api_version),
                ("kind", &by.kind),
                ("name", &by.name),
                ("namespace", &by.namespace),
            ] {
                if !v.is_empty() {
                    lines.push(format!("  {k}: {v}"));
                }
            }
        }
        for (i, line) in lines.iter().enumerate() {
            out.push_str(if i == 0 { first } else { indent });
            out.push_str(line);
            out.push('\n');
        }
    }

    /// The `config.kubernetes.io/origin` annotation value.
    pub fn to_annotation(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, "", "");
        out
    }
}

/// The `alpha.config.kubernetes.io/transformations` annotation value.
pub fn transformations_annotation(list: &[Origin]) -> String {
    let mut out = String::new();
    for o in list {
        o.write(&mut out, "- ", "  ");
    }
    out
}

/// `filepath.Join`: joined with `/` and cleaned (`..` resolved lexically).
fn join(a: &str, b: &str) -> String {
    let joined = if a.is_empty() {
        b.to_owned()
    } else {
        format!("{a}/{b}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_render_as_upstream() {
        let top = Origin::default();
        assert_eq!(
            top.append("../base").append("service.yaml").to_annotation(),
            "path: ../base/service.yaml\n"
        );
        let t = top
            .append("../base")
            .builtin("kustomization.yaml", "PrefixTransformer");
        assert_eq!(
            transformations_annotation(&[t]),
            "- configuredIn: ../base/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PrefixTransformer\n"
        );
    }
}
