//! The Alpenglow validator: Votor (white paper section 2.6, Algorithms 1 and
//! 2) on top of the Pool (section 2.5) and Rotor block dissemination
//! (section 2.2).
//!
//! # Use
//! A [`Node`] is driven through the [`Validator`] trait; see its
//! documentation for the call order. Inputs, each with the current time
//! `now` (time since the start of the run, from the caller's clock):
//! - [`Validator::handle_start`] once, first;
//! - [`Validator::handle_message`] for each message delivered;
//! - [`Validator::handle_timer`] when a timer set by an output fires;
//! - [`Validator::handle_transaction`] for a client transaction (the same
//!   as a delivered [`Message::Transaction`]).
//!
//! After each input, drain the outputs with [`Validator::poll_output`]
//! until it returns `None`: messages to send, timers to set, events to
//! record. Timers are never cancelled; a stale one is ignored when it fires.
//!
//! A driver may ask [`SimulatorHooks::vote_quiet_stake`] how much vote stake
//! for a slot the validator can take without acting, and hand such votes to
//! [`SimulatorHooks::handle_quiet_vote`] instead (no `now`, no outputs).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use crate::config::NodeConfig;
use crate::message::{Certificate, CertificateKind, Message, Shred, Transaction, Vote, VoteKind};
use crate::pool::Pool;
use crate::sim_hooks::SimulatorHooks;
use crate::slot_map::SlotMap;
use crate::types::{mix64, BlockHash, BlockId, LeaderSchedule, Slot, ValidatorIndex, ValidatorSet};
use crate::validator::Validator;

/// A timer a validator asks to be woken by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// Timeout(slot) of Definition 17.
    Timeout(Slot),
    /// Leader: the slot's Δblock is over; send its block.
    ProduceBlock(Slot),
    /// Standstill check (section 2.10); the number is a generation, only the
    /// latest one counts.
    Standstill(u64),
    /// Repair (section 2.8): if `block` is still incomplete here, ask a
    /// validator that voted for it for its shreds; `attempt` counts the
    /// requests made so far (at most [`REPAIR_ATTEMPTS_MAX`]).
    Repair {
        /// The missing block.
        block: BlockId,
        /// Requests sent for it before this one.
        attempt: u32,
    },
}

/// Repair requests a validator sends for one missing block before it gives
/// up, one per Δblock, each to another validator that voted for the block.
pub const REPAIR_ATTEMPTS_MAX: u32 = 8;

/// How a block came to be finalized at a validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FinalizedBy {
    /// A fast-finalization certificate (80% NotarVote, one round).
    FastFinalization,
    /// A finalization certificate (60% FinalVote) on a notarized block (two
    /// rounds).
    Finalization,
    /// As the ancestor of a finalized block.
    Ancestor,
}

/// Something that happened inside the validator, for the harness to
/// timestamp and check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// This validator, as leader, produced a block and sent its first shred
    /// now.
    BlockProduced {
        /// The block.
        block: BlockId,
        /// Its parent.
        parent: BlockId,
        /// Ids of the transactions packed into it.
        transactions: Vec<u64>,
    },
    /// A block was reconstructed from its shreds.
    BlockReceived {
        /// The block.
        block: BlockId,
        /// Its parent.
        parent: BlockId,
    },
    /// A certificate was stored in the Pool (built from votes or received).
    CertificateStored {
        /// Kind of certificate.
        kind: CertificateKind,
        /// Its slot.
        slot: Slot,
        /// Its block, for kinds that name one.
        block: Option<BlockHash>,
    },
    /// A block was finalized (section 2.5, Definition 14).
    Finalized {
        /// The block.
        block: BlockId,
        /// How.
        by: FinalizedBy,
    },
    /// The validator cast a skip vote for this slot after its timeout, or
    /// after a fallback event.
    VotedSkip {
        /// The slot.
        slot: Slot,
    },
}

/// What a validator asks its driver to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send `message` to one validator.
    Send {
        /// Recipient.
        to: ValidatorIndex,
        /// Message.
        message: Message,
    },
    /// Send `message` to every other validator, except `except`.
    Broadcast {
        /// Message.
        message: Message,
        /// A validator to leave out (besides the sender itself).
        except: Option<ValidatorIndex>,
    },
    /// Call [`Validator::handle_timer`] with `timer` at time `at`.
    SetTimer {
        /// When, as time since the start of the run.
        at: Duration,
        /// Which timer.
        timer: Timer,
    },
    /// Record an event.
    Event(Event),
}

/// The `state[s]` flags of Algorithm 1 (Table 7), plus bookkeeping.
#[derive(Debug, Default)]
struct SlotState {
    /// `Voted`: cast a notar or skip vote.
    voted: bool,
    /// `VotedNotar(hash)`.
    voted_notar: Option<BlockHash>,
    /// `BlockNotarized(hash)`.
    notarized: Option<BlockHash>,
    /// `ParentReady(hash)` (parents for which the event was emitted).
    parent_ready: Vec<BlockId>,
    /// `ItsOver`: cast a final vote.
    its_over: bool,
    /// `BadWindow`: cast a skip or fallback vote.
    bad_window: bool,
    /// Blocks for which SafeToNotar was emitted.
    safe_to_notar: Vec<BlockHash>,
    /// Whether SafeToSkip was emitted.
    safe_to_skip: bool,
    /// Timeouts were set (on the first ParentReady of the window).
    timeouts_set: bool,
    /// Votes this validator cast in the slot (for standstill re-broadcast).
    own_votes: Vec<Vote>,
    /// Blocks of the slot being repaired (a [`Timer::Repair`] is set).
    repairing: Vec<BlockHash>,
}

