//! Chaos state of a simulation: which validators are down or Byzantine,
//! active partitions, degraded links, skewed clocks, and what the verdicts
//! need (fault windows, stalls, recoveries, restart catch-up).
//!
//! The simulator (`sim.rs`) applies the [`whiteout_chaos::Action`]s of the
//! timeline through this state; see `Simulation::apply` for the semantics.
//!
//! Architecture Invariant: only ordered maps and vectors here (no hash-map
//! iteration); every random choice is the simulator's generator's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use whiteout_chaos::{Behaviour, Expect, FaultId, LinkSet, Timeline};
use whiteout_node::byzantine::ByzantineNode;
use whiteout_node::{
    BlockHash, BlockId, Certificate, CertificateKind, Event, Message, Node, Output, Slot, Timer,
    Transaction, ValidatorIndex,
};

/// A validator slot of the simulation.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // honest nodes, the common case, stay inline
pub(crate) enum Validator {
    /// Runs the honest node.
    Honest(Node),
    /// Runs a Byzantine wrapper.
    Byzantine(Box<ByzantineNode>),
    /// Crashed: sends and receives nothing.
    Down,
}

impl Validator {
    /// The (honest) node inside, if up.
    pub(crate) fn node(&self) -> Option<&Node> {
        match self {
            Validator::Honest(n) => Some(n),
            Validator::Byzantine(b) => Some(b.inner()),
            Validator::Down => None,
        }
    }

    pub(crate) fn is_down(&self) -> bool {
        matches!(self, Validator::Down)
    }

    pub(crate) fn poll_output(&mut self) -> Option<Output> {
        match self {
            Validator::Honest(n) => n.poll_output(),
            Validator::Byzantine(b) => b.poll_output(),
            Validator::Down => None,
        }
    }

    pub(crate) fn handle_start(&mut self, now: Duration) {
        match self {
            Validator::Honest(n) => n.handle_start(now),
            Validator::Byzantine(b) => b.handle_start(now),
            Validator::Down => {}
        }
    }

    pub(crate) fn handle_message(&mut self, now: Duration, from: ValidatorIndex, m: Message) {
        match self {
            Validator::Honest(n) => n.handle_message(now, from, m),
            Validator::Byzantine(b) => b.handle_message(now, from, m),
            Validator::Down => {}
        }
    }

    pub(crate) fn handle_timer(&mut self, now: Duration, timer: Timer) {
        match self {
            Validator::Honest(n) => n.handle_timer(now, timer),
            Validator::Byzantine(b) => b.handle_timer(now, timer),
            Validator::Down => {}
        }
    }

    #[allow(dead_code)]
    pub(crate) fn handle_transaction(&mut self, now: Duration, tx: Transaction) {
        match self {
            Validator::Honest(n) => n.handle_transaction(now, tx),
            Validator::Byzantine(b) => b.handle_transaction(now, tx),
            Validator::Down => {}
        }
    }

    pub(crate) fn needs_shred(&self, block: BlockId, slice: u32) -> bool {
        self.node().is_some_and(|n| n.needs_shred(block, slice))
    }

    pub(crate) fn shreds_held(&self, block: BlockId, slice: u32) -> u32 {
        self.node().map_or(0, |n| n.shreds_held(block, slice))
    }
}

/// A validator's local clock: `L = base + rate · (t - t0)` (ns), identity
/// until a clock fault.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    t0_ns: u64,
    base_ns: u64,
    rate: f64,
    skewed: bool,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            t0_ns: 0,
            base_ns: 0,
            rate: 1.0,
            skewed: false,
        }
    }
}

impl Clock {
    /// Local time at simulated time `t_ns`.
    pub(crate) fn local_ns(&self, t_ns: u64) -> u64 {
        if !self.skewed {
            return t_ns;
        }
        let dt = t_ns.saturating_sub(self.t0_ns) as f64 * self.rate;
        self.base_ns.saturating_add(dt.round() as u64)
    }

    /// Simulated time at which the local clock reads `local_ns` (not before
    /// `now_ns`).
    pub(crate) fn sim_ns(&self, local_ns: u64, now_ns: u64) -> u64 {
        if !self.skewed {
            return local_ns;
        }
        if local_ns <= self.local_ns(now_ns) {
            return now_ns;
        }
        let dt = (local_ns - self.base_ns) as f64 / self.rate;
        (self.t0_ns + dt.ceil() as u64).max(now_ns)
    }

