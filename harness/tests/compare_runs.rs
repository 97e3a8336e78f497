//! `whiteout compare` on real runs: a run against itself, against a run on a
//! slower topology, and against a corrupt file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{temp_dir, whiteout};

/// Runs a 6-validator uniform topology with `latency_ms` one-way latency.
fn run(dir: &Path, latency_ms: f64) -> PathBuf {
    let scenario = dir.join(format!("uniform-{latency_ms}.toml"));
    std::fs::write(
        &scenario,
        format!(
            "name = \"compare\"\nduration = \"20s\"\n[topology]\nkind = \"uniform\"\nvalidators = 6\nlatency_ms = {latency_ms}\n[load]\ntx_per_s = 200.0\n"
        ),
    )
    .unwrap();
    let out = dir.join(format!("run-{latency_ms}"));
    let status = whiteout()
        .arg("run")
        .arg(&scenario)
        .args(["--quiet", "--seed", "5", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

fn compare(args: &[&std::ffi::OsStr]) -> Output {
    whiteout().arg("compare").args(args).output().unwrap()
}

#[test]
fn compare_real_runs() {
    let dir = temp_dir("compare-runs");
    let fast = run(&dir, 10.0);
    let slow = run(&dir, 60.0);
    let p99 = std::ffi::OsStr::new("--threshold");
    let rule = std::ffi::OsStr::new("finalization_latency_ms.p99=+10%");

    // A run against itself: nothing changes, exit 0.
    let same = compare(&[fast.as_os_str(), fast.as_os_str(), p99, rule]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );

    // Against the slower topology: refused as a different scenario without
    // --force (exit 2, the difference named) ...
    let refused = compare(&[fast.as_os_str(), slow.as_os_str(), p99, rule]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("topology"));
    // ... and with --force the latency threshold is broken (exit 1, named).
    let force = std::ffi::OsStr::new("--force");
    let broken = compare(&[fast.as_os_str(), slow.as_os_str(), p99, rule, force]);
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("finalization_latency_ms.p99"), "{stdout}");

    // A corrupt report: exit 2 with the file named.
    let corrupt = dir.join("corrupt.json");
    std::fs::write(&corrupt, "{\"schema_version\": 1, \"summary\": ").unwrap();
    let bad = compare(&[fast.as_os_str(), corrupt.as_os_str()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("corrupt.json"));
}
