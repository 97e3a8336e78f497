//! Byzantine behaviours as wrappers around the honest [`Node`].
//!
//! A [`ByzantineNode`] runs an honest [`Node`] and filters or rewrites its
//! outputs (and adds its own), according to a [`Behaviour`]. It implements
//! [`Validator`] like [`Node`], so a driver can run either. Like
//! [`Node`] it is sans-IO and deterministic: every choice is a pure function
//! of ids and hashes ([`mix64`]).
//!
//! The white paper's assumptions these behaviours stress (section 1.2):
//! - **Assumption 1**: Byzantine validators control less than 20% of the
//!   stake; the rest is correct. Safety and liveness hold.
//! - **Assumption 2 ("20+20")**: in addition to less than 20% Byzantine stake,
//!   up to 20% of the stake may be crashed (or unresponsive); liveness still
//!   holds (via the slow, 60% path and the fallback votes).
//! - The fast path (one-round fast-finalization) needs 80% of the stake
//!   honest **and** responsive; any misbehaving or slow stake beyond 20%
//!   pushes blocks onto the slow path.
//!
//! Behaviours are about the validator's own messages: it still receives,
//! relays and stores what others send like an honest node.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use crate::message::{Message, Shred, Transaction, Vote, VoteKind};
use crate::node::{Event, Node, Output, Timer};
use crate::types::{mix64, BlockHash, Slot, ValidatorIndex};
use crate::validator::Validator;
#[cfg(doc)]
use crate::SimulatorHooks;

/// Standstill timer generations from here on are the wrapper's own wake-up
/// timers (see [`Behaviour::VoteDelayer`]); the inner node counts its
/// generations up from 1 and never reaches them, so it would ignore them.
pub const WAKE_GENERATION_BASE: u64 = 1 << 63;

/// Slots of bookkeeping kept below the inner node's highest finalized slot.
const SLOTS_KEPT: u64 = 1_024;

/// How a Byzantine validator misbehaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behaviour {
    /// As leader, produces two blocks per slot: block A (the honest one) and
    /// block B with hash [`equivocation_variant`]`(A)`, both with the same
    /// parent (for later slots of its window, B's parent is the B variant of
    /// its previous block, so each chain is consistent). A shred whose relay
    /// ([`Shred::relay`]) `r` is even is sent as block A, one whose relay is
    /// odd as block B (this includes shreds the leader relays itself, and
    /// repair answers, whose relay is the requester). Relays forward what
    /// they got, so validators may receive shreds of both blocks.
    ///
    /// Stresses safety under Assumption 1: at most one of two conflicting
    /// blocks may be notarized (60% NotarVote needs honest votes, and honest
    /// validators vote for one block per slot); SafeToNotar / notar-fallback
    /// votes must resolve the split.
    EquivocatingLeader,
    /// As leader, sends no shred of its own blocks; votes like an honest
    /// node otherwise (including a NotarVote for the block it kept to
    /// itself).
    ///
    /// Stresses liveness under Assumption 2 (a crashed leader): validators
    /// must time out (Δtimeout + Δblock per slot, Definition 17), skip its
    /// window and move on through skip certificates.
    SilentLeader,
    /// As leader, withholds a share of the shreds of its blocks: shred
    /// `index` of slice `slice` of block `hash` is never sent when
    /// `unit(mix64(hash ^ mix64(slice << 32 | index))) < withhold_share`
    /// (`unit` maps a `u64` onto `[0, 1)`), neither to its relay nor in
    /// answers to repair requests. Everything else is sent as usual. With more than
    /// `1 - γ/Γ` withheld (0.5 by default), most slices keep fewer than γ
    /// shreds and no validator can reconstruct the block, yet some shreds
    /// (and the leader's own NotarVote) arrive.
    ///
    /// Stresses Rotor's erasure coding and the skip path under Assumption 1:
    /// a partially delivered block must not stall the chain.
    WithholdingLeader {
        /// Share of shreds withheld, in `(0, 1]`.
        withhold_share: f64,
    },
    /// Votes for every block it sees: on the first shred of each block
    /// (received, or produced by itself) it broadcasts a NotarVote for that
    /// block, and once per slot a FinalVote, whether or not the block is
    /// notarized; so it votes for conflicting blocks of a slot and finalizes
    /// blocks it has not even reconstructed. Its honest votes still go out.
    ///
    /// Stresses the Pool's storage rules (Definition 12: only the first
    /// notar-or-skip vote of a validator per slot counts) and safety under
    /// Assumption 1: double votes of < 20% stake must not make two blocks of
    /// a slot notarized, nor finalize a block that is not notarized.
    DoubleVoter,
    /// Holds each of its votes for `delay` before sending it (certificates,
    /// shreds and everything else go out at once; its own Pool counts its
    /// votes at once, as an honest node's does).
    ///
    /// Held votes are released on the first input whose `now` is at least
    /// their due time. So that a due time is never missed, each held vote
    /// also emits an [`Output::SetTimer`] at its due time (one per distinct
    /// due time) with a [`Timer::Standstill`] generation of at least
    /// [`WAKE_GENERATION_BASE`]; the wrapper consumes that timer itself (the
    /// inner node never sees it).
    ///
    /// Stresses the timing assumptions: votes arriving late slow down
    /// certificates and, beyond 20% of stake, push the fast path (80%) onto
    /// the slow path; with enough stake delayed past Δtimeout, slots are
    /// skipped.
    VoteDelayer {
        /// How long each vote is held; must be > 0.
        delay: Duration,
    },
    /// Never casts a NotarVote or FinalVote: a NotarVote becomes a SkipVote
    /// for the same slot, a NotarFallbackVote becomes a SkipFallbackVote, a
    /// FinalVote is dropped (each vote at most once per slot). Proposes
    /// blocks honestly as leader.
    ///
    /// Stresses liveness under Assumption 1: with this validator's stake
    /// missing from every notarization, the remaining stake must still reach
    /// 60% (and the fast path 80%, so beyond 20% of such stake there is no
    /// fast finalization at all).
    SkipAlways,
}

