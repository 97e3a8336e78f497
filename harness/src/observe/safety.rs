//! The safety checks, from the outside of the validators: no two validators
//! finalize different blocks in one slot (`conflicting_finalization`), and
//! all finalized blocks lie on one chain, none skipping or contradicting
//! another's ancestry (`chain_inconsistency`). A violation is counted and
//! kept with its evidence (slot, blocks, who finalized each, time).
//!
//! Fed by the observation stream: the parents of proposed blocks
//! (`BlockProduced`) and every finalization, also those a restarted
//! validator reaches from handed-over certificates, which are not measured
//! but must be safe.
//!
//! Memory is bounded: finalized blocks and parents are kept for the
//! [`SAFETY_SLOTS_RETAINED`] slots below the highest finalized slot; ancestry
//! walks stop after [`CHAIN_WALK_MAX`] blocks; at most
//! [`VIOLATIONS_KEPT_MAX`] violations keep their evidence.

use std::collections::BTreeMap;

use whiteout_node::{BlockHash, BlockId, Event, Slot, ValidatorIndex};
use whiteout_results::{BlockEvidence, SafetyViolation};

use super::EventRecord;
use crate::limits::NS_PER_S;

/// Finalized blocks (and proposed blocks' parents) are remembered for the
/// safety check this many slots below the highest finalized slot.
pub const SAFETY_SLOTS_RETAINED: u64 = 2_000;
/// Most ancestors walked for one chain-consistency check.
pub const CHAIN_WALK_MAX: usize = 4_096;
/// Most safety violations kept with evidence (all are counted).
pub const VIOLATIONS_KEPT_MAX: usize = 100;

/// The safety checker of one run.
#[derive(Debug, Default)]
pub struct SafetyCheck {
    /// Finalized block per slot, with who finalized it (several: a
    /// conflict).
    finalized_blocks: BTreeMap<Slot, Vec<(BlockHash, Vec<u32>)>>,
    /// Parent of every block proposed, within the retained slots.
    parents: BTreeMap<BlockId, BlockId>,
    /// Highest slot finalized by a measured event (prunes the state).
    highest_finalized: Slot,
    violations: Vec<SafetyViolation>,
    violation_count: u64,
}

impl SafetyCheck {
    /// An empty checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event record: a measured `BlockProduced` records the
    /// block's parent; every `Finalized` is checked (a handed-over one does
    /// not move the retention window, as it is not measured).
    pub fn on_event(&mut self, r: &EventRecord<'_>) {
        match r.event {
            Event::BlockProduced { block, parent, .. } if !r.handed_over => {
                self.parents.insert(*block, *parent);
            }
            Event::Finalized { block, .. } => {
                self.check_safety(r.t_ns, r.validator, *block);
                if !r.handed_over {
                    self.raise_highest_finalized(block.slot);
                }
            }
            _ => {}
        }
    }

    /// Violations counted so far.
    pub fn violation_count(&self) -> u64 {
        self.violation_count
    }

    /// The violations kept with evidence (at most [`VIOLATIONS_KEPT_MAX`]).
    pub fn violations(&self) -> &[SafetyViolation] {
        &self.violations
    }

    /// Raises the highest finalized slot to `slot` and prunes what the
    /// check keeps below it.
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
}
