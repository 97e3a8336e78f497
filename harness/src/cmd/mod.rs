//! One module per `whiteout` subcommand. Each exposes `Args` (clap) and
//! `run(args) -> anyhow::Result<ExitCode>`.
//!
//! The subcommands write their own lines with [`out`] and [`err`], not
//! `print!`/`eprintln!`: those panic (exit 101) when the reader is gone,
//! as in `whiteout compare a b | head -1`, and the command's exit code,
//! which scripts read, would be lost.

use std::io::{self, Write};

pub mod bench;
pub mod compare;
pub mod report;
pub mod run;

/// Writes `args` to standard output. Returns `Ok(false)` when the reader
/// has gone away (a closed pipe): nobody is left to read, and the command
/// goes on to its own exit code. Other write errors are returned.
pub fn out(args: std::fmt::Arguments) -> io::Result<bool> {
    let mut stdout = io::stdout().lock();
    match stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `args` and a newline to standard error; a failure is ignored
/// (there is nowhere left to report it; the exit code still says it).
pub fn err(args: std::fmt::Arguments) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}
