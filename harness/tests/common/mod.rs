//! Helpers shared by the end-to-end tests: the `whiteout` binary and
//! scratch directories. Each test file uses only some of them.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `whiteout` binary built for these tests.
pub fn whiteout() -> Command {
    Command::new(env!("CARGO_BIN_EXE_whiteout"))
}

/// Runs `whiteout` with `args`: (exit code, stdout, stderr).
pub fn whiteout_output(args: &[&str]) -> (i32, String, String) {
    let out = whiteout().args(args).output().unwrap();
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// An empty scratch directory `whiteout-<name>-<random>` under the system's
/// temporary directory, removed with everything in it when dropped (also
/// when the test fails), so test runs leave nothing behind.
pub fn temp_dir(name: &str) -> ScratchDir {
    ScratchDir(
        tempfile::Builder::new()
            .prefix(&format!("whiteout-{name}-"))
            .tempdir()
            .unwrap(),
    )
}

/// A scratch directory from [`temp_dir`]; derefs to its path.
pub struct ScratchDir(tempfile::TempDir);

impl Deref for ScratchDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<OsStr> for ScratchDir {
    fn as_ref(&self) -> &OsStr {
        self.0.path().as_os_str()
    }
}

/// A path in the repository, from its root.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Writes scenario `text` as `<name>.toml` in a fresh scratch directory
/// `whiteout-<name>-<random>` (kept while the returned guard lives);
/// returns the guard and the file's path.
pub fn scenario_file(name: &str, text: &str) -> (ScratchDir, PathBuf) {
    let dir = temp_dir(name);
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// Runs `whiteout` with `args` and its standard output on a pipe whose
/// reader is already gone (as in `whiteout … | head -1` once `head` has
/// quit): every write to it fails with a broken pipe. Returns (exit code,
/// stderr).
pub fn whiteout_reader_gone(args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = whiteout()
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stderr).unwrap(),
    )
}
