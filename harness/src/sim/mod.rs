//! The `sim` backend: a seeded discrete-event simulator.
//!
//! A priority queue holds timestamped events (deliveries, timers, client
//! transactions); time jumps to the next one. The scenario seed decides
//! every random choice, so the same scenario and seed replay the same run:
//! a ChaCha8 generator draws the clients' arrivals and choices, and each
//! message's jitter and loss on each link are a hash of a key from the seed,
//! the message's id and the recipient (counter-based, so that a delivery
//! skipped by a shortcut shifts no other draw).
//!
//! Network model, per directed link: one-way latency from the topology,
//! plus jitter uniform in `[0, jitter_ms]`, and a loss probability. Per
//! validator: an uplink of `uplink_bandwidth_bps`; a message leaves after
//! the messages queued before it, so large broadcasts (shreds) queue.
//!
//! Four exact shortcuts keep the work down; each message is still counted
//! as sent and received, and uses its sender's uplink:
//! - a certificate is queued to a recipient only if no copy of it is
//!   already due there earlier (later copies find it stored and do
//!   nothing);
//! - a vote that is moot at its recipient (`Node::vote_is_moot`) is not
//!   queued (while no validator was ever Byzantine);
//! - relayed shreds wait in a per-(recipient, slice) inbox and are handed
//!   over at two moments: the earliest arrival of any slice of the block,
//!   if the recipient does not know the block yet (it learns the block
//!   exists), and the arrival that completes the slice (γ shreds, counting
//!   those the recipient got directly from the leader as their relay). The
//!   inbox keeps only the arrivals that can complete the slice; shreds
//!   arriving after that, or that cannot arrive before it, cost only the
//!   counters. Partial holdings change nothing a validator does, which is
//!   why handing them over late is exact. A slice has one completion check
//!   queued, at the earliest of its recipients' completions;
//! - a vote delivered while the stake of the votes its recipient took for
//!   the slot since its last other input stays below its bound
//!   (`Node::vote_quiet_stake`) is only counted in the recipient's tallies
//!   (`Node::handle_quiet_vote`), without the threshold checks, the
//!   outputs to drain and the bookkeeping after an input: below the bound
//!   it cannot complete a certificate or emit an event (in a fault-free
//!   run).
//!
//! "Exact" is checked, not assumed: with the shortcuts off
//! ([`Simulation::set_shortcuts`], `whiteout run --no-shortcuts`) every
//! message is its own event, and the report is byte-identical (a test runs
//! both, with and without faults).
//!
//! A broadcast is one queue entry, keyed by its next delivery, rather than
//! one per recipient.
//!
//! In a fault-free run the links of votes and certificates (per recipient:
//! loss, latency, jitter, arrival order, and the certificate and moot-vote
//! shortcuts) are computed by the `links` submodule, from the notices and broadcasts the
//! simulation issues in order; with two threads on the link worker, while
//! the broadcast waits in the queue at the earliest arrival it can have.
//! The answers are a pure function of that stream, so the thread count
//! changes no report.
//!
//! Architecture Invariant: no wall clock and no thread-local randomness in
//! this module; wall time is only read by the caller for progress.

mod clients;
mod faults;
mod inbox;
mod links;
mod network;
mod queue;
mod shortcuts;
mod verdicts;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use whiteout_chaos::{Action, Expect, FaultId, Observation, Timeline};
use whiteout_node::byzantine::ByzantineNode;
use whiteout_node::{
    mix64, BlockId, CertificateKind, Event, LeaderSchedule, Message, Node, NodeConfig, Output,
    Shred, Slot, Timer, Transaction, ValidatorIndex, ValidatorSet, Vote, VoteKind,
};
use whiteout_results::{FaultNotStarted, FaultVerdict, FaultWindow, RestartCatchUp, Verdicts};
use whiteout_topologies::Topology;

