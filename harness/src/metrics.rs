//! Metric collection and the safety check, from the outside of the
//! validators: the collector timestamps the events each validator emits and
//! compares validators with each other.
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
    BlockEvidence, LatencyHistogram, Percentiles, SafetyViolation, SlotCounts, Summary, TimeBucket,
    TransactionCounts, WindowFigures,
};

const NS_PER_S: u64 = 1_000_000_000;
/// A slot record is closed once every validator finalized it and this much
/// simulated time passed without news for it (late fast-finalization
/// certificates still count until then).
const SETTLE_NS: u64 = 2 * NS_PER_S;
/// A slot record is closed at the latest this long after it opened.
pub const SLOT_RECORD_NS_MAX: u64 = 120 * NS_PER_S;
/// Finalized blocks are remembered for the safety check this many slots
/// below the highest finalized slot.
const SAFETY_SLOTS_RETAINED: u64 = 2_000;
/// Most ancestors walked for one chain-consistency check.
const CHAIN_WALK_MAX: usize = 4_096;
/// Most safety violations kept with evidence (all are counted).
const VIOLATIONS_KEPT_MAX: usize = 100;

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
}

/// Latency histograms of the current second; replaced by their percentiles
/// when the second is over, so that closed seconds hold numbers only.
#[derive(Debug)]
struct BucketLatency {
    finalization: LatencyHistogram,
    notarization: LatencyHistogram,
}

/// Per-second accumulators.
#[derive(Debug, Default)]
struct Bucket {
    /// Histograms while the second is current.
    live: Option<Box<BucketLatency>>,
    /// Finalization p50 and p99, notarization p50 and p99 (ms), once
    /// closed.
    closed_ms: [f64; 4],
    finalizations: u64,
    tx_finalized: u64,
    fast_stake: u128,
    finalized_stake: u128,
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
    /// Per-second buckets; those from `live_from` on may still be open.
    buckets: Vec<Bucket>,
    /// Index of the earliest bucket that may still hold live histograms:
    /// those before it are closed (so that opening a second closes only
    /// the seconds since the last one, not every second of the run).
    live_from: usize,
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
    /// For the safety check: finalized block per slot, with who finalized.
    finalized_blocks: BTreeMap<Slot, Vec<(BlockHash, Vec<u32>)>>,
    /// Parent of every block proposed, within the retained slots (for the
    /// chain-consistency check).
    parents: BTreeMap<BlockId, BlockId>,
    highest_finalized: Slot,
    violations: Vec<SafetyViolation>,
    violation_count: u64,
}

impl Collector {
    /// Default of [`Collector::with_tx_timeout_ns`]: the node's default
    /// 60 s transaction expiry plus [`SLOT_RECORD_NS_MAX`] (3 minutes).
    pub const TX_TIMEOUT_NS_DEFAULT: u64 = 60 * NS_PER_S + SLOT_RECORD_NS_MAX;

