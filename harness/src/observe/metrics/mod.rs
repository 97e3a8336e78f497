//! Metric collection from the outside of the validators: the collector
//! takes the timestamped events each validator emits, the traffic and the
//! transactions submitted, from the observation stream ([`super`]), and
//! compares validators with each other. The safety checks are
//! [`super::safety`].
//!
//! Memory is bounded: per-slot records live only until the slot is decided
//! and settled (a few seconds), closed slots are remembered for the last
//! 2,000 slots, pending transactions until they can no longer finalize as
//! measured, latency goes into fixed-size histograms, and only the
//! per-second time series grows with the run.

use std::collections::BTreeMap;

use whiteout_node::{
    BlockHash, BlockId, CertificateKind, Event, FinalizedBy, Slot, ValidatorIndex,
};
use whiteout_results::cdf::LatencyCdf;
use whiteout_results::{
    LatencyHistogram, Percentiles, SafetyViolation, SlotCounts, Summary, TimeBucket,
    TransactionCounts, WindowFigures,
};

mod series;
#[cfg(test)]
mod tests;

use super::safety::{SafetyCheck, SAFETY_SLOTS_RETAINED};
use super::{EventRecord, Traffic as TrafficRecord, TrafficKind};
use crate::limits::NS_PER_S;
use series::Series;
/// A slot record is closed once every validator finalized it and this much
/// simulated time passed without news for it (late fast-finalization
/// certificates still count until then).
const SETTLE_NS: u64 = 2 * NS_PER_S;
/// A slot record is closed at the latest this long after it opened.
pub const SLOT_RECORD_NS_MAX: u64 = 120 * NS_PER_S;

/// What one validator saw of one slot (times in ns since the run start).
#[derive(Clone, Copy, Debug, Default)]
struct ValidatorSlot {
    notarized_ns: Option<u64>,
    finalized_ns: Option<u64>,
    finalized_by: Option<FinalizedBy>,
    fast_certificate_ns: Option<u64>,
}

/// One slot while it is being decided.
#[derive(Debug)]
struct SlotRecord {
    /// Blocks proposed in the slot: (hash, first-shred time ns).
    blocks: Vec<(BlockHash, u64)>,
    per_validator: Vec<ValidatorSlot>,
    skip_certified: bool,
    opened_ns: u64,
    last_news_ns: u64,
}

/// How a closed slot was counted, so that later news of it can correct the
/// slot counts without measuring it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ClosedSlot {
    /// Counted in `slots.proposed`.
    proposed: bool,
    /// Counted in `slots.unfinished`: closed undecided (at the 120 s
    /// limit) and not decided since.
    unfinished: bool,
}

/// News of a slot that arrives after its record closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LateNews {
    /// A block was proposed in it.
    Proposed,
    /// It was skip-certified.
    Skipped,
    /// It was finalized.
    Finalized,
}

/// Counters and histograms of one validator (histograms with 2 significant
/// digits, to keep memory small for large validator sets).
#[derive(Clone, Debug)]
pub struct ValidatorStats {
    /// Finalization latency.
    pub finalization: LatencyHistogram,
    /// Notarization latency.
    pub notarization: LatencyHistogram,
    /// Finalized slots (closed records).
    pub slots_finalized: u64,
    /// Of those, with a fast-finalization certificate.
    pub slots_fast: u64,
    /// Blocks it proposed.
    pub slots_proposed: u64,
}

impl Default for ValidatorStats {
    fn default() -> Self {
        Self {
            finalization: LatencyHistogram::coarse(),
            notarization: LatencyHistogram::coarse(),
            slots_finalized: 0,
            slots_fast: 0,
            slots_proposed: 0,
        }
    }
}

