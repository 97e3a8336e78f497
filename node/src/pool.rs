//! The Pool (white paper section 2.5): stores votes and certificates per
//! slot, by its storage rules, and builds certificates when a threshold is
//! reached.
//!
//! Storage rules per validator per slot (Definition 12): the first notar or
//! skip vote; up to 3 notar-fallback votes; the first skip-fallback vote; the
//! first final vote. Anything else is dropped. One certificate of each kind
//! is stored per slot (per block for kinds that name a block).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::message::{Certificate, CertificateKind, SignerSet, Vote, VoteKind};
use crate::slot_map::SlotMap;
use crate::types::{BlockHash, Slot, Stake, ValidatorIndex, ValidatorSet};

/// Most notar-fallback votes stored per validator per slot (Definition 12).
pub const NOTAR_FALLBACK_VOTES_MAX: usize = 3;

/// Stake behind a set of votes, with who cast them.
#[derive(Clone, Debug, Default)]
struct Tally {
    stake: u64,
    signers: SignerSet,
}

impl Tally {
    fn add(&mut self, v: ValidatorIndex, stake: Stake) -> bool {
        if self.signers.insert(v) {
            self.stake += stake.0;
            true
        } else {
            false
        }
    }
}

/// Votes and certificates of one slot.
#[derive(Debug, Default)]
struct SlotPool {
    /// Validators whose first notar-or-skip vote is stored (section 2.5:
    /// one per validator and slot); what it was is in the tallies. A bit
    /// per validator, because the Pool keeps `slots_retained` slots for
    /// every validator: at 16 bytes per validator, as it was, this field
    /// was most of a 1,000-validator run's memory.
    first_vote: SignerSet,
    /// Notar-fallback votes stored per validator (at most 3).
    notar_fallback_votes: BTreeMap<ValidatorIndex, Vec<BlockHash>>,
    /// NotarVote tally per block.
    notar: Vec<(BlockHash, Tally)>,
    /// NotarVote-or-NotarFallbackVote tally per block.
    notar_or_fallback: Vec<(BlockHash, Tally)>,
    /// SkipVote stake alone (for SafeToNotar / SafeToSkip).
    skip_stake: u64,
    /// SkipVote-or-SkipFallbackVote tally.
    skip_or_fallback: Tally,
    /// FinalVote tally.
    final_votes: Tally,
    /// Certificates stored, in the order they were stored.
    certificates: Vec<Arc<Certificate>>,
    /// Kinds of the certificates stored, one bit per kind
    /// ([`SlotPool::kind_bit`]): most questions about certificates are
    /// answered without looking at them.
    kinds: u8,
}

impl SlotPool {
    fn tally_mut(tallies: &mut Vec<(BlockHash, Tally)>, block: BlockHash) -> &mut Tally {
        let pos = match tallies.iter().position(|(b, _)| *b == block) {
            Some(pos) => pos,
            None => {
                tallies.push((block, Tally::default()));
                tallies.len() - 1
            }
        };
        &mut tallies[pos].1
    }

    /// The bit of `kind` in [`SlotPool::kinds`].
    fn kind_bit(kind: CertificateKind) -> u8 {
        1 << kind as u8
    }

    fn has(&self, kind: CertificateKind, block: Option<BlockHash>) -> bool {
        self.kinds & Self::kind_bit(kind) != 0
            && (block.is_none()
                || self
                    .certificates
                    .iter()
                    .any(|c| c.kind == kind && c.block == block))
    }

    /// Stores `cert` (the caller checked that none of its kind and block is
    /// stored).
    fn store(&mut self, cert: Arc<Certificate>) {
        self.kinds |= Self::kind_bit(cert.kind);
        self.certificates.push(cert);
    }

    /// Builds, stores and adds to `new` a certificate of `kind` for `block`
    /// from the votes counted toward it, which the caller found to reach the
    /// kind's threshold, unless such a certificate is stored already.
    fn certify(
        &mut self,
        new: &mut Vec<Arc<Certificate>>,
        slot: Slot,
        kind: CertificateKind,
        block: Option<BlockHash>,
    ) {
        if self.has(kind, block) {
            return;
        }
        // A notarization certificate makes a notar-fallback one for the
        // same block redundant: do not build (and broadcast) both.
        if kind == CertificateKind::NotarFallback && self.has(CertificateKind::Notarization, block)
        {
            return;
        }
        let Some(tally) = self.tally(kind, block) else {
            return;
        };
        let cert = Arc::new(Certificate {
            kind,
            slot,
            block,
            signers: tally.signers.clone(),
        });
        self.store(cert.clone());
        new.push(cert);
    }