    /// A collector for validators with these stakes (lamports), with the
    /// default transaction timeout.
    pub fn new(stakes: Vec<u64>) -> Self {
        Self::with_tx_timeout_ns(stakes, Self::TX_TIMEOUT_NS_DEFAULT)
    }

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
            buckets: vec![Bucket::default()],
            live_from: 0,
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
            finalized_blocks: BTreeMap::new(),
            parents: BTreeMap::new(),
            highest_finalized: Slot::GENESIS,
            violations: Vec::new(),
            violation_count: 0,
        }
    }

    fn bucket(&mut self, now_ns: u64) -> &mut Bucket {
        let i = (now_ns / NS_PER_S) as usize;
        if self.buckets.len() <= i {
            self.buckets.resize_with(i + 1, Bucket::default);
        }
        &mut self.buckets[i]
    }

    /// The latency histograms of the second containing `now_ns`, which is
    /// the current one (events come in time order): earlier seconds are
    /// closed into percentiles first.
    fn bucket_latency(&mut self, now_ns: u64) -> &mut BucketLatency {
        let i = (now_ns / NS_PER_S) as usize;
        self.bucket(now_ns);
        for b in self.buckets[self.live_from.min(i)..i].iter_mut() {
            if let Some(live) = b.live.take() {
                b.closed_ms = Self::bucket_percentiles(&live);
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

    fn bucket_percentiles(live: &BucketLatency) -> [f64; 4] {
        [
            live.finalization.quantile_ms(0.5),
            live.finalization.quantile_ms(0.99),
            live.notarization.quantile_ms(0.5),
            live.notarization.quantile_ms(0.99),
        ]
    }

    /// `count` messages of `bytes` each left validator `from`.
    pub fn sent(&mut self, from: usize, bytes: u32, count: u64) {
        let v = &mut self.traffic[from];
        v.messages_sent += count;
        v.bytes_sent += count * u64::from(bytes);
    }

    /// A message of `bytes` reaches validator `to` (counted when it is
    /// scheduled, not lost).
    pub fn received(&mut self, to: usize, bytes: u32) {
        let v = &mut self.traffic[to];
        v.messages_received += 1;
        v.bytes_received += u64::from(bytes);
    }

    /// A client submitted transaction `id` through validator `client`.
    pub fn tx_submitted(&mut self, now_ns: u64, id: u64, client: u32) {
        self.txs.insert(id, (now_ns, client));
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

    /// Takes an event emitted by validator `v` at `now_ns`.
    pub fn on_event(&mut self, now_ns: u64, v: ValidatorIndex, event: Event) {
        let vi = v.idx();
        match event {
            Event::BlockProduced {
                block,
                parent,
                transactions,
            } => {
                self.parents.insert(block, parent);
                self.validators[vi].slots_proposed += 1;
                let Some(rec) = self.record(block.slot, now_ns) else {
                    self.late_news(block.slot, LateNews::Proposed);
                    return;
                };
                rec.blocks.push((block.hash, now_ns));
                let mut by_client: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
                for id in transactions {
                    if let Some(&(_, client)) = self.txs.get(&id) {
                        by_client.entry(client).or_default().push(id);
                    }
                }
                self.block_txs.insert(block, by_client);
            }
            Event::CertificateStored { kind, slot, block } => match kind {
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
                            self.bucket_latency(now_ns).notarization.record_ns(latency);
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
            Event::Finalized { block, by } => self.on_finalized(now_ns, v, block, by),
            Event::BlockReceived { .. } | Event::VotedSkip { .. } => {}
        }
    }

    fn on_finalized(&mut self, now_ns: u64, v: ValidatorIndex, block: BlockId, by: FinalizedBy) {
        let vi = v.idx();
        self.check_safety(now_ns, v, block);
        self.raise_highest_finalized(block.slot);
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
            self.bucket_latency(now_ns).finalization.record_ns(latency);
            self.bucket(now_ns).finalizations += 1;
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
                self.bucket(now_ns).tx_finalized += 1;
            }
        }
    }

    /// Raises the highest finalized slot to `slot` and prunes what the
    /// safety check keeps below it.
    fn raise_highest_finalized(&mut self, slot: Slot) {
        if slot > self.highest_finalized {
            self.highest_finalized = slot;
            let floor = Slot(slot.0.saturating_sub(SAFETY_SLOTS_RETAINED));
            self.finalized_blocks = self.finalized_blocks.split_off(&floor);
            self.parents = self.parents.split_off(&BlockId {
                slot: floor,
                hash: BlockHash(0),
            });
        }
    }

    /// A finalization that is not measured (a restarting validator handed
    /// certificates): only the safety check sees it.
    pub fn check_safety_only(&mut self, now_ns: u64, v: ValidatorIndex, block: BlockId) {
        self.check_safety(now_ns, v, block);
    }

    /// Safety: no two validators finalize different blocks in one slot.
    fn check_safety(&mut self, now_ns: u64, v: ValidatorIndex, block: BlockId) {
        let entry = self.finalized_blocks.entry(block.slot).or_default();
        if let Some((_, who)) = entry.iter_mut().find(|(h, _)| *h == block.hash) {
            if !who.contains(&v.0) {
                who.push(v.0);
            }
            return;
        }
        entry.push((block.hash, vec![v.0]));
        if entry.len() >= 2 {
            let blocks = entry
                .iter()
                .map(|(h, who)| BlockEvidence {
                    block: h.to_string(),
                    validators: who.clone(),
                })
                .collect();
            self.violation(now_ns, block.slot, "conflicting_finalization", blocks);
            return;
        }
        self.check_chain(now_ns, block);
    }

    fn violation(&mut self, now_ns: u64, slot: Slot, kind: &str, blocks: Vec<BlockEvidence>) {
        self.violation_count += 1;
        if self.violations.len() < VIOLATIONS_KEPT_MAX {
            self.violations.push(SafetyViolation {
                slot: slot.0,
                time_s: now_ns as f64 / NS_PER_S as f64,
                kind: kind.into(),
                blocks,
            });
        }
    }

    fn evidence(&self, block: BlockId) -> BlockEvidence {
        let validators = self
            .finalized_blocks
            .get(&block.slot)
            .and_then(|e| e.iter().find(|(h, _)| *h == block.hash))
            .map(|(_, who)| who.clone())
            .unwrap_or_default();
        BlockEvidence {
            block: format!("{}@{}", block.hash, block.slot),
            validators,
        }
    }

    /// The one block finalized in `slot`, if exactly one is.
    fn finalized_in(&self, slot: Slot) -> Option<BlockHash> {
        match self.finalized_blocks.get(&slot).map(Vec::as_slice) {
            Some([(h, _)]) => Some(*h),
            _ => None,
        }
    }

    /// The ancestor of `block` at the highest slot `<= slot`, as far as the
    /// proposed blocks are known; `None` when the ancestry is unknown there.
    fn ancestor_at_or_below(&self, block: BlockId, slot: Slot) -> Option<BlockId> {
        let mut cursor = block;
        for _ in 0..CHAIN_WALK_MAX {
            if cursor.slot <= slot {
                return Some(cursor);
            }
            cursor = *self.parents.get(&cursor)?;
        }
        None
    }

    /// Chain consistency: finalized blocks must all lie on one chain. A
    /// block newly finalized in slot s must not skip or contradict a block
    /// finalized below it, and the nearest block finalized above it must
    /// descend from it.
    fn check_chain(&mut self, now_ns: u64, block: BlockId) {
        // Below: walk the ancestry down to the nearest finalized ancestor.
        let mut cursor = block;
        for _ in 0..CHAIN_WALK_MAX {
            let Some(&parent) = self.parents.get(&cursor) else {
                break;
            };
            let skipped = self
                .finalized_blocks
                .range(Slot(parent.slot.0 + 1)..cursor.slot)
                .next()
                .and_then(|(s, e)| e.first().map(|(h, _)| BlockId { slot: *s, hash: *h }));
            if let Some(other) = skipped {
                let blocks = vec![self.evidence(block), self.evidence(other)];
                self.violation(now_ns, other.slot, "chain_inconsistency", blocks);
                return;
            }
            match self.finalized_in(parent.slot) {
                Some(h) if h == parent.hash => break,
                Some(h) => {
                    let other = BlockId {
                        slot: parent.slot,
                        hash: h,
                    };
                    let blocks = vec![self.evidence(block), self.evidence(other)];
                    self.violation(now_ns, parent.slot, "chain_inconsistency", blocks);
                    return;
                }
                None if parent.slot == Slot::GENESIS => break,
                None => cursor = parent,
            }
        }
        // Above: the nearest finalized block must have `block` in its chain.
        let above = self
            .finalized_blocks
            .range(block.slot.next()..)
            .next()
            .and_then(|(s, e)| e.first().map(|(h, _)| BlockId { slot: *s, hash: *h }));
        if let Some(higher) = above {
            if let Some(ancestor) = self.ancestor_at_or_below(higher, block.slot) {
                if ancestor != block {
                    let blocks = vec![self.evidence(higher), self.evidence(block)];
                    self.violation(now_ns, block.slot, "chain_inconsistency", blocks);
                }
            }
        }
    }

    /// Closes the slot records that are settled at `now_ns`. Call it now
    /// and then (the simulator does once per simulated second).
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
        let bucket = self.bucket(bucket_ns);
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

    /// The figures collected so far. Open slot records count as unfinished
    /// (and their fast-path figures are not included).
    pub fn snapshot(&self, simulated_ns: u64) -> Snapshot {
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
        let time_series = (0..buckets_complete)
            .map(|i| (i, self.buckets.get(i).unwrap_or(&empty)))
            .map(|(i, b)| {
                let ms = b
                    .live
                    .as_deref()
                    .map_or(b.closed_ms, Self::bucket_percentiles);
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
            .collect();
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
                safety_violations: self.violation_count,
                messages_sent: self.traffic.iter().map(|v| v.messages_sent).sum(),
                bytes_sent: self.traffic.iter().map(|v| v.bytes_sent).sum(),
            },
            safety_evidence: self.violations.clone(),
            time_series,
            latency_cdf: LatencyCdf::from_histograms(
                &self.finalization_fast,
                &self.finalization_slow,
            ),
        }
    }

    /// Figures over the whole seconds `[start_s, end_s)` of the run.
    pub fn window_figures(&self, start_s: u64, end_s: u64) -> WindowFigures {
        let end = (end_s as usize).min(self.buckets.len());
        let start = (start_s as usize).min(end);
        let buckets = &self.buckets[start..end];
        let mut p50s: Vec<(f64, u64)> = Vec::new();
        let (mut fins, mut txs, mut fast, mut total) = (0u64, 0u64, 0u128, 0u128);
        for b in buckets {
            let ms = b
                .live
                .as_deref()
                .map_or(b.closed_ms, Self::bucket_percentiles);
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

    /// Safety violations counted so far.
    pub fn safety_violations(&self) -> u64 {
        self.violation_count
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
    pub fn validator_percentiles(&self, v: usize) -> (Percentiles, Percentiles) {
        (
            self.validators[v].finalization.percentiles(),
            self.validators[v].notarization.percentiles(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finalized(c: &mut Collector, t: u64, v: u32, slot: u64, hash: u64) {
        c.on_event(
            t,
            ValidatorIndex(v),
            Event::Finalized {
                block: BlockId {
                    slot: Slot(slot),
                    hash: BlockHash(hash),
                },
                by: FinalizedBy::Finalization,
            },
        );
    }

    fn produced(c: &mut Collector, slot: u64, hash: u64, parent: (u64, u64)) {
        c.on_event(
            0,
            ValidatorIndex(0),
            Event::BlockProduced {
                block: BlockId {
                    slot: Slot(slot),
                    hash: BlockHash(hash),
                },
                parent: BlockId {
                    slot: Slot(parent.0),
                    hash: BlockHash(parent.1),
                },
                transactions: vec![],
            },
        );
    }

    #[test]
    fn a_finalized_chain_is_consistent() {
        let mut c = Collector::new(vec![1, 1, 1]);
        produced(&mut c, 1, 0xA1, (0, 0));
        produced(&mut c, 2, 0xA2, (1, 0xA1));
        produced(&mut c, 4, 0xA4, (2, 0xA2)); // slot 3 skipped
        finalized(&mut c, 10, 0, 1, 0xA1);
        finalized(&mut c, 11, 1, 4, 0xA4); // before its parent is finalized
        finalized(&mut c, 12, 2, 2, 0xA2);
        assert_eq!(c.snapshot(1).summary.safety_violations, 0);
    }

    #[test]
    fn a_chain_that_skips_a_finalized_block_is_a_violation() {
        let mut c = Collector::new(vec![1, 1, 1]);
        produced(&mut c, 1, 0xA1, (0, 0));
        produced(&mut c, 3, 0xB3, (0, 0)); // forks from genesis, skipping slot 1
        finalized(&mut c, 10, 0, 1, 0xA1);
        finalized(&mut c, 11, 1, 3, 0xB3);
        let s = c.snapshot(1);
        assert_eq!(s.summary.safety_violations, 1);
        let e = &s.safety_evidence[0];
        assert_eq!(e.kind, "chain_inconsistency");
        assert_eq!(e.slot, 1);
        assert_eq!(e.blocks[0].validators, vec![1]);
        assert_eq!(e.blocks[1].validators, vec![0]);
    }

    #[test]
    fn a_lower_block_off_the_finalized_chain_is_a_violation() {
        let mut c = Collector::new(vec![1, 1, 1]);
        produced(&mut c, 1, 0xA1, (0, 0));
        produced(&mut c, 2, 0xA2, (1, 0xA1));
        produced(&mut c, 1, 0xB1, (0, 0)); // equivocation in slot 1
        finalized(&mut c, 10, 0, 2, 0xA2);
        // B1 is finalized later; A2 descends from A1, not B1.
        finalized(&mut c, 11, 1, 1, 0xB1);
        let s = c.snapshot(1);
        assert_eq!(s.summary.safety_violations, 1);
        assert_eq!(s.safety_evidence[0].kind, "chain_inconsistency");
    }

    #[test]
    fn conflicting_finalizations_are_violations_with_evidence() {
        let mut c = Collector::new(vec![1, 1, 1]);
        finalized(&mut c, 10, 0, 5, 0xA);
        finalized(&mut c, 11, 1, 5, 0xA);
        assert_eq!(c.snapshot(1).summary.safety_violations, 0);
        finalized(&mut c, 12, 2, 5, 0xB);
        let s = c.snapshot(1);
        assert_eq!(s.summary.safety_violations, 1);
        let e = &s.safety_evidence[0];
        assert_eq!(e.slot, 5);
        assert_eq!(e.blocks.len(), 2);
        assert_eq!(e.blocks[0].validators, vec![0, 1]);
        assert_eq!(e.blocks[1].validators, vec![2]);
    }

    #[test]
    fn a_closed_slot_is_not_counted_again() {
        let mut c = Collector::new(vec![1, 1]);
        produced(&mut c, 1, 0xA1, (0, 0));
        finalized(&mut c, 10, 0, 1, 0xA1);
        finalized(&mut c, 11, 1, 1, 0xA1);
        // Settled (every validator finalized, quiet for SETTLE_NS).
        c.settle(11 + SETTLE_NS);
        assert_eq!(c.open_slot_records(), 0);
        // Late news of slot 1: a second block for it, a certificate, a
        // finalization. None opens a second record.
        produced(&mut c, 1, 0xB1, (0, 0));
        c.on_event(
            12 + SETTLE_NS,
            ValidatorIndex(1),
            Event::CertificateStored {
                kind: CertificateKind::FastFinalization,
                slot: Slot(1),
                block: Some(BlockHash(0xA1)),
            },
        );
        finalized(&mut c, 13 + SETTLE_NS, 0, 1, 0xA1);
        assert_eq!(c.open_slot_records(), 0);
        c.finish();
        let s = c.snapshot(10 * NS_PER_S);
        assert_eq!(s.summary.slots.finalized, 1);
        assert_eq!(s.summary.slots.proposed, 1);
        assert_eq!(s.summary.slots.unfinished, 0);
        assert_eq!(s.summary.finalization_latency_ms.count, 2);
        assert_eq!(s.summary.fast_path_ratio, 0.0);
        // A conflicting late finalization is still a safety violation.
        finalized(&mut c, 14 + SETTLE_NS, 1, 1, 0xB1);
        assert_eq!(c.snapshot(10 * NS_PER_S).summary.safety_violations, 1);
    }

    #[test]
    fn a_slot_closed_undecided_is_recounted_when_decided_later() {
        // A long partition: slots 5 and 6 stay undecided past the 120 s
        // limit of their records; later slot 5 is skip-certified and slot 6
        // finalized. Slot 7 is skipped with no block, then a late block
        // for it turns up.
        let mut c = Collector::new(vec![1, 1]);
        produced(&mut c, 5, 0xA5, (0, 0));
        produced(&mut c, 6, 0xA6, (5, 0xA5));
        c.on_event(
            0,
            ValidatorIndex(0),
            Event::CertificateStored {
                kind: CertificateKind::Skip,
                slot: Slot(7),
                block: None,
            },
        );
        c.settle(SLOT_RECORD_NS_MAX);
        assert_eq!(c.open_slot_records(), 0);
        let counts = c.snapshot(NS_PER_S).summary.slots;
        assert_eq!(
            (counts.proposed, counts.unfinished, counts.skipped),
            (2, 2, 1)
        );
        let t = SLOT_RECORD_NS_MAX + 10 * NS_PER_S;
        c.on_event(
            t,
            ValidatorIndex(1),
            Event::CertificateStored {
                kind: CertificateKind::Skip,
                slot: Slot(5),
                block: None,
            },
        );
        finalized(&mut c, t, 0, 6, 0xA6);
        finalized(&mut c, t, 1, 6, 0xA6);
        produced(&mut c, 7, 0xA7, (6, 0xA6));
        assert_eq!(c.open_slot_records(), 0, "nothing is measured again");
        let s = c.snapshot(t);
        assert_eq!(s.summary.slots.proposed, 3);
        assert_eq!(s.summary.slots.unfinished, 0);
        assert_eq!(s.summary.slots.skipped, 2);
        assert_eq!(s.summary.slots.finalized, 1);
        assert_eq!(s.summary.finalization_latency_ms.count, 0);
        // Sum of the validators' proposals = slots proposed here.
        let by_validators: u64 = c.validators.iter().map(|v| v.slots_proposed).sum();
        assert_eq!(by_validators, 3);
    }

    #[test]
    fn closed_slots_are_remembered_within_a_bounded_window() {
        let mut c = Collector::new(vec![1]);
        let last = SAFETY_SLOTS_RETAINED + 500;
        for slot in 1..=last {
            let t = slot * NS_PER_S;
            produced(&mut c, slot, slot, (slot - 1, slot - 1));
            finalized(&mut c, t, 0, slot, slot);
            c.settle(t + SETTLE_NS);
        }
        assert!(c.closed.len() as u64 <= SAFETY_SLOTS_RETAINED + 1);
        // Below the floor and above it, a late finalization opens nothing.
        finalized(&mut c, (last + 3) * NS_PER_S, 0, 3, 3);
        finalized(&mut c, (last + 3) * NS_PER_S, 0, last - 1, last - 1);
        assert_eq!(c.open_slot_records(), 0);
    }

    #[test]
    fn transactions_pending_past_the_timeout_expire() {
        let mut c = Collector::with_tx_timeout_ns(vec![1], 10 * NS_PER_S);
        c.tx_submitted(0, 1, 0);
        c.tx_submitted(NS_PER_S, 2, 0);
        c.tx_submitted(5 * NS_PER_S, 3, 0);
        c.settle(10 * NS_PER_S);
        let t = c.snapshot(10 * NS_PER_S).summary.transactions;
        assert_eq!(
            (t.submitted, t.finalized, t.pending, t.expired),
            (3, 0, 2, 1)
        );
        c.settle(15 * NS_PER_S);
        let t = c.snapshot(15 * NS_PER_S).summary.transactions;
        assert_eq!((t.pending, t.expired), (0, 3));
        assert!(c.txs.is_empty());
    }

    #[test]
    fn the_time_series_covers_every_simulated_second() {
        let mut c = Collector::new(vec![1]);
        produced(&mut c, 1, 0xA1, (0, 0));
        finalized(&mut c, NS_PER_S / 2, 0, 1, 0xA1);
        // Nothing happens after the first second of a 5.5 s run.
        let s = c.snapshot(5 * NS_PER_S + NS_PER_S / 2);
        assert_eq!(s.time_series.len(), 5);
        assert_eq!(s.time_series[0].finalizations, 1);
        assert_eq!(s.time_series[4].t_s, 4.0);
        assert_eq!(s.time_series[4].finalizations, 0);
        assert_eq!(s.time_series[4].fast_path_ratio, None);
    }

    #[test]
    fn fast_path_ratio_is_stake_weighted() {
        // Validator 0 has 3/4 of the stake and sees the fast certificate;
        // validator 1 does not.
        let mut c = Collector::new(vec![3, 1]);
        let block = BlockId {
            slot: Slot(1),
            hash: BlockHash(7),
        };
        c.on_event(
            0,
            ValidatorIndex(0),
            Event::BlockProduced {
                block,
                parent: BlockId::GENESIS,
                transactions: vec![],
            },
        );
        c.on_event(
            5,
            ValidatorIndex(0),
            Event::CertificateStored {
                kind: CertificateKind::FastFinalization,
                slot: Slot(1),
                block: Some(BlockHash(7)),
            },
        );
        for v in 0..2 {
            finalized(&mut c, 10, v, 1, 7);
        }
        c.finish();
        let s = c.snapshot(NS_PER_S);
        assert!(
            (s.summary.fast_path_ratio - 0.75).abs() < 1e-9,
            "{}",
            s.summary.fast_path_ratio
        );
        assert_eq!(s.summary.fast_path_first_ratio, 0.0);
        assert_eq!(s.summary.slots.finalized, 1);
        assert_eq!(s.summary.finalization_latency_ms.count, 2);
    }
}
