//! Chaos runs with fixed seeds: what must hold under faults, and that the
//! safety checker does fail when the protocol runs outside its assumptions.

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use common::{repo, scenario_file, temp_dir, whiteout};
use whiteout::runner::{run, RunOptions};
use whiteout::scenario;
use whiteout_results::Report;

fn run_file(path: &Path) -> Report {
    let loaded = scenario::load(Some(path)).unwrap();
    run(&loaded, &RunOptions::default(), &AtomicBool::new(false))
        .unwrap()
        .report
}

fn run_text(name: &str, text: &str) -> Report {
    let (_dir, file) = scenario_file(&format!("chaos-{name}"), text);
    run_file(&file)
}

/// Fast-path ratio of the blocks proposed in `[from_s, to_s)`.
fn fast_path(report: &Report, from_s: f64, to_s: f64) -> f64 {
    let ratios: Vec<f64> = report
        .time_series
        .iter()
        .filter(|b| b.t_s >= from_s && b.t_s < to_s)
        .filter_map(|b| b.fast_path_ratio)
        .collect();
    assert!(
        !ratios.is_empty(),
        "no finalized block in [{from_s}, {to_s})"
    );
    ratios.iter().sum::<f64>() / ratios.len() as f64
}

#[test]
fn twenty_plus_twenty_stays_safe_and_finalizes_after_the_faults() {
    let r = run_file(&repo("scenarios/twenty-plus-twenty.toml"));
    let v = r.verdicts.as_ref().expect("verdicts");
    assert_eq!(r.summary.safety_violations, 0);
    assert!(v.safe && v.liveness_ok, "{v:?}");
    assert_eq!(r.faults.len(), 2);
    // 60% of the stake votes for each block: the slow path only, then the
    // fast path once the faults end at 80 s.
    assert!(
        fast_path(&r, 25.0, 75.0) < 0.1,
        "{}",
        fast_path(&r, 25.0, 75.0)
    );
    assert!(
        fast_path(&r, 85.0, 120.0) > 0.9,
        "{}",
        fast_path(&r, 85.0, 120.0)
    );
    // Finalization goes on after the faults end at 80 s.
    let after: u64 = r
        .time_series
        .iter()
        .filter(|b| b.t_s >= 85.0)
        .map(|b| b.finalizations)
        .sum();
    assert!(after > 100, "{after}");
    // Every crashed validator caught up after its restart.
    assert_eq!(v.restarts.len(), 4);
    for rs in &v.restarts {
        assert!(rs.catch_up_s.is_some_and(|c| c < 5.0), "{rs:?}");
    }
}

#[test]
fn partition_50_50_stops_finalization_and_it_resumes_after_heal() {
    let r = run_file(&repo("scenarios/partition-50-50-heals.toml"));
    let v = r.verdicts.as_ref().expect("verdicts");
    assert_eq!(r.summary.safety_violations, 0);
    let split = &v.faults[0];
    assert_eq!(split.name, "split");
    assert_eq!(split.during.finalizations, 0, "{split:?}");
    assert!(split.before.as_ref().unwrap().finalizations > 0);
    // Healing resumes finalization within the standstill re-broadcast
    // (10 s) plus a few slots.
    let recovery = split.recovery_s.expect("recovered");
    assert!(recovery < 12.0, "{recovery}");
    assert!(v.longest_stall_s >= 30.0 && v.liveness_ok, "{v:?}");
}

#[test]
fn fast_path_disappears_with_a_quarter_of_the_stake_crashed_and_returns() {
    let r = run_text(
        "fast-path",
        r#"
name = "fast-path-crash"
duration = "70s"
[topology]
kind = "uniform"
validators = 20
latency_ms = 30.0
[load]
tx_per_s = 100.0
[[fault]]
kind = "crash"
name = "quarter"
at = "20s"
duration = "25s"
validators = [2, 5, 8, 11, 14]
"#,
    );
    assert_eq!(r.summary.safety_violations, 0);
    assert!(fast_path(&r, 5.0, 19.0) > 0.95);
    let during = fast_path(&r, 21.0, 44.0);
    assert!(during < 0.01, "{during}");
    assert!(fast_path(&r, 50.0, 69.0) > 0.95);
    let v = r.verdicts.unwrap();
    assert!(v.faults[0].during.fast_path_ratio.unwrap() < 0.05);
    assert!(v.restarts.iter().all(|x| x.catch_up_s.is_some()));
}

