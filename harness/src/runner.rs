//! One run, from scenario to report: builds the topology and the
//! simulation, drives it with a progress bar, stops early on request
//! (Ctrl-C) and writes `report.json` periodically and at the end, so that an
//! interrupted run still leaves what it measured.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use whiteout_node::{LeaderSchedule, ValidatorIndex, ValidatorSet};
use whiteout_results::{Report, Resources, ScenarioInfo, ValidatorFigures, SCHEMA_VERSION};
use whiteout_topologies::Topology;

use crate::backend::{drive, Backend};
use crate::limits::NS_PER_S;
use crate::observe::{metrics, Conductor, Observers, VerdictTracker};
use crate::scenario::LoadedScenario;
use crate::sim::{SimParams, Simulation};

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seed override (else the scenario's).
    pub seed: Option<u64>,
    /// Duration override (else the scenario's).
    pub duration: Option<Duration>,
    /// Where to write the report; `None`: write nothing.
    pub out_dir: Option<PathBuf>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Write `report.json` (marked incomplete) every this much simulated
    /// time.
    pub flush_every: Duration,
    /// Use the simulator's exact delivery shortcuts (see [`crate::sim`]).
    /// `false` delivers every message as its own event: much slower, and
    /// the report must be the same, which is how the shortcuts are checked.
    pub shortcuts: bool,
    /// Threads of the `sim` backend: 1, or 2 to compute the links of a
    /// fault-free run's votes and certificates on a second thread (runs
    /// with faults use one). `None`: 2 when the machine has 2 CPUs or
    /// more. The report is the same either way.
    pub threads: Option<u32>,
}

