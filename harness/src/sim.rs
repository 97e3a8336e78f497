//! The `sim` backend: a seeded discrete-event simulator.
//!
//! A priority queue holds timestamped events (deliveries, timers, client
//! transactions); time jumps to the next one. One ChaCha8 generator, seeded
//! from the scenario seed, decides every random choice (jitter, loss,
//! client arrivals), so the same scenario and seed replay the same run.
//!
//! Network model, per directed link: one-way latency from the topology,
//! plus jitter uniform in `[0, jitter_ms]`, and a loss probability. Per
//! validator: an uplink of `uplink_bandwidth_bps`; a message leaves after
//! the messages queued before it, so large broadcasts (shreds) queue.
//!
//! Three exact shortcuts keep the event count down; each message is still
//! counted as sent and received, and uses its sender's uplink:
//! - a certificate is queued to a recipient only if no copy of it is
//!   already due there earlier (later copies find it stored and do
//!   nothing);
//! - a vote that is moot at its recipient (`Node::vote_is_moot`) is not
//!   queued;
//! - relayed shreds wait in a per-(recipient, slice) inbox and are handed
//!   over in arrival order at two moments: the first arrival (the
//!   recipient learns the block exists) and the arrival that completes the
//!   slice (γ shreds). Shreds arriving after that are not queued. The
//!   recipient reconstructs the slice at exactly the time it would have
//!   with one event per shred.
//!
//! Architecture Invariant: no wall clock and no thread-local randomness in
//! this module; wall time is only read by the caller for progress.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use whiteout_node::{
    mix64, BlockHash, BlockId, CertificateKind, LeaderSchedule, Message, Node, NodeConfig, Output,
    Shred, Slot, Timer, Transaction, ValidatorIndex, ValidatorSet,
};
use whiteout_topologies::Topology;

use crate::metrics::Collector;
use crate::scenario::Scenario;

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

#[derive(Debug)]
enum SimEvent {
    Deliver {
        to: u32,
        from: u32,
        message: Message,
    },
    Timer {
        node: u32,
        timer: Timer,
    },
    ClientTransaction,
    /// Hand the shreds of an inbox that have arrived by now to the
    /// recipient.
    SliceInbox {
        to: u32,
        block: BlockId,
        slice: u32,
    },
}

/// Relayed shreds on their way to one recipient, for one slice.
#[derive(Debug, Default)]
struct Inbox {
    /// (arrival ns, sequence, sender, shred), unsorted.
    arrivals: Vec<(u64, u64, u32, Shred)>,
    /// Check queued in `inbox_checks`: (time ns, sequence).
    check: Option<(u64, u64)>,
    /// The first arrival was announced.
    announced: bool,
    /// The `need` earliest arrival times, ascending (the last one is the
    /// arrival that completes the slice).
    earliest: Vec<u64>,
}

/// A queue entry: when, in which order, and where the event waits in the
/// slab (kept small so that heap operations move little memory).
#[derive(Debug)]
struct Queued {
    at_ns: u64,
    seq: u64,
    slab: u32,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ns, self.seq) == (other.at_ns, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed: the earliest event (then the first queued) is the
    /// greatest, for `BinaryHeap`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_ns, other.seq).cmp(&(self.at_ns, self.seq))
    }
}

/// Link model of the whole network.
#[derive(Debug)]
struct Network {
    n: usize,
    latency_ns: Vec<u64>,
    jitter_ns: u64,
    loss_rate: f64,
    bandwidth_bps: u64,
    uplink_free_ns: Vec<u64>,
}

impl Network {
    fn transmit_ns(&self, bytes: u32) -> u64 {
        (u64::from(bytes) * 8 * NS_PER_S).div_ceil(self.bandwidth_bps)
    }
}

