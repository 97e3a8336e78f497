//! `whiteout bench`: how fast the simulator runs a scenario.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::runner::{self, RunOptions};
use crate::scenario;

/// Arguments of `whiteout bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Scenario file (default: the embedded default scenario).
    pub scenario: Option<PathBuf>,
    /// Simulated time per repetition.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Repetitions (1 or more); the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads of the simulator, as for `whiteout run`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub threads: Option<u32>,
}

/// Runs the scenario `repeat` times without writing reports and prints
/// simulated seconds per wall second (median and all) and peak RSS.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let loaded = scenario::load(args.scenario.as_deref())?;
    let stop = AtomicBool::new(false);
    let options = RunOptions {
        seed: args.seed,
        duration: Some(args.duration),
        flush_every: Duration::from_secs(3600),
        threads: args.threads,
        ..RunOptions::default()
    };
    let mut speeds = Vec::new();
    let mut peak = 0u64;
    let mut threads = 1;
    for i in 0..args.repeat {
        let outcome = runner::run(&loaded, &options, &stop)?;
        let r = &outcome.report.resources;
        let shown = super::out(format_args!(
            "run {}: {:.1} s simulated in {:.2} s wall = {:.1}x real time, peak RSS {:.0} MiB\n",
            i + 1,
            outcome.report.scenario.simulated_s,
            r.wall_s,
            r.sim_s_per_wall_s,
            r.peak_rss_bytes as f64 / 1048576.0
        ))
        .context("writing to standard output")?;
        if !shown {
            // Nobody reads the figures any more (`whiteout bench | head -1`).
            return Ok(ExitCode::SUCCESS);
        }
        speeds.push(r.sim_s_per_wall_s);
        threads = r.threads;
        peak = peak.max(r.peak_rss_bytes);
    }
    speeds.sort_by(f64::total_cmp);
    let median = speeds[speeds.len() / 2];
    super::out(format_args!(
        "median: {median:.1} simulated s per wall s ({:.1} s wall per simulated hour); peak RSS {:.0} MiB; {} CPUs, {threads} simulator thread(s)\n",
        3600.0 / median,
        peak as f64 / 1048576.0,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    ))
    .context("writing to standard output")?;
    Ok(ExitCode::SUCCESS)
}
