//! Finalization latency distributions split by path (proposed report
//! section `latency_cdf`).
//!
//! The report's `summary` only has percentiles over all finalizations; the
//! "latency CDF, fast path vs slow path" chart needs the two distributions
//! separately. [`LatencyCdf`] carries them compactly (about 100 points each).

use serde::{Deserialize, Serialize};

use crate::aggregate::LatencyHistogram;
use crate::report::Report;

/// Number of evenly spaced fraction steps [`LatencyCdf::from_histograms`]
/// keeps per path (plus a few tail points).
pub const CDF_STEPS: usize = 100;

/// Cumulative distributions of finalization latency, one per path.
///
/// A (slot, validator) finalization is *fast-path* when the
/// fast-finalization certificate (80% of stake voted to notarize) is the one
/// that finalized the block, as counted in
/// [`crate::Summary::fast_path_first_ratio`], and *slow-path* otherwise
/// (notarization, then a finalization certificate). Latency is measured as in
/// [`crate::Summary::finalization_latency_ms`].
///
/// Each list holds `[latency_ms, cumulative_fraction]` points, latency
/// ascending, fraction in `(0, 1]` non-decreasing and ending at 1; a list is
/// empty when the path never finalized a block. The fraction is within the
/// path (each list reaches 1 on its own); it is not stake-weighted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencyCdf {
    /// Fast-path finalizations: `[latency_ms, cumulative_fraction]` points.
    pub fast_path_ms: Vec<[f64; 2]>,
    /// Slow-path finalizations: `[latency_ms, cumulative_fraction]` points.
    pub slow_path_ms: Vec<[f64; 2]>,
}

impl LatencyCdf {
    /// The two distributions from the harness's per-path histograms, with
    /// [`CDF_STEPS`] steps each (see [`LatencyHistogram::cdf_points`]).
    pub fn from_histograms(fast: &LatencyHistogram, slow: &LatencyHistogram) -> LatencyCdf {
        LatencyCdf {
            fast_path_ms: fast.cdf_points(CDF_STEPS),
            slow_path_ms: slow.cdf_points(CDF_STEPS),
        }
    }
}

/// The report's per-path distribution, when it has one.
///
/// `None` for reports without the split: the CDF chart then falls back to
/// the summary percentiles.
pub(crate) fn of_report(report: &Report) -> Option<&LatencyCdf> {
    report.latency_cdf.as_ref()
}
