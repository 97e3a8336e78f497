//! The protocol surface a driver sees: the [`Validator`] trait, implemented
//! by the honest [`Node`](crate::Node) and by the misbehaving
//! [`ByzantineNode`](crate::byzantine::ByzantineNode).

use std::time::Duration;

use crate::message::{Message, Transaction};
use crate::node::{Output, Timer};
use crate::types::{Slot, ValidatorIndex};

/// A validator as its driver runs it: a sans-IO state machine that takes
/// inputs with the current time and yields outputs.
///
/// # Call order
/// Inputs, each with the current time `now` (time since the start of the
/// run, from the caller's clock: the validator's local clock):
/// - [`Validator::handle_start`] once, first;
/// - [`Validator::handle_message`] for each message delivered;
/// - [`Validator::handle_timer`] when a timer set by an output fires;
/// - [`Validator::handle_transaction`] for a client transaction (the same
///   as a delivered [`Message::Transaction`]).
///
/// After each input, drain the outputs with [`Validator::poll_output`] until
/// it returns `None`: messages to send, timers to set, events to record.
/// Timers are never cancelled; a stale one is ignored when it fires.
///
/// The read-only queries ([`Validator::index`],
/// [`Validator::highest_finalized`], [`Validator::current_slot`]) may be
/// asked at any time.
pub trait Validator {
    /// Starts the validator at time `now`. Called once, before any other
    /// input.
    fn handle_start(&mut self, now: Duration);

    /// Handles `message` from validator `from` delivered at `now`.
    fn handle_message(&mut self, now: Duration, from: ValidatorIndex, message: Message);

    /// Handles a timer set earlier (by an [`Output::SetTimer`]), firing at
    /// `now`.
    fn handle_timer(&mut self, now: Duration, timer: Timer);

    /// Handles a client transaction arriving at `now` (the same as a
    /// delivered [`Message::Transaction`]).
    fn handle_transaction(&mut self, now: Duration, tx: Transaction);

    /// The next output, if any.
    fn poll_output(&mut self) -> Option<Output>;

    /// This validator's index.
    fn index(&self) -> ValidatorIndex;

    /// Highest slot this validator has finalized.
    fn highest_finalized(&self) -> Slot;

    /// Highest slot this validator has voted in or seen ParentReady for: its
    /// idea of the current slot (what a client asks its RPC node).
    fn current_slot(&self) -> Slot;
}
