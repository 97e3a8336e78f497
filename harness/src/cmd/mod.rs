//! One module per `whiteout` subcommand. Each exposes `Args` (clap) and
//! `run(args) -> anyhow::Result<ExitCode>`.

pub mod bench;
pub mod compare;
pub mod report;
pub mod run;