/// A block being reconstructed from shreds (Blokstor, section 2.3).
#[derive(Debug)]
struct BlockAssembly {
    hash: BlockHash,
    parent: BlockId,
    /// Per slice: bit set of shred indices received.
    slices: Vec<u64>,
    slices_complete: u32,
    complete: bool,
}

/// One Alpenglow validator. See the module documentation for the call
/// order.
#[derive(Debug)]
pub struct Node {
    me: ValidatorIndex,
    config: NodeConfig,
    validators: Arc<ValidatorSet>,
    schedule: Arc<LeaderSchedule>,
    pool: Pool,
    state: SlotMap<SlotState>,
    /// `pendingBlocks` of Algorithm 1: (block, parent).
    pending_blocks: BTreeMap<Slot, (BlockId, BlockId)>,
    /// Blokstor: blocks seen per slot.
    blocks: SlotMap<Vec<BlockAssembly>>,
    /// Slots whose Block event was emitted (first complete block).
    block_delivered: SlotMap<BlockHash>,
    /// Finalized blocks per slot, within the retained range.
    finalized: SlotMap<BlockHash>,
    highest_finalized: Slot,
    /// Generation of the pending standstill timer (only the latest counts).
    standstill_generation: u64,
    /// A standstill timer is pending.
    standstill_pending: bool,
    /// When this validator last finalized a new slot (or started).
    last_progress: Duration,
    /// Blocks this validator produced as leader, per slot.
    produced: BTreeMap<Slot, BlockId>,
    pending_txs: VecDeque<(Transaction, Duration)>,
    highest_slot_active: Slot,
    outputs: VecDeque<Output>,
    /// The leader window a shred last named, with its leader: shreds
    /// delivered mostly name one window, and computing a leader costs a
    /// hash and a search of the stake line.
    shred_window_leader: Option<(u64, ValidatorIndex)>,
}

impl Node {
    /// A validator `me` of `schedule.validators()`.
    ///
    /// # Panics
    /// When `config` fails [`NodeConfig::assert`], `me` is not a validator,
    /// or the schedule's window length differs from the config's.
    pub fn new(me: ValidatorIndex, config: NodeConfig, schedule: Arc<LeaderSchedule>) -> Self {
        config.assert().expect("node config must be validated");
        let validators = schedule.validators().clone();
        assert!(me.idx() < validators.len(), "validator index out of range");
        assert_eq!(schedule.slots_per_window(), config.slots_per_window);
        let mut finalized = SlotMap::new();
        finalized.insert(Slot::GENESIS, BlockHash::GENESIS);
        Self {
            me,
            pool: Pool::new(validators.clone()),
            config,
            validators,
            schedule,
            state: SlotMap::new(),
            pending_blocks: BTreeMap::new(),
            blocks: SlotMap::new(),
            block_delivered: SlotMap::new(),
            finalized,
            highest_finalized: Slot::GENESIS,
            standstill_generation: 0,
            standstill_pending: false,
            last_progress: Duration::ZERO,
            produced: BTreeMap::new(),
            pending_txs: VecDeque::new(),
            highest_slot_active: Slot::GENESIS,
            outputs: VecDeque::new(),
            shred_window_leader: None,
        }
    }

    /// Client transactions waiting here to be packed when this validator
    /// leads: at most `pending_tx_max`, and none older than `tx_expiry`
    /// as of the latest arrival (the queue is trimmed when one arrives).
    pub fn pending_transactions(&self) -> usize {
        self.pending_txs.len()
    }
}

impl Validator for Node {
    fn index(&self) -> ValidatorIndex {
        self.me
    }

    fn highest_finalized(&self) -> Slot {
        self.highest_finalized
    }

