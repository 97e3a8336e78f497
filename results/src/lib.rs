//! whiteout results: the report's data model ([`report`]), latency
//! aggregation ([`aggregate`]), and everything that turns a report into
//! something a person or CI reads: charts ([`charts`]), a self-contained HTML
//! page ([`html`]), both written by [`render_run_dir`], a baseline
//! comparison with thresholds ([`compare`]) and the report's JSON Schema
//! ([`schema`]).

#![warn(missing_docs)]

pub mod aggregate;
pub mod cdf;
pub mod charts;
pub mod compare;
pub mod html;
pub mod render;
pub mod report;
pub mod schema;
pub mod testdata;

pub use aggregate::LatencyHistogram;
pub use cdf::LatencyCdf;
pub use render::render_run_dir;
pub use report::*;

use std::path::{Path, PathBuf};

/// Name of the report file in a run directory.
pub const REPORT_FILE: &str = "report.json";

/// The report file `path` designates: `path` itself when it is a file or
/// ends in `.json`, `path/report.json` otherwise (a run directory, existing
/// or not, so that errors name the file that was looked for).
pub fn report_path(path: &Path) -> PathBuf {
    if path.is_file() || path.extension().is_some_and(|e| e == "json") {
        path.to_path_buf()
    } else {
        path.join(REPORT_FILE)
    }
}

/// Reads and parses the report at `path` (a `report.json` or a run directory
/// containing one; see [`report_path`]).
///
/// # Errors
/// [`ResultsError::Io`] naming the file when it cannot be read;
/// [`ResultsError::Parse`] / [`ResultsError::SchemaVersion`] naming it when
/// it is not a report of this schema version.
pub fn read_report(path: &Path) -> Result<Report, ResultsError> {
    let file = report_path(path);
    let text = std::fs::read_to_string(&file).map_err(|error| ResultsError::Io {
        path: file.display().to_string(),
        error,
    })?;
    Report::from_json(&text, &file.display().to_string())
}

/// Errors reading or comparing reports.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The text is not a valid report.
    #[error("{source_name}: not a valid whiteout report: {message}")]
    Parse {
        /// File (or other source) the text came from.
        source_name: String,
        /// What was wrong, with the field where serde names it.
        message: String,
    },
    /// The report was written with another schema version.
    #[error("{source_name}: field `schema_version`: found {found}, this whiteout reads version {expected}")]
    SchemaVersion {
        /// File the text came from.
        source_name: String,
        /// Version found in the file.
        found: u64,
        /// Version this build reads.
        expected: u32,
    },
    /// Reading or writing a file failed.
    ///
    /// The I/O error is part of the message rather than a `source()`, so
    /// that `anyhow`'s `{:#}` does not print it twice.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Drawing or encoding a chart failed.
    #[error("chart `{chart}`: {message}")]
    Chart {
        /// File stem of the chart.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// A comparison threshold is malformed or names an unknown figure.
    #[error("{source_name}: {message}")]
    Threshold {
        /// Where the threshold came from: the thresholds file, or
        /// `--threshold` for the command line.
        source_name: String,
        /// What is wrong, naming the figure or text.
        message: String,
    },
    /// Baseline and candidate ran different scenarios.
    #[error("baseline and candidate ran different scenarios ({}); compare them anyway with --force", differences.join("; "))]
    ScenarioMismatch {
        /// One entry per differing field: `field: baseline vs candidate`.
        differences: Vec<String>,
    },
}
