//! Tests of the collector and the safety checks, fed as the observation
//! stream feeds them.

use super::*;
use crate::observe::Observers;

/// The collector and the safety check behind the observation stream, fed
/// through the calls the simulator makes.
struct Feed(Observers);

impl Feed {
    fn new(stakes: Vec<u64>) -> Self {
        Self::with_tx_timeout_ns(stakes, Collector::TX_TIMEOUT_NS_DEFAULT)
    }

    fn with_tx_timeout_ns(stakes: Vec<u64>, tx_timeout_ns: u64) -> Self {
        Feed(Observers::new(stakes, tx_timeout_ns, None))
    }

    fn on_event(&mut self, t_ns: u64, validator: ValidatorIndex, event: Event) {
        self.0.event(&EventRecord {
            t_ns,
            validator,
            event: &event,
            handed_over: false,
        });
    }

    fn settle(&mut self, t_ns: u64) {
        self.0.tick(t_ns);
    }

    fn finish(&mut self) {
        self.0.metrics.finish();
    }

    fn snapshot(&self, t_ns: u64) -> Snapshot {
        self.0.snapshot(t_ns)
    }

    fn open_slot_records(&self) -> usize {
        self.0.metrics.open_slot_records()
    }

    fn tx_submitted(&mut self, t_ns: u64, id: u64, client: u32) {
        self.0.transaction(t_ns, id, ValidatorIndex(client));
    }
}

fn finalized(c: &mut Feed, t: u64, v: u32, slot: u64, hash: u64) {
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

fn produced(c: &mut Feed, slot: u64, hash: u64, parent: (u64, u64)) {
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
    let mut c = Feed::new(vec![1, 1, 1]);
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
    let mut c = Feed::new(vec![1, 1, 1]);
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
    let mut c = Feed::new(vec![1, 1, 1]);
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
    let mut c = Feed::new(vec![1, 1, 1]);
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
    let mut c = Feed::new(vec![1, 1]);
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
    let mut c = Feed::new(vec![1, 1]);
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
    let by_validators: u64 =
        c.0.metrics
            .validators
            .iter()
            .map(|v| v.slots_proposed)
            .sum();
    assert_eq!(by_validators, 3);
}

#[test]
fn closed_slots_are_remembered_within_a_bounded_window() {
    let mut c = Feed::new(vec![1]);
    let last = SAFETY_SLOTS_RETAINED + 500;
    for slot in 1..=last {
        let t = slot * NS_PER_S;
        produced(&mut c, slot, slot, (slot - 1, slot - 1));
        finalized(&mut c, t, 0, slot, slot);
        c.settle(t + SETTLE_NS);
    }
    assert!(c.0.metrics.closed.len() as u64 <= SAFETY_SLOTS_RETAINED + 1);
    // Below the floor and above it, a late finalization opens nothing.
    finalized(&mut c, (last + 3) * NS_PER_S, 0, 3, 3);
    finalized(&mut c, (last + 3) * NS_PER_S, 0, last - 1, last - 1);
    assert_eq!(c.open_slot_records(), 0);
}

#[test]
fn transactions_pending_past_the_timeout_expire() {
    let mut c = Feed::with_tx_timeout_ns(vec![1], 10 * NS_PER_S);
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
    assert!(c.0.metrics.txs.is_empty());
}

#[test]
fn the_time_series_covers_every_simulated_second() {
    let mut c = Feed::new(vec![1]);
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
    let mut c = Feed::new(vec![3, 1]);
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
