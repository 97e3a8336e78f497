//! Latency aggregation on top of `hdrhistogram`.

use hdrhistogram::Histogram;

use crate::report::Percentiles;

/// A latency histogram with microsecond resolution, 3 significant digits,
/// from 1 µs up to 1 hour (larger samples are clamped to 1 hour).
///
/// Its memory is fixed (a few tens of KiB) whatever the number of samples.
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
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            histogram: Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
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
    fn empty_is_zero() {
        assert_eq!(LatencyHistogram::new().percentiles(), Percentiles::default());
    }
}
