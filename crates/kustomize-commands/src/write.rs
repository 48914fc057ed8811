//! Writing files all or nothing: each is written beside its destination under a name no
//! other process or thread uses, then renamed into place, so a reader (or a crash) sees the
//! old content or the new, never a part. `build -o` and the kustomization file `edit`
//! writes go through here.
//!
//! For tests, `KUSTOMIZE_RS_TEST_ABORT_WRITE=N` aborts the process after N bytes of a
//! staged file are written (a kill in the middle of a write).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes each file beside its destination under a name no other process or thread uses
/// (created new, never overwritten), then renames all into place; on any failure every
/// file staged so far is removed and nothing is renamed.
pub fn write_files(files: &BTreeMap<PathBuf, String>) -> Result<(), String> {
    let mut staged = Vec::new();
    let result = files.iter().try_for_each(|(path, content)| {
        let tmp = stage(path, content.as_bytes())?;
        staged.push((tmp, path));
        Ok(())
    });
    let result = result.and_then(|()| {
        staged.iter().try_for_each(|(tmp, path)| {
            std::fs::rename(tmp, path).map_err(|e| format!("writing '{}': {e}", path.display()))
        })
    });
    if result.is_err() {
        for (tmp, _) in &staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// Writes `content` to a new file beside `path`, named after it, this process and a
/// counter (a hidden name, so that a reader listing the directory does not take it for
/// output); returns its path.
pub fn stage(path: &Path, content: &[u8]) -> Result<PathBuf, String> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let fail = |e: std::io::Error| format!("writing '{}': {e}", path.display());
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_file_name(format!(
            ".{name}.{}.{n}.kustomize-rs-tmp",
            std::process::id()
        ));
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(e)),
        };
        if let Some(limit) = std::env::var("KUSTOMIZE_RS_TEST_ABORT_WRITE")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            let _ = file.write_all(&content[..limit.min(content.len())]);
            let _ = file.sync_all();
            std::process::abort();
        }
        if let Err(e) = file.write_all(content).and_then(|()| file.flush()) {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(e));
        }
        return Ok(tmp);
    }
}

/// Replaces the file at `path` with `data` (through a symbolic link, the file it names),
/// keeping its permissions and syncing the data before the rename.
pub fn write_file(path: &Path, data: &[u8]) -> Result<(), String> {
    let real = std::fs::canonicalize(path).ok();
    let path = real.as_deref().unwrap_or(path);
    let fail = |e: std::io::Error| format!("writing {}: {e}", path.display());
    let tmp = stage(path, data)?;
    let result = (|| {
        let file = std::fs::File::open(&tmp)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}
