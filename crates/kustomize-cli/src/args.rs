//! Command-line arguments: upstream `kustomize`'s subcommands and `build` flags.

use clap::{Args, Parser, Subcommand};
use kustomize::HelmOptions;
use kustomize::PluginOptions;
use kustomize::{LoadRestrictor, Options, Reorder};

/// kustomize-rs: builds Kubernetes manifests from kustomizations, like `kustomize`.
#[derive(Debug, Parser)]
#[command(name = "kustomize-rs", version = None, disable_version_flag = true, next_display_order = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Upstream's global flag (print a stack trace on error); accepted, and errors print
    /// as they always do.
    #[arg(long = "stack-trace", global = true)]
    pub stack_trace: bool,
}

/// The command line when it is a `build` (see `main`): the same flags, without the other
/// subcommands.
#[derive(Debug, Parser)]
#[command(name = "kustomize-rs", version = None, disable_version_flag = true, disable_help_flag = true, disable_help_subcommand = true)]
pub struct BuildOnly {
    #[command(subcommand)]
    command: BuildCommand,
    #[arg(long = "stack-trace", global = true)]
    stack_trace: bool,
}

#[derive(Debug, Subcommand)]
enum BuildCommand {
    #[command(disable_help_flag = true)]
    Build(Box<BuildArgs>),
}

impl BuildOnly {
    /// The same command line as the whole tree parses it.
    pub fn into_cli(self) -> Cli {
        let BuildCommand::Build(args) = self.command;
        Cli {
            command: Command::Build(args),
            stack_trace: self.stack_trace,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a kustomization target from a directory.
    Build(Box<BuildArgs>),
    /// Prints the kustomize version
    Version(kustomize_commands::other::Version),
    /// Commands for interacting with the OpenAPI data
    #[command(subcommand)]
    Openapi(kustomize_commands::other::OpenApi),
    /// Commands for reading and writing configuration (not implemented by kustomize-rs)
    Cfg(kustomize_commands::other::Unsupported),
    /// Commands for running functions against configuration (not implemented by kustomize-rs)
    Fn(kustomize_commands::other::Unsupported),
    /// Alpha: Documentation for merging Resources (2-way merge).
    #[command(
        about = "[Alpha] Documentation for merging Resources (2-way merge).",
        name = "docs-merge"
    )]
    DocsMerge,
    /// Alpha: Documentation for merging Resources (3-way merge).
    #[command(
        about = "[Alpha] Documentation for merging Resources (3-way merge).",
        name = "docs-merge3"
    )]
    DocsMerge3,
    /// Alpha: Documentation for developing and invoking Configuration Functions.
    #[command(
        about = "[Alpha] Documentation for developing and invoking Configuration Functions.",
        name = "docs-fn"
    )]
    DocsFn,
    /// Alpha: Documentation for Configuration Functions Specification.
    #[command(
        about = "[Alpha] Documentation for Configuration Functions Specification.",
        name = "docs-fn-spec"
    )]
    DocsFnSpec,
    /// Alpha: Documentation for annotations used by io.
    #[command(
        about = "[Alpha] Documentation for annotations used by io.",
        name = "docs-io-annotations"
    )]
    DocsIoAnnotations,
    /// Alpha: Tutorials for using basic config commands.
    #[command(
        about = "[Alpha] Tutorials for using basic config commands.",
        name = "tutorials-command-basics"
    )]
    TutorialsCommandBasics,
    /// Alpha: Tutorials for using functions.
    #[command(
        about = "[Alpha] Tutorials for using functions.",
        name = "tutorials-function-basics"
    )]
    TutorialsFunctionBasics,
    /// Create a new kustomization in the current directory
    #[command(visible_alias = "init")]
    Create(kustomize_commands::create::Create),
    /// Alpha: Creates localized copy of target kustomization root at destination
    #[command(
        about = "[Alpha] Creates localized copy of target kustomization root at destination"
    )]
    Localize(kustomize_commands::localize::Localize),
    /// Edits a kustomization file
    #[command(subcommand, arg_required_else_help = true)]
    Edit(kustomize_commands::edit::Edit),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `kustomize build` flags.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The kustomization directory (default: the current directory). Several directories
    /// are built at once, in parallel, into the directory `-o` names (one
    /// `<dir with / as __>.yaml` each).
    #[arg(default_values_t = [".".to_string()])]
    pub dirs: Vec<String>,

    /// Write output to this file, or one file per resource into this existing directory.
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,

    /// `LoadRestrictionsRootOnly` or `LoadRestrictionsNone`.
    #[arg(long = "load-restrictor", default_value = "LoadRestrictionsRootOnly")]
    pub load_restrictor: String,

    /// Enable the Helm chart inflator generator.
    #[arg(long = "enable-helm", num_args = 0..=1, default_missing_value = "true")]
    pub enable_helm: Option<bool>,

    /// Helm command (path to executable).
    #[arg(long = "helm-command", default_value = "helm")]
    pub helm_command: String,

    /// Kubernetes api versions used by Helm for Capabilities.APIVersions.
    #[arg(long = "helm-api-versions")]
    pub helm_api_versions: Vec<String>,

    /// Kubernetes version used by Helm for Capabilities.KubeVersion.
    #[arg(long = "helm-kube-version", default_value = "")]
    pub helm_kube_version: String,

    /// Enable debug output from the Helm chart inflator generator.
    #[arg(long = "helm-debug", num_args = 0..=1, default_missing_value = "true")]
    pub helm_debug: Option<bool>,

    /// Enable kustomize plugins (alpha).
    #[arg(long = "enable-alpha-plugins", num_args = 0..=1, default_missing_value = "true")]
    pub enable_alpha_plugins: Option<bool>,

    /// Enable support for exec functions (alpha).
    #[arg(long = "enable-exec", num_args = 0..=1, default_missing_value = "true")]
    pub enable_exec: Option<bool>,

    /// Enable network access for functions that declare it.
    #[arg(long = "network", num_args = 0..=1, default_missing_value = "true")]
    pub network: Option<bool>,

    /// The docker network to run the container in.
    #[arg(long = "network-name", default_value = "bridge")]
    pub network_name: String,

    /// Storage options read from the filesystem, for functions.
    #[arg(long = "mount")]
    pub mount: Vec<String>,

    /// Environment variables to be used by functions.
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,

    /// Use the uid and gid of the command executor to run the function in the container.
    #[arg(long = "as-current-user", num_args = 0..=1, default_missing_value = "true")]
    pub as_current_user: Option<bool>,

    /// Deprecated: `legacy` or `none`; use `sortOptions` in kustomization.yaml instead.
    #[arg(long = "reorder")]
    pub reorder: Option<String>,

    /// kustomize-rs: keep remote git bases in this directory between builds (default: the
    /// user's cache directory, `$XDG_CACHE_HOME/kustomize-rs/remote` or
    /// `~/.cache/kustomize-rs/remote`).
    #[arg(long = "remote-cache", value_name = "DIR")]
    pub remote_cache: Option<String>,

    /// kustomize-rs: clone remote git bases afresh for this build, as upstream does.
    #[arg(long = "no-remote-cache", conflicts_with = "remote_cache")]
    pub no_remote_cache: bool,

    /// Deprecated: add the `app.kubernetes.io/managed-by` label.
    #[arg(long = "enable-managedby-label", num_args = 0..=1, default_missing_value = "true")]
    pub enable_managedby_label: Option<bool>,
}