#[test]
fn equivocating_leader_below_the_byzantine_bound_breaks_no_safety() {
    let r = run_file(&repo("scenarios/equivocating-leader.toml"));
    assert_eq!(r.summary.safety_violations, 0);
    assert!(r.safety_evidence.is_empty());
    let v = r.verdicts.unwrap();
    assert!(v.safe && v.liveness_ok, "{v:?}");
}

#[test]
fn the_checker_fails_outside_the_assumptions() {
    let r = run_file(&repo("harness/tests/data/beyond-assumptions.toml"));
    assert!(r.summary.safety_violations > 0);
    let e = &r.safety_evidence[0];
    assert_eq!(e.kind, "conflicting_finalization");
    assert!(e.blocks.len() >= 2);
    assert!(e.blocks.iter().all(|b| !b.validators.is_empty()));
    assert!(!r.verdicts.unwrap().safe);
}

#[test]
fn run_exits_1_with_the_reproduce_command_when_safety_breaks() {
    let dir = temp_dir("chaos-cli");
    let file = repo("harness/tests/data/beyond-assumptions.toml");
    let out = whiteout()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--seed", "1", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SAFETY VIOLATED"), "{stderr}");
    assert!(
        stderr.contains("Reproduce with: whiteout run") && stderr.contains("--seed 1"),
        "{stderr}"
    );
    assert!(dir.join("report.json").exists());
}

#[test]
fn broken_max_stall_exits_1_and_bad_faults_exit_2() {
    let dir = temp_dir("chaos-stall");
    let file = dir.join("stall.toml");
    std::fs::write(
        &file,
        "duration = \"40s\"\n[topology]\nkind = \"uniform\"\nvalidators = 10\n[load]\ntx_per_s = 50.0\n\
         [[fault]]\nkind = \"partition\"\nat = \"10s\"\nduration = \"20s\"\nstake_groups = [0.5, 0.5]\n\
         [expect]\nmax_stall = \"5s\"\n",
    )
    .unwrap();
    let out = whiteout()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LIVENESS VIOLATED"), "{stderr}");
    assert!(stderr.contains("Reproduce with: whiteout run"), "{stderr}");

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[topology]\nkind = \"uniform\"\nvalidators = 4\n[[fault]]\nkind = \"crash\"\nat = \"1s\"\nvalidator = 9\n",
    )
    .unwrap();
    let out = whiteout()
        .arg("run")
        .arg(&bad)
        .args(["--quiet", "--out"])
        .arg(dir.join("bad-out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml"), "{stderr}");
}

#[test]
fn chaos_runs_are_deterministic() {
    let strip = |mut r: Report| {
        r.resources = Default::default();
        r.to_json()
    };
    let text = r#"
name = "det"
duration = "40s"
[topology]
kind = "uniform"
validators = 12
latency_ms = 20.0
[load]
tx_per_s = 100.0
[[fault]]
kind = "random"
at = "5s"
duration = "30s"
rate_per_hour = { crash = 400.0, partition = 200.0, link = 200.0, clock = 200.0 }
duration_min = "2s"
duration_max = "6s"
max_stake = 0.2
"#;
    // One file run twice: the report names its path (`reproduce`).
    let (_dir, file) = scenario_file("chaos-det", text);
    let a = strip(run_file(&file));
    let b = strip(run_file(&file));
    assert_eq!(a, b);
}

/// A fault whose start never comes is named in the report, not dropped
/// silently.
#[test]
fn faults_that_never_start_are_reported() {
    let r = run_text(
        "not-started",
        "name = \"not-started\"\nduration = \"20s\"\n[topology]\nkind = \"uniform\"\n\
         validators = 8\n[[fault]]\nname = \"late\"\nkind = \"crash\"\nvalidator = 1\n\
         at = \"10days\"\n[[fault]]\nname = \"on-time\"\nkind = \"crash\"\nvalidator = 2\n\
         at = \"5s\"\nduration = \"2s\"\n",
    );
    let names: Vec<&str> = r.faults.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["on-time"]);
    assert_eq!(r.faults_not_started.len(), 1);
    let late = &r.faults_not_started[0];
    assert_eq!((late.name.as_str(), late.kind.as_str()), ("late", "crash"));
    assert_eq!(late.start, "at 10days");
}
