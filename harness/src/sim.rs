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

mod links;

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
        /// The validator's timer generation when set (a crash or a clock
        /// change makes older timers stale).
        generation: u32,
        /// When the timer fires, in the validator's local time (ns).
        local_at_ns: u64,
    },
    /// One message on its way to several recipients (a broadcast).
    Fanout(Fanout),
    ClientTransaction,
    /// A first-arrival announcement: hand the shreds of `to`'s inbox
    /// that have arrived by now to the recipient.
    SliceInbox {
        to: u32,
        block: BlockId,
        slice: u32,
        /// Hand over the arrivals up to (this event's time, this sequence):
        /// the sequence of the arrival the event stands for.
        upto_seq: u64,
    },
    /// The slice's earliest completion among its recipients is due: hand
    /// that recipient the shreds that complete it (valid only while it is
    /// the slice's queued check, [`SliceInboxes::queued`]).
    SliceCheck {
        block: BlockId,
        slice: u32,
        /// The sequence of the completing arrival.
        seq: u64,
    },
}

/// A broadcast message in flight: one queue entry for all its deliveries,
/// keyed by the next one, so the queue holds one entry per broadcast
/// rather than one per recipient.
#[derive(Debug)]
struct Fanout {
    from: u32,
    message: Message,
    /// (arrival ns, sequence, recipient), ascending by (arrival, sequence);
    /// `next` is the first not yet delivered.
    deliveries: Vec<Delivery>,
    next: usize,
    /// The entry waits in the queue at the earliest arrival possible
    /// ([`FanoutJob::earliest_arrival_ns`]) while the link worker computes
    /// `deliveries`, until it reaches the head of the queue.
    placeholder: bool,
    /// The link worker's answer has not come yet.
    pending: bool,
}

/// No completion: sorts after every (ns, sequence).
const NO_COMPLETION: (u64, u64) = (u64::MAX, u64::MAX);

/// Relayed shreds of one slice on their way, per recipient.
///
/// The slice has one completion check queued, at the earliest of its
/// recipients' completions, rather than one per recipient: a recipient's
/// completion moves earlier with most arrivals, and a check per recipient
/// would leave a stale queue entry at each move.
#[derive(Debug)]
struct SliceInboxes {
    /// The shreds relayed so far; arrivals refer to them by index.
    shreds: Vec<Shred>,
    /// Indexed by recipient.
    by_recipient: Vec<Inbox>,
    /// Per recipient, the (ns, sequence) of the arrival that completes its
    /// slice ([`Inbox::completion`]), [`NO_COMPLETION`] for none or closed.
    completes: Vec<(u64, u64)>,
    /// Per recipient, whether it needs no more shreds of this slice (its
    /// inbox is then empty). Kept apart from the inboxes, like `completes`:
    /// a relayed shred's copies read them for every recipient.
    closed: Vec<bool>,
    /// The check queued for the slice: at most the earliest of
    /// `completes` (`None` when none is queued).
    queued: Option<(u64, u64)>,
}

impl SliceInboxes {
    fn new(n: usize) -> Self {
        Self {
            shreds: Vec::new(),
            by_recipient: (0..n).map(|_| Inbox::default()).collect(),
            completes: vec![NO_COMPLETION; n],
            closed: vec![false; n],
            queued: None,
        }
    }

    /// Empties `to`'s inbox and forgets its completion; `closed`: whether
    /// it needs no more shreds of the slice (else it starts afresh).
    fn reset(&mut self, to: usize, closed: bool) {
        self.by_recipient[to] = Inbox::default();
        self.completes[to] = NO_COMPLETION;
        self.closed[to] = closed;
    }

    /// Records `to`'s completion after its inbox changed. Returns the
    /// check to queue when it is earlier than the one queued.
    fn note_completion(&mut self, to: usize) -> Option<(u64, u64)> {
        let completes = if self.closed[to] {
            None
        } else {
            self.by_recipient[to].completion()
        };
        self.completes[to] = completes.unwrap_or(NO_COMPLETION);
        self.requeue(completes?)
    }

    /// Returns the check to queue for the slice when `completes` is
    /// earlier than the one queued, and records it as queued.
    fn requeue(&mut self, completes: (u64, u64)) -> Option<(u64, u64)> {
        if completes == NO_COMPLETION || self.queued.is_some_and(|q| q <= completes) {
            return None;
        }
        self.queued = Some(completes);
        Some(completes)
    }
}

/// A relayed shred's arrival: (ns, sequence, sender, index into the
/// slice's shred list).
type Arrival = (u64, u64, u32, u32);

/// Relayed shreds on their way to one recipient, for one slice.
#[derive(Debug, Default)]
struct Inbox {
    /// When the first-arrival announcement is queued (`None` before any
    /// arrival).
    announce_ns: Option<u64>,
    /// Shreds the recipient still needs to rebuild the slice.
    need: u32,
    /// The `need` earliest arrivals not yet handed over, a max-heap of
    /// (arrival ns, sequence, sender, index into `SliceInboxes::shreds`):
    /// its top is the arrival that completes the slice. Later arrivals are
    /// not kept: they cannot matter (each shred of an honest leader reaches
    /// a recipient at most once; a Byzantine leader's shreds are delivered
    /// plainly).
    earliest: BinaryHeap<Arrival>,
}

impl Inbox {
    /// The (ns, sequence) of the arrival that completes the slice, once
    /// `need` arrivals are kept.
    fn completion(&self) -> Option<(u64, u64)> {
        self.earliest
            .peek()
            .filter(|_| self.earliest.len() >= self.need as usize)
            .map(|top| (top.0, top.1))
    }
}

/// A queue entry: when (ns), in which order (sequence) and where the event
/// waits in the slab, packed into one `u128` so that the heap compares and
/// moves 16 bytes with one comparison: ns in the top 52 bits (52 days),
/// the sequence in the next 44, the slab index in the low 32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Queued(u128);

impl Queued {
    /// Simulated time the queue can hold: 2^52 ns, about 52 days.
    const AT_NS_LIMIT: u64 = 1 << 52;

