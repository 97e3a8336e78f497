//! A validator index of the simulation: an honest node, a Byzantine
//! wrapper around one, or nothing (crashed). Inputs go through the
//! protocol's [`Validator`] trait, whichever sits there; the simulator's
//! shortcuts ask the honest state machine inside ([`SimulatorHooks`]).

use std::time::Duration;

use whiteout_node::byzantine::ByzantineNode;
use whiteout_node::{
    BlockId, Message, Node, Output, SimulatorHooks, Timer, Validator, ValidatorIndex,
};

/// What sits at one validator index of the simulation.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // honest nodes, the common case, stay inline
pub(super) enum Seat {
    /// Runs the honest node.
    Honest(Node),
    /// Runs a Byzantine wrapper.
    Byzantine(Box<ByzantineNode>),
    /// Crashed: sends and receives nothing.
    Down,
}

impl Seat {
    /// The (honest) node inside, if up.
    pub(super) fn node(&self) -> Option<&Node> {
        match self {
            Seat::Honest(n) => Some(n),
            Seat::Byzantine(b) => Some(b.inner()),
            Seat::Down => None,
        }
    }

    /// The validator that takes inputs, if up.
    pub(super) fn validator(&mut self) -> Option<&mut dyn Validator> {
        match self {
            Seat::Honest(n) => Some(n),
            Seat::Byzantine(b) => Some(b.as_mut()),
            Seat::Down => None,
        }
    }

    pub(super) fn is_down(&self) -> bool {
        matches!(self, Seat::Down)
    }

    pub(super) fn poll_output(&mut self) -> Option<Output> {
        self.validator()?.poll_output()
    }

    pub(super) fn handle_start(&mut self, now: Duration) {
        if let Some(v) = self.validator() {
            v.handle_start(now);
        }
    }

    pub(super) fn handle_message(&mut self, now: Duration, from: ValidatorIndex, m: Message) {
        if let Some(v) = self.validator() {
            v.handle_message(now, from, m);
        }
    }

    pub(super) fn handle_timer(&mut self, now: Duration, timer: Timer) {
        if let Some(v) = self.validator() {
            v.handle_timer(now, timer);
        }
    }

    pub(super) fn needs_shred(&self, block: BlockId, slice: u32) -> bool {
        self.node().is_some_and(|n| n.needs_shred(block, slice))
    }

    pub(super) fn shreds_held(&self, block: BlockId, slice: u32) -> u32 {
        self.node().map_or(0, |n| n.shreds_held(block, slice))
    }
}