/// A simulation in progress.
pub struct Simulation {
    now_ns: u64,
    end_ns: u64,
    seq: u64,
    queue: BinaryHeap<Queued>,
    /// Event payloads by slab index; `slab_free` lists the free indices.
    slab: Vec<Option<SimEvent>>,
    slab_free: Vec<u32>,
    nodes: Vec<Node>,
    net: Network,
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
    /// Per certificate: earliest arrival already queued, per recipient.
    certificate_due: BTreeMap<(Slot, CertificateKind, Option<BlockHash>), Vec<u64>>,
    /// Relayed shreds waiting, per (recipient, block, slice).
    inboxes: BTreeMap<(u32, BlockId, u32), Inbox>,
    /// Slice-completion checks: a second event queue ordered like the main
    /// one by (time, sequence); an ordered map so that a check can move
    /// earlier in place (decrease-key) when a later-sent shred arrives
    /// sooner.
    inbox_checks: BTreeMap<(u64, u64), (u32, BlockId, u32)>,
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
            .map(|i| Node::new(ValidatorIndex(i as u32), config.clone(), schedule.clone()))
            .collect();
        let net = Network {
            n,
            latency_ns: topology.latency_matrix_ns(),
            jitter_ns: (scenario.network.jitter_ms * 1e6).round() as u64,
            loss_rate: scenario.network.loss_rate,
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
            rng: ChaCha8Rng::seed_from_u64(seed),
            schedule,
            metrics: Collector::new(stakes),
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
            inboxes: BTreeMap::new(),
            inbox_checks: BTreeMap::new(),
            data_shreds_per_slice: config.data_shreds_per_slice,
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

    fn push(&mut self, at_ns: u64, event: SimEvent) {
        self.seq += 1;
        let slab = match self.slab_free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(event);
                i
            }
            None => {
                self.slab.push(Some(event));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        self.queue.push(Queued {
            at_ns,
            seq: self.seq,
            slab,
        });
    }

    fn exponential_ns(&mut self) -> u64 {
        let u: f64 = self.rng.random::<f64>();
        (-(1.0 - u).ln() * self.tx_interval_mean_ns).round() as u64
    }

    /// Runs until simulated time `until_ns` (capped at the end of the run)
    /// or until `max_events` events were processed, whichever comes first.
    pub fn run_until(&mut self, until_ns: u64, max_events: u64) {
        let until = until_ns.min(self.end_ns);
        let mut budget = max_events;
        while budget > 0 {
            let main = self.queue.peek().map(|q| (q.at_ns, q.seq));
            let check = self.inbox_checks.first_key_value().map(|(k, _)| *k);
            let (at_ns, take_check) = match (main, check) {
                (None, None) => {
                    self.now_ns = until;
                    break;
                }
                (Some(m), Some(c)) if c < m => (c.0, true),
                (None, Some(c)) => (c.0, true),
                (Some(m), _) => (m.0, false),
            };
            if at_ns > until {
                self.now_ns = until;
                break;
            }
            self.now_ns = at_ns;
            while self.now_ns >= self.next_settle_ns {
                self.metrics.settle(self.next_settle_ns);
                self.next_settle_ns += NS_PER_S;
                self.prune();
            }
            if take_check {
                let (_, (to, block, slice)) = self.inbox_checks.pop_first().expect("peeked");
                self.events_by_kind[7] += 1;
                self.open_inbox(to, block, slice, true);
            } else {
                let q = self.queue.pop().expect("peeked");
                let event = self.slab[q.slab as usize].take().expect("queued event");
                self.slab_free.push(q.slab);
                self.dispatch(event);
            }
            self.events_processed += 1;
            self.queue_len_max = self.queue_len_max.max(self.queue.len());
            budget -= 1;
        }
        if self.now_ns >= self.end_ns {
            self.metrics.settle(self.end_ns);
        }
    }

    fn dispatch(&mut self, event: SimEvent) {
        let now = Duration::from_nanos(self.now_ns);
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
            SimEvent::SliceInbox { .. } => 7,
        };
        self.events_by_kind[kind] += 1;
        match event {
            SimEvent::Deliver { to, from, message } => {
                let node = &mut self.nodes[to as usize];
                node.handle_message(now, ValidatorIndex(from), message);
                self.drain(to as usize);
            }
            SimEvent::Timer { node, timer } => {
                self.nodes[node as usize].handle_timer(now, timer);
                self.drain(node as usize);
            }
            SimEvent::ClientTransaction => self.client_transaction(),
            SimEvent::SliceInbox { to, block, slice } => self.open_inbox(to, block, slice, false),
        }
    }

