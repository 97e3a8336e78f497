//! `whiteout run` (being written).

use std::process::ExitCode;

/// Arguments of `whiteout run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {}

/// Runs `whiteout run`.
pub fn run(_args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("whiteout run is not built yet")
}