    /// From `now_ns` on, run at `rate` after jumping by `jump_ns`.
    pub(crate) fn set(&mut self, now_ns: u64, rate: f64, jump_ns: i64) {
        let local = self.local_ns(now_ns) as i128 + i128::from(jump_ns);
        self.base_ns = local.max(0) as u64;
        self.t0_ns = now_ns;
        self.rate = rate;
        self.skewed = true;
    }
}

/// Combined effect of the link faults on one directed link.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct LinkExtra {
    pub(crate) latency_ns: u64,
    pub(crate) jitter_ns: u64,
    pub(crate) loss_rate: f64,
    pub(crate) bandwidth_bps: Option<u64>,
}

/// An active link fault.
#[derive(Clone, Debug)]
pub(crate) struct LinkFault {
    pub(crate) id: FaultId,
    pub(crate) links: LinkSet,
    pub(crate) extra: LinkExtra,
}

/// A fault as it happened: when its actions applied.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    pub(crate) start_ns: u64,
    pub(crate) end_ns: Option<u64>,
    /// Time of the first new finalization (by a correct validator) at or
    /// after the end.
    pub(crate) recovered_ns: Option<u64>,
}

/// One restart and its catch-up.
#[derive(Clone, Debug)]
pub(crate) struct Restart {
    pub(crate) validator: u32,
    pub(crate) at_ns: u64,
    /// Highest slot finalized by a correct validator when it restarted.
    pub(crate) slot_then: Slot,
    /// When it first finalized a slot above `slot_then`.
    pub(crate) caught_up_ns: Option<u64>,
}

/// Certificates the simulator keeps for restarting validators: those of
/// this many recent slots.
const CERT_SLOTS_KEPT: u64 = 16;

/// The chaos side of a simulation.
#[derive(Debug)]
pub struct ChaosState {
    pub(crate) timeline: Timeline,
    pub(crate) expect: Expect,
    pub(crate) generation: Vec<u32>,
    pub(crate) ever_crashed: Vec<bool>,
    pub(crate) ever_byzantine: Vec<bool>,
    /// Some validator is or was Byzantine.
    pub(crate) any_byzantine: bool,
    /// Active Byzantine behaviour per validator (kept while it is down, so
    /// that it restarts Byzantine).
    pub(crate) behaviour: Vec<Option<Behaviour>>,
    /// Active partitions: fault, group of each validator, one-way.
    pub(crate) partitions: Vec<(FaultId, Vec<u32>, bool)>,
    pub(crate) link_faults: Vec<LinkFault>,
    /// Per directed link (from · n + to), the combined effect; empty when
    /// no link fault is active.
    link_table: Vec<LinkExtra>,
    /// Per directed link, when its capped bandwidth is free again.
    link_free_ns: Vec<u64>,
    pub(crate) clocks: Vec<Clock>,
    n: usize,
    /// Observation: highest slot of a live honest validator.
    pub(crate) obs_slot: Slot,
    /// Highest slot with a notarized or finalized block (any validator).
    last_block_slot: Slot,
    /// Skip-certified slots above `last_block_slot`.
    skipped: BTreeSet<Slot>,
    pub(crate) skipped_in_a_row: u64,
    /// Something observed changed: poll the timeline.
    pub(crate) dirty: bool,
    recent_certs: BTreeMap<(Slot, CertificateKind, Option<BlockHash>), Arc<Certificate>>,
    /// Fault windows by id.
    pub(crate) windows: BTreeMap<FaultId, Window>,
    /// Crash faults: validators still down because of them.
    pub(crate) crash_members: BTreeMap<FaultId, BTreeSet<u32>>,
    pub(crate) restarts: Vec<Restart>,
    /// Liveness: highest slot finalized by correct validators holding at
    /// least 2/3 of the correct stake (correct: neither Byzantine nor
    /// crashed at that moment), when, and the longest stretch without a new
    /// one (start, length).
    pub(crate) correct_highest: Slot,
    /// Slots above `correct_highest`: correct stake that finalized them, and
    /// who.
    pub(crate) finalized_stake: BTreeMap<Slot, (u64, Vec<u32>)>,
    pub(crate) last_final_ns: u64,
    pub(crate) longest_stall: (u64, u64),
}

