//! `whiteout compare` end to end: exit codes 0 / 1 / 2 and what the output
//! names.

mod common;

use std::path::{Path, PathBuf};

use common::whiteout_output as whiteout;
use whiteout_results::testdata::sample_report;
use whiteout_results::Report;

fn scratch(name: &str) -> common::ScratchDir {
    common::temp_dir(&format!("compare-{name}"))
}

/// Writes `report` as `dir/<name>/report.json` and returns the run directory.
fn run_dir(dir: &Path, name: &str, report: &Report) -> PathBuf {
    let run = dir.join(name);
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("report.json"), report.to_json()).unwrap();
    run
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Baseline and a candidate whose p99 finalization latency is 20% higher
/// and throughput 3% lower.
fn pair(name: &str) -> (common::ScratchDir, PathBuf, PathBuf) {
    let dir = scratch(name);
    let base = run_dir(&dir, "base", &sample_report());
    let mut worse = sample_report();
    worse.summary.finalization_latency_ms.p99 *= 1.2;
    worse.summary.throughput_tps *= 0.97;
    let cand = run_dir(&dir, "cand", &worse);
    (dir, base, cand)
}

#[test]
fn compare_exit_codes_follow_thresholds() {
    let (dir, base, cand) = pair("codes");
    // No thresholds: a table, exit 0.
    let (code, out, _) = whiteout(&["compare", p(&base), p(&cand)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("| `finalization_latency_ms.p99` | 416.7 | 500.04 | +20.0% |"),
        "{out}"
    );
    // A broken threshold: exit 1, named on stdout and stderr.
    let (code, out, err) = whiteout(&[
        "compare",
        p(&base),
        p(&cand),
        "--threshold",
        "finalization_latency_ms.p99=+10%",
        "--threshold",
        "throughput_tps=-5%",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("❌ 1 threshold broken"), "{out}");
    assert!(out.contains("❌ **BROKEN**"), "{out}");
    assert!(
        err.contains("threshold broken: finalization_latency_ms.p99"),
        "{err}"
    );
    // A thresholds file, overridden on the command line for one figure.
    let file = dir.join("thresholds.toml");
    std::fs::write(
        &file,
        "\"finalization_latency_ms.p99\" = \"+10%\"\nthroughput_tps = \"-2%\"\n",
    )
    .unwrap();
    let (code, out, _) = whiteout(&["compare", p(&base), p(&cand), "--thresholds", p(&file)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("❌ 2 thresholds broken"), "{out}");
    let (code, out, _) = whiteout(&[
        "compare",
        p(&base),
        p(&cand),
        "--thresholds",
        p(&file),
        "--threshold",
        "finalization_latency_ms.p99=+25%",
        "--threshold=throughput_tps=-5%",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["broken"], serde_json::json!([]));
    // report.json paths work as well as run directories.
    let (code, _, _) = whiteout(&["compare", p(&base.join("report.json")), p(&base)]);
    assert_eq!(code, 0);
}

/// `whiteout compare a b | head -1`: once the reader has quit, the exit
/// code still tells whether a threshold broke (it used to panic: 101).
#[test]
fn compare_keeps_its_exit_code_when_the_reader_is_gone() {
    let (_dir, base, cand) = pair("reader-gone");
    let (code, err) = common::whiteout_reader_gone(&["compare", p(&base), p(&cand)]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, err) = common::whiteout_reader_gone(&[
        "compare",
        p(&base),
        p(&cand),
        "--threshold",
        "throughput_tps=-1%",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("threshold broken: throughput_tps"), "{err}");
}

#[test]
fn compare_bad_input_exits_2_naming_the_culprit() {
    let (dir, base, cand) = pair("bad");
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--threshold".into(), "p99=+10%".into()],
            "--threshold: unknown figure `p99`".into(),
        ),
        (
            vec!["--threshold".into(), "throughput_tps=5%".into()],
            "--threshold: `throughput_tps`: threshold \"5%\"".into(),
        ),
        (
            vec!["--thresholds".into(), p(&dir.join("nope.toml")).into()],
            format!("{}", dir.join("nope.toml").display()),
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["compare".to_string(), p(&base).into(), p(&cand).into()];
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = whiteout(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(&expected),
            "{args:?}: {err}"
        );
    }
    // Corrupt and missing reports are named.
    let corrupt = dir.join("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(
        corrupt.join("report.json"),
        "{\"schema_version\": 1, \"complete\": tru",
    )
    .unwrap();
    let (code, _, err) = whiteout(&["compare", p(&base), p(&corrupt)]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "{}: not a valid whiteout report",
            corrupt.join("report.json").display()
        )),
        "{err}"
    );
    let missing = dir.join("missing");
    let (code, _, err) = whiteout(&["compare", p(&missing), p(&base)]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&missing.join("report.json").display().to_string()),
        "{err}"
    );
}

#[test]
fn compare_refuses_different_scenarios_unless_forced() {
    let dir = scratch("scenario");
    let base = run_dir(&dir, "base", &sample_report());
    let mut other = sample_report();
    other.scenario.name = "other".into();
    other.scenario.duration_s = 30.0;
    other.scenario.seed = 7;
    let cand = run_dir(&dir, "cand", &other);
    let (code, _, err) = whiteout(&["compare", p(&base), p(&cand)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("scenario.name: `sample-partition` vs `other`"),
        "{err}"
    );
    assert!(err.contains("scenario.duration_s: `60` vs `30`"), "{err}");
    assert!(err.contains("--force"), "{err}");
    let (code, out, _) = whiteout(&["compare", p(&base), p(&cand), "--force"]);
    assert_eq!(code, 0);
    assert!(out.contains("although the scenarios differ"), "{out}");
}
