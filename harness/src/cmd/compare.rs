//! `whiteout compare BASELINE CANDIDATE`: every summary figure side by
//! side, with thresholds. Exit 0 when every threshold holds, 1 when one is
//! broken, 2 on bad input (via `main`). The logic is in
//! `whiteout_results::compare`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use whiteout_results::compare::{self, Source, Thresholds};

/// Output format of `whiteout compare`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A Markdown table, for a pull-request comment.
    Markdown,
    /// The comparison as JSON.
    Json,
}

/// Arguments of `whiteout compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Baseline: a report.json, or a run directory holding one.
    pub baseline: PathBuf,
    /// Candidate: a report.json, or a run directory holding one.
    pub candidate: PathBuf,
    /// Threshold NAME=SPEC, e.g. 'finalization_latency_ms.p99=+10%' (may
    /// rise at most 10%), 'throughput_tps=-5%' (may fall at most 5%),
    /// 'fast_path_ratio=-0.02' (may fall at most 0.02). Repeatable; wins over
    /// --thresholds for the same figure.
    #[arg(long = "threshold", value_name = "NAME=SPEC")]
    pub threshold: Vec<String>,
    /// TOML file of thresholds: lines like `"finalization_latency_ms.p99" =
    /// "+10%"` or `throughput_tps = "-5%"`.
    #[arg(long, value_name = "FILE")]
    pub thresholds: Option<PathBuf>,
    /// Output format (on stdout).
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Compare even when the two runs are of different scenarios.
    #[arg(long)]
    pub force: bool,
}

/// Runs `whiteout compare`.
///
/// # Errors
/// Bad input: an unreadable or invalid report or thresholds file, a
/// malformed threshold or unknown figure, or different scenarios without
/// `--force`.
pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let mut thresholds = Thresholds::new();
    if let Some(file) = &args.thresholds {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        thresholds = compare::parse_thresholds_toml(&text, &file.display().to_string())?;
    }
    for arg in &args.threshold {
        let (name, threshold) = compare::parse_threshold_arg(arg)?;
        thresholds.insert(name, threshold);
    }
    let baseline_file = whiteout_results::report_path(&args.baseline);
    let candidate_file = whiteout_results::report_path(&args.candidate);
    let baseline = whiteout_results::read_report(&baseline_file)?;
    let candidate = whiteout_results::read_report(&candidate_file)?;
    let (baseline_name, candidate_name) = (
        baseline_file.display().to_string(),
        candidate_file.display().to_string(),
    );
    let comparison = compare::compare(
        Source {
            name: &baseline_name,
            report: &baseline,
        },
        Source {
            name: &candidate_name,
            report: &candidate,
        },
        &thresholds,
        args.force,
    )?;
    let text = match args.format {
        Format::Markdown => comparison.to_markdown(),
        Format::Json => comparison.to_json(),
    };
    super::out(format_args!("{text}")).context("writing the comparison to standard output")?;
    if comparison.is_broken() {
        super::err(format_args!(
            "whiteout compare: threshold broken: {}",
            comparison.broken.join(", ")
        ));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
