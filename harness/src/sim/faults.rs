//! Chaos applied to the simulation: partitions, crashes and restarts, link
//! faults, clock faults and Byzantine wrappers. The conductor
//! ([`crate::observe::conductor`]) decides when; this carries actions out
//! and reports each validator it crashes, restarts or wraps.

use std::collections::BTreeMap;
use std::sync::Arc;

use whiteout_chaos::Action;
use whiteout_node::byzantine::ByzantineNode;
use whiteout_node::{CertificateKind, Message, Node, Slot, Validator as _, ValidatorIndex};

use super::links::NO_COPY;
use super::queue::SimEvent;
use super::seat::Seat;
use super::Simulation;
use crate::observe::{Change, Lifecycle};

use whiteout_chaos::{Behaviour, FaultId, LinkSet};
use whiteout_node::{BlockHash, Certificate};

/// A validator's local clock: `L = base + rate · (t - t0)` (ns), identity
/// until a clock fault.
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
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
    pub(super) fn local_ns(&self, t_ns: u64) -> u64 {
        if !self.skewed {
            return t_ns;
        }
        let dt = t_ns.saturating_sub(self.t0_ns) as f64 * self.rate;
        self.base_ns.saturating_add(dt.round() as u64)
    }

    /// Simulated time at which the local clock reads `local_ns` (not before
    /// `now_ns`).
    pub(super) fn sim_ns(&self, local_ns: u64, now_ns: u64) -> u64 {
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
    pub(super) fn set(&mut self, now_ns: u64, rate: f64, jump_ns: i64) {
        let local = self.local_ns(now_ns) as i128 + i128::from(jump_ns);
        self.base_ns = local.max(0) as u64;
        self.t0_ns = now_ns;
        self.rate = rate;
        self.skewed = true;
    }
}

/// Combined effect of the link faults on one directed link.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct LinkExtra {
    pub(super) latency_ns: u64,
    pub(super) jitter_ns: u64,
    pub(super) loss_rate: f64,
    pub(super) bandwidth_bps: Option<u64>,
}

/// An active link fault.
#[derive(Clone, Debug)]
pub(super) struct LinkFault {
    pub(super) id: FaultId,
    pub(super) links: LinkSet,
    pub(super) extra: LinkExtra,
}

/// Certificates the simulator keeps for restarting validators: those of
/// this many recent slots.
const CERT_SLOTS_KEPT: u64 = 16;

/// The chaos side of a simulation: what the faults change in it.
#[derive(Debug)]
pub(super) struct FaultState {
    pub(super) generation: Vec<u32>,
    pub(super) ever_crashed: Vec<bool>,
    pub(super) ever_byzantine: Vec<bool>,
    /// Some validator is or was Byzantine.
    pub(super) any_byzantine: bool,
    /// Active Byzantine behaviour per validator (kept while it is down, so
    /// that it restarts Byzantine).
    pub(super) behaviour: Vec<Option<Behaviour>>,
    /// Active partitions: fault, group of each validator, one-way.
    pub(super) partitions: Vec<(FaultId, Vec<u32>, bool)>,
    pub(super) link_faults: Vec<LinkFault>,
    /// Per directed link (from · n + to), the combined effect; empty when
    /// no link fault is active.
    link_table: Vec<LinkExtra>,
    /// Per directed link, when its capped bandwidth is free again.
    link_free_ns: Vec<u64>,
    pub(super) clocks: Vec<Clock>,
    n: usize,
    recent_certs: BTreeMap<(Slot, CertificateKind, Option<BlockHash>), Arc<Certificate>>,
}

impl FaultState {
    pub(super) fn new(n: usize) -> Self {
        FaultState {
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
            recent_certs: BTreeMap::new(),
        }
    }

    /// Whether an active partition drops messages from `from` to `to`.
    pub(super) fn partitioned(&self, from: usize, to: usize) -> bool {
        self.partitions
            .iter()
            .any(|(_, group, one_way)| group[from] != group[to] && (!one_way || group[from] == 0))
    }

