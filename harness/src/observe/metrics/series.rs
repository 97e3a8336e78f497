//! The per-second time series of a run: one bucket per whole second, with
//! its finalizations, latency percentiles, finalized transactions and
//! fast-path stake. A second's latency histograms are replaced by their
//! percentiles once it is over, so closed seconds hold numbers only.

use whiteout_results::{LatencyHistogram, TimeBucket, WindowFigures};

use crate::limits::NS_PER_S;

/// Latency histograms of the current second; replaced by their percentiles
/// when the second is over, so that closed seconds hold numbers only.
#[derive(Debug)]
pub(super) struct BucketLatency {
    pub(super) finalization: LatencyHistogram,
    pub(super) notarization: LatencyHistogram,
}

/// Per-second accumulators.
#[derive(Debug, Default)]
pub(super) struct Bucket {
    /// Histograms while the second is current.
    live: Option<Box<BucketLatency>>,
    /// Finalization p50 and p99, notarization p50 and p99 (ms), once
    /// closed.
    closed_ms: [f64; 4],
    pub(super) finalizations: u64,
    pub(super) tx_finalized: u64,
    pub(super) fast_stake: u128,
    pub(super) finalized_stake: u128,
}

/// The buckets of a run.
#[derive(Debug)]
pub(super) struct Series {
    /// Per-second buckets; those from `live_from` on may still be open.
    buckets: Vec<Bucket>,
    /// Index of the earliest bucket that may still hold live histograms:
    /// those before it are closed (so that opening a second closes only
    /// the seconds since the last one, not every second of the run).
    live_from: usize,
}

impl Default for Series {
    fn default() -> Self {
        Self {
            buckets: vec![Bucket::default()],
            live_from: 0,
        }
    }
}

impl Series {
    pub(super) fn bucket(&mut self, now_ns: u64) -> &mut Bucket {
        let i = (now_ns / NS_PER_S) as usize;
        if self.buckets.len() <= i {
            self.buckets.resize_with(i + 1, Bucket::default);
        }
        &mut self.buckets[i]
    }

    /// The latency histograms of the second containing `now_ns`, which is
    /// the current one (events come in time order): earlier seconds are
    /// closed into percentiles first.
    pub(super) fn bucket_latency(&mut self, now_ns: u64) -> &mut BucketLatency {
        let i = (now_ns / NS_PER_S) as usize;
        self.bucket(now_ns);
        for b in self.buckets[self.live_from.min(i)..i].iter_mut() {
            if let Some(live) = b.live.take() {
                b.closed_ms = bucket_percentiles(&live);
            }
        }
        self.live_from = i;
        self.buckets[i].live.get_or_insert_with(|| {
            Box::new(BucketLatency {
                finalization: LatencyHistogram::coarse(),
                notarization: LatencyHistogram::coarse(),
            })
        })
    }

    /// One entry per whole second of `simulated_ns` (at least one), also
    /// for seconds at the end of the run in which nothing happened.
    pub(super) fn time_series(&self, simulated_ns: u64) -> Vec<TimeBucket> {
        let ratio = |num: u128, den: u128| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        // One bucket per whole simulated second (at least one), also for
        // seconds at the end of the run in which nothing happened.
        let buckets_complete = ((simulated_ns / NS_PER_S) as usize).max(1);
        let empty = Bucket::default();
        (0..buckets_complete)
            .map(|i| (i, self.buckets.get(i).unwrap_or(&empty)))
            .map(|(i, b)| {
                let ms = b.live.as_deref().map_or(b.closed_ms, bucket_percentiles);
                TimeBucket {
                    t_s: i as f64,
                    finalizations: b.finalizations,
                    finalization_latency_ms_p50: ms[0],
                    finalization_latency_ms_p99: ms[1],
                    notarization_latency_ms_p50: ms[2],
                    notarization_latency_ms_p99: ms[3],
                    throughput_tps: b.tx_finalized as f64,
                    fast_path_ratio: (b.finalized_stake > 0)
                        .then(|| ratio(b.fast_stake, b.finalized_stake)),
                }
            })
            .collect()
    }

    /// Figures over the whole seconds `[start_s, end_s)` of the run.
    pub(super) fn window_figures(&self, start_s: u64, end_s: u64) -> WindowFigures {
        let end = (end_s as usize).min(self.buckets.len());
        let start = (start_s as usize).min(end);
        let buckets = &self.buckets[start..end];
        let mut p50s: Vec<(f64, u64)> = Vec::new();
        let (mut fins, mut txs, mut fast, mut total) = (0u64, 0u64, 0u128, 0u128);
        for b in buckets {
            let ms = b.live.as_deref().map_or(b.closed_ms, bucket_percentiles);
            if b.finalizations > 0 {
                p50s.push((ms[0], b.finalizations));
            }
            fins += b.finalizations;
            txs += b.tx_finalized;
            fast += b.fast_stake;
            total += b.finalized_stake;
        }
        p50s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut acc = 0;
        let p50 = p50s
            .iter()
            .find(|(_, w)| {
                acc += w;
                acc * 2 >= fins
            })
            .map_or(0.0, |(ms, _)| *ms);
        let seconds = end_s.saturating_sub(start_s) as f64;
        WindowFigures {
            seconds,
            finalizations: fins,
            finalization_latency_ms_p50: p50,
            throughput_tps: if seconds > 0.0 {
                txs as f64 / seconds
            } else {
                0.0
            },
            fast_path_ratio: (total > 0).then(|| fast as f64 / total as f64),
        }
    }
}

fn bucket_percentiles(live: &BucketLatency) -> [f64; 4] {
    [
        live.finalization.quantile_ms(0.5),
        live.finalization.quantile_ms(0.99),
        live.notarization.quantile_ms(0.5),
        live.notarization.quantile_ms(0.99),
    ]
}