    fn current_slot(&self) -> Slot {
        self.highest_slot_active
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Starts the validator at time `now`: the genesis block is notarized
    /// and finalized, so ParentReady(1, genesis) holds.
    fn handle_start(&mut self, now: Duration) {
        self.arm_standstill(now);
        self.on_parent_ready(now, Slot(1), BlockId::GENESIS);
    }

    /// Handles `message` from validator `from` delivered at `now`.
    fn handle_message(&mut self, now: Duration, from: ValidatorIndex, message: Message) {
        match message {
            Message::Vote(vote) => {
                if self.takes_vote(from, &vote) {
                    self.store_vote(now, vote);
                }
            }
            Message::Certificate(cert) => self.on_certificate(now, cert),
            Message::Shred(shred) => self.on_shred(now, from, shred),
            Message::Transaction(tx) => self.handle_transaction(now, tx),
            Message::RepairRequest(block) => self.on_repair_request(from, block),
        }
    }

    /// Takes a client transaction into the pending queue (used when this
    /// validator leads). Transactions pending longer than
    /// [`NodeConfig::tx_expiry`] are dropped from the front first (the
    /// queue is in arrival order), so a validator that seldom leads holds
    /// at most `tx_expiry` of them, and at most `pending_tx_max` in any
    /// case.
    fn handle_transaction(&mut self, now: Duration, tx: Transaction) {
        while let Some((_, arrived)) = self.pending_txs.front() {
            if now.saturating_sub(*arrived) <= self.config.tx_expiry {
                break;
            }
            self.pending_txs.pop_front();
        }
        if self.pending_txs.len() >= self.config.pending_tx_max {
            self.pending_txs.pop_front();
        }
        self.pending_txs.push_back((tx, now));
    }

    /// Handles a timer set earlier, firing at `now`.
    fn handle_timer(&mut self, now: Duration, timer: Timer) {
        match timer {
            Timer::Timeout(slot) => {
                // Algorithm 1: upon Timeout(s), if Voted not in state[s].
                if slot <= self.highest_finalized || !self.slot_in_range(slot) {
                    return;
                }
                if !self.state.get(slot).is_some_and(|st| st.voted) {
                    self.try_skip_window(now, slot);
                }
            }
            Timer::ProduceBlock(slot) => {
                // The window's first block builds on the first ParentReady's
                // parent, the others on this leader's previous block.
                let parent = if self.schedule.is_window_start(slot) {
                    self.state
                        .get(slot)
                        .and_then(|st| st.parent_ready.first().copied())
                } else {
                    self.produced.get(&Slot(slot.0 - 1)).copied()
                };
                if let Some(parent) = parent {
                    self.produce_block(now, slot, parent);
                }
            }
            Timer::Repair { block, attempt } => self.repair(now, block, attempt),
            Timer::Standstill(generation) => {
                if generation == self.standstill_generation {
                    self.standstill_pending = false;
                    let due = self.last_progress + self.config.standstill;
                    if now >= due {
                        self.rebroadcast_after_standstill();
                        self.arm_standstill(now);
                    } else {
                        // Progress since the timer was set: wait for the
                        // rest of the period.
                        self.set_standstill_timer(due);
                    }
                }
            }
        }
    }
}

impl Node {
    // ----- Votor -----

    /// Whether a vote delivered from `from` is stored: votes are signed, so
    /// only the voter's own counts, and only for a slot in range.
    fn takes_vote(&self, from: ValidatorIndex, vote: &Vote) -> bool {
        vote.voter == from && self.slot_in_range(vote.slot)
    }

    fn slot_in_range(&self, slot: Slot) -> bool {
        let floor = self
            .highest_finalized
            .0
            .saturating_sub(self.config.slots_retained);
        // Far-future slots are dropped so a faulty peer cannot grow state
        // without bound.
        slot.0 >= floor.max(1) && slot.0 <= self.highest_finalized.0 + 1_000_000
    }

    fn state_mut(&mut self, slot: Slot) -> &mut SlotState {
        self.state.get_or_default(slot)
    }

    /// Stores a vote (own or received) and reacts to the certificates it
    /// completes and the fallback events it enables.
    fn store_vote(&mut self, now: Duration, vote: Vote) {
        let certs = self.pool.add_vote(vote);
        for cert in certs {
            self.on_new_certificate(now, cert);
        }
        self.check_fallback_events(now, vote.slot);
    }

    fn cast_vote(&mut self, now: Duration, slot: Slot, kind: VoteKind) {
        let vote = Vote {
            voter: self.me,
            slot,
            kind,
        };
        if slot > self.highest_slot_active {
            self.highest_slot_active = slot;
        }
        self.state_mut(slot).own_votes.push(vote);
        self.outputs.push_back(Output::Broadcast {
            message: Message::Vote(vote),
            except: None,
        });
        self.store_vote(now, vote);
    }

    fn on_certificate(&mut self, now: Duration, cert: Arc<Certificate>) {
        if !self.slot_in_range(cert.slot)
            || self.pool.has_certificate(cert.slot, cert.kind, cert.block)
        {
            return;
        }
        if self.pool.verify(&cert).is_none() {
            return;
        }
        self.pool.add_certificate(cert.clone());
        self.on_new_certificate(now, cert);
    }

    /// A certificate was just stored: broadcast it (section 2.5: every new
    /// certificate is broadcast) and emit the Pool events it causes.
    fn on_new_certificate(&mut self, now: Duration, cert: Arc<Certificate>) {
        let (kind, slot, block) = (cert.kind, cert.slot, cert.block);
        self.outputs.push_back(Output::Broadcast {
            message: Message::Certificate(cert),
            except: None,
        });
        self.outputs
            .push_back(Output::Event(Event::CertificateStored {
                kind,
                slot,
                block,
            }));
        // Section 2.8: a block certified as notarized (or notar-fallback)
        // must be retrieved if it is missing here.
        if let (
            CertificateKind::Notarization
            | CertificateKind::NotarFallback
            | CertificateKind::FastFinalization,
            Some(b),
        ) = (kind, block)
        {
            self.schedule_repair(now, BlockId { slot, hash: b });
        }
        match kind {
            CertificateKind::Notarization => {
                let b = block.expect("notarization names a block");
                self.on_block_notarized(now, slot, b);
                self.parent_ready_from(now, slot, b);
            }
            CertificateKind::FastFinalization => {
                let b = block.expect("fast-finalization names a block");
                self.finalize(
                    now,
                    BlockId { slot, hash: b },
                    FinalizedBy::FastFinalization,
                );
                self.parent_ready_from(now, slot, b);
            }
            CertificateKind::NotarFallback => {
                let b = block.expect("notar-fallback names a block");
                self.parent_ready_from(now, slot, b);
            }
            CertificateKind::Skip => self.parent_ready_through_skip(now, slot),
            CertificateKind::Finalization => {
                if let Some(b) = self.pool.notarized_block(slot) {
                    self.finalize(now, BlockId { slot, hash: b }, FinalizedBy::Finalization);
                }
            }
        }
        // A certificate on a parent can enable SafeToNotar for a child
        // (Definition 16), whether it was received or built here from votes.
        self.check_fallback_events(now, slot.next());
    }

