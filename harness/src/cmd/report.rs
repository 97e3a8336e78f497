//! `whiteout report` (being written).

use std::process::ExitCode;

/// Arguments of `whiteout report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {}

/// Runs `whiteout report`.
pub fn run(_args: ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("whiteout report is not built yet")
}