/// Message counters of one validator, kept apart from [`ValidatorStats`]
/// (whose histograms put each validator's counters hundreds of bytes
/// apart): 32 bytes each, contiguous, since a broadcast touches every
/// recipient's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages sent (one per recipient).
    pub messages_sent: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Messages delivered to it (counted when scheduled, not lost).
    pub messages_received: u64,
    /// Bytes delivered to it.
    pub bytes_received: u64,
    /// Messages to it dropped on the way (lost, or across a partition).
    pub messages_dropped: u64,
}

/// The collector of one run.
#[derive(Debug)]
pub struct Collector {
    stakes: Vec<u64>,
    /// Per-validator histograms and slot counters.
    pub validators: Vec<ValidatorStats>,
    /// Per-validator message counters.
    pub traffic: Vec<Traffic>,
    finalization: LatencyHistogram,
    /// Finalization latency of pairs finalized by the fast-finalization
    /// certificate, and of the others.
    finalization_fast: LatencyHistogram,
    finalization_slow: LatencyHistogram,
    notarization: LatencyHistogram,
    tx_latency: LatencyHistogram,
    /// The per-second time series.
    series: Series,
    slots: BTreeMap<Slot, SlotRecord>,
    /// Slots whose record was closed, at or above `closed_floor`, with how
    /// they were counted. Every slot below the floor counts as closed
    /// unless its record is still open: an event for a closed slot is not
    /// measured again (it would open a second record and count the slot
    /// twice), only moved between the slot counts.
    closed: BTreeMap<Slot, ClosedSlot>,
    /// Closed slots are remembered from here up (the highest closed slot
    /// less [`SAFETY_SLOTS_RETAINED`]).
    closed_floor: Slot,
    counts: SlotCounts,
    fast_stake: u128,
    fast_first_stake: u128,
    finalized_stake: u128,
    /// Pending transactions: id -> (submit ns, client's validator). Ids
    /// grow with submission time, so the first entry is the oldest.
    txs: BTreeMap<u64, (u64, u32)>,
    /// A transaction pending this long is counted as expired and
    /// forgotten (see [`Collector::with_tx_timeout_ns`]).
    tx_timeout_ns: u64,
    tx_counts: TransactionCounts,
    /// Transactions per block, grouped by the client's validator.
    block_txs: BTreeMap<BlockId, BTreeMap<u32, Vec<u64>>>,
    highest_finalized: Slot,
}

/// The longest a transaction can wait and still finalize as measured (ns):
/// the slowest link to a leader (`link_ns_max`, latency plus jitter), the
/// leader's `tx_expiry` on its own clock, which a clock fault may slow down
/// (to `clock_rate_min`) or set back (by `clock_backward_ns` in all), and
/// the longest a slot is measured ([`SLOT_RECORD_NS_MAX`]). Capped at the
/// longest run.
pub fn tx_timeout_ns(
    tx_expiry: std::time::Duration,
    link_ns_max: u64,
    (clock_rate_min, clock_backward_ns): (f64, u64),
) -> u64 {
    let cap_ns = crate::limits::DURATION_MAX.as_nanos() as u64;
    let tx_expiry_ns = (tx_expiry.as_nanos() as f64 / clock_rate_min).min(cap_ns as f64) as u64;
    link_ns_max + tx_expiry_ns + clock_backward_ns.min(cap_ns) + SLOT_RECORD_NS_MAX
}

impl Collector {
    /// Default of [`Collector::with_tx_timeout_ns`]: the node's default
    /// 60 s transaction expiry plus [`SLOT_RECORD_NS_MAX`] (3 minutes).
    pub const TX_TIMEOUT_NS_DEFAULT: u64 = 60 * NS_PER_S + SLOT_RECORD_NS_MAX;

