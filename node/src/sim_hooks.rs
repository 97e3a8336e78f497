//! The discrete-event simulator's shortcuts into the honest validator: the
//! [`SimulatorHooks`] trait, implemented by [`Node`](crate::Node).

use crate::message::Vote;
use crate::types::{BlockId, Slot, ValidatorIndex};
#[cfg(doc)]
use crate::Validator;

/// Exact shortcuts of the discrete-event simulator: questions it asks the
/// validator to skip deliveries that cannot change anything, and a cheaper
/// delivery for votes it knows are quiet. A real-time driver never calls
/// these; it delivers everything through [`Validator`]. They answer about
/// the honest state machine (for a Byzantine wrapper, about the honest
/// node inside it).
pub trait SimulatorHooks {
    /// A lower bound, in lamports, on the stake of further votes for `slot`
    /// this validator must be delivered before one of them makes it act
    /// (complete a certificate, or emit SafeToNotar or SafeToSkip; see
    /// [`crate::pool::Pool::quiet_stake`]): votes for `slot` of less stake
    /// in total, delivered one by one with [`Validator::handle_message`],
    /// would produce no output and change only the Pool's tallies, whatever
    /// their kinds, voters and times. `u64::MAX` for a slot outside the
    /// range votes are kept for (they are dropped). The bound holds until
    /// the next input other than [`SimulatorHooks::handle_quiet_vote`].
    fn vote_quiet_stake(&self, slot: Slot) -> u64;

    /// Delivers a vote from `from` that the caller knows is quiet: with the
    /// stake of the votes for its slot delivered since the last
    /// [`SimulatorHooks::vote_quiet_stake`] (this one included) below that
    /// bound. The same as [`Validator::handle_message`] for it, which would
    /// output nothing, without the checks for certificates and events (with
    /// debug assertions, it makes them, and panics if they find anything).
    ///
    /// # Panics
    /// With debug assertions, when the vote would have made the validator
    /// act (the caller broke the bound).
    fn handle_quiet_vote(&mut self, from: ValidatorIndex, vote: Vote);

    /// Whether delivering `vote` here can change nothing: a FinalVote for a
    /// slot with a finalization certificate stored (final votes count
    /// toward nothing else), or a NotarVote for a block `b` that this
    /// validator voted to notarize and for which it stores both the
    /// fast-finalization and the notarization certificate (every
    /// certificate a NotarVote counts toward exists, SafeToNotar does not
    /// apply to a block voted for, and with at least 80% of stake behind `b`
    /// the other blocks' and skip stake stay below SafeToSkip's 40%).
    ///
    /// Only valid when no validator is Byzantine (the simulator delivers
    /// everything otherwise): the argument bounds the stake behind votes
    /// for other blocks.
    fn vote_is_moot(&self, vote: &Vote) -> bool;

    /// Whether shred `slice` of `block` can no longer change anything here
    /// (the slice or the whole block is already reconstructed, or the slot
    /// is pruned).
    fn needs_shred(&self, block: BlockId, slice: u32) -> bool;

    /// Shreds of `slice` of `block` held here (0 when unknown), counting at
    /// most what reconstruction needs.
    fn shreds_held(&self, block: BlockId, slice: u32) -> u32;

    /// Whether this validator has seen a shred of `block` (or produced it):
    /// it knows the block exists, with its parent. The simulator uses it to
    /// skip announcing a block again.
    fn knows_block(&self, block: BlockId) -> bool;
}