    /// Algorithm 1: upon BlockNotarized(s, hash(b)).
    fn on_block_notarized(&mut self, now: Duration, slot: Slot, block: BlockHash) {
        self.state_mut(slot).notarized = Some(block);
        self.try_final(now, slot, block);
        // Definition 14: a finalization certificate on s finalizes the
        // notarized block of s.
        if self
            .pool
            .has_certificate(slot, CertificateKind::Finalization, None)
        {
            self.finalize(
                now,
                BlockId { slot, hash: block },
                FinalizedBy::Finalization,
            );
        }
    }

    /// ParentReady (section 2.5): for each window start `s` after `slot`
    /// such that every slot strictly between `slot` and `s` has a skip
    /// certificate, emit ParentReady(s, block).
    fn parent_ready_from(&mut self, now: Duration, slot: Slot, block: BlockHash) {
        let parent = BlockId { slot, hash: block };
        let w = self.schedule.slots_per_window();
        let mut start = Slot(self.schedule.window_start(slot).0 + w);
        // Slots slot+1 .. start-1 must be skip-certified, then each further
        // window entirely.
        let mut next_to_check = slot.next();
        loop {
            while next_to_check < start {
                if !self
                    .pool
                    .has_certificate(next_to_check, CertificateKind::Skip, None)
                {
                    return;
                }
                next_to_check = next_to_check.next();
            }
            self.on_parent_ready(now, start, parent);
            start = Slot(start.0 + w);
        }
    }

    /// A skip certificate on `slot` may complete a chain of skips from an
    /// earlier notarized (or notar-fallback) block: find such blocks by
    /// walking back over skip-certified slots, then extend from each.
    fn parent_ready_through_skip(&mut self, now: Duration, slot: Slot) {
        let floor = self
            .highest_finalized
            .0
            .saturating_sub(self.config.slots_retained);
        let mut s = slot.0;
        let mut candidates = Vec::new();
        while s > floor {
            s -= 1;
            let here = Slot(s);
            if here == Slot::GENESIS {
                candidates.push((here, BlockHash::GENESIS));
                break;
            }
            for b in self.pool.notar_or_fallback_blocks(here) {
                candidates.push((here, b));
            }
            if let Some(&b) = self.finalized.get(here) {
                if !candidates.contains(&(here, b)) {
                    candidates.push((here, b));
                }
            }
            if !self.pool.has_certificate(here, CertificateKind::Skip, None) {
                break;
            }
        }
        for (s, b) in candidates {
            self.parent_ready_from(now, s, b);
        }
    }

    /// Algorithm 1: upon ParentReady(s, hash(b)).
    fn on_parent_ready(&mut self, now: Duration, slot: Slot, parent: BlockId) {
        let st = self.state_mut(slot);
        if st.parent_ready.contains(&parent) {
            return;
        }
        st.parent_ready.push(parent);
        let first = !st.timeouts_set;
        st.timeouts_set = true;
        if slot > self.highest_slot_active {
            self.highest_slot_active = slot;
        }
        // A leader starts its window on the first ParentReady (section 2.7):
        // it fills the block of each slot during that slot's Δblock and
        // sends it when the slot ends.
        if first && self.schedule.leader(slot) == self.me && !self.produced.contains_key(&slot) {
            for k in 0..self.schedule.slots_per_window() {
                self.outputs.push_back(Output::SetTimer {
                    at: now + self.config.delta_block * (k + 1) as u32,
                    timer: Timer::ProduceBlock(Slot(slot.0 + k)),
                });
            }
        }
        self.check_pending_blocks(now);
        if first {
            self.set_timeouts(now, slot);
        }
    }

    /// Algorithm 2, setTimeouts; Definition 17: Timeout(i) at
    /// now + Δtimeout + (i - s + 1)·Δblock for each slot i of the window
    /// starting at s.
    fn set_timeouts(&mut self, now: Duration, start: Slot) {
        for i in self.schedule.window_slots(start) {
            let at = now
                + self.config.delta_timeout
                + self.config.delta_block * (i.0 - start.0 + 1) as u32;
            self.outputs.push_back(Output::SetTimer {
                at,
                timer: Timer::Timeout(i),
            });
        }
    }

    /// Algorithm 1: upon Block(s, hash, hash_parent).
    fn on_block(&mut self, now: Duration, block: BlockId, parent: BlockId) {
        // A finalized slot's block gets no vote (see `try_notar`), so it
        // need not wait in pendingBlocks either.
        if block.slot <= self.highest_finalized {
            return;
        }
        if self.try_notar(now, block, parent) {
            self.check_pending_blocks(now);
        } else if !self.state.get(block.slot).is_some_and(|st| st.voted) {
            self.pending_blocks.insert(block.slot, (block, parent));
        }
    }

