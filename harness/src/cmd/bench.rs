//! `whiteout bench` (being written).

use std::process::ExitCode;

/// Arguments of `whiteout bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

/// Runs `whiteout bench`.
pub fn run(_args: BenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("whiteout bench is not built yet")
}