impl Default for RunOptions {
    /// The scenario's seed and duration, no report written, no progress
    /// bar, a flush (memory sample) every simulated minute, shortcuts on.
    fn default() -> Self {
        Self {
            seed: None,
            duration: None,
            out_dir: None,
            progress: false,
            flush_every: Duration::from_secs(60),
            shortcuts: true,
            threads: None,
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The report.
    pub report: Report,
    /// Where it was written, if it was.
    pub report_path: Option<PathBuf>,
    /// Whether the run was stopped before its duration.
    pub interrupted: bool,
}

/// Peak resident memory of this process seen so far, in bytes (sysinfo,
/// sampled).
#[derive(Debug)]
struct MemoryProbe {
    system: sysinfo::System,
    pid: sysinfo::Pid,
    peak_bytes: u64,
}

impl MemoryProbe {
    fn new() -> Self {
        let pid = sysinfo::get_current_pid().unwrap_or(sysinfo::Pid::from(0));
        let mut probe = Self {
            system: sysinfo::System::new(),
            pid,
            peak_bytes: 0,
        };
        probe.sample();
        probe
    }

    fn sample(&mut self) -> u64 {
        self.system.refresh_processes_specifics(
            sysinfo::ProcessesToUpdate::Some(&[self.pid]),
            true,
            sysinfo::ProcessRefreshKind::nothing().with_memory(),
        );
        if let Some(p) = self.system.process(self.pid) {
            self.peak_bytes = self.peak_bytes.max(p.memory());
        }
        self.peak_bytes
    }
}

/// A backend ready to run, with the chaos conductor of its faults.
#[derive(Debug)]
pub struct Session<B> {
    /// The backend, holding the observation stream's consumers.
    pub backend: B,
    /// The conductor of the scenario's faults (`None` without faults).
    pub conductor: Option<Conductor>,
}

impl Session<Simulation> {
    /// The `sim` backend for `loaded` on `topology` with `seed`, running
    /// for `duration`, set up as `options` say (shortcuts, threads).
    ///
    /// # Errors
    /// A fault that cannot be resolved (naming the file and the fault).
    pub fn sim(
        loaded: &LoadedScenario,
        topology: &Topology,
        seed: u64,
        duration: Duration,
        options: &RunOptions,
    ) -> anyhow::Result<Self> {
        let scenario = &loaded.scenario;
        let stakes: Vec<u64> = topology
            .validators
            .iter()
            .map(|v| v.stake_lamports)
            .collect();
        let node = scenario.protocol.node_config();
        let schedule = Arc::new(LeaderSchedule::new(
            crate::seeds::leader_schedule(seed),
            node.slots_per_window,
            Arc::new(ValidatorSet::new(stakes.clone())),
        ));
        let timeline = if scenario.has_chaos() {
            let plan = scenario
                .plan()
                .map_err(|e| crate::scenario::fault_error(&loaded.source_name(), e))?;
            let infos = whiteout_chaos::ValidatorInfo::from_topology(topology);
            let timeline = whiteout_chaos::Timeline::new(&plan, seed, duration, &infos)
                .map_err(|e| crate::scenario::fault_error(&loaded.source_name(), e))?;
            Some((timeline, plan.expect))
        } else {
            None
        };
        let latency_ns = topology.latency_matrix_ns();
        let link_ns_max = latency_ns.iter().copied().max().unwrap_or(0)
            + crate::sim::jitter_ns(&scenario.network);
        let clock_lag = timeline
            .as_ref()
            .map_or((1.0, 0), |(t, _)| t.clock_lag_bounds());
        let tracker = timeline.as_ref().map(|(t, expect)| {
            VerdictTracker::new(t.faults.clone(), expect.clone(), stakes.clone())
        });
        let observers = Observers::new(
            stakes,
            metrics::tx_timeout_ns(node.tx_expiry, link_ns_max, clock_lag),
            tracker,
        );
        let mut sim = Simulation::new(
            SimParams {
                network: &scenario.network,
                load: &scenario.load,
                node,
                latency_ns,
                schedule: schedule.clone(),
                seed,
                duration,
                faults: timeline.is_some(),
            },
            observers,
        );
        sim.set_shortcuts(options.shortcuts);
        if let Some(threads) = options.threads {
            sim.set_link_worker(threads >= 2);
        }
        Ok(Session {
            backend: sim,
            conductor: timeline.map(|(t, _)| Conductor::new(t, schedule)),
        })
    }
}

/// The command that reproduces a run exactly.
pub fn reproduce_command(loaded: &LoadedScenario, seed: u64, duration: Duration) -> String {
    let mut cmd = String::from("whiteout run");
    if let Some(p) = &loaded.path {
        cmd.push(' ');
        cmd.push_str(&p.display().to_string());
    }
    cmd.push_str(&format!(
        " --seed {seed} --duration {}",
        humantime::format_duration(duration)
    ));
    cmd
}

/// Runs `loaded` to the end or until `stop` is set.
///
/// # Errors
/// A topology that cannot be built (naming the file and field), or a report
/// that cannot be written.
pub fn run(
    loaded: &LoadedScenario,
    options: &RunOptions,
    stop: &AtomicBool,
) -> anyhow::Result<RunOutcome> {
    let scenario = &loaded.scenario;
    let seed = options.seed.unwrap_or(scenario.seed);
    let duration = options.duration.unwrap_or(scenario.duration);
    crate::scenario::check_duration(duration).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
    let topology = whiteout_topologies::build(&scenario.topology, &loaded.base_dir())
        .map_err(|e| crate::scenario::topology_error(&loaded.source_name(), e))?;
    let wall_start = Instant::now();
    let mut memory = MemoryProbe::new();
    let Session {
        backend: mut sim,
        mut conductor,
    } = Session::sim(loaded, &topology, seed, duration, options)?;
    let info = ScenarioInfo {
        name: scenario.name.clone(),
        seed,
        validators: topology.validators.len() as u32,
        stake_lamports_total: topology.total_stake_lamports(),
        duration_s: duration.as_secs_f64(),
        simulated_s: 0.0,
        backend: scenario.backend.to_string(),
        topology: topology.name.clone(),
        load_tx_per_s: scenario.load.tx_per_s,
        reproduce: reproduce_command(loaded, seed, duration),
    };
    if let Some(dir) = &options.out_dir {
        if dir.exists() && !dir.is_dir() {
            anyhow::bail!("{}: --out: expected a directory, got a file", dir.display());
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        // A first report (nothing simulated yet) checks that the directory
        // is writable before the run, not a simulated minute into it.
        let report = build_report(
            &sim,
            conductor.as_ref(),
            &topology,
            &info,
            false,
            wall_start,
            memory.peak_bytes,
        );
        write_report(dir, &report)?;
    }
    let bar = progress_bar(options.progress, duration.as_nanos() as u64);
    let flush_ns = (options.flush_every.as_nanos() as u64).max(NS_PER_S);
    let mut next_flush_ns = flush_ns;
    let mut interrupted = false;
    let end_ns = duration.as_nanos() as u64;
    while sim.now_ns() < end_ns {
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let target = sim.now_ns() + NS_PER_S;
        drive(&mut sim, conductor.as_mut(), target);
        let wall = wall_start.elapsed().as_secs_f64();
        let sim_s = sim.now_ns() as f64 / NS_PER_S as f64;
        bar.set_position(sim.now_ns() / 1_000_000);
        bar.set_message(format!(
            "sim {sim_s:.0}s  wall {wall:.1}s  {:.0}x  finalized slot {}",
            if wall > 0.0 { sim_s / wall } else { 0.0 },
            sim.observers().metrics.highest_finalized()
        ));
        if sim.now_ns() >= next_flush_ns && sim.now_ns() < end_ns {
            next_flush_ns += flush_ns;
            memory.sample();
            if let Some(dir) = &options.out_dir {
                let report = build_report(
                    &sim,
                    conductor.as_ref(),
                    &topology,
                    &info,
                    false,
                    wall_start,
                    memory.peak_bytes,
                );
                write_report(dir, &report)?;
            }
        }
    }
    bar.finish_and_clear();
    tracing_stats(&sim);
    sim.observers_mut().metrics.finish();
    memory.sample();
    let report = build_report(
        &sim,
        conductor.as_ref(),
        &topology,
        &info,
        !interrupted,
        wall_start,
        memory.peak_bytes,
    );
    let report_path = match &options.out_dir {
        Some(dir) => {
            let path = write_report(dir, &report)?;
            whiteout_results::render_run_dir(&report, dir)
                .with_context(|| format!("{}: rendering charts and report.html", dir.display()))?;
            Some(path)
        }
        None => None,
    };
    Ok(RunOutcome {
        report,
        report_path,
        interrupted,
    })
}

fn progress_bar(enabled: bool, end_ns: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(end_ns / 1_000_000), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30.cyan/blue} {percent:>3}% {msg}")
            .expect("static template"),
    );
    bar
}

/// Writes `dir/report.json` atomically (temporary file, then rename).
///
/// # Errors
/// The file cannot be written.
pub fn write_report(dir: &Path, report: &Report) -> anyhow::Result<PathBuf> {
    let path = dir.join("report.json");
    let tmp = dir.join("report.json.tmp");
    std::fs::write(&tmp, report.to_json())
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(path)
}

fn build_report(
    backend: &dyn Backend,
    conductor: Option<&Conductor>,
    topology: &Topology,
    info: &ScenarioInfo,
    complete: bool,
    wall_start: Instant,
    peak_rss_bytes: u64,
) -> Report {
    let simulated_ns = backend.now_ns();
    let obs = backend.observers();
    let snap = obs.snapshot(simulated_ns);
    let total_stake = topology.total_stake_lamports() as f64;
    let validators = topology
        .validators
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let stats = &obs.metrics.validators[i];
            let traffic = &obs.metrics.traffic[i];
            let (finalization, notarization) =
                obs.metrics.validator_percentiles(ValidatorIndex(i as u32));
            ValidatorFigures {
                index: i as u32,
                identity: v.identity.clone(),
                stake_lamports: v.stake_lamports,
                stake_share: v.stake_lamports as f64 / total_stake,
                location: v.location.map(|l| [l.latitude_deg, l.longitude_deg]),
                region: v.region(),
                finalization_latency_ms: finalization,
                notarization_latency_ms: notarization,
                fast_path_ratio: if stats.slots_finalized == 0 {
                    0.0
                } else {
                    stats.slots_fast as f64 / stats.slots_finalized as f64
                },
                slots_finalized: stats.slots_finalized,
                slots_proposed: stats.slots_proposed,
                messages_sent: traffic.messages_sent,
                messages_received: traffic.messages_received,
                bytes_sent: traffic.bytes_sent,
                bytes_received: traffic.bytes_received,
            }
        })
        .collect::<Vec<_>>();
    let wall_s = wall_start.elapsed().as_secs_f64();
    let simulated_s = simulated_ns as f64 / NS_PER_S as f64;
    Report {
        schema_version: SCHEMA_VERSION,
        complete,
        scenario: ScenarioInfo {
            simulated_s,
            ..info.clone()
        },
        summary: snap.summary,
        time_series: snap.time_series,
        validators,
        safety_evidence: snap.safety_evidence,
        faults: obs
            .verdicts
            .as_ref()
            .map_or_else(Vec::new, VerdictTracker::fault_windows),
        faults_not_started: conductor.map_or_else(Vec::new, Conductor::faults_not_started),
        latency_cdf: Some(snap.latency_cdf),
        verdicts: obs.verdicts(simulated_ns),
        resources: Resources {
            wall_s,
            sim_s_per_wall_s: if wall_s > 0.0 {
                simulated_s / wall_s
            } else {
                0.0
            },
            peak_rss_bytes,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            threads: backend.threads(),
        },
    }
}