    /// Algorithm 2, tryNotar.
    fn try_notar(&mut self, now: Duration, block: BlockId, parent: BlockId) -> bool {
        let slot = block.slot;
        // A block of a slot this validator has finalized already (one that
        // came late, by repair or after a restart, or waited in
        // pendingBlocks) gets no vote: the slot is decided, as for skip
        // votes in `try_skip_window`.
        if slot <= self.highest_finalized {
            return false;
        }
        if self.state.get(slot).is_some_and(|st| st.voted) {
            return false;
        }
        let ok = if self.schedule.is_window_start(slot) {
            self.state
                .get(slot)
                .is_some_and(|st| st.parent_ready.contains(&parent))
        } else {
            parent.slot.next() == slot
                && self
                    .state
                    .get(parent.slot)
                    .is_some_and(|st| st.voted_notar == Some(parent.hash))
        };
        if !ok {
            return false;
        }
        let st = self.state_mut(slot);
        st.voted = true;
        st.voted_notar = Some(block.hash);
        self.pending_blocks.remove(&slot);
        self.cast_vote(now, slot, VoteKind::Notar(block.hash));
        self.try_final(now, slot, block.hash);
        true
    }

    /// Algorithm 2, tryFinal.
    fn try_final(&mut self, now: Duration, slot: Slot, block: BlockHash) {
        let Some(st) = self.state.get_mut(slot) else {
            return;
        };
        if st.notarized == Some(block)
            && st.voted_notar == Some(block)
            && !st.bad_window
            && !st.its_over
        {
            st.its_over = true;
            self.cast_vote(now, slot, VoteKind::Final);
        }
    }

    /// Algorithm 2, trySkipWindow.
    fn try_skip_window(&mut self, now: Duration, slot: Slot) {
        let slots: Vec<Slot> = self.schedule.window_slots(slot).collect();
        for k in slots {
            if k <= self.highest_finalized {
                continue;
            }
            let st = self.state_mut(k);
            if !st.voted {
                st.voted = true;
                st.bad_window = true;
                self.pending_blocks.remove(&k);
                self.outputs
                    .push_back(Output::Event(Event::VotedSkip { slot: k }));
                self.cast_vote(now, k, VoteKind::Skip);
            }
        }
    }

    /// Algorithm 2, checkPendingBlocks.
    fn check_pending_blocks(&mut self, now: Duration) {
        if self.pending_blocks.is_empty() {
            return;
        }
        let pending: Vec<(BlockId, BlockId)> = self.pending_blocks.values().copied().collect();
        for (block, parent) in pending {
            self.try_notar(now, block, parent);
        }
    }

    /// SafeToNotar and SafeToSkip (section 2.5, Definition 16), and
    /// their handlers in Algorithm 1.
    #[inline]
    fn check_fallback_events(&mut self, now: Duration, slot: Slot) {
        let Some(st) = self.state.get(slot) else {
            return;
        };
        if !st.voted {
            return;
        }
        let voted_notar = st.voted_notar;
        // Common case: one block, voted for, no skip votes: neither event
        // can fire.
        if voted_notar.is_some_and(|b| self.pool.only_notar_block_and_no_skip(slot, b)) {
            return;
        }
        self.fallback_events(now, slot, voted_notar);
    }

    /// [`Node::check_fallback_events`] beyond the common case, for a slot
    /// this validator voted in (`voted_notar`: for which block, if any).
    #[inline(never)]
    fn fallback_events(&mut self, now: Duration, slot: Slot, voted_notar: Option<BlockHash>) {
        let skip = self.pool.skip_stake(slot).0;
        // SafeToNotar(s, b): voted in s, not to notarize b, and
        // notar(b) >= 40%, or skip(s) + notar(b) >= 60% with notar(b) >= 20%.
        let stakes = self.pool.notar_stakes(slot);
        for &(b, notar) in &stakes {
            if voted_notar == Some(b)
                || self
                    .state
                    .get(slot)
                    .expect("voted slots have state")
                    .safe_to_notar
                    .contains(&b)
            {
                continue;
            }
            let v = &self.validators;
            let notar = notar.0;
            let enough = v.reaches(crate::Stake(notar), 40)
                || (v.reaches(crate::Stake(skip + notar), 60)
                    && v.reaches(crate::Stake(notar), 20));
            if !enough {
                continue;
            }
            // Beyond the window's first slot, the parent must hold a
            // notar-fallback (or notarization) certificate first.
            if !self.schedule.is_window_start(slot) {
                match self.parent_of(BlockId { slot, hash: b }) {
                    Some(p) if self.pool.has_notar_or_fallback(p.slot, p.hash) => {}
                    Some(_) => continue,
                    None => {
                        // Definition 16: the block is retrieved by repair
                        // first, to learn its parent.
                        self.schedule_repair(now, BlockId { slot, hash: b });
                        continue;
                    }
                }
            }
            self.state_mut(slot).safe_to_notar.push(b);
            self.try_skip_window(now, slot);
            self.cast_fallback_vote(now, slot, VoteKind::NotarFallback(b));
        }
        // SafeToSkip(s): voted in s, not to skip, and
        // skip(s) + sum notar(b) - max notar(b) >= 40%.
        let st = &self.state.get(slot).expect("voted slots have state");
        if st.voted_notar.is_some() && !st.safe_to_skip {
            let sum: u64 = stakes.iter().map(|(_, s)| s.0).sum();
            let max = stakes.iter().map(|(_, s)| s.0).max().unwrap_or(0);
            if self.validators.reaches(crate::Stake(skip + sum - max), 40) {
                self.state_mut(slot).safe_to_skip = true;
                self.try_skip_window(now, slot);
                self.cast_fallback_vote(now, slot, VoteKind::SkipFallback);
            }
        }
    }

