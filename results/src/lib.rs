//! whiteout results: the report's data model ([`report`]), latency
//! aggregation ([`aggregate`]), and everything that turns a report into
//! something a person or CI reads.

pub mod aggregate;
pub mod report;

pub use aggregate::LatencyHistogram;
pub use report::*;

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
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