/// The summary table printed after a run.
pub fn summary_table(report: &Report) -> String {
    let s = &report.summary;
    let p = |name: &str, q: &whiteout_results::Percentiles| {
        if q.count == 0 {
            // Percentiles of nothing are 0 in the report, not a latency.
            return format!("  {name:<26} -  (n=0)\n");
        }
        format!(
            "  {name:<26} p50 {:>8.1}  p90 {:>8.1}  p99 {:>8.1}  max {:>8.1}  (n={})\n",
            q.p50, q.p90, q.p99, q.max, q.count
        )
    };
    let mut out = String::new();
    out.push_str(&format!(
        "whiteout: {} | {} validator{} | {} | seed {} | {:.0}s simulated{}\n",
        report.scenario.name,
        report.scenario.validators,
        if report.scenario.validators == 1 {
            ""
        } else {
            "s"
        },
        report.scenario.topology,
        report.scenario.seed,
        report.scenario.simulated_s,
        if report.complete { "" } else { " (INCOMPLETE)" }
    ));
    out.push_str(&p("finalization latency ms", &s.finalization_latency_ms));
    out.push_str(&p("notarization latency ms", &s.notarization_latency_ms));
    out.push_str(&p("transaction latency ms", &s.tx_latency_ms));
    out.push_str(&format!(
        "  {:<26} {:.1} tx/s ({} submitted, {} finalized, {} pending, {} expired)\n",
        "throughput",
        s.throughput_tps,
        s.transactions.submitted,
        s.transactions.finalized,
        s.transactions.pending,
        s.transactions.expired
    ));
    out.push_str(&format!(
        "  {:<26} {:.4} (fast certificate first: {:.4})\n",
        "fast-path ratio", s.fast_path_ratio, s.fast_path_first_ratio
    ));
    out.push_str(&format!(
        "  {:<26} proposed {}  finalized {}  skipped {}  unfinished {}\n",
        "slots", s.slots.proposed, s.slots.finalized, s.slots.skipped, s.slots.unfinished
    ));
    out.push_str(&format!(
        "  {:<26} {}\n",
        "safety violations", s.safety_violations
    ));
    if let Some(v) = &report.verdicts {
        out.push_str(&verdicts_table(report, v));
    }
    let r = &report.resources;
    out.push_str(&format!(
        "  {:<26} {:.1}s wall, {}x real time, peak RSS {:.0} MiB\n",
        "resources",
        r.wall_s,
        speed_text(r.sim_s_per_wall_s),
        r.peak_rss_bytes as f64 / (1024.0 * 1024.0)
    ));
    out
}

