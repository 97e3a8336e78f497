//! End-to-end runs of the `sim` backend through the library API.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use whiteout::runner::{self, RunOptions};
use whiteout::scenario::{self, LoadedScenario};
use whiteout_results::Report;

fn scenario(text: &str) -> LoadedScenario {
    LoadedScenario {
        scenario: scenario::parse(text, "test.toml").expect("valid scenario"),
        path: None,
    }
}

fn run(loaded: &LoadedScenario, seed: u64, duration: Duration) -> Report {
    run_with(loaded, seed, duration, true)
}

fn run_with(loaded: &LoadedScenario, seed: u64, duration: Duration, shortcuts: bool) -> Report {
    run_threads(loaded, seed, duration, shortcuts, None)
}

fn run_threads(
    loaded: &LoadedScenario,
    seed: u64,
    duration: Duration,
    shortcuts: bool,
    threads: Option<u32>,
) -> Report {
    let options = RunOptions {
        seed: Some(seed),
        duration: Some(duration),
        flush_every: Duration::from_secs(3600),
        shortcuts,
        threads,
        ..RunOptions::default()
    };
    runner::run(loaded, &options, &AtomicBool::new(false))
        .expect("run succeeds")
        .report
}

/// Every proposed slot is finalized by every validator, bar the last leader
/// window still in flight when the run ends.
fn assert_every_slot_finalizes(report: &Report) {
    let s = &report.summary;
    assert_eq!(s.safety_violations, 0);
    assert_eq!(s.slots.skipped, 0, "{:?}", s.slots);
    assert!(s.slots.unfinished <= 4, "{:?}", s.slots);
    assert!(s.slots.proposed > 10, "{:?}", s.slots);
    assert!(
        s.slots.finalized + s.slots.unfinished >= s.slots.proposed,
        "{:?}",
        s.slots
    );
    let most = report
        .validators
        .iter()
        .map(|v| v.slots_finalized)
        .max()
        .unwrap();
    for v in &report.validators {
        assert!(
            v.slots_finalized + 4 >= most,
            "validator {} finalized {} of {most}",
            v.index,
            v.slots_finalized
        );
    }
    assert!(
        s.fast_path_ratio > 0.95,
        "fast_path_ratio {}",
        s.fast_path_ratio
    );
    assert!(s.transactions.finalized > 0);
}

#[test]
fn four_validators_finalize_every_slot() {
    let loaded = scenario(
        "name = \"four\"\n[topology]\nkind = \"uniform\"\nvalidators = 4\nlatency_ms = 20.0\n[load]\ntx_per_s = 200.0\n",
    );
    let report = run(&loaded, 7, Duration::from_secs(30));
    assert_every_slot_finalizes(&report);
    // One leader window takes 4 x 400 ms plus one notarization (2 x 20 ms
    // for Rotor and 20 ms for votes, plus jitter): about 2.5 slots per
    // second.
    let rate = report.summary.slots.proposed as f64 / 30.0;
    assert!((2.2..2.5).contains(&rate), "slots per second {rate}");
    // With equal latency everywhere, every validator sees 80% as soon as
    // 60%: the fast path always comes first.
    assert!(report.summary.fast_path_first_ratio > 0.9);
}

#[test]
fn hundred_mainnet_validators_finalize_every_slot() {
    let loaded = scenario::load(None).expect("embedded default");
    let report = run(&loaded, 1, Duration::from_secs(15));
    assert_eq!(report.scenario.validators, 100);
    assert_every_slot_finalizes(&report);
    let p = &report.summary.finalization_latency_ms;
    assert!(p.p50 > 5.0 && p.p50 < 400.0, "{p:?}");
}

fn without_resources(report: &Report) -> String {
    let mut r = report.clone();
    r.resources = Default::default();
    r.to_json()
}

#[test]
fn same_seed_same_report_other_seed_other_report() {
    let loaded = scenario(
        "[topology]\nkind = \"uniform\"\nvalidators = 12\nlatency_ms = 30.0\n[network]\njitter_ms = 5.0\nloss_rate = 0.01\n[load]\ntx_per_s = 500.0\n",
    );
    let a = run(&loaded, 42, Duration::from_secs(20));
    let b = run(&loaded, 42, Duration::from_secs(20));
    let c = run(&loaded, 43, Duration::from_secs(20));
    assert_eq!(without_resources(&a), without_resources(&b));
    assert_ne!(without_resources(&a), without_resources(&c));
}