impl Behaviour {
    /// Names of the behaviours as written in a scenario file, in the order of
    /// the enum.
    pub const NAMES: [&'static str; 6] = [
        "equivocating_leader",
        "silent_leader",
        "withholding_leader",
        "double_voter",
        "vote_delayer",
        "skip_always",
    ];

    /// The behaviour's name as written in a scenario file (one of
    /// [`Behaviour::NAMES`]).
    pub fn name(&self) -> &'static str {
        match self {
            Behaviour::EquivocatingLeader => Self::NAMES[0],
            Behaviour::SilentLeader => Self::NAMES[1],
            Behaviour::WithholdingLeader { .. } => Self::NAMES[2],
            Behaviour::DoubleVoter => Self::NAMES[3],
            Behaviour::VoteDelayer { .. } => Self::NAMES[4],
            Behaviour::SkipAlways => Self::NAMES[5],
        }
    }

    /// One line on the white paper assumption the behaviour stresses, for
    /// reports.
    pub fn stresses(&self) -> &'static str {
        match self {
            Behaviour::EquivocatingLeader => {
                "safety under Assumption 1 (< 20% Byzantine stake): conflicting blocks in one slot"
            }
            Behaviour::SilentLeader => {
                "liveness under Assumption 2 (20% Byzantine + 20% crashed): timeouts and skip certificates"
            }
            Behaviour::WithholdingLeader { .. } => {
                "Rotor erasure coding and the skip path under Assumption 1: partially delivered blocks"
            }
            Behaviour::DoubleVoter => {
                "Pool storage rules and safety under Assumption 1: votes for conflicting blocks"
            }
            Behaviour::VoteDelayer { .. } => {
                "timing: the fast path needs 80% of stake honest and responsive"
            }
            Behaviour::SkipAlways => {
                "liveness under Assumption 1: notarization without this stake; no fast path beyond 20%"
            }
        }
    }
}

