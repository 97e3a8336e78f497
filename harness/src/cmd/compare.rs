//! `whiteout compare` (being written).

use std::process::ExitCode;

/// Arguments of `whiteout compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {}

/// Runs `whiteout compare`.
pub fn run(_args: CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("whiteout compare is not built yet")
}