    /// A collector for validators with these stakes (lamports) that counts
    /// a transaction still not finalized `tx_timeout_ns` after its
    /// submission as expired (`transactions.expired` in the report) and
    /// stops tracking it, so that the pending set holds at most
    /// `tx_timeout_ns` worth of load. The simulator passes the longest time
    /// after which a transaction can still finalize as measured: the
    /// node's `tx_expiry` (stretched by the run's clock faults), plus the
    /// slowest link, plus [`SLOT_RECORD_NS_MAX`].
    ///
    /// # Panics
    /// If `tx_timeout_ns` is 0 (a bug of the caller).
    pub fn with_tx_timeout_ns(stakes: Vec<u64>, tx_timeout_ns: u64) -> Self {
        assert!(tx_timeout_ns > 0, "a transaction timeout of 0 ns");
        let n = stakes.len();
        Self {
            stakes,
            validators: vec![ValidatorStats::default(); n],
            traffic: vec![Traffic::default(); n],
            finalization: LatencyHistogram::new(),
            finalization_fast: LatencyHistogram::new(),
            finalization_slow: LatencyHistogram::new(),
            notarization: LatencyHistogram::new(),
            tx_latency: LatencyHistogram::new(),
            series: Series::default(),
            slots: BTreeMap::new(),
            closed: BTreeMap::new(),
            closed_floor: Slot::GENESIS,
            counts: SlotCounts::default(),
            fast_stake: 0,
            fast_first_stake: 0,
            finalized_stake: 0,
            txs: BTreeMap::new(),
            tx_timeout_ns,
            tx_counts: TransactionCounts::default(),
            block_txs: BTreeMap::new(),
            highest_finalized: Slot::GENESIS,
        }
    }

    /// Counts a traffic record: sent at its sender, received and dropped
    /// at its recipient.
    ///
    /// # Panics
    /// A record without the validator it is counted at (a backend's bug).
    #[inline]
    pub fn on_traffic(&mut self, t: &TrafficRecord) {
        match t.kind {
            TrafficKind::Sent => {
                let v = &mut self.traffic[t.from.expect("a sent record names its sender").idx()];
                v.messages_sent += t.messages;
                v.bytes_sent += t.bytes;
            }
            TrafficKind::Received => {
                let v =
                    &mut self.traffic[t.to.expect("a received record names its recipient").idx()];
                v.messages_received += t.messages;
                v.bytes_received += t.bytes;
            }
            TrafficKind::Dropped => {
                let v =
                    &mut self.traffic[t.to.expect("a dropped record names its recipient").idx()];
                v.messages_dropped += t.messages;
            }
        }
    }

    /// A client submitted transaction `id` at `t_ns` through validator
    /// `client`.
    pub fn on_transaction(&mut self, t_ns: u64, id: u64, client: ValidatorIndex) {
        self.txs.insert(id, (t_ns, client.0));
        self.tx_counts.submitted += 1;
    }

    /// Whether `slot`'s record was closed (or is too old to be opened).
    fn is_closed(&self, slot: Slot) -> bool {
        !self.slots.contains_key(&slot)
            && (slot < self.closed_floor || self.closed.contains_key(&slot))
    }

    /// Late news of a closed slot. A slot first counted without a
    /// proposal, or as unfinished, is counted again where it belongs; its
    /// latencies and fast-path figures are not measured.
    fn late_news(&mut self, slot: Slot, news: LateNews) {
        let Some(c) = self.closed.get_mut(&slot) else {
            return;
        };
        match news {
            LateNews::Proposed => {
                if !c.proposed {
                    c.proposed = true;
                    self.counts.proposed += 1;
                }
            }
            LateNews::Skipped | LateNews::Finalized => {
                if c.unfinished {
                    c.unfinished = false;
                    self.counts.unfinished -= 1;
                    if news == LateNews::Finalized {
                        self.counts.finalized += 1;
                    } else {
                        self.counts.skipped += 1;
                    }
                }
            }
        }
    }

