//! The compiled-artifact cache: a component compiled by Cranelift once is kept on disk as
//! `<sha256 of the component>-<engine settings hash>.cwasm`, so later processes load native
//! code instead of compiling again.
//!
//! An artifact is native code run unchecked, and its name is predictable, so the cache is
//! used only when nobody else could have written it: the directory and the file must be
//! owned by the current user and writable by no one else, the artifact a regular file
//! opened without following links or waiting on a special file. Anything else is left
//! untouched and the component is compiled in memory, with the reason returned for the
//! caller to show. What the cache creates is private (directory 0700, files 0600) whatever
//! the umask.

use std::fs::{self, File, Metadata, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Why the cache was not used: one line for a warning.
pub type Untrusted = String;

/// What the cache holds for a component.
enum Lookup {
    /// A trusted artifact's bytes.
    Hit(Vec<u8>),
    /// Nothing usable yet: compile and store.
    Miss,
    /// No directory could be made (a read-only home): compile, store nothing, say nothing.
    Unavailable,
    /// Something there cannot be trusted: compile, touch nothing, say why.
    Untrusted(Untrusted),
}

/// Loads `wasm` from the cache in `dir`, compiling and storing it on a miss (or when a
/// cached artifact no longer loads). Also returns why the cache was not used, when it
/// could not be trusted.
pub fn component(engine: &Engine, wasm: &[u8], dir: &Path) -> wasmtime::Result<(Component, Option<Untrusted>)> {
    let path = dir.join(key(engine, wasm));
    let found = lookup(dir, &path);
    if let Lookup::Hit(bytes) = &found {
        // SAFETY: the bytes come from a file only this user could have written, named
        // after the component's hash and the engine's settings (checked again here).
        if let Ok(c) = unsafe { Component::deserialize(engine, bytes) } {
            return Ok((c, None));
        }
    }
    let component = Component::new(engine, wasm)?;
    match found {
        Lookup::Untrusted(why) => return Ok((component, Some(why))),
        Lookup::Unavailable => {}
        // A failed write only costs the next start a compilation.
        Lookup::Hit(_) | Lookup::Miss => drop(write(&component, &path)),
    }
    Ok((component, None))
}

fn lookup(dir: &Path, path: &Path) -> Lookup {
    if !prepare_dir(dir) {
        return Lookup::Unavailable;
    }
    match trusted_dir(dir).and_then(|()| read_artifact(path)) {
        Ok(Some(bytes)) => Lookup::Hit(bytes),
        Ok(None) => Lookup::Miss,
        Err(why) => Lookup::Untrusted(why),
    }
}

/// Creates `dir` (0700) unless something is there; false when it cannot be made.
fn prepare_dir(dir: &Path) -> bool {
    if fs::symlink_metadata(dir).is_ok() {
        return true;
    }
    let made = dir.parent().map_or(Ok(()), fs::create_dir_all).and_then(|()| {
        fs::DirBuilder::new().mode(0o700).create(dir)?;
        // The umask may have taken bits away: set exactly 0700.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    });
    made.is_ok() || fs::symlink_metadata(dir).is_ok()
}

/// The directory itself (not a link) is ours and writable by no one else.
fn trusted_dir(dir: &Path) -> Result<(), Untrusted> {
    let meta = fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!("{} is a symbolic link", dir.display()));
    }
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    private(&meta, dir)
}

/// The artifact's bytes, `None` when there is none. Special files are never opened (a
/// FIFO would block), links are never followed, and the checks are made again on the
/// opened file, so a file swapped in between is refused too.
fn read_artifact(path: &Path) -> Result<Option<Vec<u8>>, Untrusted> {
    let not_found = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
    match fs::symlink_metadata(path) {
        Err(e) if not_found(&e) => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
        Ok(m) => regular(&m, path)?,
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut file = match file {
        Err(e) if not_found(&e) => return Ok(None),
        other => other.map_err(|e| format!("{}: {e}", path.display()))?,
    };
    let meta = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?;
    regular(&meta, path)?;
    private(&meta, path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(bytes))
}

fn regular(meta: &Metadata, path: &Path) -> Result<(), Untrusted> {
    match meta.file_type() {
        t if t.is_file() => Ok(()),
        t if t.is_symlink() => Err(format!("{} is a symbolic link", path.display())),
        _ => Err(format!("{} is not a regular file", path.display())),
    }
}

/// Owned by the current user, and neither group- nor world-writable.
fn private(meta: &Metadata, path: &Path) -> Result<(), Untrusted> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!("{} is owned by uid {}, not {me}", path.display(), meta.uid()));
    }
    match meta.mode() & 0o022 {
        0 => Ok(()),
        m if m & 0o002 != 0 => Err(format!("{} is world-writable", path.display())),
        _ => Err(format!("{} is group-writable", path.display())),
    }
}

/// Writes the artifact to a private temporary file, then renames it into place; the
/// temporary file is removed when anything fails.
fn write(component: &Component, path: &Path) -> io::Result<()> {
    let bytes = component.serialize().map_err(io::Error::other)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = create_private(&tmp).and_then(|mut f| f.write_all(&bytes));
    let done = written.and_then(|()| fs::rename(&tmp, path));
    if done.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    done
}

/// A new file readable and writable by its owner only, whatever the umask.
fn create_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