impl BuildArgs {
    /// The deprecation notices upstream prints for deprecated flags.
    pub fn flag_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.reorder.is_some() {
            out.push("Flag --reorder has been deprecated, use the new 'sortOptions' field in kustomization.yaml instead.".into());
        }
        if self.enable_managedby_label.is_some() {
            out.push("Flag --enable-managedby-label has been deprecated, The flag `enable-managedby-label` has been deprecated. Use the `managedByLabel` option in the `buildMetadata` field instead.".into());
        }
        out
    }

    /// The library options these flags ask for; an error for a bad value or a flag whose
    /// feature kustomize-rs does not have yet.
    pub fn options(&self) -> Result<Options, String> {
        let load_restrictor = match self.load_restrictor.as_str() {
            "LoadRestrictionsRootOnly" => LoadRestrictor::RootOnly,
            "LoadRestrictionsNone" => LoadRestrictor::None,
            other => {
                return Err(format!(
                    "illegal flag value --load-restrictor {other}; legal values: [LoadRestrictionsRootOnly LoadRestrictionsNone]"
                ))
            }
        };
        let reorder = match self.reorder.as_deref() {
            None | Some("legacy") | Some("unspecified") => Reorder::Legacy,
            Some("none") => Reorder::None,
            Some(other) => {
                return Err(format!(
                    "illegal flag value --reorder {other}; legal values: [legacy none]"
                ))
            }
        };
        Ok(Options {
            load_restrictor,
            reorder,
            helm: HelmOptions {
                enabled: self.enable_helm == Some(true),
                command: self.helm_command.clone(),
                api_versions: self.helm_api_versions.clone(),
                kube_version: self.helm_kube_version.clone(),
                debug: self.helm_debug == Some(true),
            },
            add_managed_by_label: self.enable_managedby_label == Some(true),
            plugins: PluginOptions {
                alpha: self.enable_alpha_plugins == Some(true),
                exec: self.enable_exec == Some(true),
            },
            // One build on every core; `build DIR... -o OUT` spreads builds instead.
            parse_threads: usize::MAX,
            remote: Some(kustomize_commands::remote(
                self.remote_cache.as_deref(),
                self.no_remote_cache,
            )),
            ..Options::cli()
        })
    }
}