    /// The tally of `block` among `tallies`.
    fn tally_of(tallies: &[(BlockHash, Tally)], block: BlockHash) -> Option<&Tally> {
        tallies.iter().find(|(b, _)| *b == block).map(|(_, t)| t)
    }

    /// The votes counted toward a certificate of `kind` for `block`
    /// (Table 6), if any.
    fn tally(&self, kind: CertificateKind, block: Option<BlockHash>) -> Option<&Tally> {
        match (kind, block) {
            (CertificateKind::FastFinalization | CertificateKind::Notarization, Some(b)) => {
                Self::tally_of(&self.notar, b)
            }
            (CertificateKind::NotarFallback, Some(b)) => Self::tally_of(&self.notar_or_fallback, b),
            (CertificateKind::Skip, _) => Some(&self.skip_or_fallback),
            (CertificateKind::Finalization, _) => Some(&self.final_votes),
            _ => None,
        }
    }
}

/// A validator's fallback-event state in a slot it voted in (Algorithm 1),
/// for [`Pool::quiet_stake`].
#[derive(Clone, Copy, Debug)]
pub struct FallbackWatch<'a> {
    /// `VotedNotar(hash)`: the block it voted to notarize, if any.
    pub voted_notar: Option<BlockHash>,
    /// Blocks for which SafeToNotar was emitted.
    pub safe_to_notar: &'a [BlockHash],
    /// Whether SafeToSkip was emitted.
    pub safe_to_skip: bool,
}

/// The Pool of one validator.
#[derive(Debug)]
pub struct Pool {
    validators: Arc<ValidatorSet>,
    slots: SlotMap<SlotPool>,
    /// The least stakes (lamports) that reach 40%, 60% and 80% of the
    /// total ([`ValidatorSet::threshold_stake`]), for [`Pool::quiet_stake`].
    thresholds_lamports: [u64; 3],
}

impl Pool {
    /// An empty pool for `validators`.
    pub fn new(validators: Arc<ValidatorSet>) -> Self {
        Self {
            thresholds_lamports: [40, 60, 80].map(|p| validators.threshold_stake(p)),
            validators,
            slots: SlotMap::new(),
        }
    }

    /// Stores `vote` if the storage rules allow it, and returns the
    /// certificates that it completed (already stored), in the order
    /// fast-finalization, notarization, notar-fallback, skip, finalization.
    ///
    /// # Panics
    /// When the voter is not in the validator set (a bug of the caller,
    /// which must drop such messages first).
    pub fn add_vote(&mut self, vote: Vote) -> Vec<Arc<Certificate>> {
        let Some(sp) = Self::count_vote(&mut self.slots, &self.validators, vote) else {
            return Vec::new();
        };
        let v = &*self.validators;
        let slot = vote.slot;
        let reaches =
            |stake: u64, kind: CertificateKind| v.reaches(Stake(stake), kind.threshold_percent());
        let mut new = Vec::new();
        // Each stored vote can complete only the certificates that count
        // it, checked in the order fast-finalization, notarization,
        // notar-fallback, skip, finalization; most votes complete none.
        match vote.kind {
            VoteKind::Notar(block) => {
                let notar = SlotPool::tally_of(&sp.notar, block).map_or(0, |t| t.stake);
                let either =
                    SlotPool::tally_of(&sp.notar_or_fallback, block).map_or(0, |t| t.stake);
                let b = Some(block);
                if reaches(notar, CertificateKind::FastFinalization) {
                    sp.certify(&mut new, slot, CertificateKind::FastFinalization, b);
                }
                if reaches(notar, CertificateKind::Notarization) {
                    sp.certify(&mut new, slot, CertificateKind::Notarization, b);
                }
                if reaches(either, CertificateKind::NotarFallback) {
                    sp.certify(&mut new, slot, CertificateKind::NotarFallback, b);
                }
            }
            VoteKind::NotarFallback(block) => {
                let either =
                    SlotPool::tally_of(&sp.notar_or_fallback, block).map_or(0, |t| t.stake);
                if reaches(either, CertificateKind::NotarFallback) {
                    sp.certify(&mut new, slot, CertificateKind::NotarFallback, Some(block));
                }
            }
            VoteKind::Skip | VoteKind::SkipFallback => {
                if reaches(sp.skip_or_fallback.stake, CertificateKind::Skip) {
                    sp.certify(&mut new, slot, CertificateKind::Skip, None);
                }
            }
            VoteKind::Final => {
                if reaches(sp.final_votes.stake, CertificateKind::Finalization) {
                    sp.certify(&mut new, slot, CertificateKind::Finalization, None);
                }
            }
        }
        new
    }

