//! Messages between validators and their wire sizes.
//!
//! Sizes follow the white paper (v1.1, Table 11): a notar vote is 196 bytes,
//! skip and final votes 164 bytes, certificates 352-384 bytes; a shred fits
//! one UDP datagram. The simulator sends no bytes, only these sizes, so that
//! uplink bandwidth can be modelled.

use std::sync::Arc;

use crate::types::{BlockHash, BlockId, Slot, ValidatorIndex};

/// Wire size of a notar or notar-fallback vote, in bytes (Table 11).
pub const NOTAR_VOTE_BYTES: u32 = 196;
/// Wire size of a skip, skip-fallback or final vote, in bytes (Table 11).
pub const SKIP_OR_FINAL_VOTE_BYTES: u32 = 164;
/// Wire size of a certificate that names a block (fast-finalization,
/// notarization, notar-fallback), in bytes (Table 11, upper end).
pub const BLOCK_CERTIFICATE_BYTES: u32 = 384;
/// Wire size of a skip or finalization certificate, in bytes (Table 11,
/// lower end).
pub const SLOT_CERTIFICATE_BYTES: u32 = 352;
/// Wire size of a shred, in bytes: a shred fits one UDP datagram (Solana's
/// 1,228-byte shred payload plus headers stays under a 1,500-byte MTU).
pub const SHRED_BYTES: u32 = 1_228;
const _: () = assert!(SHRED_BYTES < 1_500, "a shred must fit one datagram");

/// The kind of a vote (white paper Definition 11 / Table 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VoteKind {
    /// NotarVote: first-round vote for a block.
    Notar(BlockHash),
    /// NotarFallbackVote: cast after SafeToNotar.
    NotarFallback(BlockHash),
    /// SkipVote: first-round vote to skip the slot.
    Skip,
    /// SkipFallbackVote: cast after SafeToSkip.
    SkipFallback,
    /// FinalVote: second-round vote, cast after the block is notarized.
    Final,
}

/// A vote of one validator for one slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vote {
    /// Who signed it.
    pub voter: ValidatorIndex,
    /// The slot voted on.
    pub slot: Slot,
    /// What was voted.
    pub kind: VoteKind,
}

impl Vote {
    /// Wire size in bytes.
    pub fn wire_bytes(&self) -> u32 {
        match self.kind {
            VoteKind::Notar(_) | VoteKind::NotarFallback(_) => NOTAR_VOTE_BYTES,
            _ => SKIP_OR_FINAL_VOTE_BYTES,
        }
    }
}

/// The kind of a certificate (white paper Table 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertificateKind {
    /// Fast-finalization: NotarVote for the block from >= 80% of stake.
    FastFinalization,
    /// Notarization: NotarVote for the block from >= 60% of stake.
    Notarization,
    /// Notar-fallback: NotarVote or NotarFallbackVote for the block from
    /// >= 60% of stake.
    NotarFallback,
    /// Skip: SkipVote or SkipFallbackVote from >= 60% of stake.
    Skip,
    /// Finalization: FinalVote from >= 60% of stake.
    Finalization,
}

impl CertificateKind {
    /// Stake threshold of the certificate, in percent (Table 6).
    pub fn threshold_percent(self) -> u64 {
        match self {
            CertificateKind::FastFinalization => 80,
            _ => 60,
        }
    }

    /// Whether the certificate names a block (as opposed to only a slot).
    pub fn names_block(self) -> bool {
        matches!(
            self,
            CertificateKind::FastFinalization
                | CertificateKind::Notarization
                | CertificateKind::NotarFallback
        )
    }

    /// Short lowercase name (`fast_finalization`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CertificateKind::FastFinalization => "fast_finalization",
            CertificateKind::Notarization => "notarization",
            CertificateKind::NotarFallback => "notar_fallback",
            CertificateKind::Skip => "skip",
            CertificateKind::Finalization => "finalization",
        }
    }
}

/// A set of validators, as a bit set over validator indices: who signed a
/// certificate (standing in for the BLS aggregate's signer bitmap).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SignerSet {
    words: Vec<u64>,
}

impl SignerSet {
    /// An empty set able to hold `validators` members.
    pub fn with_capacity(validators: usize) -> Self {
        Self {
            words: vec![0; validators.div_ceil(64)],
        }
    }