    /// An event due at or beyond [`Queued::AT_NS_LIMIT`] is kept at the
    /// limit: no run reaches it ([`MAX_DURATION`] is 30 days), so it never
    /// fires either way. Most events due after the run's end are not queued
    /// at all ([`Simulation::push`], [`Simulation::push_fanout`]); this
    /// covers the rest (a broadcast waiting for the link worker, slice
    /// inbox announcements and checks).
    ///
    /// # Panics
    /// When `seq` does not fit.
    fn new(at_ns: u64, seq: u64, slab: u32) -> Self {
        let at_ns = at_ns.min(Self::AT_NS_LIMIT - 1);
        assert!(seq < 1 << 44, "more than 2^44 queued events");
        Self((u128::from(at_ns) << 76) | (u128::from(seq) << 32) | u128::from(slab))
    }

    fn at_ns(self) -> u64 {
        (self.0 >> 76) as u64
    }

    fn slab(self) -> u32 {
        self.0 as u32
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed: the earliest event (then the first queued) is the
    /// greatest, for `BinaryHeap`.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.cmp(&self.0)
    }
}

/// The longest simulated duration a run may have (30 days; the queue holds
/// times up to about 52 days, leaving room for timers set near the end).
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Link model of the whole network: the static links, shared with the
/// link worker, and each validator's uplink.
#[derive(Debug)]
struct Network {
    model: Arc<LinkModel>,
    bandwidth_bps: u64,
    uplink_free_ns: Vec<u64>,
}

impl Network {
    fn transmit_ns(&self, bytes: u32) -> u64 {
        (u64::from(bytes) * 8 * NS_PER_S).div_ceil(self.bandwidth_bps)
    }

    /// One-way latency from `from` to `to` (ns), before jitter.
    #[inline(always)]
    fn one_way_ns(&self, from: usize, to: usize) -> u64 {
        self.model.one_way_ns(from, to)
    }
}

/// Who computes the links of a fault-free run's votes and certificates.
#[derive(Debug)]
enum LinkService {
    /// This thread, at once.
    Inline(Box<Links>),
    /// The link worker thread; answers come back later.
    Worker(LinkWorker),
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

    /// The links of a fault-free run, started at first use (`None` with
    /// faults).
    fn links(&mut self) -> Option<&mut LinkService> {
        if self.chaos.is_some() {
            return None;
        }
        if self.links.is_none() {
            let links = Links::new(self.net.model.clone(), self.shortcuts);
            self.links = Some(if self.link_worker {
                LinkService::Worker(LinkWorker::start(links).expect("spawn the link worker"))
            } else {
                LinkService::Inline(Box::new(links))
            });
        }
        self.links.as_mut()
    }

    /// Tells the links (if any) what happened, in order.
    fn tell_links(&mut self, job: LinkJob) {
        match self.links() {
            Some(LinkService::Inline(links)) => {
                let reply = links.process(job);
                debug_assert!(reply.is_none(), "a notice has no answer");
            }
            Some(LinkService::Worker(_)) => self.submit(job),
            None => {}
        }
    }

    /// Hands `job` to the link worker, taking its answers while its ring
    /// is full.
    fn submit(&mut self, mut job: LinkJob) {
        loop {
            let Some(LinkService::Worker(w)) = self.links.as_mut() else {
                unreachable!("a worker");
            };
            match w.try_submit(job) {
                Ok(()) => return,
                Err(back) => job = back,
            }
            let counters = self.take_reply(false);
            assert!(counters.is_none(), "counters are awaited where asked");
            std::hint::spin_loop();
        }
    }

    /// Takes the link worker's next answer (waiting for it when `wait`):
    /// a broadcast's deliveries are filed with its queue entry; received
    /// counters are returned.
    fn take_reply(&mut self, wait: bool) -> Option<Vec<(u64, u64)>> {
        let Some(LinkService::Worker(w)) = self.links.as_mut() else {
            unreachable!("answers come from the worker");
        };
        let reply = if wait { Some(w.reply()) } else { w.try_reply() };
        match reply? {
            LinkReply::Counters(c) => Some(c),
            LinkReply::Fanout { slab, out } => {
                match &mut self.slab[slab as usize] {
                    Some(SimEvent::Fanout(f)) if f.pending => {
                        f.deliveries = out;
                        f.pending = false;
                    }
                    _ => unreachable!("an answer for a queued broadcast"),
                }
                None
            }
        }
    }

