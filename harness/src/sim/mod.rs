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
//! - a vote that is moot at its recipient (`SimulatorHooks::vote_is_moot`) is not
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
//!   (`SimulatorHooks::vote_quiet_stake`) is only counted in the recipient's tallies
//!   (`SimulatorHooks::handle_quiet_vote`), without the threshold checks, the
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
mod seat;
mod shortcuts;

use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use whiteout_chaos::Action;
use whiteout_node::{
    BlockId, Event, LeaderSchedule, Message, Node, NodeConfig, Output, Slot, ValidatorIndex,
    VoteKind,
};
use whiteout_node::{SimulatorHooks as _, Validator as _};

use crate::backend::{Backend, Stop};
use crate::observe::{EventRecord, Observers, SlotEntered};
use crate::scenario::{LoadConfig, NetworkConfig};
use faults::FaultState;
use inbox::{Arrival, SliceInboxes};
use links::{CertificateKey, Delivery, LinkModel};
use network::{LinkService, Network};
use queue::{Queued, SimEvent};
use seat::Seat;

pub use crate::limits::NS_PER_S;

/// A simulation in progress.
pub struct Simulation {
    now_ns: u64,
    end_ns: u64,
    seq: u64,
    queue: BinaryHeap<Queued>,
    /// Event payloads by slab index; `slab_free` lists the free indices.
    slab: Vec<Option<SimEvent>>,
    slab_free: Vec<u32>,
    nodes: Vec<Seat>,
    net: Network,
    config: NodeConfig,
    /// Faults and their state; `None` for a run without chaos (then the
    /// simulation is exactly the plain one).
    chaos: Option<Box<FaultState>>,
    /// Restart catch-up: certificates handed to a restarting node do not
    /// count as measured events (only the safety check sees them).
    feeding: bool,
    rng: ChaCha8Rng,
    schedule: Arc<LeaderSchedule>,
    /// The observation stream's consumers, fed by the simulation.
    obs: Observers,
    /// Per validator, the current slot last reported into the stream while
    /// it is honest (reset when its seat changes).
    slot_reported: Vec<Slot>,
    /// The highest current slot an honest validator reported: the slot the
    /// run is in (for clients of a crashed validator).
    slot_seen: Slot,
    tx_interval_mean_ns: f64,
    tx_size_bytes: u32,
    leaders_per_tx: u32,
    next_tx_id: u64,
    next_settle_ns: u64,
    events_processed: u64,
    outputs: Vec<Output>,
    /// Per certificate, per recipient: (ns, sequence) when it stored the
    /// certificate (from its `CertificateStored` event, sequence 0) or of
    /// the earliest copy already queued to it; [`links::NO_COPY`] for neither. In
    /// a fault-free run the links keep this ([`links::Links`]), and only copies
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
    /// quietly ([`whiteout_node::SimulatorHooks::vote_quiet_stake`], less the stake taken since).
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
    /// Builds the simulation of `params`, feeding `observers`.
    ///
    /// # Panics
    /// When the latency matrix is not `n × n` for the schedule's `n`
    /// validators (a caller's bug).
    pub fn new(params: SimParams<'_>, observers: Observers) -> Self {
        let SimParams {
            network,
            load,
            node: config,
            latency_ns,
            schedule,
            seed,
            duration,
            faults,
        } = params;
        let n = schedule.validators().len();
        assert_eq!(latency_ns.len(), n * n, "an n x n latency matrix");
        let nodes = (0..n)
            .map(|i| {
                Seat::Honest(Node::new(
                    ValidatorIndex(i as u32),
                    config.clone(),
                    schedule.clone(),
                ))
            })
            .collect();
        let jitter_ns = jitter_ns(network);
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
                loss_rate: network.loss_rate,
                nearest_first,
                link_key: crate::seeds::link_draws(seed),
            }),
            bandwidth_bps: network.uplink_bandwidth_bps,
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
            chaos: faults.then(|| Box::new(FaultState::new(n))),
            feeding: false,
            rng: ChaCha8Rng::seed_from_u64(crate::seeds::clients(seed)),
            schedule,
            obs: observers,
            slot_reported: vec![Slot::GENESIS; n],
            slot_seen: Slot::GENESIS,
            tx_interval_mean_ns: if load.tx_per_s > 0.0 {
                NS_PER_S as f64 / load.tx_per_s
            } else {
                0.0
            },
            tx_size_bytes: load.tx_size_bytes,
            leaders_per_tx: load.leaders_per_tx,
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

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// [`Backend::run_until`]: processes events in time order up to
    /// `until_ns` (capped at the end of the run), stopping at the
    /// timeline's deadline before events due at it, or after an event that
    /// makes the observers want a poll.
    fn run_events(&mut self, until_ns: u64, deadline_ns: Option<u64>) -> Stop {
        let until = until_ns.min(self.end_ns);
        loop {
            let next = self.queue.peek().map(|q| q.at_ns());
            // A fault due before the next event is applied first.
            if let Some(d) = deadline_ns.filter(|&d| d <= until && next.is_none_or(|at| d <= at)) {
                self.advance_to(d.max(self.now_ns));
                self.sync_links();
                return Stop::Deadline;
            }
            let Some(at_ns) = next.filter(|&at| at <= until) else {
                self.now_ns = until;
                break;
            };
            self.advance_to(at_ns);
            let Some(event) = self.pop_event() else {
                continue;
            };
            self.dispatch(event);
            self.events_processed += 1;
            self.queue_len_max = self.queue_len_max.max(self.queue.len());
            if self.obs.wants_poll() {
                self.sync_links();
                return Stop::Poll;
            }
        }
        self.sync_links();
        if self.now_ns >= self.end_ns {
            self.obs.tick(self.end_ns);
        }
        Stop::Reached
    }

    /// Moves simulated time to `at_ns`, with a tick of the stream at every
    /// whole second on the way.
    fn advance_to(&mut self, at_ns: u64) {
        self.now_ns = at_ns;
        while self.now_ns >= self.next_settle_ns {
            self.obs.tick(self.next_settle_ns);
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
                    self.obs.event(&EventRecord {
                        t_ns: self.now_ns,
                        validator: ValidatorIndex(v as u32),
                        event: &event,
                        handed_over: self.feeding,
                    });
                }
            }
        }
        self.outputs = outputs;
        if let Seat::Honest(node) = &self.nodes[v] {
            let slot = node.current_slot();
            if slot != self.slot_reported[v] {
                self.slot_reported[v] = slot;
                self.slot_seen = self.slot_seen.max(slot);
                self.obs.slot(SlotEntered {
                    t_ns: self.now_ns,
                    validator: ValidatorIndex(v as u32),
                    slot,
                });
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

impl Backend for Simulation {
    fn now_ns(&self) -> u64 {
        self.now_ns
    }

    fn run_until(&mut self, until_ns: u64, deadline_ns: Option<u64>) -> Stop {
        self.run_events(until_ns, deadline_ns)
    }

    /// Applies one action (see `whiteout_chaos::Action`):
    /// - partitions drop messages at send time (counted as sent and
    ///   dropped);
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
    ///
    /// # Panics
    /// In a simulation built without faults (`SimParams::faults`).
    fn apply(&mut self, action: Action) {
        self.apply_action(action);
    }

    fn observers(&self) -> &Observers {
        &self.obs
    }

    fn observers_mut(&mut self) -> &mut Observers {
        &mut self.obs
    }

    fn threads(&self) -> u32 {
        Simulation::threads(self)
    }
}

/// What the `sim` backend needs of a run.
#[derive(Debug)]
pub struct SimParams<'a> {
    /// Uplinks, jitter and loss.
    pub network: &'a NetworkConfig,
    /// The load clients.
    pub load: &'a LoadConfig,
    /// The validators' protocol settings.
    pub node: NodeConfig,
    /// One-way latency of every directed link (ns), `from * n + to`
    /// (`Topology::latency_matrix_ns`).
    pub latency_ns: Vec<u64>,
    /// The leader schedule (and with it the validators and their stake).
    pub schedule: Arc<LeaderSchedule>,
    /// The run's seed: its derived streams ([`crate::seeds`]) draw the
    /// clients and each message's jitter and loss.
    pub seed: u64,
    /// Simulated time the run lasts.
    pub duration: Duration,
    /// The run has chaos faults: their state is kept, and the shortcuts
    /// that assume a fault-free run are off.
    pub faults: bool,
}

/// The network's jitter bound in ns.
pub fn jitter_ns(network: &NetworkConfig) -> u64 {
    (network.jitter_ms * 1e6).round() as u64
}