    /// Algorithm 1, upon SafeToNotar / SafeToSkip: unless ItsOver, set
    /// BadWindow and cast the fallback vote `kind`.
    fn cast_fallback_vote(&mut self, now: Duration, slot: Slot, kind: VoteKind) {
        let st = self.state_mut(slot);
        if !st.its_over {
            st.bad_window = true;
            self.cast_vote(now, slot, kind);
        }
    }

    /// Definition 14: finalizes `block` and, implicitly, its ancestors.
    fn finalize(&mut self, now: Duration, block: BlockId, by: FinalizedBy) {
        if self.finalized.get(block.slot) == Some(&block.hash) {
            return;
        }
        self.finalized.insert(block.slot, block.hash);
        // Ancestors first (Definition 14), as far as this validator knows
        // the chain.
        self.finalize_ancestors_of(block);
        self.outputs
            .push_back(Output::Event(Event::Finalized { block, by }));
        if block.slot > self.highest_finalized {
            self.highest_finalized = block.slot;
            self.arm_standstill(now);
            self.prune();
        }
    }

    /// The assembly of `block` (Blokstor), once a shred of it came.
    fn assembly(&self, block: BlockId) -> Option<&BlockAssembly> {
        self.blocks
            .get(block.slot)?
            .iter()
            .find(|a| a.hash == block.hash)
    }

    fn parent_of(&self, block: BlockId) -> Option<BlockId> {
        self.assembly(block).map(|a| a.parent)
    }

    fn prune(&mut self) {
        let floor = Slot(
            self.highest_finalized
                .0
                .saturating_sub(self.config.slots_retained),
        );
        self.pool.prune_below(floor);
        self.state.prune_below(floor);
        self.pending_blocks = self.pending_blocks.split_off(&floor);
        self.blocks.prune_below(floor);
        self.block_delivered.prune_below(floor);
        self.finalized.prune_below(floor);
        self.produced = self.produced.split_off(&floor);
    }

    /// Progress now: the standstill period (section 2.10) restarts. One
    /// timer is pending at a time; when it fires early it is set again for
    /// the rest of the period.
    fn arm_standstill(&mut self, now: Duration) {
        self.last_progress = now;
        if !self.standstill_pending {
            self.set_standstill_timer(now + self.config.standstill);
        }
    }

    fn set_standstill_timer(&mut self, at: Duration) {
        self.standstill_generation += 1;
        self.standstill_pending = true;
        self.outputs.push_back(Output::SetTimer {
            at,
            timer: Timer::Standstill(self.standstill_generation),
        });
    }

    /// Section 2.10: after a standstill, re-broadcast the certificates of the
    /// highest finalized slot and every certificate and own vote of later
    /// slots.
    fn rebroadcast_after_standstill(&mut self) {
        let mut messages = Vec::new();
        for slot in self.pool.slots_from(self.highest_finalized) {
            for cert in self.pool.certificates(slot) {
                messages.push(Message::Certificate(cert.clone()));
            }
        }
        for (_, st) in self.state.range_from(self.highest_finalized.next()) {
            messages.extend(st.own_votes.iter().map(|v| Message::Vote(*v)));
        }
        for message in messages {
            self.outputs.push_back(Output::Broadcast {
                message,
                except: None,
            });
        }
    }

    // ----- Rotor and Blokstor -----

    fn produce_block(&mut self, now: Duration, slot: Slot, parent: BlockId) {
        if self.produced.contains_key(&slot) {
            return;
        }
        let hash = BlockHash(
            mix64(mix64(slot.0) ^ mix64(parent.hash.0 ^ 0xB10C) ^ u64::from(self.me.0)) | 1,
        );
        let block = BlockId { slot, hash };
        self.produced.insert(slot, block);
        let mut transactions = Vec::new();
        let capacity = self.config.block_capacity_tx as usize;
        while transactions.len() < capacity {
            let Some((tx, arrived)) = self.pending_txs.pop_front() else {
                break;
            };
            if now.saturating_sub(arrived) <= self.config.tx_expiry {
                transactions.push(tx.id);
            }
        }
        self.outputs.push_back(Output::Event(Event::BlockProduced {
            block,
            parent,
            transactions,
        }));
        let slices = self.config.slices_per_block;
        for slice in 0..slices {
            let relays = self
                .schedule
                .relays(slot, slice, self.config.shreds_per_slice);
            for (index, relay) in relays.into_iter().enumerate() {
                let shred = Shred {
                    leader: self.me,
                    block,
                    parent,
                    slice,
                    slices,
                    index: index as u32,
                    relay,
                };
                let message = Message::Shred(shred);
                if relay == self.me {
                    self.outputs.push_back(Output::Broadcast {
                        message,
                        except: None,
                    });
                } else {
                    self.outputs.push_back(Output::Send { to: relay, message });
                }
            }
        }
        // The leader holds its own block.
        self.blocks.get_or_default(slot).push(BlockAssembly {
            hash,
            parent,
            slices: vec![u64::MAX; slices as usize],
            slices_complete: slices,
            complete: true,
        });
        self.block_delivered.insert(slot, hash);
        self.on_block(now, block, parent);
    }
}

impl SimulatorHooks for Node {
    fn knows_block(&self, block: BlockId) -> bool {
        self.assembly(block).is_some()
    }

    fn needs_shred(&self, block: BlockId, slice: u32) -> bool {
        if !self.slot_in_range(block.slot) {
            return false;
        }
        match self.assembly(block) {
            None => true,
            Some(a) => {
                !a.complete
                    && a.slices
                        .get(slice as usize)
                        .is_some_and(|bits| bits.count_ones() < self.config.data_shreds_per_slice)
            }
        }
    }