fn key(engine: &Engine, wasm: &[u8]) -> String {
    let digest = Sha256::digest(wasm);
    let mut settings = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{:016x}.cwasm", settings.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The smallest component: what the tests cache.
    const EMPTY: &[u8] = b"\0asm\x0d\x00\x01\x00";
    /// A component importing an (empty) instance `a`: planted under `EMPTY`'s name, it
    /// shows whether an artifact was loaded (one import) or compiled (none).
    const PLANTED: &[u8] = b"\0asm\x0d\x00\x01\x00\x07\x03\x01\x42\x00\x0a\x06\x01\x00\x01a\x05\x00";

    /// A private scratch directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Scratch {
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("ibs-cache-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir(&dir).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
            Scratch(dir)
        }

        /// `cache/` inside, made private, with `PLANTED`'s artifact under `EMPTY`'s name.
        fn planted(&self, engine: &Engine) -> (PathBuf, PathBuf) {
            let dir = self.0.join("cache");
            fs::create_dir(&dir).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
            let path = dir.join(key(engine, EMPTY));
            plant(engine, &path);
            (dir, path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Writes `PLANTED`'s artifact at `path`, 0600.
    fn plant(engine: &Engine, path: &Path) {
        let bytes = Component::new(engine, PLANTED).unwrap().serialize().unwrap();
        fs::write(path, bytes).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// Loads `EMPTY` through the cache in `dir`: whether the planted artifact was used,
    /// and the warning.
    fn load(engine: &Engine, dir: &Path) -> (bool, Option<Untrusted>) {
        let (c, why) = component(engine, EMPTY, dir).unwrap();
        (c.component_type().imports(engine).count() == 1, why)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut all: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        all.sort();
        all
    }

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    /// Refused and untouched: compiled in memory, a warning saying `why`, no file added.
    fn assert_refused(engine: &Engine, dir: &Path, why: &str) {
        let before = names(dir);
        let (loaded, warning) = load(engine, dir);
        assert!(!loaded, "the planted artifact was loaded");
        let warning = warning.expect("a warning");
        assert!(warning.contains(why), "{warning}");
        assert_eq!(names(dir), before, "the cache was written to");
    }

    #[test]
    fn a_trusted_artifact_is_loaded_and_a_miss_is_stored() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let (dir, path) = scratch.planted(&engine);
        assert_eq!(load(&engine, &dir), (true, None));
        fs::remove_file(&path).unwrap();
        assert_eq!(load(&engine, &dir), (false, None));
        assert_eq!(names(&dir), [key(&engine, EMPTY)]);
        assert_eq!(load(&engine, &dir), (false, None), "the stored artifact loads");
    }

    #[test]
    fn a_corrupt_artifact_is_replaced() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let (dir, path) = scratch.planted(&engine);
        fs::write(&path, b"not an artifact").unwrap();
        assert_eq!(load(&engine, &dir), (false, None));
        assert!(unsafe { Component::deserialize_file(&engine, &path) }.is_ok());
    }

    #[test]
    fn the_cache_is_private_whatever_the_umask() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let dir = scratch.0.join("home/.cache/ibs");
        // SAFETY: umask only swaps the process's mask; the other tests set their modes.
        let old = unsafe { libc::umask(0) };
        let result = load(&engine, &dir);
        unsafe { libc::umask(old) };
        assert_eq!(result, (false, None));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(key(&engine, EMPTY))), 0o600);
    }

    #[test]
    fn an_artifact_in_a_group_or_world_writable_dir_is_not_loaded() {
        let engine = Engine::default();
        for (bits, why) in [(0o770, "is group-writable"), (0o707, "is world-writable")] {
            let scratch = Scratch::new();
            let (dir, _) = scratch.planted(&engine);
            fs::set_permissions(&dir, fs::Permissions::from_mode(bits)).unwrap();
            assert_refused(&engine, &dir, why);
        }
    }

    #[test]
    fn an_artifact_others_could_have_written_is_not_loaded() {
        let engine = Engine::default();
        for (bits, why) in [(0o620, "is group-writable"), (0o666, "is world-writable")] {
            let scratch = Scratch::new();
            let (dir, path) = scratch.planted(&engine);
            fs::set_permissions(&path, fs::Permissions::from_mode(bits)).unwrap();
            assert_refused(&engine, &dir, why);
        }
        // Another owner: only root can hand a file over.
        let scratch = Scratch::new();
        let (dir, path) = scratch.planted(&engine);
        if std::os::unix::fs::lchown(&path, Some(65534), None).is_ok() {
            assert_refused(&engine, &dir, "is owned by uid 65534");
        }
    }

    #[test]
    fn a_symlinked_cache_dir_is_refused() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let (real, _) = scratch.planted(&engine);
        let link = scratch.0.join("link");
        symlink(&real, &link).unwrap();
        assert_refused(&engine, &link, "is a symbolic link");
    }

    #[test]
    fn a_symlink_at_the_artifact_path_is_refused() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let (dir, path) = scratch.planted(&engine);
        let elsewhere = scratch.0.join("elsewhere.cwasm");
        fs::rename(&path, &elsewhere).unwrap();
        symlink(&elsewhere, &path).unwrap();
        assert_refused(&engine, &dir, "is a symbolic link");
    }

    #[test]
    fn a_fifo_at_the_artifact_path_does_not_block() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let (dir, path) = scratch.planted(&engine);
        fs::remove_file(&path).unwrap();
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let (e, d) = (engine.clone(), dir.clone());
        std::thread::spawn(move || tx.send(load(&e, &d)).unwrap());
        let (loaded, why) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("loading blocked on the FIFO");
        assert!(!loaded);
        assert!(why.is_some_and(|w| w.contains("is not a regular file")));
        assert_eq!(names(&dir), [key(&engine, EMPTY)]);
    }

    #[test]
    fn a_directory_at_the_artifact_path_leaves_no_temporary_file() {
        let engine = Engine::default();
        let scratch = Scratch::new();
        let (dir, path) = scratch.planted(&engine);
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert_refused(&engine, &dir, "is not a regular file");
        assert_eq!(names(&dir), [key(&engine, EMPTY)]);
    }
}
