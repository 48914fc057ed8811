//! `kustomize edit`: changes the kustomization file in the current directory, as upstream's
//! `kustomize/commands/edit` does (same subcommands, arguments, flags, checks and
//! messages). Every subcommand checks its arguments, reads the file ([`KustFile`]),
//! changes the typed `Kustomization`, and writes it back atomically; a command that fails
//! writes nothing (but `edit fix --vars`, which rewrites resource files var by var before it
//! can fail, as upstream's does).

mod add;
pub(crate) use add::glob_or_root;
mod configmap_secret;
mod fix;
mod remove;
mod set;

use std::path::Path;

use clap::Subcommand;
use kustomize::unstable::kustomization::Kustomization;

use crate::kustfile::KustFile;

/// `kustomize edit` subcommands.
#[derive(Debug, Subcommand)]
pub enum Edit {
    /// Adds an item to the kustomization file
    #[command(subcommand, arg_required_else_help = true)]
    Add(add::Add),
    /// Sets the value of different fields in kustomization file
    #[command(subcommand, arg_required_else_help = true)]
    Set(set::Set),
    /// Removes items from the kustomization file
    #[command(subcommand, arg_required_else_help = true)]
    Remove(remove::Remove),
    /// Fix the missing fields in kustomization file
    Fix(fix::Fix),
    /// Alpha: List the builtin plugins
    #[command(
        about = "[Alpha] List the builtin plugins",
        name = "alpha-list-builtin-plugin"
    )]
    ListBuiltin {
        /// Ignored.
        args: Vec<String>,
    },
}

impl Edit {
    /// Runs the subcommand in `dir` (the working directory).
    pub fn run(&self, dir: &Path) -> Result<(), String> {
        match self {
            Edit::Add(a) => a.run(dir),
            Edit::Set(s) => s.run(dir),
            Edit::Remove(r) => r.run(dir),
            Edit::Fix(f) => f.run(dir),
            Edit::ListBuiltin { .. } => {
                print!("{}", builtin_plugins());
                Ok(())
            }
        }
    }
}

/// `alpha-list-builtin-plugin`'s output: upstream's generators, then its transformers
/// (upstream's order within each group is Go's random map order; this is its table's).
fn builtin_plugins() -> String {
    const GENERATORS: [&str; 4] = [
        "ConfigMapGenerator",
        "IAMPolicyGenerator",
        "SecretGenerator",
        "HelmChartInflationGenerator",
    ];
    const TRANSFORMERS: [&str; 14] = [
        "AnnotationsTransformer",
        "HashTransformer",
        "ImageTagTransformer",
        "LabelTransformer",
        "NamespaceTransformer",
        "PatchJson6902Transformer",
        "PatchStrategicMergeTransformer",
        "PatchTransformer",
        "PrefixSuffixTransformer",
        "PrefixTransformer",
        "SuffixTransformer",
        "ReplacementTransformer",
        "ReplicaCountTransformer",
        "ValueAddTransformer",
    ];
    let mut out = String::from("Builtin plugins:\n\n");
    for name in GENERATORS.iter().chain(TRANSFORMERS.iter()) {
        out.push_str(&format!(" * {name}\n"));
    }
    out
}

/// Finds and reads the kustomization file in `dir`.
pub(crate) fn load(dir: &Path) -> Result<(KustFile, Kustomization), String> {
    let mut file = KustFile::find(dir)?;
    let k = file.read()?;
    Ok((file, k))
}

/// Reads the kustomization file, applies `change`, and writes the file back unless
/// `change` fails.
pub(crate) fn update(
    dir: &Path,
    change: impl FnOnce(&mut Kustomization) -> Result<(), String>,
) -> Result<(), String> {
    let (file, mut k) = load(dir)?;
    change(&mut k)?;
    file.write(&k)
}

/// A line as Go's `log.Printf` prints it: on standard error, after the date and time (UTC
/// here; Go uses the local zone).
pub(crate) fn log(message: &str) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    eprintln!(
        "{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02} {message}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// The calendar date of a day number counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Go's `path.Clean`: `.` and `..` resolved lexically, no trailing or doubled `/`.
pub(crate) fn clean_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (absolute, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `%s` of a `[]string`: `[a b c]`.
pub(crate) fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// The buildMetadata options upstream knows.
const BUILD_METADATA_OPTIONS: [&str; 3] = [
    "originAnnotations",
    "transformerAnnotations",
    "managedByLabel",
];

/// Upstream's `BuildMetadataValidator.Validate`: one argument, a comma-separated list of
/// known options.
pub(crate) fn build_metadata_options(args: &[String]) -> Result<Vec<String>, String> {
    match args {
        [] => Err("must specify a buildMetadata option".into()),
        [one] => {
            let opts: Vec<String> = one.split(',').map(String::from).collect();
            if let Some(bad) = opts.iter().find(|o| !BUILD_METADATA_OPTIONS.contains(&o.as_str())) {
                return Err(format!("invalid buildMetadata option: {bad}"));
            }
            Ok(opts)
        }
        _ => Err(format!(
            "too many arguments: {}; to provide multiple buildMetadata options, please separate options by comma",
            go_list(args)
        )),
    }
}

/// Upstream's `NamespaceEqual`: "" and `default` are the same namespace.
pub(crate) fn namespace_equal(a: &str, b: &str) -> bool {
    let norm = |s: &str| if s.is_empty() { "default" } else { s }.to_string();
    norm(a) == norm(b)
}

/// Upstream's `ConvertSliceToMap`: `key:value` items (value optionally in double quotes;
/// no `:` means an empty value) into a map, for labels and annotations.
pub(crate) fn key_value_map(inputs: &[&str], kind: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for input in inputs {
        let (key, value) = match input.find(':') {
            Some(0) => {
                return Err(format!(
                    "invalid {kind}: '{input}' (need k:v pair where v may be quoted)"
                ))
            }
            None => (input.to_string(), String::new()),
            Some(i) => {
                let v = &input[i + 1..];
                let v = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
                    &v[1..v.len() - 1]
                } else {
                    v
                };
                (input[..i].to_string(), v.to_string())
            }
        };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_793), (2026, 12, 6));
    }

    #[test]
    fn key_values() {
        assert_eq!(
            key_value_map(&["a:\"b\"", "c", "a:x"], "label").unwrap(),
            vec![("a".into(), "x".into()), ("c".into(), String::new())]
        );
        assert!(key_value_map(&[":x"], "label").is_err());
    }
}