use crate::chaos::{ChaosState, LinkExtra, LinkFault, Restart, Validator, Window};
use links::{
    chance, copy_wanted, insertion_sort, mark_stored, uniform_upto, CertificateKey, Delivery,
    FanoutJob, FanoutKind, LinkJob, LinkModel, LinkReply, LinkWorker, Links, NO_COPY,
};

use crate::metrics::{Collector, SLOT_RECORD_NS_MAX};
use crate::scenario::Scenario;
use inbox::{Arrival, SliceInboxes};
use network::{LinkService, Network};
use queue::{Fanout, Queued, SimEvent};

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

/// The longest simulated duration a run may have (30 days; the queue holds
/// times up to about 52 days, leaving room for timers set near the end).
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// A simulation in progress.
pub struct Simulation {
    now_ns: u64,
    end_ns: u64,
    seq: u64,
    queue: BinaryHeap<Queued>,
    /// Event payloads by slab index; `slab_free` lists the free indices.
    slab: Vec<Option<SimEvent>>,
    slab_free: Vec<u32>,
    nodes: Vec<Validator>,
    net: Network,
    config: NodeConfig,
    /// Faults and their state; `None` for a run without chaos (then the
    /// simulation is exactly the plain one).
    pub(crate) chaos: Option<Box<ChaosState>>,
    /// Restart catch-up: certificates handed to a restarting node do not
    /// count as measured events (only the safety check sees them).
    feeding: bool,
    rng: ChaCha8Rng,
    schedule: Arc<LeaderSchedule>,
    /// Metrics of the run.
    pub metrics: Collector,
    tx_interval_mean_ns: f64,
    tx_size_bytes: u32,
    leaders_per_tx: u32,
    next_tx_id: u64,
    next_settle_ns: u64,
    events_processed: u64,
    outputs: Vec<Output>,
    /// Per certificate, per recipient: (ns, sequence) when it stored the
    /// certificate (from its `CertificateStored` event, sequence 0) or of
    /// the earliest copy already queued to it; [`NO_COPY`] for neither. In
    /// a fault-free run the links keep this ([`Links`]), and only copies
    /// sent one by one are recorded here.
    certificate_due: BTreeMap<CertificateKey, Vec<(u64, u64)>>,
    /// The links of a fault-free run (created at its first use), `None`
    /// with faults.
    links: Option<LinkService>,
    /// Whether a fault-free run computes its links on a second thread.
    link_worker: bool,
    /// Relayed shreds waiting, per (block, slice), indexed by recipient (an
    /// inbox that was never announced is empty).
    inboxes: BTreeMap<(BlockId, u32), SliceInboxes>,
    /// Per block, per recipient: the earliest first-arrival announcement
    /// queued for any slice of the block (ns), `u64::MAX` for none. A slice
    /// whose first arrival is not earlier queues none: by then the
    /// recipient knows the block.
    announced: BTreeMap<BlockId, Vec<u64>>,
    /// The exact delivery shortcuts are on (else every message is its own
    /// event).
    shortcuts: bool,
    /// Scratch list of the shreds an inbox hands over.
    due_scratch: Vec<Arrival>,
    /// Per validator, per slot it got votes for since its last input other
    /// than a quiet vote: the vote stake (lamports) it can still take
    /// quietly ([`Node::vote_quiet_stake`], less the stake taken since).
    /// Emptied by every other input (`drain`), which may lower the bound.
    quiet_lamports: Vec<Vec<(Slot, u64)>>,
    /// Id of the last message sent.
    next_message_id: u64,
    /// Delivery lists of finished broadcasts, kept for reuse.
    spare_deliveries: Vec<Vec<Delivery>>,
    data_shreds_per_slice: u32,
    queue_len_max: usize,
    /// Events processed per kind: vote, certificate, shred, transaction,
    /// repair, timer, client, slice inbox.
    pub events_by_kind: [u64; 8],
}

impl Simulation {
    /// Builds the simulation of `scenario` on `topology` with `seed`,
    /// running for `duration` of simulated time.
    pub fn new(scenario: &Scenario, topology: &Topology, seed: u64, duration: Duration) -> Self {
        Self::with_timeline(scenario, topology, seed, duration, None)
    }