    /// The open record of `slot`, opened now if it has none; `None` once
    /// the slot is closed: late news of a closed slot (a restarted
    /// validator finalizing it by ancestry, a block for a slot already
    /// skipped) is not measured, so that no slot is counted twice.
    fn record(&mut self, slot: Slot, now_ns: u64) -> Option<&mut SlotRecord> {
        if self.is_closed(slot) {
            return None;
        }
        let n = self.stakes.len();
        let rec = self.slots.entry(slot).or_insert_with(|| SlotRecord {
            blocks: Vec::new(),
            per_validator: vec![ValidatorSlot::default(); n],
            skip_certified: false,
            opened_ns: now_ns,
            last_news_ns: now_ns,
        });
        rec.last_news_ns = now_ns;
        Some(rec)
    }

    fn proposed_ns(&self, block: BlockId) -> Option<u64> {
        self.slots
            .get(&block.slot)?
            .blocks
            .iter()
            .find(|(h, _)| *h == block.hash)
            .map(|(_, t)| *t)
    }

    /// Takes an event record; one of handed-over state (a restarted
    /// validator's catch-up) is not measured.
    pub fn on_event(&mut self, r: &EventRecord<'_>) {
        if r.handed_over {
            return;
        }
        let (now_ns, v) = (r.t_ns, r.validator);
        let vi = v.idx();
        match r.event {
            Event::BlockProduced {
                block,
                parent: _,
                transactions,
                ..
            } => {
                let block = *block;
                self.validators[vi].slots_proposed += 1;
                let Some(rec) = self.record(block.slot, now_ns) else {
                    self.late_news(block.slot, LateNews::Proposed);
                    return;
                };
                rec.blocks.push((block.hash, now_ns));
                let mut by_client: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
                for id in transactions {
                    if let Some(&(_, client)) = self.txs.get(id) {
                        by_client.entry(client).or_default().push(*id);
                    }
                }
                self.block_txs.insert(block, by_client);
            }
            &Event::CertificateStored { kind, slot, block } => match kind {
                CertificateKind::Notarization => {
                    let block = BlockId {
                        slot,
                        hash: block.expect("notarization names a block"),
                    };
                    let proposed = self.proposed_ns(block);
                    let Some(rec) = self.record(slot, now_ns) else {
                        return;
                    };
                    if rec.per_validator[vi].notarized_ns.is_none() {
                        rec.per_validator[vi].notarized_ns = Some(now_ns);
                        if let Some(p) = proposed {
                            let latency = now_ns.saturating_sub(p);
                            self.notarization.record_ns(latency);
                            self.validators[vi].notarization.record_ns(latency);
                            self.series
                                .bucket_latency(now_ns)
                                .notarization
                                .record_ns(latency);
                        }
                    }
                }
                CertificateKind::FastFinalization => {
                    if let Some(rec) = self.record(slot, now_ns) {
                        rec.per_validator[vi]
                            .fast_certificate_ns
                            .get_or_insert(now_ns);
                    }
                }
                CertificateKind::Skip => match self.record(slot, now_ns) {
                    Some(rec) => rec.skip_certified = true,
                    None => self.late_news(slot, LateNews::Skipped),
                },
                CertificateKind::NotarFallback | CertificateKind::Finalization => {}
            },
            &Event::Finalized { block, by } => self.on_finalized(now_ns, v, block, by),
            Event::BlockReceived { .. } | Event::VotedSkip { .. } => {}
        }
    }

    fn on_finalized(&mut self, now_ns: u64, v: ValidatorIndex, block: BlockId, by: FinalizedBy) {
        let vi = v.idx();
        self.highest_finalized = self.highest_finalized.max(block.slot);
        let proposed = self.proposed_ns(block);
        let Some(rec) = self.record(block.slot, now_ns) else {
            self.late_news(block.slot, LateNews::Finalized);
            return;
        };
        let vs = &mut rec.per_validator[vi];
        if vs.finalized_ns.is_some() {
            return;
        }
        vs.finalized_ns = Some(now_ns);
        vs.finalized_by = Some(by);
        if let Some(p) = proposed {
            let latency = now_ns.saturating_sub(p);
            self.finalization.record_ns(latency);
            if by == FinalizedBy::FastFinalization {
                self.finalization_fast.record_ns(latency);
            } else {
                self.finalization_slow.record_ns(latency);
            }
            self.validators[vi].finalization.record_ns(latency);
            self.series
                .bucket_latency(now_ns)
                .finalization
                .record_ns(latency);
            self.series.bucket(now_ns).finalizations += 1;
        }
        // Transactions whose client is attached to this validator.
        let mut done = Vec::new();
        if let Some(groups) = self.block_txs.get_mut(&block) {
            if let Some(ids) = groups.remove(&v.0) {
                done = ids;
            }
        }
        for id in done {
            if let Some((submitted, _)) = self.txs.remove(&id) {
                self.tx_latency.record_ns(now_ns.saturating_sub(submitted));
                self.tx_counts.finalized += 1;
                self.series.bucket(now_ns).tx_finalized += 1;
            }
        }
    }