    /// The link faults' effect on `from → to`, if any.
    pub(super) fn link(&self, from: usize, to: usize) -> Option<LinkExtra> {
        if self.link_table.is_empty() {
            return None;
        }
        let e = self.link_table[from * self.n + to];
        (e != LinkExtra::default()).then_some(e)
    }

    /// Serialises `bytes` on the capped link; returns when it is through.
    pub(super) fn link_transmit(
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
    pub(super) fn rebuild_links(&mut self) {
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
    pub(super) fn plain_delivery(&self, from: usize, to: usize) -> bool {
        self.ever_byzantine[from] || self.ever_byzantine[to] || self.ever_crashed[to]
    }

    pub(super) fn remember_certificate(&mut self, cert: &Arc<Certificate>) {
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
    pub(super) fn recent_certificates(&self) -> Vec<Arc<Certificate>> {
        self.recent_certs.values().cloned().collect()
    }
}

impl Simulation {
    /// Applies one action of the timeline (see `whiteout_chaos::Action`):
    /// - partitions drop messages at send time (counted as sent, not
    ///   received);
    /// - a crashed validator's node is dropped, its timers go stale, its
    ///   shred inboxes and earliest-certificate entries are forgotten, and
    ///   messages reaching it while it is down are dropped;
    /// - a restarted validator gets a fresh node which is handed, at once,
    ///   the certificates of the most recent slots seen in the network
    ///   (state sync from a peer); it is started from genesis
    ///   (`handle_start`) only when these finalize nothing;
    /// - link faults combine per directed link;
    /// - clock faults change the validator's local clock (what its node
    ///   sees as `now` and how its timers map to simulated time);
    /// - Byzantine faults wrap the node, keeping its state.
    pub(super) fn apply_action(&mut self, action: Action) {
        let now = self.now_ns;
        match action {
            Action::Partition {
                id,
                groups,
                one_way,
            } => {
                let mut group = vec![u32::MAX; self.net.model.n];
                for (g, vs) in groups.iter().enumerate() {
                    for v in vs {
                        group[v.idx()] = g as u32;
                    }
                }
                self.fault_state().partitions.push((id, group, one_way));
            }
            Action::Heal { id } => {
                self.fault_state().partitions.retain(|(p, _, _)| *p != id);
            }
            Action::Crash { validators, .. } => {
                for v in validators {
                    self.crash(v);
                }
            }
            Action::Restart { validators, .. } => {
                for v in validators {
                    self.restart(v);
                }
            }
            Action::Link {
                id,
                links,
                latency_ns_added,
                jitter_ns,
                loss_rate,
                bandwidth_bps,
            } => {
                let c = self.fault_state();
                c.link_faults.push(LinkFault {
                    id,
                    links,
                    extra: LinkExtra {
                        latency_ns: latency_ns_added,
                        jitter_ns,
                        loss_rate,
                        bandwidth_bps,
                    },
                });
                c.rebuild_links();
            }
            Action::LinkRestore { id } => {
                let c = self.fault_state();
                c.link_faults.retain(|f| f.id != id);
                c.rebuild_links();
            }
            Action::Clock {
                validators,
                rate,
                jump_ns,
                ..
            } => {
                for v in &validators {
                    self.fault_state().clocks[v.idx()].set(now, rate, jump_ns);
                    self.retime_timers(v.idx());
                }
            }
            Action::ClockRestore { validators, .. } => {
                for v in &validators {
                    self.fault_state().clocks[v.idx()].set(now, 1.0, 0);
                    self.retime_timers(v.idx());
                }
            }
            Action::Byzantine {
                validators,
                behaviour,
                ..
            } => {
                for v in validators {
                    let i = v.idx();
                    let c = self.fault_state();
                    c.behaviour[i] = Some(behaviour);
                    c.ever_byzantine[i] = true;
                    c.any_byzantine = true;
                    let node = match std::mem::replace(&mut self.nodes[i], Seat::Down) {
                        Seat::Honest(n) => Some(n),
                        Seat::Byzantine(b) => Some(b.into_inner()),
                        Seat::Down => None,
                    };
                    if let Some(node) = node {
                        self.nodes[i] =
                            Seat::Byzantine(Box::new(ByzantineNode::new(node, behaviour)));
                    }
                    self.seat_changed(v, Change::Byzantine);
                }
            }
            Action::Honest { validators, .. } => {
                for v in validators {
                    let i = v.idx();
                    self.fault_state().behaviour[i] = None;
                    if let Seat::Byzantine(b) = std::mem::replace(&mut self.nodes[i], Seat::Down) {
                        self.nodes[i] = Seat::Honest(b.into_inner());
                    }
                    self.seat_changed(v, Change::Honest);
                }
            }
        }
    }

    /// The fault state (a run with faults).
    fn fault_state(&mut self) -> &mut FaultState {
        self.chaos.as_mut().expect("a run with faults")
    }

    /// Reports a change of `v`'s seat and forgets the slot last reported for
    /// it, so that its next input reports its current slot again.
    fn seat_changed(&mut self, v: ValidatorIndex, change: Change) {
        self.slot_reported[v.idx()] = Slot::GENESIS;
        self.obs.lifecycle(Lifecycle {
            t_ns: self.now_ns,
            validator: v,
            change,
        });
    }

    /// Validator `v` stops: its state, timers and shortcut entries go.
    pub(super) fn crash(&mut self, validator: ValidatorIndex) {
        let v = validator.idx();
        self.nodes[v] = Seat::Down;
        self.seat_changed(validator, Change::Crashed);
        let c = self.fault_state();
        c.generation[v] = c.generation[v].wrapping_add(1);
        c.ever_crashed[v] = true;
        for group in self.inboxes.values_mut() {
            group.reset(v, false);
        }
        for first in self.announced.values_mut() {
            first[v] = u64::MAX;
        }
        for due in self.certificate_due.values_mut() {
            due[v] = NO_COPY;
        }
    }

    /// Validator `v` comes back with a fresh node (Byzantine if a
    /// Byzantine fault on it is active), fed the recent certificates.
    pub(super) fn restart(&mut self, validator: ValidatorIndex) {
        let v = validator.idx();
        let node = Node::new(validator, self.config.clone(), self.schedule.clone());
        let c = self.fault_state();
        c.generation[v] = c.generation[v].wrapping_add(1);
        let seat = match c.behaviour[v] {
            Some(b) => Seat::Byzantine(Box::new(ByzantineNode::new(node, b))),
            None => Seat::Honest(node),
        };
        let certs = c.recent_certificates();
        self.nodes[v] = seat;
        self.seat_changed(validator, Change::Restarted);
        let peer = (0..self.net.model.n)
            .find(|&p| p != v && !self.nodes[p].is_down())
            .unwrap_or(v);
        let now = self.local_now(v);
        self.feeding = true;
        for cert in certs {
            self.nodes[v].handle_message(
                now,
                ValidatorIndex(peer as u32),
                Message::Certificate(cert),
            );
            self.drain(v);
        }
        self.feeding = false;
        if self.nodes[v]
            .node()
            .is_some_and(|n| n.highest_finalized() == Slot::GENESIS)
        {
            self.nodes[v].handle_start(now);
            self.drain(v);
        }
    }

    /// After a clock change: every queued timer of `v` goes stale and is
    /// queued again at the simulated time its local time now maps to.
    pub(super) fn retime_timers(&mut self, v: usize) {
        let c = self.chaos.as_mut().expect("chaos");
        let old = c.generation[v];
        c.generation[v] = old.wrapping_add(1);
        let fresh = c.generation[v];
        let clock = c.clocks[v];
        let mut again = Vec::new();
        for e in self.slab.iter().flatten() {
            if let SimEvent::Timer {
                node,
                timer,
                generation,
                local_at_ns,
            } = e
            {
                if *node as usize == v && *generation == old {
                    again.push((*timer, *local_at_ns));
                }
            }
        }
        for (timer, local_at_ns) in again {
            let at = clock.sim_ns(local_at_ns, self.now_ns);
            self.push(
                at,
                SimEvent::Timer {
                    node: v as u32,
                    timer,
                    generation: fresh,
                    local_at_ns,
                },
            );
        }
    }
}