/// The hash of block B of an [`Behaviour::EquivocatingLeader`] whose honest
/// block A has hash `a`.
pub fn equivocation_variant(a: BlockHash) -> BlockHash {
    BlockHash(mix64(a.0 ^ 0xE9D1_C0A7_E5B1_0C4B) | 1)
}

/// Maps a `u64` onto `[0, 1)`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A validator running `inner` with a [`Behaviour`]. Same calling
/// convention as [`Node`] (the [`Validator`] trait): one `handle_*` call per
/// input, then drain [`Validator::poll_output`].
#[derive(Debug)]
pub struct ByzantineNode {
    inner: Node,
    behaviour: Behaviour,
    outputs: VecDeque<Output>,
    /// Vote delayer: votes held, with their due time (in due order, the
    /// delay being constant).
    held: VecDeque<(Duration, Output)>,
    wake_generation: u64,
    /// Due time of the last wake-up timer set.
    last_wake: Option<Duration>,
    /// Blocks this validator produced as leader.
    produced: BTreeSet<(Slot, BlockHash)>,
    /// Per slot, what was voted (double voter: `Some(hash)` for NotarVotes,
    /// `None` for the FinalVote; skip-always: `None` for the SkipVote,
    /// `Some(BlockHash(0))` for the SkipFallbackVote).
    voted: BTreeSet<(Slot, Option<BlockHash>)>,
}

impl ByzantineNode {
    /// Wraps `inner` (not yet started) with `behaviour`.
    pub fn new(inner: Node, behaviour: Behaviour) -> Self {
        Self {
            inner,
            behaviour,
            outputs: VecDeque::new(),
            held: VecDeque::new(),
            wake_generation: WAKE_GENERATION_BASE,
            last_wake: None,
            produced: BTreeSet::new(),
            voted: BTreeSet::new(),
        }
    }

    /// The behaviour.
    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    /// The honest node inside (for the driver's queries such as
    /// [`SimulatorHooks::knows_block`]; note that
    /// [`SimulatorHooks::vote_is_moot`] assumes honest voters).
    pub fn inner(&self) -> &Node {
        &self.inner
    }

    /// Unwraps the honest node, e.g. when a Byzantine fault heals. Votes
    /// still held by a [`Behaviour::VoteDelayer`] are dropped (the node
    /// re-broadcasts its own votes after a standstill).
    pub fn into_inner(self) -> Node {
        self.inner
    }
}

impl Validator for ByzantineNode {
    fn index(&self) -> ValidatorIndex {
        self.inner.index()
    }

    fn highest_finalized(&self) -> Slot {
        self.inner.highest_finalized()
    }

    /// The inner node's idea of the current slot.
    fn current_slot(&self) -> Slot {
        self.inner.current_slot()
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The inner node's [`Validator::handle_start`], with the behaviour applied to
    /// its outputs.
    fn handle_start(&mut self, now: Duration) {
        self.release(now);
        self.inner.handle_start(now);
        self.pump(now);
    }

    /// The inner node's [`Validator::handle_message`], with the behaviour applied to
    /// its outputs.
    fn handle_message(&mut self, now: Duration, from: ValidatorIndex, message: Message) {
        self.release(now);
        let shred = match &message {
            Message::Shred(s) => Some(*s),
            _ => None,
        };
        self.inner.handle_message(now, from, message);
        self.pump(now);
        if let (Behaviour::DoubleVoter, Some(s)) = (self.behaviour, shred) {
            self.double_vote(s.block.slot, s.block.hash);
        }
    }

    /// The inner node's [`Validator::handle_timer`], with the behaviour
    /// applied to its outputs. Consumes the wrapper's own wake-up timers.
    fn handle_timer(&mut self, now: Duration, timer: Timer) {
        self.release(now);
        if matches!(timer, Timer::Standstill(g) if g >= WAKE_GENERATION_BASE) {
            return;
        }
        self.inner.handle_timer(now, timer);
        self.pump(now);
    }

    /// The inner node's [`Validator::handle_transaction`], with the behaviour applied to
    /// its outputs.
    fn handle_transaction(&mut self, now: Duration, tx: Transaction) {
        self.release(now);
        self.inner.handle_transaction(now, tx);
        self.pump(now);
    }
}

impl ByzantineNode {
    /// Vote delayer: sends the held votes that are due.
    fn release(&mut self, now: Duration) {
        while self.held.front().is_some_and(|(due, _)| *due <= now) {
            let (_, out) = self.held.pop_front().expect("front exists");
            self.outputs.push_back(out);
        }
    }