    /// Closes the slot records that are settled at `now_ns`: called at every
    /// whole second of the run (a tick of the observation stream) and at
    /// its end.
    pub fn settle(&mut self, now_ns: u64) {
        let n = self.stakes.len();
        let settled: Vec<Slot> = self
            .slots
            .iter()
            .filter(|(_, r)| {
                let quiet = now_ns.saturating_sub(r.last_news_ns) >= SETTLE_NS;
                let all_final = r.per_validator.iter().all(|s| s.finalized_ns.is_some());
                let all_fast = r
                    .per_validator
                    .iter()
                    .all(|s| s.fast_certificate_ns.is_some());
                (all_final && (all_fast || quiet))
                    || (quiet && r.skip_certified)
                    || now_ns.saturating_sub(r.opened_ns) >= SLOT_RECORD_NS_MAX
            })
            .map(|(s, _)| *s)
            .collect();
        debug_assert!(n > 0);
        for slot in settled {
            let rec = self.slots.remove(&slot).expect("listed above");
            self.close(slot, rec, false);
        }
        self.expire_transactions(now_ns);
    }

    /// Forgets the transactions pending for longer than the timeout,
    /// counting them as expired.
    fn expire_transactions(&mut self, now_ns: u64) {
        while let Some(entry) = self.txs.first_entry() {
            let (submitted_ns, _) = *entry.get();
            if now_ns.saturating_sub(submitted_ns) < self.tx_timeout_ns {
                break;
            }
            entry.remove();
            self.tx_counts.expired += 1;
        }
    }

    /// Folds a slot record into the totals. `at_end`: the run ended while
    /// the slot was still open.
    fn close(&mut self, slot: Slot, rec: SlotRecord, at_end: bool) {
        let finalized_any = rec.per_validator.iter().any(|s| s.finalized_ns.is_some());
        let proposed = !rec.blocks.is_empty();
        if proposed {
            self.counts.proposed += 1;
        }
        let mut unfinished = false;
        if finalized_any {
            self.counts.finalized += 1;
        } else if rec.skip_certified || (!at_end && slot <= self.highest_finalized) {
            self.counts.skipped += 1;
        } else {
            self.counts.unfinished += 1;
            unfinished = true;
        }
        self.closed.insert(
            slot,
            ClosedSlot {
                proposed,
                unfinished,
            },
        );
        let (&highest_closed, _) = self.closed.last_key_value().expect("inserted above");
        let floor = Slot(highest_closed.0.saturating_sub(SAFETY_SLOTS_RETAINED));
        if floor > self.closed_floor {
            self.closed_floor = floor;
            self.closed = self.closed.split_off(&floor);
        }
        let bucket_ns = rec.blocks.first().map_or(rec.opened_ns, |(_, t)| *t);
        let (mut fast, mut first, mut total) = (0u128, 0u128, 0u128);
        for (vi, s) in rec.per_validator.iter().enumerate() {
            if s.finalized_ns.is_none() {
                continue;
            }
            let stake = u128::from(self.stakes[vi]);
            total += stake;
            self.validators[vi].slots_finalized += 1;
            if s.fast_certificate_ns.is_some() {
                fast += stake;
                self.validators[vi].slots_fast += 1;
            }
            if s.finalized_by == Some(FinalizedBy::FastFinalization) {
                first += stake;
            }
        }
        self.fast_stake += fast;
        self.fast_first_stake += first;
        self.finalized_stake += total;
        let bucket = self.series.bucket(bucket_ns);
        bucket.fast_stake += fast;
        bucket.finalized_stake += total;
        // Transactions of this slot's blocks that no client saw finalized
        // stay pending; forget the grouping.
        self.block_txs.retain(|b, _| b.slot != slot);
        self.block_txs = self.block_txs.split_off(&BlockId {
            slot: Slot(slot.0.saturating_sub(SAFETY_SLOTS_RETAINED)),
            hash: BlockHash(0),
        });
    }