/// Simulated seconds per wall second with at least two significant digits
/// ("64", "4.8", "0.48"): a run of 1,000 validators is slower than real
/// time, and "0x" said nothing.
fn speed_text(sim_s_per_wall_s: f64) -> String {
    match sim_s_per_wall_s {
        x if x >= 10.0 => format!("{x:.0}"),
        x if x >= 1.0 => format!("{x:.1}"),
        x => format!("{x:.2}"),
    }
}

fn verdicts_table(report: &Report, v: &whiteout_results::Verdicts) -> String {
    let mut out = String::new();
    let ok = |b: bool| if b { "ok" } else { "VIOLATED" };
    out.push_str(&format!(
        "  {:<26} {} ({} violation(s))\n",
        "verdict: safety",
        ok(v.safe),
        report.summary.safety_violations
    ));
    // Without [expect] max_stall there is no bound to break: say so.
    let liveness = match v.max_stall_s {
        Some(_) => ok(v.liveness_ok),
        None => "not checked",
    };
    out.push_str(&format!(
        "  {:<26} {liveness} (longest stall {:.1}s from {:.1}s{})\n",
        "verdict: liveness",
        v.longest_stall_s,
        v.longest_stall_start_s,
        v.max_stall_s.map_or_else(
            || ", no [expect] max_stall".to_string(),
            |m| format!(", max_stall {m:.1}s")
        )
    ));
    let opt =
        |x: Option<f64>, unit: &str| x.map_or_else(|| "-".into(), |x| format!("{x:.2}{unit}"));
    // A span without finalizations has no latency ("-"), not 0 ms.
    let p50 = |w: &whiteout_results::WindowFigures| {
        (w.finalizations > 0).then_some(w.finalization_latency_ms_p50)
    };
    for (f, w) in v.faults.iter().zip(&report.faults) {
        let b = f.before.as_ref();
        out.push_str(&format!(
            "  fault {:<20} {:>7.1}s-{:<7} recovery {:<8} p50 {} -> {}  tps {} -> {}  fast {} -> {}\n",
            f.name,
            w.start_s,
            w.end_s.map_or_else(|| "end".into(), |e| format!("{e:.1}s")),
            opt(f.recovery_s, "s"),
            opt(b.and_then(p50), "ms"),
            opt(p50(&f.during), "ms"),
            opt(b.map(|b| b.throughput_tps), ""),
            opt(Some(f.during.throughput_tps), ""),
            opt(b.and_then(|b| b.fast_path_ratio), ""),
            opt(f.during.fast_path_ratio, "")
        ));
    }
    for f in &report.faults_not_started {
        out.push_str(&format!(
            "  fault {:<20} NOT STARTED: {} did not come in the {:.0}s simulated\n",
            f.name, f.start, report.scenario.simulated_s
        ));
    }
    for r in &v.restarts {
        out.push_str(&format!(
            "  restart of validator {:<5} at {:.1}s: caught up {}\n",
            r.validator,
            r.restart_s,
            r.catch_up_s
                .map_or_else(|| "never".into(), |c| format!("after {c:.2}s"))
        ));
    }
    out
}