    /// Moves the inner node's outputs through the behaviour.
    fn pump(&mut self, now: Duration) {
        while let Some(out) = self.inner.poll_output() {
            self.transform(now, out);
        }
        let floor = self.inner.highest_finalized().0.saturating_sub(SLOTS_KEPT);
        if self.voted.first().is_some_and(|(s, _)| s.0 < floor) {
            self.voted = self.voted.split_off(&(Slot(floor), None));
        }
        if self.produced.first().is_some_and(|(s, _)| s.0 < floor) {
            self.produced = self.produced.split_off(&(Slot(floor), BlockHash(0)));
        }
    }

    fn transform(&mut self, now: Duration, mut out: Output) {
        let me = self.inner.index();
        if let Output::Event(Event::BlockProduced { block, .. }) = &out {
            self.produced.insert((block.slot, block.hash));
        }
        let own_vote = match &out {
            Output::Send {
                message: Message::Vote(v),
                ..
            }
            | Output::Broadcast {
                message: Message::Vote(v),
                ..
            } if v.voter == me => Some(*v),
            _ => None,
        };
        let own_shred = match &mut out {
            Output::Send {
                message: Message::Shred(s),
                ..
            }
            | Output::Broadcast {
                message: Message::Shred(s),
                ..
            } if s.leader == me => Some(s),
            _ => None,
        };
        match self.behaviour {
            Behaviour::SilentLeader if own_shred.is_some() => return,
            Behaviour::WithholdingLeader { withhold_share } => {
                if let Some(s) = own_shred {
                    let x = mix64(
                        s.block.hash.0 ^ mix64((u64::from(s.slice) << 32) | u64::from(s.index)),
                    );
                    if unit(x) < withhold_share {
                        return;
                    }
                }
            }
            Behaviour::EquivocatingLeader => {
                if let Some(s) = own_shred {
                    if s.relay.0 % 2 == 1 {
                        Self::to_block_b(&self.produced, s);
                    }
                }
            }
            Behaviour::DoubleVoter => {
                if let Some(v) = own_vote {
                    let key = match v.kind {
                        VoteKind::Notar(h) => Some((v.slot, Some(h))),
                        VoteKind::Final => Some((v.slot, None)),
                        _ => None,
                    };
                    // Already sent as a double vote: do not repeat it.
                    if key.is_some_and(|k| !self.voted.insert(k)) {
                        return;
                    }
                }
                if let Some(s) = own_shred {
                    let (slot, hash) = (s.block.slot, s.block.hash);
                    self.outputs.push_back(out);
                    self.double_vote(slot, hash);
                    return;
                }
            }
            Behaviour::VoteDelayer { delay } if own_vote.is_some() => {
                if self.last_wake != Some(now + delay) {
                    self.last_wake = Some(now + delay);
                    self.wake_generation += 1;
                    self.outputs.push_back(Output::SetTimer {
                        at: now + delay,
                        timer: Timer::Standstill(self.wake_generation),
                    });
                }
                self.held.push_back((now + delay, out));
                return;
            }
            Behaviour::SkipAlways => {
                if let Some(v) = own_vote {
                    let (kind, key) = match v.kind {
                        VoteKind::Notar(_) | VoteKind::Skip => (VoteKind::Skip, None),
                        VoteKind::NotarFallback(_) | VoteKind::SkipFallback => {
                            (VoteKind::SkipFallback, Some(BlockHash(0)))
                        }
                        VoteKind::Final => return,
                    };
                    if !self.voted.insert((v.slot, key)) {
                        return;
                    }
                    let vote = Message::Vote(Vote { kind, ..v });
                    match &mut out {
                        Output::Send { message, .. } | Output::Broadcast { message, .. } => {
                            *message = vote
                        }
                        _ => unreachable!("own_vote is a message"),
                    }
                }
            }
            _ => {}
        }
        self.outputs.push_back(out);
    }