    /// Adds the received counters the links gathered to the metrics,
    /// waiting for the link worker to catch up.
    fn sync_links(&mut self) {
        let counters = match self.links.as_mut() {
            None => return,
            Some(LinkService::Inline(links)) => match links.process(LinkJob::Counters) {
                Some(LinkReply::Counters(c)) => c,
                _ => unreachable!("counters answer counters"),
            },
            Some(LinkService::Worker(_)) => {
                self.submit(LinkJob::Counters);
                loop {
                    if let Some(c) = self.take_reply(true) {
                        break c;
                    }
                }
            }
        };
        for (v, (messages, bytes)) in self.metrics.traffic.iter_mut().zip(counters) {
            v.messages_received += messages;
            v.bytes_received += bytes;
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

    /// Queues `event` at `at_ns`; an event due after the run's end is
    /// dropped (it could never fire, and a very slow link would otherwise
    /// pile such events up).
    fn push(&mut self, at_ns: u64, event: SimEvent) {
        self.seq += 1;
        if at_ns > self.end_ns {
            return;
        }
        self.push_with_seq(at_ns, self.seq, event);
    }

    /// Queues `event` at (`at_ns`, `seq`), a sequence number taken earlier;
    /// returns where it waits in the slab.
    fn push_with_seq(&mut self, at_ns: u64, seq: u64, event: SimEvent) -> u32 {
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
        self.queue.push(Queued::new(at_ns, seq, slab));
        slab
    }

    /// Queues a broadcast's deliveries as one entry (nothing when empty).
    fn push_fanout(&mut self, from: usize, message: Message, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            self.spare_deliveries.push(deliveries);
            return;
        }
        debug_assert!(deliveries.is_sorted_by_key(|&(at, seq, _)| (at, seq)));
        let (at_ns, seq, _) = deliveries[0];
        if at_ns > self.end_ns {
            // Every delivery is after the run's end.
            let mut spare = deliveries;
            spare.clear();
            self.spare_deliveries.push(spare);
            return;
        }
        let event = SimEvent::Fanout(Fanout {
            from: from as u32,
            message,
            deliveries,
            next: 0,
            placeholder: false,
            pending: false,
        });
        self.push_with_seq(at_ns, seq, event);
    }

    /// Takes the earliest event off the queue (for a broadcast, its next
    /// delivery; the broadcast stays queued, keyed by the one after).
    /// `None` when the earliest entry was a broadcast whose deliveries the
    /// link worker was computing: it is now keyed by its first delivery,
    /// or gone if it has none.
    fn pop_event(&mut self) -> Option<SimEvent> {
        let end_ns = self.end_ns;
        let slab = self.queue.peek().expect("peeked").slab() as usize;
        if let Some(SimEvent::Fanout(f)) = &self.slab[slab] {
            if f.placeholder {
                return self.replace_placeholder(slab);
            }
        }
        let mut top = self.queue.peek_mut().expect("peeked");
        if let Some(SimEvent::Fanout(f)) = &mut self.slab[slab] {
            let (_, _, to) = f.deliveries[f.next];
            let event = SimEvent::Deliver {
                to,
                from: f.from,
                message: f.message.clone(),
            };
            f.next += 1;
            // The rest, if due before the run's end (later ones never are).
            if let Some(&(at_ns, seq, _)) = f.deliveries.get(f.next).filter(|d| d.0 <= end_ns) {
                *top = Queued::new(at_ns, seq, slab as u32);
                return Some(event);
            }
            std::collections::binary_heap::PeekMut::pop(top);
            self.retire_fanout(slab);
            return Some(event);
        }
        let q = std::collections::binary_heap::PeekMut::pop(top);
        let event = self.slab[q.slab() as usize].take().expect("queued event");
        self.slab_free.push(q.slab());
        Some(event)
    }

    /// The broadcast at the head of the queue (at `slab`) waits at its
    /// earliest arrival possible: it is keyed by its first delivery now
    /// (waiting for the link worker's answer if need be), or leaves the
    /// queue when it has none. Returns `None`: no event was taken.
    fn replace_placeholder(&mut self, slab: usize) -> Option<SimEvent> {
        // Its answer, and those before it.
        while matches!(&self.slab[slab], Some(SimEvent::Fanout(f)) if f.pending) {
            let counters = self.take_reply(true);
            assert!(counters.is_none(), "counters are awaited where asked");
        }
        let Some(SimEvent::Fanout(f)) = &mut self.slab[slab] else {
            unreachable!("a broadcast");
        };
        f.placeholder = false;
        let first = f.deliveries.first().copied();
        let mut top = self.queue.peek_mut().expect("peeked");
        if let Some((at_ns, seq, _)) = first {
            // Reversed order: the later entry is the smaller.
            assert!(
                Queued::new(at_ns, seq, slab as u32) <= *top,
                "a delivery before its broadcast's earliest arrival"
            );
            *top = Queued::new(at_ns, seq, slab as u32);
        } else {
            std::collections::binary_heap::PeekMut::pop(top);
            self.retire_fanout(slab);
        }
        None
    }

    /// Frees the slab entry of a broadcast taken off the queue, keeping its
    /// delivery list for reuse.
    fn retire_fanout(&mut self, slab: usize) {
        if let Some(SimEvent::Fanout(f)) = self.slab[slab].take() {
            let mut spare = f.deliveries;
            spare.clear();
            self.spare_deliveries.push(spare);
        }
        self.slab_free.push(slab as u32);
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

    /// Forgets shortcut state of slots every validator has pruned, and of
    /// slots some validator has pruned where nothing is on its way to the
    /// validators that have not (a validator far behind, e.g. behind a very
    /// slow link, would otherwise hold the state of every later slot).
    ///
    /// A validator has pruned the slots below its highest finalized slot
    /// minus twice `slots_retained` (it keeps `slots_retained` of them;
    /// shreds and certificates of older slots change nothing there). State forgotten
    /// while a validator still keeps the slot is state of a shortcut that
    /// then does not apply: a later copy is delivered (as without
    /// shortcuts) rather than skipped, and a later shred of the slice
    /// starts an inbox afresh from what the validator holds.
    fn prune(&mut self) {
        // Twice what the node keeps, as a margin.
        let retained = 2 * self.config.slots_retained;
        let floors: Vec<Option<Slot>> = self
            .nodes
            .iter()
            .map(|v| {
                v.node()
                    .map(|n| Slot(n.highest_finalized().0.saturating_sub(retained)))
            })
            .collect();
        let floor = floors
            .iter()
            .flatten()
            .min()
            .copied()
            .unwrap_or(Slot::GENESIS);
        let top = floors
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or(Slot::GENESIS);
        // Validators that keep `slot`.
        let keeps = |slot: Slot| {
            floors
                .iter()
                .enumerate()
                .filter(move |(_, f)| f.is_some_and(|f| slot >= f))
                .map(|(r, _)| r)
        };
        let (now, end) = (self.now_ns, self.end_ns);
        self.certificate_due.retain(|(slot, _, _), due| {
            *slot >= floor
                && (*slot >= top
                    // A copy still on its way to a validator that keeps
                    // the slot.
                    || keeps(*slot).any(|r| due[r].0 >= now && due[r].0 <= end))
        });
        if self.links.is_some() {
            self.tell_links(LinkJob::Prune { floor });
        }
        self.inboxes.retain(|(block, _), group| {
            block.slot >= floor
                && (block.slot >= top
                    // Arrivals not handed over yet, to a validator that
                    // keeps the slot.
                    || keeps(block.slot).any(|r| !group.by_recipient[r].earliest.is_empty()))
        });
        let inboxes = &self.inboxes;
        self.announced.retain(|block, _| {
            block.slot >= floor
                && (block.slot >= top
                    || inboxes
                        .range((*block, 0)..=(*block, u32::MAX))
                        .next()
                        .is_some())
        });
    }

    /// Hands the recipient the shreds of its inbox that arrived up to
    /// `upto` (ns, sequence), then brings the inbox up to date with what the
    /// recipient holds.
    ///
    /// They are handed over in the inbox's (deterministic) order, not
    /// sorted by arrival: all at the same instant, they are distinct shreds
    /// of one honest leader's slice, and a validator's handling of such a
    /// set does not depend on its order (it marks each shred held and
    /// rebuilds the slice at the `gamma`-th).
    fn hand_over(&mut self, to: u32, block: BlockId, slice: u32, upto: (u64, u64)) {
        let t = self.local_now(to as usize);
        let Some(group) = self.inboxes.get_mut(&(block, slice)) else {
            return;
        };
        let inbox = &mut group.by_recipient[to as usize];
        let mut due = std::mem::take(&mut self.due_scratch);
        let mut kept = std::mem::take(&mut inbox.earliest).into_vec();
        kept.retain(|a| {
            if (a.0, a.1) <= upto {
                due.push(*a);
                false
            } else {
                true
            }
        });
        inbox.earliest = BinaryHeap::from(kept);
        for &(_, _, from, index) in &due {
            let shred = group.shreds[index as usize];
            self.nodes[to as usize].handle_message(t, ValidatorIndex(from), Message::Shred(shred));
        }
        due.clear();
        self.due_scratch = due;
        self.drain(to as usize);
        self.refresh_inbox(to, block, slice);
    }

    /// After the recipient got shreds of the slice (from its inbox or
    /// directly): closes the inbox when it needs no more, else hands over
    /// at once when the arrival that now completes the slice has already
    /// come, and records its completion for the slice's check.
    fn refresh_inbox(&mut self, to: u32, block: BlockId, slice: u32) {
        let node = &self.nodes[to as usize];
        let Some(group) = self.inboxes.get_mut(&(block, slice)) else {
            return;
        };
        if group.by_recipient[to as usize].announce_ns.is_none() || group.closed[to as usize] {
            group.completes[to as usize] = NO_COMPLETION;
            return;
        }
        if !node.needs_shred(block, slice) {
            return group.reset(to as usize, true);
        }
        let inbox = &mut group.by_recipient[to as usize];
        inbox.need = self
            .data_shreds_per_slice
            .saturating_sub(node.shreds_held(block, slice))
            .max(1);
        while inbox.earliest.len() > inbox.need as usize {
            inbox.earliest.pop();
        }
        if inbox.completion().is_some_and(|c| c.0 <= self.now_ns) {
            // A shred that came directly completed the slice now.
            return self.hand_over(to, block, slice, (self.now_ns, u64::MAX));
        }
        if let Some(check) = group.note_completion(to as usize) {
            self.queue_check(block, slice, check);
        }
    }

    /// Queues the slice's completion check at the completing arrival
    /// (ns, sequence).
    fn queue_check(&mut self, block: BlockId, slice: u32, completes: (u64, u64)) {
        self.push_with_seq(
            completes.0,
            completes.1,
            SimEvent::SliceCheck {
                block,
                slice,
                seq: completes.1,
            },
        );
    }

    /// Keeps `arrival` in `earliest` (a max-heap of at most `need`) if it
    /// is among the `need` earliest. Returns whether it was kept.
    fn keep_earliest(need: u32, earliest: &mut BinaryHeap<Arrival>, arrival: Arrival) -> bool {
        if earliest.len() < need as usize {
            earliest.push(arrival);
            true
        } else if let Some(mut top) = earliest.peek_mut().filter(|top| arrival < **top) {
            *top = arrival;
            true
        } else {
            false
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
        let current = match self.nodes[client].node() {
            Some(node) => node.current_slot(),
            None => self.chaos.as_ref().map_or(Slot::GENESIS, |c| c.obs_slot),
        };
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
            let delay = self.net.one_way_ns(client, leader.idx()) + self.jitter_ns();
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
        self.push(
            self.now_ns.saturating_add(next.max(1)),
            SimEvent::ClientTransaction,
        );
    }

    fn jitter_ns(&mut self) -> u64 {
        if self.net.model.jitter_ns == 0 {
            0
        } else {
            self.rng.random_range(0..=self.net.model.jitter_ns)
        }
    }

    /// Delivers `vote` from `from` to validator `r` as a quiet vote
    /// ([`Node::handle_quiet_vote`]) when its stake keeps the votes `r` took
    /// for the slot since its last other input below its bound
    /// ([`Node::vote_quiet_stake`]); returns whether it did. The vote then
    /// changes only `r`'s tallies, so nothing is left to do. Only in a
    /// fault-free run with the shortcuts on (every validator honest).
    fn quiet_vote(&mut self, r: usize, from: u32, vote: &Vote) -> bool {
        if !self.shortcuts || self.chaos.is_some() {
            return false;
        }
        let Validator::Honest(node) = &mut self.nodes[r] else {
            unreachable!("every validator is honest without faults");
        };
        let budgets = &mut self.quiet_lamports[r];
        let i = match budgets.iter().position(|(slot, _)| *slot == vote.slot) {
            Some(i) => i,
            None => {
                budgets.push((vote.slot, node.vote_quiet_stake(vote.slot)));
                budgets.len() - 1
            }
        };
        let stake_lamports = self.schedule.validators().stake(vote.voter).0;
        let budget = &mut budgets[i].1;
        if stake_lamports >= *budget {
            return false;
        }
        *budget -= stake_lamports;
        node.handle_quiet_vote(ValidatorIndex(from), *vote);
        true
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

    /// Validator `v` stored a certificate: copies of it need not reach it,
    /// and votes it completes may be moot there now.
    fn certificate_stored(&mut self, v: usize, key: CertificateKey) {
        if self.links().is_none() {
            mark_stored(
                &mut self.certificate_due,
                self.net.model.n,
                key,
                v,
                self.now_ns,
            );
            return;
        }
        self.tell_links(LinkJob::CertificateStored {
            key,
            to: v as u32,
            at_ns: self.now_ns,
        });
        match key {
            (slot, CertificateKind::FastFinalization | CertificateKind::Notarization, Some(b)) => {
                self.note_moot(v, slot, VoteKind::Notar(b));
            }
            (slot, CertificateKind::Finalization, _) => self.note_moot(v, slot, VoteKind::Final),
            _ => {}
        }
    }

    /// Tells the links when votes of `kind` for `slot` became moot at
    /// validator `v` (they change nothing there any more).
    fn note_moot(&mut self, v: usize, slot: Slot, kind: VoteKind) {
        if self.links.is_none() {
            return;
        }
        let vote = Vote {
            voter: ValidatorIndex(v as u32),
            slot,
            kind,
        };
        if !self.nodes[v].node().is_some_and(|n| n.vote_is_moot(&vote)) {
            return;
        }
        let block = match kind {
            VoteKind::Notar(b) => Some(b),
            _ => None,
        };
        self.tell_links(LinkJob::VotesMoot {
            to: v as u32,
            slot,
            block,
        });
    }

    /// The link part of one message of `bytes` from `from` to `to`: the
    /// sender's uplink (the message leaves after those queued before it),
    /// the counters, the faults on the link, loss, latency and jitter.
    /// Returns the arrival time and whether the recipient must get plain
    /// delivery (no shortcuts), or `None` when the message is dropped.
    ///
    /// `message`: the message's id and the time its bytes take on the
    /// sender's uplink. Jitter and loss are drawn per (message, recipient)
    /// ([`Simulation::link_draw`]).
    fn transmit(
        &mut self,
        from: usize,
        to: usize,
        bytes: u32,
        message: (u64, u64),
    ) -> Option<(u64, bool)> {
        let (id, transmit_ns) = message;
        let depart = self.uplink_depart(from, transmit_ns);
        self.metrics.sent(from, bytes, 1);
        self.link(from, to, bytes, id, depart)
    }

    /// Puts one message of `transmit_ns` on `from`'s uplink, after those
    /// queued before it; returns when it has left.
    fn uplink_depart(&mut self, from: usize, transmit_ns: u64) -> u64 {
        // Capped where the queue stops (nothing beyond it is delivered),
        // so that a very slow uplink cannot overflow.
        let depart = (self.net.uplink_free_ns[from].max(self.now_ns))
            .saturating_add(transmit_ns)
            .min(Queued::AT_NS_LIMIT);
        self.net.uplink_free_ns[from] = depart;
        depart
    }

    /// [`Simulation::transmit`] for a message that leaves the sender's
    /// uplink at `depart`, already counted as sent.
    #[inline(always)]
    fn link(
        &mut self,
        from: usize,
        to: usize,
        bytes: u32,
        id: u64,
        depart: u64,
    ) -> Option<(u64, bool)> {
        if self.chaos.is_some() {
            return self.faulty_link(from, to, bytes, id, depart);
        }
        let arrival = self.network_arrival(from, to, id, depart)?;
        self.metrics.received(to, bytes);
        Some((arrival, !self.shortcuts))
    }

    /// The network model's part of [`Simulation::link`]: `None` when the
    /// message is lost, else `depart` plus the link's latency and jitter.
    #[inline(always)]
    fn network_arrival(&self, from: usize, to: usize, id: u64, depart: u64) -> Option<u64> {
        self.net.model.arrival(from, to, id, depart)
    }

    /// [`Simulation::link`] in a run with faults.
    #[inline(never)]
    fn faulty_link(
        &mut self,
        from: usize,
        to: usize,
        bytes: u32,
        id: u64,
        depart: u64,
    ) -> Option<(u64, bool)> {
        let mut plain = !self.shortcuts;
        let mut extra = None;
        if let Some(c) = &self.chaos {
            if c.partitioned(from, to) {
                return None;
            }
            extra = c.link(from, to);
            plain |= c.plain_delivery(from, to) || self.nodes[to].is_down();
        }
        let mut arrival = self.network_arrival(from, to, id, depart)?;
        if let Some(e) = extra {
            if e.loss_rate > 0.0 && chance(self.link_draw(id, to, 3), e.loss_rate) {
                return None;
            }
            arrival += e.latency_ns;
            if e.jitter_ns > 0 {
                arrival += uniform_upto(self.link_draw(id, to, 4), e.jitter_ns);
            }
            if let Some(bps) = e.bandwidth_bps {
                let c = self.chaos.as_mut().expect("link faults are chaos");
                let done = c.link_transmit(from, to, depart, bytes, bps);
                arrival += done - depart;
            }
        }
        self.metrics.received(to, bytes);
        Some((arrival, plain))
    }

    /// Whether `shred` comes from a leader that is or was Byzantine (its
    /// shreds are delivered plainly: it may send one twice).
    fn byzantine_leader(&self, shred: &Shred) -> bool {
        self.chaos
            .as_ref()
            .is_some_and(|c| c.ever_byzantine[shred.leader.idx()])
    }

    /// [`Simulation::link`] for a message that cannot matter to `to`
    /// (without faults): only whether it is lost and the received counter.
    fn link_counters_only(&mut self, to: usize, bytes: u32, id: u64) {
        if !self.lost(id, to) {
            self.metrics.received(to, bytes);
        }
    }

    /// Whether message `id` is lost on its way to `to` (the network's loss
    /// rate; a link fault's extra loss is drawn apart).
    #[inline(always)]
    fn lost(&self, id: u64, to: usize) -> bool {
        self.net.model.lost(id, to)
    }

    /// [`LinkModel::link_draw`].
    fn link_draw(&self, id: u64, to: usize, purpose: u64) -> u64 {
        self.net.model.link_draw(id, to, purpose)
    }

    /// A new message id and the time `bytes` take on an uplink.
    fn new_message(&mut self, bytes: u32) -> (u64, u64) {
        self.next_message_id += 1;
        (self.next_message_id, self.net.transmit_ns(bytes))
    }

    /// `message` from `from` to every other validator but `except`, in
    /// recipient order. The shortcut state of the message (its
    /// certificate's earliest copies, its slice's inboxes) is looked up once
    /// for all recipients, and the deliveries are queued as one entry.
    fn broadcast(&mut self, from: usize, message: Message, except: Option<ValidatorIndex>) {
        let n = self.net.model.n;
        let bytes = message.wire_bytes();
        let id = self.new_message(bytes);
        if let Message::Shred(shred) = &message {
            if shred.leader.idx() != from {
                let recipients =
                    (0..n).filter(|&to| to != from && except.is_none_or(|e| e.idx() != to));
                return self.relay_shred(from, shred, &message, id, recipients);
            }
        }
        // The uplink sends in recipient order; recipients are visited
        // nearest first, so that the deliveries come out almost sorted by
        // arrival.
        let except = except.map(|e| e.idx()).filter(|&e| e != from);
        let count = n - 1 - usize::from(except.is_some());
        if count == 0 {
            return;
        }
        let start = self.net.uplink_free_ns[from].max(self.now_ns);
        self.net.uplink_free_ns[from] = (count as u64)
            .saturating_mul(id.1)
            .saturating_add(start)
            .min(Queued::AT_NS_LIMIT);
        let base_seq = self.seq;
        self.seq += count as u64;
        self.metrics.sent(from, bytes, count as u64);
        let job = FanoutJob {
            from: from as u32,
            except: except.map(|e| e as u32),
            id: id.0,
            bytes,
            transmit_ns: id.1,
            start_ns: start,
            base_seq,
            kind: match &message {
                Message::Vote(v) => FanoutKind::Vote {
                    slot: v.slot,
                    kind: v.kind,
                },
                Message::Certificate(c) => FanoutKind::Certificate((c.slot, c.kind, c.block)),
                _ => FanoutKind::Other,
            },
        };
        if self.links().is_none() {
            return self.broadcast_with_faults(message, &job);
        }
        let out = self.spare_deliveries.pop().unwrap_or_default();
        match self.links.as_mut() {
            Some(LinkService::Inline(links)) => {
                let Some(LinkReply::Fanout { out, .. }) =
                    links.process(LinkJob::Fanout { slab: 0, job, out })
                else {
                    unreachable!("a broadcast answers its deliveries");
                };
                self.push_fanout(from, message, out);
            }
            Some(LinkService::Worker(_)) => {
                // Queued at the earliest arrival possible, until the
                // worker's answer replaces it with the first delivery.
                let event = SimEvent::Fanout(Fanout {
                    from: from as u32,
                    message,
                    deliveries: Vec::new(),
                    next: 0,
                    placeholder: true,
                    pending: true,
                });
                let earliest_ns = job.earliest_arrival_ns(&self.net.model);
                let slab = self.push_with_seq(earliest_ns, base_seq + 1, event);
                self.submit(LinkJob::Fanout { slab, job, out });
            }
            None => unreachable!("links started"),
        }
    }

    /// [`Simulation::broadcast`] in a run with faults, after the uplink:
    /// each recipient's link goes through the faults at once, with the
    /// delivery shortcuts of `wanted`.
    fn broadcast_with_faults(&mut self, message: Message, job: &FanoutJob) {
        let (from, bytes) = (job.from as usize, job.bytes);
        let except = job.except.map(|e| e as usize);
        let mut due = match &message {
            Message::Certificate(c) => self.certificate_due.remove(&(c.slot, c.kind, c.block)),
            _ => None,
        };
        let mut deliveries = self.spare_deliveries.pop().unwrap_or_default();
        let model = self.net.model.clone();
        for &to in &model.nearest_first[from] {
            let to = to as usize;
            if except == Some(to) {
                continue;
            }
            let (depart, seq) = job.departure(to);
            if let Some((arrival, plain)) = self.link(from, to, bytes, job.id, depart) {
                if plain || self.wanted(to, &message, (arrival, seq), &mut due) {
                    deliveries.push((arrival, seq, to as u32));
                }
            }
        }
        if let (Some(due), Message::Certificate(c)) = (due, &message) {
            self.certificate_due.insert((c.slot, c.kind, c.block), due);
        }
        insertion_sort(&mut deliveries);
        self.push_fanout(from, message, deliveries);
    }

    /// A shred relayed by `from` (not its leader) to `recipients`, in
    /// order: each copy uses the uplink and is counted; it goes to the
    /// recipient's inbox for the slice (looked up once), or is delivered
    /// plainly when a shortcut does not apply.
    fn relay_shred(
        &mut self,
        from: usize,
        shred: &Shred,
        message: &Message,
        id: (u64, u64),
        recipients: impl IntoIterator<Item = usize>,
    ) {
        let bytes = message.wire_bytes();
        let key = (shred.block, shred.slice);
        let n = self.net.model.n;
        let mut group = self
            .inboxes
            .remove(&key)
            .unwrap_or_else(|| SliceInboxes::new(n));
        let index = group.shreds.len() as u32;
        group.shreds.push(*shred);
        let mut sent = 0;
        for to in recipients {
            let depart = self.uplink_depart(from, id.1);
            sent += 1;
            if self.chaos.is_none()
                && (group.closed[to]
                    || depart + self.net.one_way_ns(from, to) >= group.completes[to].0)
            {
                // The recipient rebuilt the slice, or this copy arrives
                // after the arrival that completes it (jitter only adds,
                // and a tie comes later in sequence): only the counters.
                self.link_counters_only(to, bytes, id.0);
                continue;
            }
            if let Some((arrival, plain)) = self.link(from, to, bytes, id.0, depart) {
                if plain || self.byzantine_leader(shred) {
                    self.push(
                        arrival,
                        SimEvent::Deliver {
                            to: to as u32,
                            from: from as u32,
                            message: message.clone(),
                        },
                    );
                } else {
                    self.shred_arrives(&mut group, to, from, arrival, (shred, index));
                }
            }
        }
        self.metrics.sent(from, bytes, sent);
        self.inboxes.insert(key, group);
    }

    /// One message over one link (see [`Simulation::transmit`]), with the
    /// delivery shortcuts.
    fn send(&mut self, from: usize, to: usize, message: Message) {
        let bytes = message.wire_bytes();
        let id = self.new_message(bytes);
        // A shred not from its leader is relayed, or, when its relay is the
        // recipient, a repair answer (section 2.8): that one is delivered as
        // it is, since it may repeat shreds the asker holds, which the slice
        // inboxes (distinct shreds per relay) do not expect.
        let repair_answer = match &message {
            Message::Shred(shred) if shred.leader.idx() != from => {
                if shred.relay.idx() != to {
                    return self.relay_shred(from, shred, &message, id, [to]);
                }
                true
            }
            _ => false,
        };
        let Some((arrival, plain)) = self.transmit(from, to, bytes, id) else {
            return;
        };
        // The sequence `push` gives the delivery.
        let seq = self.seq + 1;
        if !plain && !repair_answer {
            match &message {
                Message::Certificate(c) => {
                    let key = (c.slot, c.kind, c.block);
                    let mut due = self.certificate_due.remove(&key);
                    let wanted = self.wanted(to, &message, (arrival, seq), &mut due);
                    if let Some(due) = due {
                        self.certificate_due.insert(key, due);
                    }
                    if !wanted {
                        return;
                    }
                }
                _ => {
                    if !self.wanted(to, &message, (arrival, seq), &mut None) {
                        return;
                    }
                }
            }
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

    /// Whether a vote or certificate arriving at `to` at `arrival` can
    /// matter there: a certificate the recipient holds, or of which an
    /// earlier copy is already due (`due`, per recipient, created on first
    /// use), is not delivered; nor is a vote that is moot at the recipient.
    fn wanted(
        &self,
        to: usize,
        message: &Message,
        arrival: (u64, u64),
        due: &mut Option<Vec<(u64, u64)>>,
    ) -> bool {
        match message {
            // `due` also holds when each recipient stored the certificate
            // (from its events).
            Message::Certificate(_) => copy_wanted(due, self.net.model.n, to, arrival),
            // Mootness assumes every validator is honest.
            Message::Vote(v) => {
                self.chaos.as_ref().is_some_and(|c| c.any_byzantine)
                    || !self.nodes[to].node().is_some_and(|n| n.vote_is_moot(v))
            }
            _ => true,
        }
    }

    /// A relayed shred (with its index in the slice's shred list) reaches
    /// `to`'s inbox at `arrival` (nothing when the recipient needs no more
    /// of the slice). The first arrival is announced (the recipient learns
    /// the block exists), and again if a later-sent shred arrives sooner;
    /// the slice's completion check moves to the arrival that now completes
    /// it, when that is the earliest.
    fn shred_arrives(
        &mut self,
        group: &mut SliceInboxes,
        to: usize,
        from: usize,
        arrival: u64,
        (shred, index): (&Shred, u32),
    ) {
        if group.closed[to] {
            return;
        }
        let inbox = &mut group.by_recipient[to];
        if inbox.announce_ns.is_none() {
            let node = &self.nodes[to];
            if !node.needs_shred(shred.block, shred.slice) {
                return;
            }
            inbox.need = self
                .data_shreds_per_slice
                .saturating_sub(node.shreds_held(shred.block, shred.slice))
                .max(1);
            inbox.earliest.reserve(inbox.need as usize);
            if node.node().is_some_and(|n| n.knows_block(shred.block)) {
                // Nothing to announce: the recipient knows the block.
                inbox.announce_ns = Some(0);
            }
        }
        self.seq += 1;
        if arrival > self.end_ns {
            // Never handed over: keeping it would only queue announcements
            // and checks after the run's end, and hold the slice's state
            // for as long as the run lasts (a very slow link).
            return;
        }
        let at = (arrival, self.seq);
        let (block, slice) = (shred.block, shred.slice);
        if inbox.announce_ns.is_none_or(|a| arrival < a) {
            inbox.announce_ns = Some(arrival);
            let n = self.net.model.n;
            let first = &mut self
                .announced
                .entry(block)
                .or_insert_with(|| vec![u64::MAX; n])[to];
            if arrival < *first {
                *first = arrival;
                self.push_with_seq(
                    arrival,
                    at.1,
                    SimEvent::SliceInbox {
                        to: to as u32,
                        block,
                        slice,
                        upto_seq: at.1,
                    },
                );
            }
        }
        if Self::keep_earliest(
            inbox.need,
            &mut inbox.earliest,
            (at.0, at.1, from as u32, index),
        ) {
            if let Some(check) = group.note_completion(to) {
                self.queue_check(block, slice, check);
            }
        }
    }

    fn chaos_deadline_ns(&self) -> Option<u64> {
        let c = self.chaos.as_ref()?;
        c.timeline.next_deadline().map(|d| d.as_nanos() as u64)
    }

    /// Polls the timeline and applies the actions due.
    fn poll_chaos(&mut self) {
        let Some(c) = self.chaos.as_mut() else {
            return;
        };
        c.dirty = false;
        let obs = Observation {
            now: Duration::from_nanos(self.now_ns),
            slot: c.obs_slot,
            skipped_in_a_row: c.skipped_in_a_row,
            schedule: &self.schedule,
        };
        let actions = c.timeline.poll(&obs);
        for action in actions {
            self.apply(action);
        }
    }

    fn window_start(&mut self, id: FaultId) {
        let now = self.now_ns;
        let c = self.chaos.as_mut().expect("chaos");
        c.windows.entry(id).or_insert(Window {
            start_ns: now,
            end_ns: None,
            recovered_ns: None,
        });
    }

    fn window_end(&mut self, id: FaultId) {
        let now = self.now_ns;
        let c = self.chaos.as_mut().expect("chaos");
        if let Some(w) = c.windows.get_mut(&id) {
            w.end_ns.get_or_insert(now);
        }
    }

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
    fn apply(&mut self, action: Action) {
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
                let c = self.chaos.as_mut().expect("chaos");
                c.partitions.push((id, group, one_way));
                self.window_start(id);
            }
            Action::Heal { id } => {
                let c = self.chaos.as_mut().expect("chaos");
                c.partitions.retain(|(p, _, _)| *p != id);
                self.window_end(id);
            }
            Action::Crash { id, validators } => {
                self.window_start(id);
                for v in validators {
                    self.crash(v.idx());
                    let c = self.chaos.as_mut().expect("chaos");
                    c.crash_members.entry(id).or_default().insert(v.0);
                }
            }
            Action::Restart { id, validators } => {
                let mut ended = Vec::new();
                for v in &validators {
                    self.restart(v.idx());
                    let c = self.chaos.as_mut().expect("chaos");
                    for (crash, members) in c.crash_members.iter_mut() {
                        if members.remove(&v.0) && members.is_empty() {
                            ended.push(*crash);
                        }
                    }
                }
                ended.sort_unstable();
                ended.dedup();
                for crash in ended {
                    let c = self.chaos.as_mut().expect("chaos");
                    c.crash_members.remove(&crash);
                    self.window_end(crash);
                }
                if !self
                    .chaos
                    .as_ref()
                    .expect("chaos")
                    .windows
                    .contains_key(&id)
                {
                    // A restart fault: a moment.
                    self.window_start(id);
                    self.window_end(id);
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
                let c = self.chaos.as_mut().expect("chaos");
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
                self.window_start(id);
            }
            Action::LinkRestore { id } => {
                let c = self.chaos.as_mut().expect("chaos");
                c.link_faults.retain(|f| f.id != id);
                c.rebuild_links();
                self.window_end(id);
            }
            Action::Clock {
                id,
                validators,
                rate,
                jump_ns,
            } => {
                for v in &validators {
                    let c = self.chaos.as_mut().expect("chaos");
                    c.clocks[v.idx()].set(now, rate, jump_ns);
                    self.retime_timers(v.idx());
                }
                self.window_start(id);
            }
            Action::ClockRestore { id, validators } => {
                for v in &validators {
                    let c = self.chaos.as_mut().expect("chaos");
                    c.clocks[v.idx()].set(now, 1.0, 0);
                    self.retime_timers(v.idx());
                }
                self.window_end(id);
            }
            Action::Byzantine {
                id,
                validators,
                behaviour,
            } => {
                for v in &validators {
                    let i = v.idx();
                    let c = self.chaos.as_mut().expect("chaos");
                    c.behaviour[i] = Some(behaviour);
                    c.ever_byzantine[i] = true;
                    c.any_byzantine = true;
                    let node = match std::mem::replace(&mut self.nodes[i], Validator::Down) {
                        Validator::Honest(n) => Some(n),
                        Validator::Byzantine(b) => Some(b.into_inner()),
                        Validator::Down => None,
                    };
                    if let Some(node) = node {
                        self.nodes[i] =
                            Validator::Byzantine(Box::new(ByzantineNode::new(node, behaviour)));
                    }
                }
                self.window_start(id);
            }
            Action::Honest { id, validators } => {
                for v in &validators {
                    let i = v.idx();
                    let c = self.chaos.as_mut().expect("chaos");
                    c.behaviour[i] = None;
                    if let Validator::Byzantine(b) =
                        std::mem::replace(&mut self.nodes[i], Validator::Down)
                    {
                        self.nodes[i] = Validator::Honest(b.into_inner());
                    }
                }
                self.window_end(id);
            }
        }
    }

    /// Validator `v` stops: its state, timers and shortcut entries go.
    fn crash(&mut self, v: usize) {
        self.nodes[v] = Validator::Down;
        let c = self.chaos.as_mut().expect("chaos");
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
    fn restart(&mut self, v: usize) {
        let node = Node::new(
            ValidatorIndex(v as u32),
            self.config.clone(),
            self.schedule.clone(),
        );
        let c = self.chaos.as_mut().expect("chaos");
        c.generation[v] = c.generation[v].wrapping_add(1);
        self.nodes[v] = match c.behaviour[v] {
            Some(b) => Validator::Byzantine(Box::new(ByzantineNode::new(node, b))),
            None => Validator::Honest(node),
        };
        c.restarts.push(Restart {
            validator: v as u32,
            at_ns: self.now_ns,
            slot_then: c.correct_highest,
            caught_up_ns: None,
        });
        let certs = c.recent_certificates();
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
    fn retime_timers(&mut self, v: usize) {
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

    /// The faults of the scenario that had not started by now (see
    /// [`whiteout_results::Report::faults_not_started`]); empty without
    /// chaos.
    pub fn faults_not_started(&self) -> Vec<FaultNotStarted> {
        let Some(c) = &self.chaos else {
            return Vec::new();
        };
        c.timeline
            .not_started()
            .into_iter()
            .map(|info| FaultNotStarted {
                name: info.name.clone(),
                kind: info.kind.to_string(),
                target: info.target.clone(),
                start: info.start.to_string(),
            })
            .collect()
    }

    /// The faults that applied, in start order, with the times their
    /// actions applied.
    pub fn fault_windows(&self) -> Vec<FaultWindow> {
        let Some(c) = &self.chaos else {
            return Vec::new();
        };
        let mut out: Vec<(u64, FaultId, FaultWindow)> = c
            .windows
            .iter()
            .map(|(&id, w)| {
                let info = &c.timeline.faults[id];
                (
                    w.start_ns,
                    id,
                    FaultWindow {
                        name: info.name.clone(),
                        kind: info.kind.to_string(),
                        target: info.target.clone(),
                        start_s: w.start_ns as f64 / NS_PER_S as f64,
                        end_s: w.end_ns.map(|e| e as f64 / NS_PER_S as f64),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(t, id, _)| (*t, *id));
        out.into_iter().map(|(_, _, f)| f).collect()
    }

    /// The verdicts so far (`None` for a run without chaos).
    pub fn verdicts(&self) -> Option<Verdicts> {
        let c = self.chaos.as_ref()?;
        let s = |ns: u64| ns as f64 / NS_PER_S as f64;
        let (stall_start, stall) = c.longest_stall_at(self.now_ns);
        let max_stall_s = c.expect.max_stall.map(|d| d.as_secs_f64());
        let safety_violations = self.metrics.safety_violations();
        let now_s = self.now_ns.div_ceil(NS_PER_S);
        let mut faults: Vec<(u64, FaultId, FaultVerdict)> = c
            .windows
            .iter()
            .map(|(&id, w)| {
                let start = w.start_ns / NS_PER_S;
                let end = w
                    .end_ns
                    .map_or(now_s, |e| e.div_ceil(NS_PER_S))
                    .max(start + 1);
                let len = (end - start).min(60);
                (
                    w.start_ns,
                    id,
                    FaultVerdict {
                        name: c.timeline.faults[id].name.clone(),
                        recovery_s: w
                            .end_ns
                            .zip(w.recovered_ns)
                            .map(|(e, r)| s(r.saturating_sub(e))),
                        during: self.metrics.window_figures(start, end),
                        before: (start > 0).then(|| {
                            self.metrics
                                .window_figures(start.saturating_sub(len), start)
                        }),
                    },
                )
            })
            .collect();
        faults.sort_by_key(|(t, id, _)| (*t, *id));
        Some(Verdicts {
            safe: safety_violations == 0,
            safety_expected: c.expect.safety,
            longest_stall_s: s(stall),
            longest_stall_start_s: s(stall_start),
            max_stall_s,
            liveness_ok: max_stall_s.is_none_or(|m| s(stall) <= m),
            faults: faults.into_iter().map(|(_, _, f)| f).collect(),
            restarts: c
                .restarts
                .iter()
                .map(|r| RestartCatchUp {
                    validator: r.validator,
                    restart_s: s(r.at_ns),
                    catch_up_s: r.caught_up_ns.map(|t| s(t - r.at_ns)),
                })
                .collect(),
        })
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