    /// Forgets shortcut state of slots every validator has pruned.
    fn prune(&mut self) {
        let lowest = self
            .nodes
            .iter()
            .map(Node::highest_finalized)
            .min()
            .unwrap_or(Slot::GENESIS);
        let floor = Slot(lowest.0.saturating_sub(128));
        self.certificate_due
            .retain(|(slot, _, _), _| *slot >= floor);
        self.inboxes.retain(|(_, block, _), _| block.slot >= floor);
        self.inbox_checks
            .retain(|_, (_, block, _)| block.slot >= floor);
    }

    /// Hands over the shreds of an inbox that have arrived by now.
    /// `completion`: this is the slice-completion check (else the
    /// first-arrival announcement).
    fn open_inbox(&mut self, to: u32, block: BlockId, slice: u32, completion: bool) {
        let key = (to, block, slice);
        let Some(inbox) = self.inboxes.get_mut(&key) else {
            return;
        };
        let now = self.now_ns;
        if completion {
            inbox.check = None;
        }
        let mut due: Vec<(u64, u64, u32, Shred)> = Vec::new();
        inbox.arrivals.retain(|a| {
            if a.0 <= now {
                due.push(*a);
                false
            } else {
                true
            }
        });
        due.sort_unstable_by_key(|a| (a.0, a.1));
        let t = Duration::from_nanos(now);
        for (_, _, from, shred) in due {
            self.nodes[to as usize].handle_message(t, ValidatorIndex(from), Message::Shred(shred));
        }
        self.drain(to as usize);
        if !self.nodes[to as usize].needs_shred(block, slice) {
            if let Some(check) = self.inboxes.remove(&key).and_then(|i| i.check) {
                self.inbox_checks.remove(&check);
            }
        } else {
            self.schedule_inbox(key, None);
        }
    }

    /// Queues a check of an inbox at the arrival that completes the slice
    /// (given what the recipient holds now), if that is earlier than the
    /// check already queued.
    fn schedule_inbox(&mut self, key: (u32, BlockId, u32), arrival_ns: Option<u64>) {
        let held = self.nodes[key.0 as usize].shreds_held(key.1, key.2);
        let need = self.data_shreds_per_slice.saturating_sub(held).max(1) as usize;
        let Some(inbox) = self.inboxes.get_mut(&key) else {
            return;
        };
        match arrival_ns {
            Some(t) => {
                let at = inbox.earliest.partition_point(|&e| e <= t);
                if at < need {
                    inbox.earliest.insert(at, t);
                }
            }
            None => {
                inbox.earliest.clear();
                inbox.earliest.extend(inbox.arrivals.iter().map(|a| a.0));
                inbox.earliest.sort_unstable();
            }
        }
        inbox.earliest.truncate(need);
        if inbox.earliest.len() < need {
            return;
        }
        let completes_ns = inbox.earliest[need - 1];
        if inbox.check.is_none_or(|(c, _)| completes_ns < c) {
            if let Some(old) = inbox.check.take() {
                self.inbox_checks.remove(&old);
            }
            self.seq += 1;
            let at = (completes_ns, self.seq);
            inbox.check = Some(at);
            self.inbox_checks.insert(at, key);
        }
    }

    /// An open-loop client submits one transaction through a validator
    /// chosen uniformly, to the leaders of the next `leaders_per_tx` leader
    /// windows after that validator's current slot.
    fn client_transaction(&mut self) {
        let n = self.nodes.len();
        let client = self.rng.random_range(0..n);
        let id = self.next_tx_id;
        self.next_tx_id += 1;
        self.metrics.tx_submitted(self.now_ns, id, client as u32);
        let tx = Transaction {
            id,
            size_bytes: self.tx_size_bytes,
        };
        let current = self.nodes[client].current_slot();
        let w = self.schedule.slots_per_window();
        let first = self.schedule.window_start(current.next());
        let mut leaders: Vec<ValidatorIndex> = Vec::new();
        for k in 0..u64::from(self.leaders_per_tx) {
            let leader = self.schedule.leader(Slot(first.0 + k * w));
            if !leaders.contains(&leader) {
                leaders.push(leader);
            }
        }
        for leader in leaders {
            let delay = self.net.latency_ns[client * n + leader.idx()] + self.jitter_ns();
            self.push(
                self.now_ns + delay,
                SimEvent::Deliver {
                    to: leader.0,
                    from: client as u32,
                    message: Message::Transaction(tx),
                },
            );
        }
        let next = self.exponential_ns();
        self.push(self.now_ns + next.max(1), SimEvent::ClientTransaction);
    }