    /// Equivocating leader: turns a shred of block A into one of block B.
    fn to_block_b(produced: &BTreeSet<(Slot, BlockHash)>, s: &mut Shred) {
        s.block.hash = equivocation_variant(s.block.hash);
        if produced.contains(&(s.parent.slot, s.parent.hash)) {
            s.parent.hash = equivocation_variant(s.parent.hash);
        }
    }

    /// Double voter: a NotarVote for `hash` and a FinalVote for `slot`,
    /// unless already cast.
    fn double_vote(&mut self, slot: Slot, hash: BlockHash) {
        let me = self.inner.index();
        for kind in [VoteKind::Notar(hash), VoteKind::Final] {
            let key = match kind {
                VoteKind::Notar(h) => (slot, Some(h)),
                _ => (slot, None),
            };
            if self.voted.insert(key) {
                self.outputs.push_back(Output::Broadcast {
                    message: Message::Vote(Vote {
                        voter: me,
                        slot,
                        kind,
                    }),
                    except: None,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::types::{BlockId, LeaderSchedule, ValidatorSet};
    use crate::NodeConfig;

    const SEED: u64 = 7;

    fn schedule() -> Arc<LeaderSchedule> {
        Arc::new(LeaderSchedule::new(
            SEED,
            4,
            Arc::new(ValidatorSet::new(vec![1; 4])),
        ))
    }

    /// Drives a Byzantine node, or an honest one (`None`) as the baseline.
    enum Driver {
        Byzantine(ByzantineNode),
        Honest(Node),
    }

    impl Driver {
        fn new(i: u32, behaviour: Option<Behaviour>) -> Self {
            let n = Node::new(ValidatorIndex(i), NodeConfig::default(), schedule());
            match behaviour {
                Some(b) => Driver::Byzantine(ByzantineNode::new(n, b)),
                None => Driver::Honest(n),
            }
        }

        fn start(&mut self, now: Duration) {
            match self {
                Driver::Byzantine(n) => n.handle_start(now),
                Driver::Honest(n) => n.handle_start(now),
            }
        }

        fn timer(&mut self, now: Duration, timer: Timer) {
            match self {
                Driver::Byzantine(n) => n.handle_timer(now, timer),
                Driver::Honest(n) => n.handle_timer(now, timer),
            }
        }

        fn message(&mut self, now: Duration, from: ValidatorIndex, m: Message) {
            match self {
                Driver::Byzantine(n) => n.handle_message(now, from, m),
                Driver::Honest(n) => n.handle_message(now, from, m),
            }
        }

        fn drain(&mut self) -> Vec<Output> {
            match self {
                Driver::Byzantine(n) => std::iter::from_fn(|| n.poll_output()).collect(),
                Driver::Honest(n) => std::iter::from_fn(|| n.poll_output()).collect(),
            }
        }
    }

    fn byz(i: u32, behaviour: Behaviour) -> ByzantineNode {
        ByzantineNode::new(
            Node::new(ValidatorIndex(i), NodeConfig::default(), schedule()),
            behaviour,
        )
    }

    fn drain(n: &mut ByzantineNode) -> Vec<Output> {
        std::iter::from_fn(|| n.poll_output()).collect()
    }

    /// The leader of slot 1, started, produces its blocks of slots 1 and 2;
    /// all outputs.
    fn lead(behaviour: Option<Behaviour>) -> Vec<Output> {
        let mut n = Driver::new(schedule().leader(Slot(1)).0, behaviour);
        n.start(Duration::ZERO);
        n.timer(Duration::from_millis(400), Timer::ProduceBlock(Slot(1)));
        n.timer(Duration::from_millis(800), Timer::ProduceBlock(Slot(2)));
        n.drain()
    }

    /// Shreds sent.
    fn shreds(outs: &[Output]) -> Vec<Shred> {
        outs.iter()
            .filter_map(|o| match o {
                Output::Send {
                    message: Message::Shred(s),
                    ..
                }
                | Output::Broadcast {
                    message: Message::Shred(s),
                    ..
                } => Some(*s),
                _ => None,
            })
            .collect()
    }

    fn votes(outs: &[Output]) -> Vec<Vote> {
        outs.iter()
            .filter_map(|o| match o {
                Output::Broadcast {
                    message: Message::Vote(v),
                    ..
                } => Some(*v),
                _ => None,
            })
            .collect()
    }

    fn produced(outs: &[Output]) -> Vec<BlockId> {
        outs.iter()
            .filter_map(|o| match o {
                Output::Event(Event::BlockProduced { block, .. }) => Some(*block),
                _ => None,
            })
            .collect()
    }

    fn is_notar(v: &Vote) -> bool {
        matches!(v.kind, VoteKind::Notar(_))
    }

    #[test]
    fn silent_leader_sends_no_shreds_but_votes() {
        let c = NodeConfig::default();
        let honest = lead(None);
        assert_eq!(
            shreds(&honest).len() as u32,
            2 * c.slices_per_block * c.shreds_per_slice
        );
        let outs = lead(Some(Behaviour::SilentLeader));
        assert!(shreds(&outs).is_empty());
        assert_eq!(produced(&outs).len(), 2);
        assert!(votes(&outs)
            .iter()
            .any(|v| v.slot == Slot(1) && is_notar(v)));
    }

    #[test]
    fn withholding_leader_leaves_slices_short_of_gamma() {
        let c = NodeConfig::default();
        let outs = lead(Some(Behaviour::WithholdingLeader {
            withhold_share: 0.6,
        }));
        let sent = shreds(&outs);
        let total = (2 * c.slices_per_block * c.shreds_per_slice) as usize;
        assert!(
            sent.len() > total / 5 && sent.len() < total * 3 / 5,
            "{}",
            sent.len()
        );
        let short = (0..c.slices_per_block)
            .filter(|&sl| {
                let n = sent
                    .iter()
                    .filter(|s| s.block.slot == Slot(1) && s.slice == sl)
                    .count();
                (n as u32) < c.data_shreds_per_slice
            })
            .count();
        assert!(short > 0);
    }

    #[test]
    fn equivocating_leader_sends_two_consistent_blocks() {
        let outs = lead(Some(Behaviour::EquivocatingLeader));
        let a = produced(&outs);
        assert_eq!(a.len(), 2);
        let sent = shreds(&outs);
        for slot in [Slot(1), Slot(2)] {
            let hashes: BTreeSet<BlockHash> = sent
                .iter()
                .filter(|s| s.block.slot == slot)
                .map(|s| s.block.hash)
                .collect();
            assert_eq!(hashes.len(), 2, "slot {slot}");
        }
        for s in &sent {
            // Odd relays get block B, whose slot-2 block builds on B of slot 1.
            let odd = s.relay.0 % 2 == 1;
            let variant = |b: BlockId| {
                if odd {
                    equivocation_variant(b.hash)
                } else {
                    b.hash
                }
            };
            let k = (s.block.slot.0 - 1) as usize;
            assert_eq!(s.block.hash, variant(a[k]));
            let parent = if k == 0 {
                BlockId::GENESIS
            } else {
                BlockId {
                    slot: Slot(1),
                    hash: variant(a[0]),
                }
            };
            assert_eq!(s.parent, parent);
        }
    }

    #[test]
    fn double_voter_votes_for_both_blocks() {
        let leader = schedule().leader(Slot(1));
        let me = (leader.0 + 1) % 4;
        let shred = |h| Shred {
            leader,
            block: BlockId {
                slot: Slot(1),
                hash: BlockHash(h),
            },
            parent: BlockId::GENESIS,
            slice: 0,
            slices: 4,
            index: 0,
            relay: ValidatorIndex(me),
        };
        for (behaviour, expected) in [(Some(Behaviour::DoubleVoter), 3), (None, 0)] {
            let mut n = Driver::new(me, behaviour);
            n.start(Duration::ZERO);
            for h in [11, 13] {
                n.message(Duration::from_millis(500), leader, Message::Shred(shred(h)));
            }
            let v = votes(&n.drain());
            let mine: Vec<_> = v
                .iter()
                .filter(|v| v.voter.0 == me && v.slot == Slot(1))
                .collect();
            assert_eq!(mine.len(), expected, "{behaviour:?}: {mine:?}");
            if expected > 0 {
                for h in [11, 13] {
                    assert!(mine.iter().any(|v| v.kind == VoteKind::Notar(BlockHash(h))));
                }
                assert!(mine.iter().any(|v| v.kind == VoteKind::Final));
            }
        }
    }

    #[test]
    fn vote_delayer_holds_votes_until_due() {
        let delay = Duration::from_millis(200);
        let mut n = byz(0, Behaviour::VoteDelayer { delay });
        n.handle_start(Duration::ZERO);
        drain(&mut n);
        let t = Duration::from_secs(2);
        n.handle_timer(t, Timer::Timeout(Slot(1)));
        let outs = drain(&mut n);
        assert!(votes(&outs).is_empty());
        let wake: Vec<_> = outs
            .iter()
            .filter_map(|o| match o {
                Output::SetTimer {
                    at,
                    timer: Timer::Standstill(g),
                } if *g >= WAKE_GENERATION_BASE => Some((*at, *g)),
                _ => None,
            })
            .collect();
        assert_eq!(wake, vec![(t + delay, WAKE_GENERATION_BASE + 1)]);
        n.handle_timer(t + delay / 2, Timer::Standstill(wake[0].1));
        assert!(votes(&drain(&mut n)).is_empty(), "not due yet");
        n.handle_timer(t + delay, Timer::Standstill(wake[0].1));
        let released = votes(&drain(&mut n));
        assert_eq!(released.len(), 4);
        assert!(released.iter().all(|v| v.kind == VoteKind::Skip));
    }

    #[test]
    fn vote_delayer_releases_on_any_later_input() {
        let delay = Duration::from_millis(200);
        let mut n = byz(0, Behaviour::VoteDelayer { delay });
        n.handle_start(Duration::ZERO);
        n.handle_timer(Duration::from_secs(2), Timer::Timeout(Slot(1)));
        drain(&mut n);
        n.handle_transaction(
            Duration::from_secs(3),
            Transaction {
                id: 1,
                size_bytes: 250,
            },
        );
        assert_eq!(votes(&drain(&mut n)).len(), 4);
    }

    #[test]
    fn skip_always_replaces_notar_and_final_with_skip() {
        let honest = votes(&lead(None));
        assert!(honest.iter().any(is_notar));
        let outs = lead(Some(Behaviour::SkipAlways));
        assert!(!shreds(&outs).is_empty(), "still proposes");
        let v = votes(&outs);
        assert!(v.iter().all(|v| !is_notar(v) && v.kind != VoteKind::Final));
        for slot in [Slot(1), Slot(2)] {
            assert_eq!(
                v.iter()
                    .filter(|v| v.slot == slot && v.kind == VoteKind::Skip)
                    .count(),
                1
            );
        }
    }

    #[test]
    fn names_match_the_enum_order() {
        let all = [
            Behaviour::EquivocatingLeader,
            Behaviour::SilentLeader,
            Behaviour::WithholdingLeader {
                withhold_share: 0.5,
            },
            Behaviour::DoubleVoter,
            Behaviour::VoteDelayer {
                delay: Duration::ZERO,
            },
            Behaviour::SkipAlways,
        ];
        for (b, name) in all.iter().zip(Behaviour::NAMES) {
            assert_eq!(b.name(), name);
            assert!(!b.stresses().is_empty());
        }
    }
}