impl ChaosState {
    pub(crate) fn new(timeline: Timeline, expect: Expect, n: usize) -> Self {
        ChaosState {
            timeline,
            expect,
            generation: vec![0; n],
            ever_crashed: vec![false; n],
            ever_byzantine: vec![false; n],
            any_byzantine: false,
            behaviour: vec![None; n],
            partitions: Vec::new(),
            link_faults: Vec::new(),
            link_table: Vec::new(),
            link_free_ns: Vec::new(),
            clocks: vec![Clock::default(); n],
            n,
            obs_slot: Slot::GENESIS,
            last_block_slot: Slot::GENESIS,
            skipped: BTreeSet::new(),
            skipped_in_a_row: 0,
            dirty: false,
            recent_certs: BTreeMap::new(),
            windows: BTreeMap::new(),
            crash_members: BTreeMap::new(),
            restarts: Vec::new(),
            correct_highest: Slot::GENESIS,
            finalized_stake: BTreeMap::new(),
            last_final_ns: 0,
            longest_stall: (0, 0),
        }
    }

    /// Whether an active partition drops messages from `from` to `to`.
    pub(crate) fn partitioned(&self, from: usize, to: usize) -> bool {
        self.partitions
            .iter()
            .any(|(_, group, one_way)| group[from] != group[to] && (!one_way || group[from] == 0))
    }

    /// The link faults' effect on `from → to`, if any.
    pub(crate) fn link(&self, from: usize, to: usize) -> Option<LinkExtra> {
        if self.link_table.is_empty() {
            return None;
        }
        let e = self.link_table[from * self.n + to];
        (e != LinkExtra::default()).then_some(e)
    }

    /// Serialises `bytes` on the capped link; returns when it is through.
    pub(crate) fn link_transmit(
        &mut self,
        from: usize,
        to: usize,
        depart_ns: u64,
        bytes: u32,
        bps: u64,
    ) -> u64 {
        if self.link_free_ns.is_empty() {
            self.link_free_ns = vec![0; self.n * self.n];
        }
        let free = &mut self.link_free_ns[from * self.n + to];
        let t = (u64::from(bytes) * 8 * 1_000_000_000).div_ceil(bps.max(1));
        *free = (*free).max(depart_ns) + t;
        *free
    }

    /// Rebuilds the per-link table from the active link faults.
    pub(crate) fn rebuild_links(&mut self) {
        if self.link_faults.is_empty() {
            self.link_table.clear();
            return;
        }
        let n = self.n;
        let mut table = vec![LinkExtra::default(); n * n];
        let mut keep = vec![1.0f64; n * n];
        for f in &self.link_faults {
            let mut apply = |i: usize| {
                let e = &mut table[i];
                e.latency_ns += f.extra.latency_ns;
                e.jitter_ns += f.extra.jitter_ns;
                keep[i] *= 1.0 - f.extra.loss_rate;
                if let Some(b) = f.extra.bandwidth_bps {
                    e.bandwidth_bps = Some(e.bandwidth_bps.map_or(b, |c| c.min(b)));
                }
            };
            match &f.links {
                LinkSet::Touching(vs) => {
                    let mut hit = vec![false; n];
                    for v in vs {
                        hit[v.idx()] = true;
                    }
                    for a in 0..n {
                        for b in 0..n {
                            if a != b && (hit[a] || hit[b]) {
                                apply(a * n + b);
                            }
                        }
                    }
                }
                LinkSet::Between(x, y) => {
                    for a in x {
                        for b in y {
                            if a != b {
                                apply(a.idx() * n + b.idx());
                                apply(b.idx() * n + a.idx());
                            }
                        }
                    }
                }
            }
        }
        for (e, k) in table.iter_mut().zip(keep) {
            e.loss_rate = 1.0 - k;
        }
        self.link_table = table;
    }

    /// Whether messages from `from` to `to` must skip the shortcuts that
    /// assume an honest sender or a recipient that kept its state: the
    /// sender is or was Byzantine, or the recipient is or was Byzantine or
    /// has crashed at some point.
    pub(crate) fn plain_delivery(&self, from: usize, to: usize) -> bool {
        self.ever_byzantine[from] || self.ever_byzantine[to] || self.ever_crashed[to]
    }

