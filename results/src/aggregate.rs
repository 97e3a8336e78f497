//! Latency aggregation on top of `hdrhistogram`.

use hdrhistogram::Histogram;

use crate::report::Percentiles;

/// A latency histogram with microsecond resolution, from 1 µs up to 1 hour
/// (larger samples are clamped to 1 hour): 3 significant digits
/// ([`LatencyHistogram::new`], about 190 KiB) or 2
/// ([`LatencyHistogram::coarse`], 1% resolution, about 25 KiB).
///
/// Its memory is fixed whatever the number of samples.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
}

const LATENCY_US_MAX: u64 = 3_600_000_000;

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram, 3 significant digits.
    pub fn new() -> Self {
        Self::with_digits(3)
    }

    /// An empty histogram, 2 significant digits (values within 1%): for the
    /// many small histograms of a run (per validator, per second).
    pub fn coarse() -> Self {
        Self::with_digits(2)
    }

    fn with_digits(digits: u8) -> Self {
        Self {
            histogram: Histogram::new_with_bounds(1, LATENCY_US_MAX, digits)
                .expect("static histogram bounds are valid"),
        }
    }

    /// Records one latency, given in nanoseconds.
    pub fn record_ns(&mut self, latency_ns: u64) {
        let us = (latency_ns / 1_000).clamp(1, LATENCY_US_MAX);
        self.histogram
            .record(us)
            .expect("value is clamped into the histogram's range");
    }

    /// Number of samples recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Adds all samples of `other`.
    pub fn add(&mut self, other: &LatencyHistogram) {
        self.histogram
            .add(&other.histogram)
            .expect("histograms share bounds");
    }

    /// Forgets all samples.
    pub fn reset(&mut self) {
        self.histogram.reset();
    }

    /// Value at `quantile` (in `[0, 1]`), in milliseconds; 0 when empty.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        if self.histogram.is_empty() {
            return 0.0;
        }
        round_ms(self.histogram.value_at_quantile(quantile))
    }

    /// p50, p90, p99 and max, in milliseconds.
    pub fn percentiles(&self) -> Percentiles {
        if self.histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: self.histogram.len(),
            p50: self.quantile_ms(0.50),
            p90: self.quantile_ms(0.90),
            p99: self.quantile_ms(0.99),
            max: round_ms(self.histogram.max()),
        }
    }

    /// The cumulative distribution as `[latency_ms, cumulative_fraction]`
    /// points, latency ascending, fraction in `(0, 1]` and ending at 1; empty
    /// when the histogram is. At most about `max_points + 6` points: one per
    /// `1 / max_points` step of the fraction, plus the tail quantiles 0.99,
    /// 0.995, 0.999, 0.9999 and the maximum, so the tail stays visible.
    pub fn cdf_points(&self, max_points: usize) -> Vec<[f64; 2]> {
        let steps = max_points.max(1);
        let mut thresholds: Vec<f64> = (1..=steps).map(|i| i as f64 / steps as f64).collect();
        thresholds.extend([0.99, 0.995, 0.999, 0.9999]);
        thresholds.sort_by(f64::total_cmp);
        let mut next = 0;
        let mut points: Vec<[f64; 2]> = Vec::new();
        for value in self.histogram.iter_recorded() {
            let fraction = value.quantile_iterated_to();
            let ms = round_ms(value.value_iterated_to());
            let reached =
                |next: usize| thresholds.get(next).is_some_and(|t| fraction + 1e-12 >= *t);
            if reached(next) || fraction >= 1.0 {
                while reached(next) {
                    next += 1;
                }
                points.push([ms, fraction.min(1.0)]);
            }
        }
        points
    }
}

/// Microseconds to milliseconds, rounded to 3 decimals so that the JSON text
/// stays short and stable.
fn round_ms(us: u64) -> f64 {
    us as f64 / 1_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=100u64 {
            h.record_ns(ms * 1_000_000);
        }
        let p = h.percentiles();
        assert_eq!(p.count, 100);
        assert!((p.p50 - 50.0).abs() < 0.1, "{p:?}");
        assert!((p.p90 - 90.0).abs() < 0.1, "{p:?}");
        assert!((p.p99 - 99.0).abs() < 0.1, "{p:?}");
        assert!((p.max - 100.0).abs() < 0.1, "{p:?}");
    }

    #[test]
    fn cdf_points_are_monotonic_and_end_at_one() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=1_000u64 {
            h.record_ns(ms * 1_000_000);
        }
        let cdf = h.cdf_points(20);
        assert!(cdf.len() >= 20 && cdf.len() <= 26, "{}", cdf.len());
        assert!(cdf
            .windows(2)
            .all(|w| w[0][0] < w[1][0] && w[0][1] < w[1][1]));
        let last = cdf[cdf.len() - 1];
        assert_eq!(last[1], 1.0);
        assert!((last[0] - 1_000.0).abs() < 1.0, "{last:?}");
        let median = cdf.iter().find(|p| p[1] >= 0.5).unwrap();
        assert!((median[0] - 500.0).abs() < 1.0, "{median:?}");
        assert!(LatencyHistogram::new().cdf_points(20).is_empty());
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(
            LatencyHistogram::new().percentiles(),
            Percentiles::default()
        );
    }
}