    /// Stores `vote` as [`Pool::add_vote`] does, without looking for the
    /// certificates it completes: for a vote the caller knows completes
    /// none, its slot's votes since [`Pool::quiet_stake`] (this one
    /// included) having less stake than that bound.
    pub fn add_quiet_vote(&mut self, vote: Vote) {
        Self::count_vote(&mut self.slots, &self.validators, vote);
    }

    /// Counts `vote` in its slot's tallies if the storage rules allow it
    /// (section 2.5: the first notar-or-skip vote, up to 3 notar-fallback
    /// votes, the first skip-fallback, the first final); returns its slot's
    /// votes when it was stored. Over the Pool's fields, so that the caller
    /// can read the validator set while it holds the slot.
    ///
    /// # Panics
    /// When the voter is not in the validator set.
    fn count_vote<'a>(
        slots: &'a mut SlotMap<SlotPool>,
        validators: &ValidatorSet,
        vote: Vote,
    ) -> Option<&'a mut SlotPool> {
        assert!(vote.voter.idx() < validators.len(), "unknown voter");
        let stake = validators.stake(vote.voter);
        let sp = slots.get_or_default(vote.slot);
        let stored = match vote.kind {
            VoteKind::Notar(block) => {
                if !sp.first_vote.insert(vote.voter) {
                    return None;
                }
                SlotPool::tally_mut(&mut sp.notar, block).add(vote.voter, stake);
                SlotPool::tally_mut(&mut sp.notar_or_fallback, block).add(vote.voter, stake);
                true
            }
            VoteKind::Skip => {
                if !sp.first_vote.insert(vote.voter) {
                    return None;
                }
                sp.skip_stake += stake.0;
                sp.skip_or_fallback.add(vote.voter, stake);
                true
            }
            VoteKind::NotarFallback(block) => {
                let stored = sp.notar_fallback_votes.entry(vote.voter).or_default();
                if stored.len() >= NOTAR_FALLBACK_VOTES_MAX || stored.contains(&block) {
                    return None;
                }
                stored.push(block);
                SlotPool::tally_mut(&mut sp.notar_or_fallback, block).add(vote.voter, stake);
                true
            }
            VoteKind::SkipFallback => sp.skip_or_fallback.add(vote.voter, stake),
            VoteKind::Final => sp.final_votes.add(vote.voter, stake),
        };
        stored.then_some(sp)
    }

    /// Checks a certificate received from another validator: its signers
    /// must be validators whose stake reaches the kind's threshold, and it
    /// must name a block exactly when its kind does. Returns the stake behind
    /// it when valid.
    pub fn verify(&self, cert: &Certificate) -> Option<Stake> {
        if cert.kind.names_block() != cert.block.is_some() {
            return None;
        }
        let mut stake = 0u64;
        for v in cert.signers.iter() {
            if v.idx() >= self.validators.len() {
                return None;
            }
            stake += self.validators.stake(v).0;
        }
        self.validators
            .reaches(Stake(stake), cert.kind.threshold_percent())
            .then_some(Stake(stake))
    }

    /// Stores a verified certificate received from another validator.
    /// Returns `false` when one of the same kind (and block) is already
    /// stored.
    pub fn add_certificate(&mut self, cert: Arc<Certificate>) -> bool {
        let sp = self.slots.get_or_default(cert.slot);
        if sp.has(cert.kind, cert.block) {
            return false;
        }
        sp.store(cert);
        true
    }

    /// Whether a certificate of `kind` (for `block`, when given) is stored
    /// for `slot`.
    #[inline]
    pub fn has_certificate(
        &self,
        slot: Slot,
        kind: CertificateKind,
        block: Option<BlockHash>,
    ) -> bool {
        self.slots.get(slot).is_some_and(|sp| sp.has(kind, block))
    }

    /// The block of the notarization certificate stored for `slot`, if any.
    pub fn notarized_block(&self, slot: Slot) -> Option<BlockHash> {
        self.slots.get(slot).and_then(|sp| {
            sp.certificates
                .iter()
                .find(|c| c.kind == CertificateKind::Notarization)
                .and_then(|c| c.block)
        })
    }

    /// Whether a notarization or notar-fallback certificate for `block` is
    /// stored.
    pub fn has_notar_or_fallback(&self, slot: Slot, block: BlockHash) -> bool {
        self.slots.get(slot).is_some_and(|sp| {
            sp.certificates.iter().any(|c| {
                c.block == Some(block)
                    && matches!(
                        c.kind,
                        CertificateKind::Notarization
                            | CertificateKind::NotarFallback
                            | CertificateKind::FastFinalization
                    )
            })
        })
    }

    /// Blocks of `slot` with a notarization or notar-fallback certificate
    /// (a fast-finalization certificate implies one), in storage order.
    pub fn notar_or_fallback_blocks(&self, slot: Slot) -> Vec<BlockHash> {
        let mut blocks = Vec::new();
        if let Some(sp) = self.slots.get(slot) {
            for c in &sp.certificates {
                if c.kind.names_block() {
                    let b = c.block.expect("block certificates name a block");
                    if !blocks.contains(&b) {
                        blocks.push(b);
                    }
                }
            }
        }
        blocks
    }

    /// Stake of NotarVotes for `block` in `slot` (`notar(b)`).
    pub fn notar_stake(&self, slot: Slot, block: BlockHash) -> Stake {
        Stake(
            self.slots
                .get(slot)
                .and_then(|sp| sp.notar.iter().find(|(b, _)| *b == block))
                .map_or(0, |(_, t)| t.stake),
        )
    }

    /// Whether `block` is the only block of `slot` with NotarVotes and
    /// `slot` has no SkipVotes: for a validator that voted for `block`, the
    /// common case in which neither SafeToNotar nor SafeToSkip can hold.
    pub(crate) fn only_notar_block_and_no_skip(&self, slot: Slot, block: BlockHash) -> bool {
        self.slots
            .get(slot)
            .is_some_and(|sp| sp.skip_stake == 0 && sp.notar.len() == 1 && sp.notar[0].0 == block)
    }

    /// A lower bound, in lamports, on the stake of further votes for `slot`
    /// that must be stored before one of them can complete a certificate
    /// or, when `watch` is given, emit SafeToNotar or SafeToSkip: any votes
    /// for `slot` of less stake in total, of any kinds and voters, only
    /// change the tallies. `watch` is the validator's fallback-event state
    /// in a slot it voted in (`None` before it voted there: then votes
    /// cannot emit those events, section 2.5).
    ///
    /// Every quantity a threshold is checked on (`notar(b)`, notar-or-
    /// fallback per block, skip-or-fallback, final, `skip(s) + notar(b)`,
    /// `skip(s) + sum notar - max notar`) grows by at most a vote's stake,
    /// so the bound is the least gap between such a quantity and a
    /// threshold not yet acted on (Table 6: 80% fast-finalization, 60% the
    /// others; SafeToNotar 40%, or 60% with skip, its 20% condition left
    /// out; SafeToSkip 40%), a block with no votes yet included.
    pub fn quiet_stake(&self, slot: Slot, watch: Option<FallbackWatch<'_>>) -> u64 {
        let [t40, t60, t80] = self.thresholds_lamports;
        let empty = SlotPool::default();
        let sp = self.slots.get(slot).unwrap_or(&empty);
        // A block with no votes yet: its notarization (or notar-fallback).
        let mut quiet = t60;
        for (b, t) in &sp.notar {
            if !sp.has(CertificateKind::FastFinalization, Some(*b)) {
                quiet = quiet.min(t80.saturating_sub(t.stake));
            }
            if !sp.has(CertificateKind::Notarization, Some(*b)) {
                quiet = quiet.min(t60.saturating_sub(t.stake));
            }
        }
        // A notarization certificate stands in for a notar-fallback one
        // (`SlotPool::certify`).
        for (b, t) in &sp.notar_or_fallback {
            if !sp.has(CertificateKind::NotarFallback, Some(*b))
                && !sp.has(CertificateKind::Notarization, Some(*b))
            {
                quiet = quiet.min(t60.saturating_sub(t.stake));
            }
        }
        if !sp.has(CertificateKind::Skip, None) {
            quiet = quiet.min(t60.saturating_sub(sp.skip_or_fallback.stake));
        }
        if !sp.has(CertificateKind::Finalization, None) {
            quiet = quiet.min(t60.saturating_sub(sp.final_votes.stake));
        }
        let Some(w) = watch else {
            return quiet;
        };
        let skip = sp.skip_stake;
        // SafeToNotar for a block with no votes yet, then for each other.
        let safe_to_notar_gap = |notar: u64| {
            t40.saturating_sub(notar)
                .min(t60.saturating_sub(skip + notar))
        };
        quiet = quiet.min(safe_to_notar_gap(0));
        for (b, t) in &sp.notar {
            if w.voted_notar != Some(*b) && !w.safe_to_notar.contains(b) {
                quiet = quiet.min(safe_to_notar_gap(t.stake));
            }
        }
        if w.voted_notar.is_some() && !w.safe_to_skip {
            let sum: u64 = sp.notar.iter().map(|(_, t)| t.stake).sum();
            let max = sp.notar.iter().map(|(_, t)| t.stake).max().unwrap_or(0);
            quiet = quiet.min(t40.saturating_sub(skip + sum - max));
        }
        quiet
    }

    /// Stake of SkipVotes in `slot` (`skip(s)`).
    pub fn skip_stake(&self, slot: Slot) -> Stake {
        Stake(self.slots.get(slot).map_or(0, |sp| sp.skip_stake))
    }

    /// The validators whose NotarVote for `block` of `slot` is stored (each
    /// held the block when it voted), if any.
    pub fn notar_voters(&self, slot: Slot, block: BlockHash) -> Option<&SignerSet> {
        let sp = self.slots.get(slot)?;
        SlotPool::tally_of(&sp.notar, block).map(|t| &t.signers)
    }

    /// NotarVote stake per block of `slot`, in first-seen order.
    pub fn notar_stakes(&self, slot: Slot) -> Vec<(BlockHash, Stake)> {
        self.slots.get(slot).map_or_else(Vec::new, |sp| {
            sp.notar.iter().map(|(b, t)| (*b, Stake(t.stake))).collect()
        })
    }

    /// Certificates stored for `slot`, in storage order.
    pub fn certificates(&self, slot: Slot) -> &[Arc<Certificate>] {
        self.slots
            .get(slot)
            .map_or(&[], |sp| sp.certificates.as_slice())
    }

    /// Slots with anything stored, from `from` on, in order.
    pub fn slots_from(&self, from: Slot) -> impl Iterator<Item = Slot> + '_ {
        self.slots.range_from(from).map(|(s, _)| s)
    }

    /// Forgets everything below `slot`.
    pub fn prune_below(&mut self, slot: Slot) {
        self.slots.prune_below(slot);
    }

    /// Number of slots held (for memory bounds).
    pub fn slots_held(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(stakes: Vec<u64>) -> Pool {
        Pool::new(Arc::new(ValidatorSet::new(stakes)))
    }

    fn vote(voter: u32, slot: u64, kind: VoteKind) -> Vote {
        Vote {
            voter: ValidatorIndex(voter),
            slot: Slot(slot),
            kind,
        }
    }

    const B: BlockHash = BlockHash(42);
    const C: BlockHash = BlockHash(43);

    fn kinds(certs: &[Arc<Certificate>]) -> Vec<CertificateKind> {
        certs.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn notarization_at_exactly_60_percent_not_below() {
        // Ten validators of 10% each: the 6th notar vote makes 60%.
        let mut p = pool(vec![10; 10]);
        for v in 0..5 {
            assert!(p.add_vote(vote(v, 1, VoteKind::Notar(B))).is_empty());
        }
        let certs = p.add_vote(vote(5, 1, VoteKind::Notar(B)));
        assert_eq!(kinds(&certs), vec![CertificateKind::Notarization]);
        assert_eq!(p.notarized_block(Slot(1)), Some(B));
    }

    #[test]
    fn fast_finalization_at_exactly_80_percent_not_below() {
        let mut p = pool(vec![10; 10]);
        for v in 0..7 {
            let certs = p.add_vote(vote(v, 1, VoteKind::Notar(B)));
            assert!(!kinds(&certs).contains(&CertificateKind::FastFinalization));
        }
        let certs = p.add_vote(vote(7, 1, VoteKind::Notar(B)));
        assert_eq!(kinds(&certs), vec![CertificateKind::FastFinalization]);
    }

    #[test]
    fn thresholds_use_stake_not_counts() {
        // One validator with 60% stake notarizes alone; 59% does not.
        let mut p = pool(vec![60, 40]);
        let certs = p.add_vote(vote(0, 1, VoteKind::Notar(B)));
        assert_eq!(kinds(&certs), vec![CertificateKind::Notarization]);
        let mut p = pool(vec![59, 41]);
        assert!(p.add_vote(vote(0, 1, VoteKind::Notar(B))).is_empty());
    }

    #[test]
    fn first_notar_or_skip_vote_only() {
        let mut p = pool(vec![10; 10]);
        p.add_vote(vote(0, 1, VoteKind::Notar(B)));
        // A second first-round vote of the same validator is dropped.
        p.add_vote(vote(0, 1, VoteKind::Notar(C)));
        p.add_vote(vote(0, 1, VoteKind::Skip));
        assert_eq!(p.notar_stake(Slot(1), B), Stake(10));
        assert_eq!(p.notar_stake(Slot(1), C), Stake(0));
        assert_eq!(p.skip_stake(Slot(1)), Stake(0));
    }

    #[test]
    fn at_most_three_notar_fallback_votes() {
        let mut p = pool(vec![10; 10]);
        for h in 1..=4 {
            p.add_vote(vote(0, 1, VoteKind::NotarFallback(BlockHash(h))));
        }
        let sp = p.slots.get(Slot(1)).unwrap();
        assert_eq!(sp.notar_fallback_votes[&ValidatorIndex(0)].len(), 3);
        assert!(sp.notar_or_fallback.iter().all(|(b, _)| *b != BlockHash(4)));
    }

    #[test]
    fn notar_fallback_certificate_mixes_votes() {
        let mut p = pool(vec![10; 10]);
        for v in 0..3 {
            p.add_vote(vote(v, 1, VoteKind::Notar(B)));
        }
        for v in 3..5 {
            p.add_vote(vote(v, 1, VoteKind::NotarFallback(B)));
        }
        let certs = p.add_vote(vote(5, 1, VoteKind::NotarFallback(B)));
        assert_eq!(kinds(&certs), vec![CertificateKind::NotarFallback]);
        assert!(p.has_notar_or_fallback(Slot(1), B));
        assert_eq!(p.notarized_block(Slot(1)), None);
    }

    #[test]
    fn skip_certificate_mixes_skip_and_skip_fallback() {
        let mut p = pool(vec![10; 10]);
        for v in 0..4 {
            p.add_vote(vote(v, 1, VoteKind::Skip));
        }
        p.add_vote(vote(4, 1, VoteKind::SkipFallback));
        // Duplicate skip-fallback is dropped.
        assert!(p.add_vote(vote(4, 1, VoteKind::SkipFallback)).is_empty());
        let certs = p.add_vote(vote(5, 1, VoteKind::SkipFallback));
        assert_eq!(kinds(&certs), vec![CertificateKind::Skip]);
        assert_eq!(p.skip_stake(Slot(1)), Stake(40));
    }

    #[test]
    fn finalization_at_60_percent_of_final_votes() {
        let mut p = pool(vec![10; 10]);
        for v in 0..5 {
            assert!(p.add_vote(vote(v, 1, VoteKind::Final)).is_empty());
        }
        // Duplicate final vote is dropped.
        assert!(p.add_vote(vote(4, 1, VoteKind::Final)).is_empty());
        let certs = p.add_vote(vote(5, 1, VoteKind::Final));
        assert_eq!(kinds(&certs), vec![CertificateKind::Finalization]);
    }

    #[test]
    fn received_certificates_are_verified_and_stored_once() {
        let mut p = pool(vec![10; 10]);
        let mut signers = SignerSet::with_capacity(10);
        for v in 0..6 {
            signers.insert(ValidatorIndex(v));
        }
        let cert = Certificate {
            kind: CertificateKind::Notarization,
            slot: Slot(3),
            block: Some(B),
            signers: signers.clone(),
        };
        assert_eq!(p.verify(&cert), Some(Stake(60)));
        let fast = Certificate {
            kind: CertificateKind::FastFinalization,
            ..cert.clone()
        };
        assert_eq!(p.verify(&fast), None, "60% is not enough for fast");
        let no_block = Certificate {
            block: None,
            ..cert.clone()
        };
        assert_eq!(p.verify(&no_block), None);
        assert!(p.add_certificate(Arc::new(cert.clone())));
        assert!(!p.add_certificate(Arc::new(cert)));
        assert_eq!(p.notarized_block(Slot(3)), Some(B));
    }

    #[test]
    fn prune_forgets_old_slots() {
        let mut p = pool(vec![10; 10]);
        p.add_vote(vote(0, 1, VoteKind::Skip));
        p.add_vote(vote(0, 5, VoteKind::Skip));
        p.prune_below(Slot(3));
        assert_eq!(p.slots_held(), 1);
        assert_eq!(p.skip_stake(Slot(1)), Stake(0));
    }
}