/// The link worker (a second thread computing the links of a fault-free
/// run's votes and certificates) changes when they are computed, not what
/// they are: one thread and two give the same report, with the shortcuts
/// on and off.
#[test]
fn link_worker_changes_nothing() {
    let default = scenario::load(None).expect("embedded default");
    for (shortcuts, duration) in [(true, 20), (false, 8)] {
        let duration = Duration::from_secs(duration);
        let one = run_threads(&default, 4, duration, shortcuts, Some(1));
        let two = run_threads(&default, 4, duration, shortcuts, Some(2));
        assert_eq!(one.resources.threads, 1);
        assert_eq!(two.resources.threads, 2);
        assert_eq!(
            without_resources(&one),
            without_resources(&two),
            "the link worker changed the report (shortcuts {shortcuts})"
        );
    }
}

/// The simulator's delivery shortcuts (earliest certificate copy, moot
/// votes, shred inboxes, quiet votes) are exact: delivering every message
/// as its own event gives the same report, with and without faults (a
/// Byzantine leader, lossy links, a crash and restart).
#[test]
fn shortcuts_change_nothing() {
    let default = scenario::load(None).expect("embedded default");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cases = [
        (default, Duration::from_secs(20)),
        (
            scenario::load(Some(&root.join("scenarios/equivocating-leader.toml"))).expect("preset"),
            Duration::from_secs(30),
        ),
        (
            scenario::load(Some(&root.join("scenarios/lossy-region.toml"))).expect("preset"),
            Duration::from_secs(20),
        ),
        // A crash drops the validator's inboxes mid-slice; a restart
        // starts it afresh.
        (
            scenario::load(Some(&root.join("scenarios/crashed-leader-window.toml")))
                .expect("preset"),
            Duration::from_secs(45),
        ),
        // Repair answers (section 2.8) bypass the shred inboxes.
        (
            scenario::load(Some(&root.join("harness/tests/data/lossy-repair.toml")))
                .expect("test scenario"),
            Duration::from_secs(60),
        ),
        // Validators far behind others (slow links): the others prune
        // slots they still keep.
        (
            scenario::load(Some(&root.join("harness/tests/data/slow-links.toml")))
                .expect("test scenario"),
            Duration::from_secs(90),
        ),
    ];
    for (loaded, duration) in &cases {
        let fast = run_with(loaded, 3, *duration, true);
        let plain = run_with(loaded, 3, *duration, false);
        assert_eq!(
            without_resources(&fast),
            without_resources(&plain),
            "{}: shortcuts changed the report",
            loaded.scenario.name
        );
    }
}

/// A validator far behind the others (behind a link of 1 bit/s) must not
/// make the simulator keep shortcut state for every slot: it stays flat
/// while the run goes on.
#[test]
fn a_validator_far_behind_holds_no_shortcut_state_back() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let loaded = scenario::load(Some(&root.join("harness/tests/data/slow-links.toml")))
        .expect("test scenario");
    let s = &loaded.scenario;
    let duration = Duration::from_secs(240);
    let topology = whiteout_topologies::build(&s.topology, &loaded.base_dir()).expect("topology");
    let mut session =
        runner::Session::sim(&loaded, &topology, s.seed, duration, &RunOptions::default())
            .expect("session");
    let mut state_at = |s: u64| {
        whiteout::backend::drive(
            &mut session.backend,
            session.conductor.as_mut(),
            s * whiteout::limits::NS_PER_S,
        );
        let (slices, certificates, blocks) = session.backend.shortcut_state_len();
        slices + certificates + blocks
    };
    let state_2m = state_at(120);
    let state_4m = state_at(240);
    // Two minutes more is about 300 slots more, 1,200 slices.
    assert!(
        state_4m <= state_2m + 200,
        "shortcut state grew from {state_2m} to {state_4m} entries"
    );
}
