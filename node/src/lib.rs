//! # whiteout-node: the Alpenglow validator as a sans-IO state machine
//!
//! Implements Votor and Rotor of "Solana Alpenglow Consensus" (Kniep,
//! Sliwinski, Wattenhofer, white paper v1.1, July 2025). Section, definition
//! and algorithm numbers in the docs refer to that paper.
//!
//! A [`Node`] takes inputs (`handle_*`: start, message, timer, transaction)
//! with the current time as an argument, and yields outputs
//! ([`Validator::poll_output`]: messages to send, timers to set, events to
//! record), through the [`Validator`] trait. It has no clock, no sockets,
//! no randomness of its own and no I/O: the same state machine runs under
//! every backend of the harness.
//! Public pseudo-random choices (leader schedule, Rotor relays) are pure
//! functions of a seed given in [`LeaderSchedule`].
//!
//! Modules: [`types`] (typed ids, validator set, leader schedule),
//! [`message`] (votes, certificates, shreds, wire sizes), [`pool`] (vote
//! storage and certificates), [`node`] (Algorithms 1 and 2, Rotor,
//! Blokstor), [`validator`] (the [`Validator`] trait a driver runs),
//! [`sim_hooks`] (the simulator's [`SimulatorHooks`]), [`byzantine`]
//! (misbehaving wrappers), [`config`] (protocol parameters).

#![warn(missing_docs)]

pub mod byzantine;
pub mod config;
pub mod message;
pub mod node;
pub mod pool;
pub mod sim_hooks;
mod slot_map;
pub mod types;
pub mod validator;

pub use config::{ConfigError, NodeConfig};
pub use message::{
    Certificate, CertificateKind, Message, Shred, SignerSet, Transaction, Vote, VoteKind,
};
pub use node::{Event, FinalizedBy, Node, Output, Timer, REPAIR_ATTEMPTS_MAX};
pub use pool::Pool;
pub use sim_hooks::SimulatorHooks;
pub use types::{
    mix64, BlockHash, BlockId, LeaderSchedule, Slot, Stake, ValidatorIndex, ValidatorSet,
};
pub use validator::Validator;
#[cfg(test)]
mod node_tests;
