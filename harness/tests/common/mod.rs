//! Helpers shared by the end-to-end tests: the `whiteout` binary and
//! scratch directories. Each test file uses only some of them.
#![allow(dead_code)]

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

/// An empty scratch directory `whiteout-<name>-<pid>` under the system's
/// temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("whiteout-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A path in the repository, from its root.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}
