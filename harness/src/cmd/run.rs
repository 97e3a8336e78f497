//! `whiteout run`: run a scenario and write its report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::runner::{self, RunOptions};
use crate::scenario;

/// Arguments of `whiteout run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML). Without one, the embedded default: the 100
    /// largest validators of Solana epoch 780, geographic latency, 2,000
    /// tx/s, 10 simulated minutes.
    pub scenario: Option<PathBuf>,
    /// Seed of the run (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated duration, e.g. `10m`, `90s`, `24h` (overrides the
    /// scenario's).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Output directory for report.json, report.html and charts.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Deliver every message as its own event, without the simulator's
    /// exact shortcuts: much slower, same report (a check of the
    /// simulator).
    #[arg(long)]
    pub no_shortcuts: bool,
    /// Threads of the simulator: 1, or 2 to compute the links of a
    /// fault-free run on a second thread (default: 2 on a machine with 2
    /// CPUs or more). Same report either way.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub threads: Option<u32>,
}

/// Runs `whiteout run`. Exit code 0 on a clean run, 1 when a safety
/// violation was found or `[expect] max_stall` was broken, 130 when interrupted (the partial report is
/// written), 2 on bad input.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let loaded = scenario::load(args.scenario.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C is not caught again: the first one asks for a clean
        // stop, which is quick.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let options = RunOptions {
        seed: args.seed,
        duration: args.duration,
        out_dir: Some(args.out.clone()),
        progress: !args.quiet,
        flush_every: Duration::from_secs(60),
        shortcuts: !args.no_shortcuts,
        threads: args.threads,
    };
    let outcome = runner::run(&loaded, &options, &stop)?;
    let mut text = runner::summary_table(&outcome.report);
    if let Some(path) = &outcome.report_path {
        text += &format!("report: {}\n", path.display());
    }
    // The report is written; a summary nobody can read does not change the
    // run's verdict, so a failed write is said, not returned.
    if let Err(e) = super::out(format_args!("{text}")) {
        super::err(format_args!(
            "whiteout run: writing the summary to standard output: {e}"
        ));
    }
    let r = &outcome.report;
    if r.summary.safety_violations > 0 {
        super::err(format_args!(
            "SAFETY VIOLATED: {} violation(s) (seed {}). Reproduce with: {}",
            r.summary.safety_violations, r.scenario.seed, r.scenario.reproduce
        ));
        return Ok(ExitCode::from(1));
    }
    if let Some(v) = r.verdicts.as_ref().filter(|v| !v.liveness_ok) {
        super::err(format_args!(
            "LIVENESS VIOLATED: no new finalization for {:.1}s from {:.1}s, more than [expect] max_stall = {:.1}s (seed {}). Reproduce with: {}",
            v.longest_stall_s,
            v.longest_stall_start_s,
            v.max_stall_s.unwrap_or_default(),
            r.scenario.seed,
            r.scenario.reproduce
        ));
        return Ok(ExitCode::from(1));
    }
    if outcome.interrupted {
        super::err(format_args!(
            "interrupted: partial report written (complete = false)"
        ));
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}
