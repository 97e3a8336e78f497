//! `whiteout report RUN_DIR`: re-renders the charts and `report.html` of a
//! run directory from its `report.json` alone.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `whiteout report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Run directory holding report.json (or the report.json itself); the
    /// charts (SVG and PNG) and report.html are written next to it.
    pub run_dir: PathBuf,
}

/// Runs `whiteout report`: prints each file written, one per line.
///
/// # Errors
/// When report.json cannot be read or parsed, or a file cannot be written
/// (the message names the file).
pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let file = whiteout_results::report_path(&args.run_dir);
    let report = whiteout_results::read_report(&file)?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let written = whiteout_results::render_run_dir(&report, &dir)
        .with_context(|| format!("rendering {}", file.display()))?;
    for path in written {
        let shown = super::out(format_args!("{}\n", path.display()))
            .context("writing the file list to standard output")?;
        if !shown {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