    fn vote_quiet_stake(&self, slot: Slot) -> u64 {
        if !self.slot_in_range(slot) {
            return u64::MAX;
        }
        let watch =
            self.state
                .get(slot)
                .filter(|st| st.voted)
                .map(|st| crate::pool::FallbackWatch {
                    voted_notar: st.voted_notar,
                    safe_to_notar: &st.safe_to_notar,
                    safe_to_skip: st.safe_to_skip,
                });
        self.pool.quiet_stake(slot, watch)
    }

    fn handle_quiet_vote(&mut self, from: ValidatorIndex, vote: Vote) {
        if !self.takes_vote(from, &vote) {
            return;
        }
        if cfg!(debug_assertions) {
            let flags = |n: &Self| {
                n.state
                    .get(vote.slot)
                    .map(|st| (st.safe_to_notar.len(), st.safe_to_skip, st.bad_window))
            };
            let (outputs, before) = (self.outputs.len(), flags(self));
            self.store_vote(Duration::ZERO, vote);
            assert!(
                self.outputs.len() == outputs && flags(self) == before,
                "a quiet vote made the validator act: {vote:?}"
            );
        } else {
            self.pool.add_quiet_vote(vote);
        }
    }

    fn vote_is_moot(&self, vote: &Vote) -> bool {
        if !self.slot_in_range(vote.slot) {
            return true;
        }
        match vote.kind {
            VoteKind::Notar(b) => {
                self.state
                    .get(vote.slot)
                    .is_some_and(|st| st.voted_notar == Some(b))
                    && self.pool.has_certificate(
                        vote.slot,
                        CertificateKind::FastFinalization,
                        Some(b),
                    )
                    && self
                        .pool
                        .has_certificate(vote.slot, CertificateKind::Notarization, Some(b))
            }
            VoteKind::Final => {
                self.pool
                    .has_certificate(vote.slot, CertificateKind::Finalization, None)
            }
            _ => false,
        }
    }

    fn shreds_held(&self, block: BlockId, slice: u32) -> u32 {
        self.assembly(block).map_or(0, |a| {
            if a.complete {
                self.config.data_shreds_per_slice
            } else {
                a.slices.get(slice as usize).map_or(0, |b| b.count_ones())
            }
        })
    }
}

impl Node {
    fn on_shred(&mut self, now: Duration, from: ValidatorIndex, shred: Shred) {
        let slot = shred.block.slot;
        if !self.slot_in_range(slot)
            || shred.slices == 0
            || shred.slice >= shred.slices
            || shred.index >= self.config.shreds_per_slice
            || self.shred_leader(slot) != shred.leader
        {
            return;
        }
        // This validator is the shred's relay and got it from the leader:
        // it forwards it to everyone else (section 2.2).
        if shred.relay == self.me && from == shred.leader && from != self.me {
            self.outputs.push_back(Output::Broadcast {
                message: Message::Shred(shred),
                except: Some(shred.leader),
            });
        }
        let gamma = self.config.data_shreds_per_slice;
        let assemblies = self.blocks.get_or_default(slot);
        let mut new_block = false;
        let pos = match assemblies.iter().position(|a| a.hash == shred.block.hash) {
            Some(p) => p,
            None => {
                new_block = true;
                assemblies.push(BlockAssembly {
                    hash: shred.block.hash,
                    parent: shred.parent,
                    slices: vec![0; shred.slices as usize],
                    slices_complete: 0,
                    complete: false,
                });
                assemblies.len() - 1
            }
        };
        let a = &mut assemblies[pos];
        // Shreds of the slice held so far, when this one is new and still
        // needed.
        let held = match a.slices.get(shred.slice as usize) {
            Some(bits) if !a.complete && *bits & (1 << shred.index) == 0 => {
                Some(bits.count_ones()).filter(|&held| held < gamma)
            }
            _ => None,
        };
        let Some(held) = held else {
            if new_block && self.state.get(slot).is_some_and(|st| st.voted) {
                self.check_fallback_events(now, slot);
            }
            return;
        };
        a.slices[shred.slice as usize] |= 1 << shred.index;
        if held + 1 == gamma {
            a.slices_complete += 1;
            if a.slices_complete == a.slices.len() as u32 {
                a.complete = true;
                let parent = a.parent;
                self.outputs.push_back(Output::Event(Event::BlockReceived {
                    block: shred.block,
                    parent,
                }));
                // Blokstor emits Block for the first complete block of a
                // slot (section 2.3).
                if !self.block_delivered.contains_key(slot) {
                    self.block_delivered.insert(slot, shred.block.hash);
                    self.on_block(now, shred.block, parent);
                }
                // Finalization may have waited for the ancestry.
                if self.finalized.get(slot) == Some(&shred.block.hash) {
                    self.finalize_ancestors_of(shred.block);
                }
            }
        }
        // A new block's parent may be what a pending SafeToNotar needed.
        if new_block && self.state.get(slot).is_some_and(|st| st.voted) {
            self.check_fallback_events(now, slot);
        }
    }

    /// The leader of `slot` (as [`LeaderSchedule::leader`]), remembered for
    /// the window of the last shred.
    fn shred_leader(&mut self, slot: Slot) -> ValidatorIndex {
        let window = self.schedule.window(slot);
        match self.shred_window_leader {
            Some((w, leader)) if w == window => leader,
            _ => {
                let leader = self.schedule.leader(slot);
                self.shred_window_leader = Some((window, leader));
                leader
            }
        }
    }

