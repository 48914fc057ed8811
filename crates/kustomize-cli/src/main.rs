//! `kustomize-rs`: a drop-in for upstream's `kustomize` command line (`build`, `version`).

mod args;
mod output;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use kustomize::fs::DiskFs;
use kustomize::Kustomizer;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Version => {
            println!("{}", args::version());
            Ok(())
        }
        Command::Build(build) => {
            for warning in build.flag_warnings() {
                eprintln!("{warning}");
            }
            let options = build.options()?;
            let out = Kustomizer::new(options)
                .build(Arc::new(DiskFs), build.dir.as_ref())
                .map_err(|e| e.to_string())?;
            for warning in &out.warnings {
                eprintln!("{warning}");
            }
            let result = output::write(&out.resources, build.output.as_deref());
            // The process ends next: freeing every node of a large tree costs more than
            // the operating system reclaiming it.
            std::mem::forget(out);
            result
        }
    }
}