    pub(crate) fn observe_slot(&mut self, slot: Slot) {
        if slot > self.obs_slot {
            self.obs_slot = slot;
            self.dirty = true;
        }
    }

    pub(crate) fn remember_certificate(&mut self, cert: &Arc<Certificate>) {
        let key = (cert.slot, cert.kind, cert.block);
        if self.recent_certs.contains_key(&key) {
            return;
        }
        let top = self
            .recent_certs
            .last_key_value()
            .map_or(cert.slot, |((s, _, _), _)| (*s).max(cert.slot));
        if cert.slot.0 + CERT_SLOTS_KEPT < top.0 {
            return;
        }
        self.recent_certs.insert(key, cert.clone());
        let floor = Slot(top.0.saturating_sub(CERT_SLOTS_KEPT));
        while self
            .recent_certs
            .first_key_value()
            .is_some_and(|((s, _, _), _)| *s < floor)
        {
            self.recent_certs.pop_first();
        }
    }

    /// The certificates kept for a restarting validator, in slot order.
    pub(crate) fn recent_certificates(&self) -> Vec<Arc<Certificate>> {
        self.recent_certs.values().cloned().collect()
    }

    /// An event of validator `v` at `now_ns`. `stake`: `Some((its stake,
    /// total stake of correct validators now))` when `v` is correct
    /// (neither Byzantine nor crashed).
    pub(crate) fn on_event(
        &mut self,
        now_ns: u64,
        v: usize,
        stake: Option<(u64, u64)>,
        event: &Event,
    ) {
        match event {
            Event::CertificateStored { kind, slot, .. } => match kind {
                CertificateKind::Skip => {
                    if *slot > self.last_block_slot && self.skipped.insert(*slot) {
                        self.update_skips();
                    }
                }
                _ => self.block_decided(*slot),
            },
            Event::Finalized { block, .. } => {
                self.block_decided(block.slot);
                for r in self.restarts.iter_mut() {
                    if r.validator == v as u32
                        && r.caught_up_ns.is_none()
                        && block.slot > r.slot_then
                    {
                        r.caught_up_ns = Some(now_ns);
                    }
                }
                if let Some((own, correct_total)) = stake {
                    if block.slot > self.correct_highest {
                        let (sum, who) = self.finalized_stake.entry(block.slot).or_default();
                        if !who.contains(&(v as u32)) {
                            who.push(v as u32);
                            *sum += own;
                        }
                        if u128::from(*sum) * 3 >= u128::from(correct_total) * 2 {
                            self.correct_highest = block.slot;
                            self.finalized_stake =
                                self.finalized_stake.split_off(&block.slot.next());
                            self.new_finalization(now_ns);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn new_finalization(&mut self, now_ns: u64) {
        let gap = now_ns - self.last_final_ns;
        if gap > self.longest_stall.1 {
            self.longest_stall = (self.last_final_ns, gap);
        }
        self.last_final_ns = now_ns;
        for w in self.windows.values_mut() {
            if let (Some(end), None) = (w.end_ns, w.recovered_ns) {
                if now_ns >= end {
                    w.recovered_ns = Some(now_ns);
                }
            }
        }
    }

    /// The stall still running at `now_ns` counts too.
    pub(crate) fn longest_stall_at(&self, now_ns: u64) -> (u64, u64) {
        let open = now_ns.saturating_sub(self.last_final_ns);
        if open > self.longest_stall.1 {
            (self.last_final_ns, open)
        } else {
            self.longest_stall
        }
    }

    fn block_decided(&mut self, slot: Slot) {
        if slot > self.last_block_slot {
            self.last_block_slot = slot;
            self.skipped = self.skipped.split_off(&slot.next());
            self.update_skips();
        }
    }

    fn update_skips(&mut self) {
        let mut run = 0;
        let mut expect = self.last_block_slot.next();
        for s in &self.skipped {
            if *s != expect {
                break;
            }
            run += 1;
            expect = expect.next();
        }
        if run != self.skipped_in_a_row {
            self.skipped_in_a_row = run;
            self.dirty = true;
        }
    }
}