    /// Closes every open record (end of run). Call once, before
    /// [`Collector::snapshot`].
    pub fn finish(&mut self) {
        let open = std::mem::take(&mut self.slots);
        for (slot, rec) in open {
            self.close(slot, rec, true);
        }
    }

    /// The figures collected so far, with the safety check's count and
    /// evidence. Open slot records count as unfinished (and their
    /// fast-path figures are not included).
    pub fn snapshot(&self, simulated_ns: u64, safety: &SafetyCheck) -> Snapshot {
        let ratio = |num: u128, den: u128| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        let time_series = self.series.time_series(simulated_ns);
        let mut counts = self.counts;
        counts.unfinished += self.slots.len() as u64;
        let tx_counts = TransactionCounts {
            pending: self.txs.len() as u64,
            ..self.tx_counts
        };
        debug_assert_eq!(
            tx_counts.submitted,
            tx_counts.finalized + tx_counts.expired + tx_counts.pending
        );
        Snapshot {
            summary: Summary {
                finalization_latency_ms: self.finalization.percentiles(),
                notarization_latency_ms: self.notarization.percentiles(),
                tx_latency_ms: self.tx_latency.percentiles(),
                throughput_tps: if simulated_ns == 0 {
                    0.0
                } else {
                    self.tx_counts.finalized as f64 / (simulated_ns as f64 / NS_PER_S as f64)
                },
                fast_path_ratio: ratio(self.fast_stake, self.finalized_stake),
                fast_path_first_ratio: ratio(self.fast_first_stake, self.finalized_stake),
                slots: counts,
                transactions: tx_counts,
                safety_violations: safety.violation_count(),
                messages_sent: self.traffic.iter().map(|v| v.messages_sent).sum(),
                bytes_sent: self.traffic.iter().map(|v| v.bytes_sent).sum(),
            },
            safety_evidence: safety.violations().to_vec(),
            time_series,
            latency_cdf: LatencyCdf::from_histograms(
                &self.finalization_fast,
                &self.finalization_slow,
            ),
        }
    }

    /// Figures over the whole seconds `[start_s, end_s)` of the run.
    pub fn window_figures(&self, start_s: u64, end_s: u64) -> WindowFigures {
        self.series.window_figures(start_s, end_s)
    }

    /// Highest slot any validator finalized.
    pub fn highest_finalized(&self) -> Slot {
        self.highest_finalized
    }

    /// Slot records open now (for memory checks).
    pub fn open_slot_records(&self) -> usize {
        self.slots.len()
    }

    /// Percentiles of one validator.
    pub fn validator_percentiles(&self, v: ValidatorIndex) -> (Percentiles, Percentiles) {
        let stats = &self.validators[v.idx()];
        (
            stats.finalization.percentiles(),
            stats.notarization.percentiles(),
        )
    }
}

/// Whole-run figures at one moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The report's summary.
    pub summary: Summary,
    /// Evidence kept.
    pub safety_evidence: Vec<SafetyViolation>,
    /// Per-second series.
    pub time_series: Vec<TimeBucket>,
    /// Finalization latency by path.
    pub latency_cdf: LatencyCdf,
}