    /// Finalizes the ancestors of a finalized block, as far as this
    /// validator knows the chain (Definition 14: finalizing a block
    /// finalizes its ancestors).
    fn finalize_ancestors_of(&mut self, block: BlockId) {
        // Walk down to the first known-finalized (or unknown) ancestor,
        // then finalize upwards: the oldest ancestor's event comes first.
        // Bounded by the retained slots (`slot_in_range`).
        let mut chain = Vec::new();
        let mut cursor = block;
        while let Some(parent) = self.parent_of(cursor) {
            if parent.slot == Slot::GENESIS || self.finalized.get(parent.slot) == Some(&parent.hash)
            {
                break;
            }
            if !self.slot_in_range(parent.slot) {
                break;
            }
            chain.push(parent);
            cursor = parent;
        }
        for &parent in chain.iter().rev() {
            self.finalized.insert(parent.slot, parent.hash);
            self.outputs.push_back(Output::Event(Event::Finalized {
                block: parent,
                by: FinalizedBy::Ancestor,
            }));
        }
    }

    /// Whether this validator holds all of `block`'s slices.
    fn has_complete_block(&self, block: BlockId) -> bool {
        self.assembly(block).is_some_and(|a| a.complete)
    }

    /// Starts repairing `block` (section 2.8) unless it is complete here or
    /// already being repaired: the first request goes out after Δblock, in
    /// case Rotor is still delivering it.
    fn schedule_repair(&mut self, now: Duration, block: BlockId) {
        if self.has_complete_block(block) || !self.slot_in_range(block.slot) {
            return;
        }
        let st = self.state_mut(block.slot);
        if st.repairing.contains(&block.hash) {
            return;
        }
        st.repairing.push(block.hash);
        self.outputs.push_back(Output::SetTimer {
            at: now + self.config.delta_block,
            timer: Timer::Repair { block, attempt: 0 },
        });
    }

    /// [`Timer::Repair`]: if `block` is still incomplete, asks one validator
    /// whose NotarVote for it is stored (or who signed its notarization or
    /// fast-finalization certificate), other than its leader, for its
    /// shreds, and checks again after Δblock. When no such validator is
    /// known (the block is certified here only by a notar-fallback
    /// certificate, with none of its NotarVotes stored), the certificate's
    /// signers are asked instead: at least the NotarVote signers among them
    /// hold the block, while a NotarFallbackVote may come from a validator
    /// that lacks it (Definition 16). The validator asked is `attempt`
    /// places on from a seeded start in that list, so retries ask others
    /// and validators spread their requests.
    fn repair(&mut self, now: Duration, block: BlockId, attempt: u32) {
        if self.has_complete_block(block) || !self.slot_in_range(block.slot) {
            return;
        }
        let leader = self.schedule.leader(block.slot);
        let mut holders: Vec<ValidatorIndex> = self
            .pool
            .notar_voters(block.slot, block.hash)
            .map(|s| s.iter().collect())
            .unwrap_or_default();
        let mut fallback_signers: Vec<ValidatorIndex> = Vec::new();
        for cert in self.pool.certificates(block.slot) {
            if cert.block != Some(block.hash) {
                continue;
            }
            match cert.kind {
                CertificateKind::Notarization | CertificateKind::FastFinalization => {
                    holders.extend(cert.signers.iter());
                }
                CertificateKind::NotarFallback => fallback_signers.extend(cert.signers.iter()),
                CertificateKind::Skip | CertificateKind::Finalization => {}
            }
        }
        // The leader would answer as if this validator were each shred's
        // relay from the leader, and it would forward them all.
        let usable = |v: &ValidatorIndex| *v != self.me && *v != leader;
        if !holders.iter().any(usable) {
            holders.extend(fallback_signers);
        }
        holders.sort_unstable();
        holders.dedup();
        holders.retain(usable);
        if !holders.is_empty() {
            let start = mix64(u64::from(self.me.0) ^ mix64(block.slot.0 ^ block.hash.0));
            let pick = (start as usize).wrapping_add(attempt as usize) % holders.len();
            self.outputs.push_back(Output::Send {
                to: holders[pick],
                message: Message::RepairRequest(block),
            });
        }
        if attempt + 1 == REPAIR_ATTEMPTS_MAX {
            // Given up for now: a later certificate or SafeToNotar may start
            // another round.
            self.state_mut(block.slot)
                .repairing
                .retain(|h| *h != block.hash);
        } else {
            self.outputs.push_back(Output::SetTimer {
                at: now + self.config.delta_block,
                timer: Timer::Repair {
                    block,
                    attempt: attempt + 1,
                },
            });
        }
    }

    /// Repair (section 2.8): answer with the shreds of a block this
    /// validator holds, `data_shreds_per_slice` per slice.
    fn on_repair_request(&mut self, from: ValidatorIndex, block: BlockId) {
        let Some(a) = self.assembly(block).filter(|a| a.complete) else {
            return;
        };
        let (parent, slices) = (a.parent, a.slices.len() as u32);
        let leader = self.schedule.leader(block.slot);
        for slice in 0..slices {
            for index in 0..self.config.data_shreds_per_slice {
                self.outputs.push_back(Output::Send {
                    to: from,
                    message: Message::Shred(Shred {
                        leader,
                        block,
                        parent,
                        slice,
                        slices,
                        index,
                        relay: from,
                    }),
                });
            }
        }
    }
}
