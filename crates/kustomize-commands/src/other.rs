//! The rest of upstream's command tree: `version`, `openapi`, and the kyaml commands
//! (`cfg`, `fn`, `docs-*`, `tutorials-*`) that kustomize-rs only names.

use clap::{Args, Subcommand};
use kustomize::yaml::{parse_documents, Schema, Value};

/// `version` flags.
#[derive(Debug, Args)]
pub struct Version {
    /// short form (deprecated, and will be removed in the future)
    #[arg(long = "short", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value_t = false, action = clap::ArgAction::Set)]
    short: bool,
    /// One of 'yaml' or 'json'.
    #[arg(short = 'o', long = "output", default_value = "")]
    output: String,
}

/// The fields of upstream's `Provenance`, in its order (empty ones are omitted).
fn provenance() -> Vec<(&'static str, String)> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    vec![
        ("version", crate::version()),
        ("gitCommit", "unknown".into()),
        ("buildDate", "unknown".into()),
        ("goOs", std::env::consts::OS.into()),
        ("goArch", arch.into()),
    ]
}

impl Version {
    /// Prints the version as upstream's `kustomize version` does.
    pub fn run(&self) -> Result<(), String> {
        if self.short {
            eprintln!("Flag --short has been deprecated, and will be removed in the future.");
            if !self.output.is_empty() {
                return Err("--short and --output are mutually exclusive".into());
            }
        }
        let p = provenance();
        match self.output.as_str() {
            "" if self.short => println!("{{{}  {}   }}", p[0].1, p[2].1),
            "" => println!("{}", p[0].1),
            "yaml" => {
                let mut out = String::new();
                for (k, v) in &p {
                    out.push_str(&format!("{k}: {v}\n"));
                }
                println!("{out}");
            }
            "json" => {
                let fields: Vec<String> = p
                    .iter()
                    .map(|(k, v)| {
                        let mut s = String::new();
                        kustomize::yaml::json::write_string(v, &mut s);
                        format!("  \"{k}\": {s}")
                    })
                    .collect();
                println!("{{\n{}\n}}", fields.join(",\n"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// `openapi` subcommands.
#[derive(Debug, Subcommand)]
pub enum OpenApi {
    /// Prints the `info` field from the kubernetes OpenAPI data
    Info,
    /// Fetches the OpenAPI specification from the current kubernetes cluster specified
    /// in the user's kubeconfig
    Fetch {
        /// Specify format for fetched schema ('json' or 'yaml')
        #[arg(long = "format", default_value = "json")]
        format: String,
    },
}

impl OpenApi {
    /// Runs the subcommand.
    pub fn run(&self) -> Result<(), String> {
        match self {
            // The builtin schema's info, as upstream's (kustomize-rs builds with the same
            // Kubernetes v1.21.2 schema).
            OpenApi::Info => {
                println!("{{title:Kubernetes,version:v1.21.2}}");
                Ok(())
            }
            OpenApi::Fetch { format } => fetch(format),
        }
    }
}

/// `openapi fetch`: `kubectl get --raw /openapi/v2` (fixed arguments), printed as
/// indented JSON (keys sorted) or as YAML.
fn fetch(format: &str) -> Result<(), String> {
    if format != "json" && format != "yaml" {
        return Err("format must be either 'json' or 'yaml'".into());
    }
    let help = "\nError fetching schema from cluster.\nPlease make sure kubectl is installed, its context is set correctly, and your cluster is up.\nInstallation and setup instructions: https://kubernetes.io/docs/tasks/tools/install-kubectl/";
    let out = std::process::Command::new("kubectl")
        .args(["get", "--raw", "/openapi/v2"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{e}\n{help}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{}\n{stderr}{help}", out.status));
    }
    if out.stdout.is_empty() {
        return Err(format!("{stderr}{help}"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let doc = parse_documents(&text, Schema::Kyaml)
        .ok()
        .and_then(|d| d.into_iter().next())
        .unwrap_or(Value::Null);
    let json = kustomize::yaml::json::to_go_json(&doc)?;
    if format == "yaml" {
        let mut s = String::new();
        kustomize::yaml::emit_document(&doc, &mut s).map_err(|e| e.to_string())?;
        println!("{s}");
    } else {
        println!("{}", indent_json(&json));
    }
    Ok(())
}

/// Go's `json.Indent` with a two-space indent, over compact JSON.
fn indent_json(compact: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = compact.chars().collect();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let closes = chars.get(i + 1).is_some_and(|n| *n == '}' || *n == ']');
                if !closes {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                let opened = i > 0 && (chars[i - 1] == '{' || chars[i - 1] == '[');
                if !opened {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

/// The kyaml commands upstream's binary carries (`cfg`, `fn`) and its documentation
/// topics: kustomize-rs names them so scripts get a clear answer instead of "unrecognized
/// subcommand", and leaves them to upstream's binary.
#[derive(Debug, Args)]
pub struct Unsupported {
    /// Anything.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

impl Unsupported {
    /// Fails, saying what to use instead.
    pub fn run(&self, command: &str) -> Result<(), String> {
        let sub = self.args.first().map_or(String::new(), |s| format!(" {s}"));
        Err(format!(
            "`kustomize {command}{sub}` is not implemented by kustomize-rs: upstream's kyaml configuration commands (`cfg`, `fn`) are alpha there and outside what kustomize-rs reproduces; run upstream's kustomize for them"
        ))
    }
}

/// A documentation topic of upstream's (`docs-fn`, `tutorials-command-basics`, ...).
pub fn docs(topic: &str) -> Result<(), String> {
    println!(
        "kustomize-rs does not carry upstream's `{topic}` text. It is published at\nhttps://github.com/kubernetes-sigs/kustomize/tree/kustomize/v5.7.1/cmd/config/docs"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::indent_json;

    #[test]
    fn indents_as_go() {
        assert_eq!(
            indent_json(r#"{"a":[1,2],"b":{},"c":"x,:{"}"#),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": \"x,:{\"\n}"
        );
    }
}