fn tracing_stats(sim: &Simulation) {
    if std::env::var_os("WHITEOUT_SIM_STATS").is_some() {
        eprintln!(
            "sim stats: {} events processed (vote, certificate, shred, transaction, repair, timer, client, inbox: {:?}), queue length max {}, shortcut state at the end (slices, certificates, blocks): {:?}",
            sim.events_processed(),
            sim.events_by_kind,
            sim.queue_len_max(),
            sim.shortcut_state_len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{speed_text, summary_table};

    /// The line of `report`'s summary that contains `needle`.
    fn summary_line(report: &whiteout_results::Report, needle: &str) -> String {
        summary_table(report)
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}"))
            .to_string()
    }

    #[test]
    fn liveness_without_a_bound_is_not_checked_rather_than_ok() {
        let mut report = whiteout_results::testdata::sample_report();
        let v = report.verdicts.as_mut().expect("sample verdicts");
        v.max_stall_s = None;
        v.liveness_ok = true;
        let line = summary_line(&report, "verdict: liveness");
        assert!(line.contains("not checked"), "{line}");
        assert!(line.contains("no [expect] max_stall"), "{line}");
        report.verdicts.as_mut().unwrap().max_stall_s = Some(15.0);
        let line = summary_line(&report, "verdict: liveness");
        assert!(
            !line.contains("not checked") && line.contains("max_stall 15.0s"),
            "{line}"
        );
    }

    #[test]
    fn a_latency_without_samples_is_shown_as_none_not_zero() {
        let mut report = whiteout_results::testdata::sample_report();
        report.summary.finalization_latency_ms = whiteout_results::Percentiles::default();
        let line = summary_line(&report, "finalization latency");
        assert!(line.ends_with("-  (n=0)"), "{line}");
        assert!(!line.contains("p50"), "{line}");
    }

    #[test]
    fn speed_keeps_two_significant_digits() {
        assert_eq!(speed_text(63.7), "64");
        assert_eq!(speed_text(4.84), "4.8");
        assert_eq!(speed_text(0.476), "0.48");
        assert_eq!(speed_text(0.0), "0.00");
    }
}
