//! Running a tree through both binaries and comparing: when upstream succeeds, ours must
//! exit 0 and print the same bytes; when upstream fails, ours must fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::tree::Tree;

/// What one binary did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Exit status (`None`: killed, or did not start).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// How the two runs compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Same outcome (and output).
    Match,
    /// Upstream succeeded, ours failed.
    OursFails,
    /// Upstream failed, ours succeeded.
    OursSucceeds,
    /// Both succeeded with different output.
    OutputDiffers,
    /// Upstream crashed (a Go panic): nothing to compare.
    UpstreamCrash,
}

impl Verdict {
    /// The verdict of two runs.
    pub fn of(reference: &Run, ours: &Run) -> Verdict {
        if reference.code == Some(2) && reference.stderr.contains("panic:") {
            return Verdict::UpstreamCrash;
        }
        match (reference.ok(), ours.ok()) {
            (true, true) if reference.stdout == ours.stdout => Verdict::Match,
            (true, true) => Verdict::OutputDiffers,
            (true, false) => Verdict::OursFails,
            (false, true) => Verdict::OursSucceeds,
            (false, false) => Verdict::Match,
        }
    }

    /// Whether this is a difference to report.
    pub fn is_mismatch(self) -> bool {
        !matches!(self, Verdict::Match | Verdict::UpstreamCrash)
    }
}

/// The two binaries.
#[derive(Debug, Clone)]
pub struct Runner {
    /// `reference-kustomize` (called with `build DIR`).
    pub reference: PathBuf,
    /// `kustomize-rs` (called with `build DIR`).
    pub ours: PathBuf,
    /// Where trees are written.
    pub work: PathBuf,
    /// How long a build may take.
    pub timeout: Duration,
}

impl Runner {
    /// Writes `tree` under `dir` (emptied first) and returns the directory to build.
    pub fn write(&self, tree: &Tree, dir: &Path) -> std::io::Result<PathBuf> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        for f in &tree.files {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, f.render())?;
        }
        let build = dir.join(&tree.build);
        std::fs::create_dir_all(&build)?;
        Ok(build)
    }

    /// Builds `tree` (written under `dir`) with both binaries.
    pub fn compare(&self, tree: &Tree, dir: &Path) -> std::io::Result<(Run, Run, Verdict)> {
        let build = self.write(tree, dir)?;
        let reference = self.run(&self.reference, &build);
        let ours = self.run(&self.ours, &build);
        let verdict = Verdict::of(&reference, &ours);
        Ok((reference, ours, verdict))
    }

    fn run(&self, program: &Path, dir: &Path) -> Run {
        let child = Command::new(program)
            .arg("build")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                return Run {
                    code: None,
                    stdout: Vec::new(),
                    stderr: format!("cannot run {}: {e}", program.display()),
                }
            }
        };
        let (out, err) = (child.stdout.take(), child.stderr.take());
        let readers = (
            out.map(|mut o| {
                std::thread::spawn(move || {
                    let mut v = Vec::new();
                    let _ = std::io::Read::read_to_end(&mut o, &mut v);
                    v
                })
            }),
            err.map(|mut e| {
                std::thread::spawn(move || {
                    let mut s = String::new();
                    let _ = std::io::Read::read_to_string(&mut e, &mut s);
                    s
                })
            }),
        );
        let start = Instant::now();
        let code = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        Run {
            code,
            stdout: readers.0.and_then(|t| t.join().ok()).unwrap_or_default(),
            stderr: readers.1.and_then(|t| t.join().ok()).unwrap_or_default(),
        }
    }
}

/// A short description of a mismatch, the same for mismatches of one class as far as
/// can be told: the first error line (names and numbers masked), or the first line that
/// differs.
pub fn signature(reference: &Run, ours: &Run, verdict: Verdict) -> String {
    let mask = |s: &str| -> String {
        let line = s
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with("# Warning"))
            .unwrap_or("");
        // The innermost cause of upstream's nested accumulation errors.
        let line = line.rsplit("': ").next().unwrap_or(line);
        let line: String = line.chars().take(160).collect();
        line.split(['\'', '"'])
            .enumerate()
            .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
            .collect::<Vec<_>>()
            .join("'")
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    };
    match verdict {
        Verdict::OursFails => format!("ours fails: {}", mask(&ours.stderr)),
        Verdict::OursSucceeds => format!("upstream fails: {}", mask(&reference.stderr)),
        Verdict::OutputDiffers => {
            let (a, b) = (
                String::from_utf8_lossy(&reference.stdout),
                String::from_utf8_lossy(&ours.stdout),
            );
            let diff = a
                .lines()
                .zip(b.lines())
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("{} | {}", x.trim(), y.trim()))
                .unwrap_or_else(|| "lengths differ".into());
            format!("output: {}", diff.chars().take(160).collect::<String>())
        }
        Verdict::Match | Verdict::UpstreamCrash => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: i32, out: &str, err: &str) -> Run {
        Run {
            code: Some(code),
            stdout: out.as_bytes().to_vec(),
            stderr: err.into(),
        }
    }

    #[test]
    fn verdicts() {
        assert_eq!(
            Verdict::of(&run(0, "a", ""), &run(0, "a", "")),
            Verdict::Match
        );
        assert_eq!(
            Verdict::of(&run(1, "", "e"), &run(1, "", "f")),
            Verdict::Match
        );
        assert_eq!(
            Verdict::of(&run(0, "a", ""), &run(0, "b", "")),
            Verdict::OutputDiffers
        );
        assert_eq!(
            Verdict::of(&run(0, "a", ""), &run(1, "", "e")),
            Verdict::OursFails
        );
        assert_eq!(
            Verdict::of(&run(1, "", "e"), &run(0, "a", "")),
            Verdict::OursSucceeds
        );
        assert_eq!(
            Verdict::of(&run(2, "", "panic: x"), &run(0, "a", "")),
            Verdict::UpstreamCrash
        );
        assert_eq!(
            signature(
                &run(0, "a: 1\nb: 2\n", ""),
                &run(0, "a: 1\nb: 3\n", ""),
                Verdict::OutputDiffers
            ),
            "output: b: 2 | b: 3"
        );
    }
}