    /// [`Simulation::new`] with a fault timeline (and the liveness bound
    /// of `[expect]`, for the verdicts).
    pub fn with_timeline(
        scenario: &Scenario,
        topology: &Topology,
        seed: u64,
        duration: Duration,
        chaos: Option<(Timeline, Expect)>,
    ) -> Self {
        let stakes: Vec<u64> = topology
            .validators
            .iter()
            .map(|v| v.stake_lamports)
            .collect();
        let validators = Arc::new(ValidatorSet::new(stakes.clone()));
        let config: NodeConfig = scenario.protocol.node_config();
        let schedule = Arc::new(LeaderSchedule::new(
            mix64(seed ^ 0x5C4E_D01E),
            config.slots_per_window,
            validators.clone(),
        ));
        let n = stakes.len();
        let nodes = (0..n)
            .map(|i| {
                Validator::Honest(Node::new(
                    ValidatorIndex(i as u32),
                    config.clone(),
                    schedule.clone(),
                ))
            })
            .collect();
        let latency_ns = topology.latency_matrix_ns();
        let jitter_ns = (scenario.network.jitter_ms * 1e6).round() as u64;
        // The longest a transaction can wait and still finalize as
        // measured: the slowest link to a leader, the leader's expiry (on
        // its own clock, which a clock fault may slow down or set back),
        // and the longest a slot is measured.
        let (clock_rate_min, clock_backward_ns) = chaos
            .as_ref()
            .map_or((1.0, 0), |(timeline, _)| timeline.clock_lag_bounds());
        let tx_expiry_ns = (config.tx_expiry.as_nanos() as f64 / clock_rate_min)
            .min(MAX_DURATION.as_nanos() as f64) as u64;
        let tx_timeout_ns = latency_ns.iter().copied().max().unwrap_or(0)
            + jitter_ns
            + tx_expiry_ns
            + clock_backward_ns.min(MAX_DURATION.as_nanos() as u64)
            + SLOT_RECORD_NS_MAX;
        let nearest_first = (0..n)
            .map(|from| {
                let mut others: Vec<u32> =
                    (0..n as u32).filter(|&to| to as usize != from).collect();
                others.sort_by_key(|&to| (latency_ns[from * n + to as usize], to));
                others
            })
            .collect();
        let net = Network {
            model: Arc::new(LinkModel {
                n,
                latency_ns,
                jitter_ns,
                loss_rate: scenario.network.loss_rate,
                nearest_first,
                link_key: mix64(seed ^ 0x114C_D7A3),
            }),
            bandwidth_bps: scenario.network.uplink_bandwidth_bps,
            uplink_free_ns: vec![0; n],
        };
        let mut sim = Self {
            now_ns: 0,
            end_ns: duration.as_nanos() as u64,
            seq: 0,
            queue: BinaryHeap::new(),
            slab: Vec::new(),
            slab_free: Vec::new(),
            nodes,
            net,
            chaos: chaos.map(|(t, e)| Box::new(ChaosState::new(t, e, n))),
            feeding: false,
            rng: ChaCha8Rng::seed_from_u64(seed),
            schedule,
            metrics: Collector::with_tx_timeout_ns(stakes, tx_timeout_ns),
            tx_interval_mean_ns: if scenario.load.tx_per_s > 0.0 {
                NS_PER_S as f64 / scenario.load.tx_per_s
            } else {
                0.0
            },
            tx_size_bytes: scenario.load.tx_size_bytes,
            leaders_per_tx: scenario.load.leaders_per_tx,
            next_tx_id: 0,
            next_settle_ns: NS_PER_S,
            events_processed: 0,
            outputs: Vec::new(),
            certificate_due: BTreeMap::new(),
            links: None,
            link_worker: std::thread::available_parallelism().is_ok_and(|p| p.get() >= 2),
            inboxes: BTreeMap::new(),
            announced: BTreeMap::new(),
            spare_deliveries: Vec::new(),
            next_message_id: 0,
            due_scratch: Vec::new(),
            quiet_lamports: vec![Vec::new(); n],
            shortcuts: true,
            data_shreds_per_slice: config.data_shreds_per_slice,
            config,
            queue_len_max: 0,
            events_by_kind: [0; 8],
        };
        for i in 0..n {
            sim.nodes[i].handle_start(Duration::ZERO);
            sim.drain(i);
        }
        if sim.tx_interval_mean_ns > 0.0 {
            let first = sim.exponential_ns();
            sim.push(first, SimEvent::ClientTransaction);
        }
        sim
    }