    /// Adds `v`; returns whether it was new.
    pub fn insert(&mut self, v: ValidatorIndex) -> bool {
        let (w, b) = (v.idx() / 64, v.idx() % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let new = self.words[w] & (1 << b) == 0;
        self.words[w] |= 1 << b;
        new
    }

    /// Whether `v` is in the set.
    pub fn contains(&self, v: ValidatorIndex) -> bool {
        let (w, b) = (v.idx() / 64, v.idx() % 64);
        self.words.get(w).is_some_and(|word| word & (1 << b) != 0)
    }

    /// Members in increasing index order.
    pub fn iter(&self) -> impl Iterator<Item = ValidatorIndex> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |b| word & (1u64 << b) != 0)
                .map(move |b| ValidatorIndex((w * 64 + b) as u32))
        })
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

/// A certificate: an aggregate of votes reaching a stake threshold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Certificate {
    /// Kind, which fixes the votes counted and the threshold.
    pub kind: CertificateKind,
    /// The slot.
    pub slot: Slot,
    /// The block, for kinds that name one ([`CertificateKind::names_block`]).
    pub block: Option<BlockHash>,
    /// Who signed.
    pub signers: SignerSet,
}

impl Certificate {
    /// Wire size in bytes.
    pub fn wire_bytes(&self) -> u32 {
        if self.kind.names_block() {
            BLOCK_CERTIFICATE_BYTES
        } else {
            SLOT_CERTIFICATE_BYTES
        }
    }
}

/// One shred of a slice (white paper section 2.2, Rotor).
///
/// In simulation a shred carries no data; it names its block, its place in
/// the block, and the block's parent (in the white paper the parent is in
/// the block's first slice; here every shred names it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shred {
    /// The leader that produced the block.
    pub leader: ValidatorIndex,
    /// The block.
    pub block: BlockId,
    /// Its parent.
    pub parent: BlockId,
    /// Slice index within the block, `0..slices`.
    pub slice: u32,
    /// Number of slices of the block.
    pub slices: u32,
    /// Shred index within the slice, `0..shreds_per_slice`.
    pub index: u32,
    /// The validator that relays this shred to all others
    /// ([`crate::LeaderSchedule::relays`]: every validator can compute it
    /// from the seed; carried here so it is not recomputed per delivery).
    pub relay: ValidatorIndex,
}

/// A transaction submitted by a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// Unique id, assigned by the load generator.
    pub id: u64,
    /// Wire size in bytes.
    pub size_bytes: u32,
}

/// A message between validators (or from a client to a leader).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A vote.
    Vote(Vote),
    /// A certificate (shared: the same certificate goes to every validator).
    Certificate(Arc<Certificate>),
    /// A shred of a block.
    Shred(Shred),
    /// A client transaction.
    Transaction(Transaction),
    /// Repair request: "send me the shreds of this block" (white paper
    /// section 2.8).
    RepairRequest(BlockId),
}

impl Message {
    /// Wire size in bytes.
    pub fn wire_bytes(&self) -> u32 {
        match self {
            Message::Vote(v) => v.wire_bytes(),
            Message::Certificate(c) => c.wire_bytes(),
            Message::Shred(_) => SHRED_BYTES,
            Message::Transaction(t) => t.size_bytes,
            Message::RepairRequest(_) => 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_set_roundtrip() {
        let mut s = SignerSet::with_capacity(130);
        assert!(s.insert(ValidatorIndex(3)));
        assert!(!s.insert(ValidatorIndex(3)));
        assert!(s.insert(ValidatorIndex(129)));
        assert!(s.contains(ValidatorIndex(129)));
        assert!(!s.contains(ValidatorIndex(128)));
        assert_eq!(s.len(), 2);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![ValidatorIndex(3), ValidatorIndex(129)]
        );
    }

    #[test]
    fn wire_sizes_follow_table_11() {
        let notar = Vote {
            voter: ValidatorIndex(0),
            slot: Slot(1),
            kind: VoteKind::Notar(BlockHash(1)),
        };
        assert_eq!(notar.wire_bytes(), 196);
        let skip = Vote {
            kind: VoteKind::Skip,
            ..notar
        };
        assert_eq!(skip.wire_bytes(), 164);
    }
}