    fn jitter_ns(&mut self) -> u64 {
        if self.net.jitter_ns == 0 {
            0
        } else {
            self.rng.random_range(0..=self.net.jitter_ns)
        }
    }

    /// Carries out what validator `v` asked for.
    fn drain(&mut self, v: usize) {
        let mut outputs = std::mem::take(&mut self.outputs);
        while let Some(o) = self.nodes[v].poll_output() {
            outputs.push(o);
        }
        for output in outputs.drain(..) {
            match output {
                Output::Send { to, message } => self.send(v, to.idx(), message),
                Output::Broadcast { message, except } => {
                    for to in 0..self.net.n {
                        if to != v && except.is_none_or(|e| e.idx() != to) {
                            self.send(v, to, message.clone());
                        }
                    }
                }
                Output::SetTimer { at, timer } => {
                    let at_ns = (at.as_nanos() as u64).max(self.now_ns);
                    self.push(
                        at_ns,
                        SimEvent::Timer {
                            node: v as u32,
                            timer,
                        },
                    );
                }
                Output::Event(event) => {
                    self.metrics
                        .on_event(self.now_ns, ValidatorIndex(v as u32), event)
                }
            }
        }
        self.outputs = outputs;
    }

    /// One message over one link: uplink queueing, loss, latency, jitter.
    fn send(&mut self, from: usize, to: usize, message: Message) {
        let bytes = message.wire_bytes();
        let depart = self.net.uplink_free_ns[from].max(self.now_ns) + self.net.transmit_ns(bytes);
        self.net.uplink_free_ns[from] = depart;
        self.metrics.sent(from, bytes);
        if self.net.loss_rate > 0.0 && self.rng.random::<f64>() < self.net.loss_rate {
            return;
        }
        let arrival = depart + self.net.latency_ns[from * self.net.n + to] + self.jitter_ns();
        self.metrics.received(to, bytes);
        match &message {
            Message::Certificate(c) => {
                if self.nodes[to].has_certificate(c) {
                    return;
                }
                let n = self.net.n;
                let due = self
                    .certificate_due
                    .entry((c.slot, c.kind, c.block))
                    .or_insert_with(|| vec![u64::MAX; n]);
                if due[to] <= arrival {
                    return;
                }
                due[to] = arrival;
            }
            Message::Vote(v) if self.nodes[to].vote_is_moot(v) => return,
            Message::Shred(s) if s.leader.idx() != from => {
                if !self.nodes[to].needs_shred(s.block, s.slice) {
                    return;
                }
                self.seq += 1;
                let key = (to as u32, s.block, s.slice);
                let inbox = self.inboxes.entry(key).or_default();
                let first = !inbox.announced;
                inbox.announced = true;
                inbox.arrivals.push((arrival, self.seq, from as u32, *s));
                if first {
                    // The first arrival tells the recipient the block exists.
                    inbox.earliest.push(arrival);
                    inbox.earliest.sort_unstable();
                    self.push(
                        arrival,
                        SimEvent::SliceInbox {
                            to: key.0,
                            block: key.1,
                            slice: key.2,
                        },
                    );
                } else {
                    self.schedule_inbox(key, Some(arrival));
                }
                return;
            }
            _ => {}
        }
        self.push(
            arrival,
            SimEvent::Deliver {
                to: to as u32,
                from: from as u32,
                message,
            },
        );
    }

    /// Most events that waited in the queue at once.
    pub fn queue_len_max(&self) -> usize {
        self.queue_len_max
    }
}
