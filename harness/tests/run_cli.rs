//! `whiteout run` as a user runs it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{scenario_file, temp_dir, whiteout};

#[test]
fn invalid_scenario_names_file_and_field() {
    let (dir, file) = scenario_file("bad", "name = \"bad\"\n[load]\ntx_per_s = -5.0\n");
    let out = whiteout()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml"), "{stderr}");
    assert!(stderr.contains("load.tx_per_s"), "{stderr}");
    assert!(stderr.contains("expected"), "{stderr}");
    assert!(!dir.join("out").join("report.json").exists());
}

/// A file that cannot be read, the scenario or the CSV it names: the error
/// names it and gives the system's reason once.
#[test]
fn unreadable_files_are_named_with_their_reason_once() {
    let (dir, file) = scenario_file(
        "csv",
        "name = \"csv\"\n[topology]\nkind = \"csv\"\ncsv = \"nope.csv\"\n",
    );
    for (scenario, named) in [
        (dir.join("nope.toml"), "nope.toml: cannot read: "),
        (file, "field `topology.csv`: cannot read "),
    ] {
        let out = whiteout().arg("run").arg(&scenario).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{stderr}");
        assert_eq!(stderr.matches("(os error 2)").count(), 1, "{stderr}");
    }
}

#[test]
fn unknown_field_in_scenario_is_rejected() {
    let (_dir, file) = scenario_file("typo", "[protocol]\ndelta_blok = \"400ms\"\n");
    let out = whiteout().arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("typo.toml") && stderr.contains("protocol.delta_blok"),
        "{stderr}"
    );
}

#[test]
fn a_small_run_writes_report_html_and_charts() {
    let (dir, file) = scenario_file("small", "name = \"small\"\nduration = \"10s\"\n[topology]\nkind = \"uniform\"\nvalidators = 6\n[load]\ntx_per_s = 100.0\n");
    let out_dir = dir.join("out");
    let out = whiteout()
        .arg("run")
        .arg(&file)
        .args(["--seed", "3", "--quiet", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("finalization latency ms"), "{stdout}");
    for f in [
        "report.json",
        "report.html",
        "latency.svg",
        "latency.png",
        "throughput.png",
    ] {
        assert!(Path::new(&out_dir).join(f).exists(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["complete"], true);
    assert_eq!(report["scenario"]["seed"], 3);
    assert!(report["scenario"]["reproduce"]
        .as_str()
        .unwrap()
        .contains("--seed 3"));
}

/// `whiteout run … | head -3`: once the reader has quit, the run still
/// writes its report and exits 0 (printing the summary used to panic: 101).
#[test]
fn a_run_whose_reader_is_gone_still_writes_its_report() {
    let (dir, file) = scenario_file(
        "small",
        "name = \"small\"\nduration = \"5s\"\n[topology]\nkind = \"uniform\"\nvalidators = 4\n",
    );
    let out_dir = dir.join("out");
    let (code, err) = common::whiteout_reader_gone(&[
        "run",
        file.to_str().unwrap(),
        "--quiet",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out_dir.join("report.json").exists());
}

/// Values at the edge of what a scenario accepts run to the end. A 1 bit/s
/// uplink and a client rate of one transaction in four months queue events
/// beyond 52 simulated days: that used to panic (exit 101).
#[test]
fn extreme_valid_values_run_to_the_end() {
    let (dir, file) = scenario_file(
        "extreme",
        "name = \"extreme\"\nduration = \"5s\"\n[topology]\nkind = \"uniform\"\nvalidators = 4\n\
         latency_ms = 3600000.0\n[network]\nuplink_bandwidth_bps = 1\njitter_ms = 3600000.0\n\
         [load]\ntx_per_s = 0.0000001\n[[fault]]\nkind = \"link\"\nat = \"1s\"\nvalidator = 0\n\
         bandwidth_bps = 1\n",
    );
    let out_dir = dir.join("out");
    let out = whiteout()
        .args(["run", file.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(out_dir.join("report.json").exists());
}

#[test]
fn sigint_leaves_a_valid_report_marked_incomplete() {
    interrupted_run_leaves_a_valid_report("INT");
}

/// SIGTERM (`timeout`, `kill`, a cancelled CI job) stops a run as Ctrl-C
/// does; it used to kill it with only the last per-minute report written.
#[test]
fn sigterm_leaves_a_valid_report_marked_incomplete() {
    interrupted_run_leaves_a_valid_report("TERM");
}

fn interrupted_run_leaves_a_valid_report(signal: &str) {
    let dir = temp_dir(&format!("sig{signal}"));
    let out_dir = dir.join("out");
    let mut child = whiteout()
        .args(["run", "--duration", "24h", "--quiet", "--out"])
        .arg(&out_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) for the first periodic flush, one simulated minute in
    // (the report written before the run has simulated nothing).
    let report = out_dir.join("report.json");
    let flushed = || {
        std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| whiteout_results::Report::from_json(&t, "report.json").ok())
            .is_some_and(|r| r.scenario.simulated_s >= 60.0)
    };
    let mut polls = 0;
    while !flushed() {
        polls += 1;
        assert!(polls < 6_000, "no periodic report.json after 10 minutes");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("whiteout exited early: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let killed = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&report).unwrap();
    let parsed = whiteout_results::Report::from_json(&text, "report.json").expect("valid report");
    assert!(!parsed.complete);
    assert!(parsed.scenario.simulated_s >= 60.0);
    assert!(parsed.scenario.simulated_s < parsed.scenario.duration_s);
    assert!(!parsed.time_series.is_empty());
    assert!(out_dir.join("report.html").exists());
}

/// `--out` naming a file fails before the run (exit 2). (An unwritable
/// directory fails there too, at the first report; tests run as root here,
/// which can write anywhere, so only the file case is tested.)
#[test]
fn an_unusable_out_directory_fails_before_the_run() {
    let dir = temp_dir("out-file");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = whiteout()
        .args(["run", "--duration", "24h", "--quiet", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--out: expected a directory, got a file"),
        "{err}"
    );
}

/// `bench --repeat 0` ran once and printed a "median" of it.
#[test]
fn bench_refuses_zero_repetitions() {
    let out = whiteout()
        .args(["bench", "--repeat", "0", "--duration", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--repeat"), "{err}");
}