    /// Turns the exact delivery shortcuts (module documentation) on or off.
    /// Off, every message is delivered as its own event; the run must be
    /// the same, only slower.
    pub fn set_shortcuts(&mut self, on: bool) {
        assert!(
            self.links.is_none(),
            "set_shortcuts after the links started"
        );
        self.shortcuts = on;
    }

    /// Whether a fault-free run computes the links of its votes and
    /// certificates on a second thread (the default with two CPUs or
    /// more). The report is the same either way; only the wall time
    /// differs.
    ///
    /// # Panics
    /// When the links have started (call it before running).
    pub fn set_link_worker(&mut self, on: bool) {
        assert!(
            self.links.is_none(),
            "set_link_worker after the links started"
        );
        self.link_worker = on;
    }

    /// Threads the run uses: 2 when a fault-free run computes its links on
    /// the link worker, else 1.
    pub fn threads(&self) -> u32 {
        if self.chaos.is_none() && self.link_worker {
            2
        } else {
            1
        }
    }

    /// Simulated time reached, in ns.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Simulated time the run is configured for, in ns.
    pub fn end_ns(&self) -> u64 {
        self.end_ns
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Whether the configured duration is reached.
    pub fn done(&self) -> bool {
        self.now_ns >= self.end_ns
    }

    /// Runs until simulated time `until_ns` (capped at the end of the run)
    /// or until `max_events` events were processed, whichever comes first.
    pub fn run_until(&mut self, until_ns: u64, max_events: u64) {
        let until = until_ns.min(self.end_ns);
        let mut budget = max_events;
        while budget > 0 {
            let Some(at_ns) = self.queue.peek().map(|q| q.at_ns()) else {
                if let Some(d) = self.chaos_deadline_ns().filter(|&d| d <= until) {
                    self.advance_to(d.max(self.now_ns));
                    self.poll_chaos();
                    continue;
                }
                self.now_ns = until;
                break;
            };
            // A fault due before the next event is applied first.
            if let Some(d) = self.chaos_deadline_ns() {
                if d <= at_ns && d <= until {
                    self.advance_to(d.max(self.now_ns));
                    self.poll_chaos();
                    continue;
                }
            }
            if at_ns > until {
                self.now_ns = until;
                break;
            }
            self.advance_to(at_ns);
            let Some(event) = self.pop_event() else {
                continue;
            };
            self.dispatch(event);
            if self.chaos.as_ref().is_some_and(|c| c.dirty) {
                self.poll_chaos();
            }
            self.events_processed += 1;
            self.queue_len_max = self.queue_len_max.max(self.queue.len());
            budget -= 1;
        }
        self.sync_links();
        if self.now_ns >= self.end_ns {
            self.metrics.settle(self.end_ns);
        }
    }

    /// Moves simulated time to `at_ns`, settling metrics on the way.
    fn advance_to(&mut self, at_ns: u64) {
        self.now_ns = at_ns;
        while self.now_ns >= self.next_settle_ns {
            self.metrics.settle(self.next_settle_ns);
            self.next_settle_ns += NS_PER_S;
            self.prune();
        }
    }

    /// `now` as validator `v` sees it (its local clock).
    fn local_now(&self, v: usize) -> Duration {
        match &self.chaos {
            Some(c) => Duration::from_nanos(c.clocks[v].local_ns(self.now_ns)),
            None => Duration::from_nanos(self.now_ns),
        }
    }

    fn dispatch(&mut self, event: SimEvent) {
        let kind = match &event {
            SimEvent::Deliver { message, .. } => match message {
                Message::Vote(_) => 0,
                Message::Certificate(_) => 1,
                Message::Shred(_) => 2,
                Message::Transaction(_) => 3,
                Message::RepairRequest(_) => 4,
            },
            SimEvent::Timer { .. } => 5,
            SimEvent::ClientTransaction => 6,
            SimEvent::SliceInbox { .. } | SimEvent::SliceCheck { .. } => 7,
            SimEvent::Fanout(_) => unreachable!("broadcasts are queued, not dispatched"),
        };
        self.events_by_kind[kind] += 1;
        match event {
            SimEvent::Deliver { to, from, message } => {
                if self.nodes[to as usize].is_down() {
                    return;
                }
                if let Message::Vote(vote) = &message {
                    if self.quiet_vote(to as usize, from, vote) {
                        return;
                    }
                }
                let now = self.local_now(to as usize);
                let node = &mut self.nodes[to as usize];
                let shred = match &message {
                    Message::Shred(s) => Some((s.block, s.slice)),
                    _ => None,
                };
                node.handle_message(now, ValidatorIndex(from), message);
                self.drain(to as usize);
                // A shred that came directly (to its relay, from the leader)
                // counts toward the slice: the inbox may complete sooner.
                if let Some((block, slice)) = shred {
                    self.refresh_inbox(to, block, slice);
                }
            }
            SimEvent::Timer {
                node,
                timer,
                generation,
                local_at_ns,
            } => {
                let v = node as usize;
                if let Some(c) = &self.chaos {
                    if c.generation[v] != generation || self.nodes[v].is_down() {
                        return;
                    }
                    // A slowed clock has not reached the timer yet.
                    let local = c.clocks[v].local_ns(self.now_ns);
                    if local < local_at_ns {
                        let at = c.clocks[v].sim_ns(local_at_ns, self.now_ns);
                        self.push(
                            at.max(self.now_ns + 1),
                            SimEvent::Timer {
                                node,
                                timer,
                                generation,
                                local_at_ns,
                            },
                        );
                        return;
                    }
                }
                let now = self.local_now(v);
                self.nodes[v].handle_timer(now, timer);
                self.drain(v);
            }
            SimEvent::ClientTransaction => self.client_transaction(),
            SimEvent::SliceInbox {
                to,
                block,
                slice,
                upto_seq,
            } => {
                let open = self
                    .inboxes
                    .get(&(block, slice))
                    .is_some_and(|g| !g.closed[to as usize]);
                // An announcement to a recipient that already knows the
                // block (from another slice) has nothing to do: its shreds
                // only count toward the slice, at the completion check.
                let valid = open
                    && !self.nodes[to as usize]
                        .node()
                        .is_some_and(|n| n.knows_block(block));
                if valid {
                    self.hand_over(to, block, slice, (self.now_ns, upto_seq));
                }
            }
            SimEvent::SliceCheck { block, slice, seq } => {
                let key = (self.now_ns, seq);
                let Some(group) = self
                    .inboxes
                    .get_mut(&(block, slice))
                    .filter(|g| g.queued == Some(key))
                else {
                    return;
                };
                group.queued = None;
                // The recipient whose completion this is, if it has not
                // changed since (sequences are unique).
                let to = group.completes.iter().position(|&c| c == key);
                if let Some(to) = to {
                    self.hand_over(to as u32, block, slice, key);
                }
                // The next completion of the slice.
                if let Some(group) = self.inboxes.get_mut(&(block, slice)) {
                    assert!(
                        to.is_none_or(|to| group.completes[to] > key),
                        "a hand-over moves the recipient's completion on"
                    );
                    let earliest = group.completes.iter().copied().min();
                    if let Some(next) = earliest.and_then(|c| group.requeue(c)) {
                        assert!(next.0 >= self.now_ns, "a completion check in the past");
                        self.queue_check(block, slice, next);
                    }
                }
            }
            SimEvent::Fanout(_) => unreachable!("broadcasts are queued, not dispatched"),
        }
    }

    /// Carries out what validator `v` asked for.
    fn drain(&mut self, v: usize) {
        // The input may have lowered its quiet-stake bounds.
        self.quiet_lamports[v].clear();
        let mut outputs = std::mem::take(&mut self.outputs);
        while let Some(o) = self.nodes[v].poll_output() {
            outputs.push(o);
        }
        for output in outputs.drain(..) {
            match output {
                Output::Send { to, message } => {
                    if self.feeding && matches!(message, Message::Certificate(_)) {
                        continue;
                    }
                    self.send(v, to.idx(), message)
                }
                Output::Broadcast { message, except } => {
                    if let (Some(c), Message::Certificate(cert)) = (&mut self.chaos, &message) {
                        if self.feeding {
                            continue;
                        }
                        c.remember_certificate(cert);
                    }
                    // The validator's own NotarVote may make the votes
                    // for the block moot there.
                    let own_notar = match &message {
                        Message::Vote(vote) if matches!(vote.kind, VoteKind::Notar(_)) => {
                            Some((vote.slot, vote.kind))
                        }
                        _ => None,
                    };
                    self.broadcast(v, message, except);
                    if let Some((slot, kind)) = own_notar {
                        self.note_moot(v, slot, kind);
                    }
                }
                Output::SetTimer { at, timer } => {
                    let (at_ns, generation) = match &self.chaos {
                        Some(c) => (
                            c.clocks[v].sim_ns(at.as_nanos() as u64, self.now_ns),
                            c.generation[v],
                        ),
                        None => (at.as_nanos() as u64, 0),
                    };
                    self.push(
                        at_ns.max(self.now_ns),
                        SimEvent::Timer {
                            node: v as u32,
                            timer,
                            generation,
                            local_at_ns: at.as_nanos() as u64,
                        },
                    );
                }
                Output::Event(event) => {
                    if let Event::CertificateStored { kind, slot, block } = event {
                        self.certificate_stored(v, (slot, kind, block));
                    }
                    if let Some(c) = &mut self.chaos {
                        let stake = if matches!(self.nodes[v], Validator::Honest(_)) {
                            let set = self.schedule.validators();
                            let correct_total: u64 = (0..self.nodes.len())
                                .filter(|&i| matches!(self.nodes[i], Validator::Honest(_)))
                                .map(|i| set.stake(ValidatorIndex(i as u32)).0)
                                .sum();
                            Some((set.stake(ValidatorIndex(v as u32)).0, correct_total))
                        } else {
                            None
                        };
                        c.on_event(self.now_ns, v, stake, &event);
                        if self.feeding {
                            if let Event::Finalized { block, .. } = event {
                                self.metrics.check_safety_only(
                                    self.now_ns,
                                    ValidatorIndex(v as u32),
                                    block,
                                );
                            }
                            continue;
                        }
                    }
                    self.metrics
                        .on_event(self.now_ns, ValidatorIndex(v as u32), event)
                }
            }
        }
        self.outputs = outputs;
        if let Some(c) = &mut self.chaos {
            if let Validator::Honest(node) = &self.nodes[v] {
                c.observe_slot(node.current_slot());
            }
        }
    }

    /// Most events that waited in the queue at once.
    pub fn queue_len_max(&self) -> usize {
        self.queue_len_max
    }

    /// Entries of the shortcut state kept now: slices with inboxes,
    /// certificates with copies due, blocks with announcements.
    pub fn shortcut_state_len(&self) -> (usize, usize, usize) {
        (
            self.inboxes.len(),
            self.certificate_due.len(),
            self.announced.len(),
        )
    }
}
