//! The links of a fault-free run: each broadcast's arrivals at its
//! recipients, with the exact delivery shortcuts of votes and certificates,
//! computed either inline or on a second thread.
//!
//! A broadcast's link work (loss, latency and jitter per recipient, the
//! order of arrival, which copies can matter) depends only on the static
//! network model, the broadcast itself and what the recipients had when it
//! was sent. The simulation hands that knowledge over as a stream of jobs
//! ([`LinkJob`]): notices (a certificate stored, votes that became moot)
//! and broadcasts, in the order it issues them. [`Links`] processes the
//! stream in that order, so its answers are a pure function of the stream:
//! the same whether it runs inline or on the worker thread
//! ([`LinkWorker`]), and whatever the thread timing.
//!
//! Architecture Invariant: nothing here reads a clock, draws from a
//! thread-local generator or looks at a node; the worker thread changes
//! when an answer is computed, never what it is.

use std::collections::BTreeMap;
use std::sync::atomic::{fence, AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rtrb::{Consumer, Producer, PushError, RingBuffer};

use whiteout_node::{mix64, BlockHash, CertificateKind, Slot, VoteKind};

/// One arrival of a broadcast: (arrival ns, sequence, recipient).
pub(super) type Delivery = (u64, u64, u32);

/// A certificate, as the shortcuts tell copies apart: (slot, kind, block).
pub(super) type CertificateKey = (Slot, CertificateKind, Option<BlockHash>);

/// A uniform integer in `[0, max]` from 64 random bits.
pub(super) fn uniform_upto(bits: u64, max: u64) -> u64 {
    ((u128::from(bits) * (u128::from(max) + 1)) >> 64) as u64
}

/// Whether an event of probability `rate` happens, from 64 random bits.
pub(super) fn chance(bits: u64, rate: f64) -> bool {
    ((bits >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < rate
}

/// Sorts by (arrival, sequence); fast on almost sorted lists.
pub(super) fn insertion_sort(list: &mut [Delivery]) {
    for i in 1..list.len() {
        let item = list[i];
        let mut j = i;
        while j > 0 && (list[j - 1].0, list[j - 1].1) > (item.0, item.1) {
            list[j] = list[j - 1];
            j -= 1;
        }
        list[j] = item;
    }
}

/// When no copy of a certificate is due at a recipient, nor stored there.
pub(super) const NO_COPY: (u64, u64) = (u64::MAX, u64::MAX);

/// Records in `due` (per certificate, per recipient, as in [`copy_wanted`];
/// `n` validators) that validator `to` stored certificate `key` during an
/// event at `at_ns`: every copy still to come sorts after (at_ns, 0).
pub(super) fn mark_stored(
    due: &mut BTreeMap<CertificateKey, Vec<(u64, u64)>>,
    n: usize,
    key: CertificateKey,
    to: usize,
    at_ns: u64,
) {
    due.entry(key).or_insert_with(|| vec![NO_COPY; n])[to] = (at_ns, 0);
}

/// Whether a copy of a certificate arriving at `to` at `arrival`
/// (ns, sequence) can matter there: not when the recipient stored the
/// certificate, or a copy is due there, no later (`due`, per recipient:
/// (ns, sequence) of the storage or of the earliest copy queued; created on
/// first use). Records the copy as due when it can.
pub(super) fn copy_wanted(
    due: &mut Option<Vec<(u64, u64)>>,
    n: usize,
    to: usize,
    arrival: (u64, u64),
) -> bool {
    let due = due.get_or_insert_with(|| vec![NO_COPY; n]);
    if due[to] <= arrival {
        return false;
    }
    due[to] = arrival;
    true
}

/// The static network model: what a link does to a message, per directed
/// link and per (message, recipient) draw.
#[derive(Debug)]
pub(super) struct LinkModel {
    /// Validators.
    pub n: usize,
    /// One-way latency (ns), `n * n`, indexed `from * n + to`.
    pub latency_ns: Vec<u64>,
    /// Jitter is uniform in `[0, jitter_ns]`.
    pub jitter_ns: u64,
    /// Probability that a message is lost on a link.
    pub loss_rate: f64,
    /// Per sender, the other validators by increasing latency.
    pub nearest_first: Vec<Vec<u32>>,
    /// Key of the per-message link draws, from the seed.
    pub link_key: u64,
}

impl LinkModel {
    /// One-way latency from `from` to `to` (ns), before jitter.
    #[inline(always)]
    pub fn one_way_ns(&self, from: usize, to: usize) -> u64 {
        self.latency_ns[from * self.n + to]
    }

    /// Draws for message `id` on its link to `to`: counter-based (a hash of
    /// the run's link key, the message id, the recipient and `purpose`),
    /// so every (message, recipient) pair has draws of its own whatever
    /// else is drawn: a delivery a shortcut skips shifts nothing.
    #[inline(always)]
    pub fn link_draw(&self, id: u64, to: usize, purpose: u64) -> u64 {
        mix64(self.link_key ^ mix64(id ^ ((to as u64) << 44) ^ (purpose << 60)))
    }

    /// Whether message `id` is lost on its way to `to` (the network's loss
    /// rate; a link fault's extra loss is drawn apart).
    #[inline(always)]
    pub fn lost(&self, id: u64, to: usize) -> bool {
        self.loss_rate > 0.0 && chance(self.link_draw(id, to, 1), self.loss_rate)
    }

    /// `None` when message `id` is lost on its way from `from` to `to`,
    /// else `depart` plus the link's latency and jitter (ns).
    #[inline(always)]
    pub fn arrival(&self, from: usize, to: usize, id: u64, depart: u64) -> Option<u64> {
        if self.lost(id, to) {
            return None;
        }
        let mut arrival = depart + self.one_way_ns(from, to);
        if self.jitter_ns > 0 {
            arrival += uniform_upto(self.link_draw(id, to, 2), self.jitter_ns);
        }
        Some(arrival)
    }
}

/// A broadcast as the links see it: who sends, to whom not, which message
/// (id and bytes), when its first copy starts on the sender's uplink and
/// the sequence numbers reserved for its copies.
#[derive(Clone, Copy, Debug)]
pub(super) struct FanoutJob {
    /// The sender.
    pub from: u32,
    /// A recipient left out (never the sender).
    pub except: Option<u32>,
    /// The message id (for the link draws).
    pub id: u64,
    /// Wire size.
    pub bytes: u32,
    /// Time one copy takes on the sender's uplink (ns).
    pub transmit_ns: u64,
    /// When the first copy starts on the uplink (ns); the copies leave in
    /// recipient order, one `transmit_ns` apart.
    pub start_ns: u64,
    /// The copy to the recipient at uplink position `p` has sequence
    /// `base_seq + p + 1`.
    pub base_seq: u64,
    /// What the shortcuts look at.
    pub kind: FanoutKind,
}

impl FanoutJob {
    /// When the copy to `to` leaves the sender's uplink (ns) and its
    /// sequence: copies leave in recipient order, skipping the sender and
    /// `except`.
    #[inline(always)]
    pub fn departure(&self, to: usize) -> (u64, u64) {
        let from = self.from as usize;
        let except = self.except.map(|e| e as usize);
        let position =
            (to - usize::from(from < to) - usize::from(except.is_some_and(|e| e < to))) as u64;
        (
            self.start_ns + (position + 1) * self.transmit_ns,
            self.base_seq + position + 1,
        )
    }

    /// No copy can arrive before this (ns): the first departure plus the
    /// sender's nearest link, without jitter.
    pub fn earliest_arrival_ns(&self, model: &LinkModel) -> u64 {
        let from = self.from as usize;
        let nearest = model.nearest_first[from]
            .first()
            .map_or(0, |&to| model.one_way_ns(from, to as usize));
        self.start_ns + self.transmit_ns + nearest
    }
}

/// The part of a broadcast's message the shortcuts look at.
#[derive(Clone, Copy, Debug)]
pub(super) enum FanoutKind {
    /// A vote for `slot`: skipped where it is moot.
    Vote { slot: Slot, kind: VoteKind },
    /// A certificate: skipped where it is stored, or a copy is due no
    /// later.
    Certificate(CertificateKey),
    /// Anything else: delivered everywhere.
    Other,
}

/// What the simulation tells the links, in the order it happens.
#[derive(Debug)]
pub(super) enum LinkJob {
    /// Compute a broadcast's deliveries into `out` (an empty list, kept
    /// for reuse); the answer names the queue slot `slab`.
    Fanout {
        slab: u32,
        job: FanoutJob,
        out: Vec<Delivery>,
    },
    /// Validator `to` stored a certificate at `at_ns`.
    CertificateStored {
        key: CertificateKey,
        to: u32,
        at_ns: u64,
    },
    /// At validator `to`, votes of `slot` became moot
    /// (`SimulatorHooks::vote_is_moot`): NotarVotes for `block`, or FinalVotes when
    /// `block` is `None`.
    VotesMoot {
        to: u32,
        slot: Slot,
        block: Option<BlockHash>,
    },
    /// Every validator has pruned the slots below `floor`.
    Prune { floor: Slot },
    /// Answer with the received and lost counters gathered since the last
    /// time.
    Counters,
}

/// What the links answer, in the order of the jobs that ask for one.
#[derive(Debug)]
pub(super) enum LinkReply {
    /// The deliveries of the broadcast queued at `slab`, ascending by
    /// (arrival, sequence).
    Fanout { slab: u32, out: Vec<Delivery> },
    /// Per validator, (messages, bytes) received and (messages, bytes) lost since
    /// the last counters.
    Counters(Vec<Counts>),
}

/// Per validator: (messages, bytes) received, (messages, bytes) lost.
pub(super) type Counts = (u64, u64, u64, u64);

/// Slots of moot-vote knowledge kept per validator (a ring; older slots are
/// forgotten, which only means their votes are delivered).
const MOOT_SLOTS: usize = 256;

/// Where validator `to`'s knowledge of `slot` sits in [`Links::moot`], of
/// `n` validators: slot-major, so that a broadcast's recipients read
/// neighbouring entries.
fn moot_index(n: usize, to: usize, slot: Slot) -> usize {
    slot.0 as usize % MOOT_SLOTS * n + to
}

/// What is known moot at one validator for one slot.
#[derive(Clone, Copy, Debug, Default)]
struct Moot {
    slot: Slot,
    notar: Option<BlockHash>,
    finals: bool,
}

/// The links' state: the network model and the shortcut knowledge of
/// votes and certificates, fed by [`LinkJob`]s in order.
#[derive(Debug)]
pub(super) struct Links {
    model: Arc<LinkModel>,
    /// The exact delivery shortcuts are on.
    shortcuts: bool,
    /// Per certificate, per recipient: (ns, sequence) when it stored the
    /// certificate or of the earliest copy queued to it; [`NO_COPY`] for
    /// neither.
    certificate_due: BTreeMap<CertificateKey, Vec<(u64, u64)>>,
    /// A ring of [`MOOT_SLOTS`] slots, each with an entry per validator.
    moot: Vec<Moot>,
    /// Per validator, (messages, bytes) received and (messages, bytes) lost since
    /// the last counters.
    received: Vec<Counts>,
}

impl Links {
    pub fn new(model: Arc<LinkModel>, shortcuts: bool) -> Self {
        let n = model.n;
        Self {
            model,
            shortcuts,
            certificate_due: BTreeMap::new(),
            moot: vec![Moot::default(); n * MOOT_SLOTS],
            received: vec![(0, 0, 0, 0); n],
        }
    }

    /// Processes one job; returns the answer when the job asks for one.
    pub fn process(&mut self, job: LinkJob) -> Option<LinkReply> {
        match job {
            LinkJob::Fanout { slab, job, mut out } => {
                self.fanout(&job, &mut out);
                Some(LinkReply::Fanout { slab, out })
            }
            LinkJob::CertificateStored { key, to, at_ns } => {
                mark_stored(
                    &mut self.certificate_due,
                    self.model.n,
                    key,
                    to as usize,
                    at_ns,
                );
                None
            }
            LinkJob::VotesMoot { to, slot, block } => {
                let entry = &mut self.moot[moot_index(self.model.n, to as usize, slot)];
                if entry.slot != slot {
                    *entry = Moot {
                        slot,
                        ..Moot::default()
                    };
                }
                match block {
                    Some(b) => entry.notar = Some(b),
                    None => entry.finals = true,
                }
                None
            }
            LinkJob::Prune { floor } => {
                self.certificate_due
                    .retain(|(slot, _, _), _| *slot >= floor);
                None
            }
            LinkJob::Counters => Some(LinkReply::Counters(std::mem::replace(
                &mut self.received,
                vec![(0, 0, 0, 0); self.model.n],
            ))),
        }
    }

    /// Whether a vote of `kind` for `slot` is known moot at `to` (`row`:
    /// the entries of [`Links::moot`] where `slot` sits, one per validator).
    fn vote_moot(row: &[Moot], to: usize, slot: Slot, kind: VoteKind) -> bool {
        let entry = &row[to];
        entry.slot == slot
            && match kind {
                VoteKind::Notar(b) => entry.notar == Some(b),
                VoteKind::Final => entry.finals,
                _ => false,
            }
    }

    /// The deliveries of one broadcast, ascending by (arrival, sequence):
    /// every recipient the message is not lost to, but those where it
    /// cannot matter (with the shortcuts on). Each copy not lost is counted
    /// as received.
    fn fanout(&mut self, job: &FanoutJob, out: &mut Vec<Delivery>) {
        // Borrowed field by field: no reference count is touched (its
        // cache line is the model's, which the simulation thread reads).
        let Self {
            model,
            shortcuts,
            certificate_due,
            moot,
            received,
        } = self;
        let model: &LinkModel = model;
        let shortcuts = *shortcuts;
        let from = job.from as usize;
        let except = job.except.map(|e| e as usize);
        let mut due = match job.kind {
            FanoutKind::Certificate(key) if shortcuts => certificate_due.remove(&key),
            _ => None,
        };
        let moot_row = match job.kind {
            FanoutKind::Vote { slot, .. } => {
                let first = moot_index(model.n, 0, slot);
                &moot[first..first + model.n]
            }
            _ => &[],
        };
        let mut count = |to: usize, lost: bool| {
            let r = &mut received[to];
            if lost {
                r.2 += 1;
                r.3 += u64::from(job.bytes);
            } else {
                r.0 += 1;
                r.1 += u64::from(job.bytes);
            }
        };
        for &to in &model.nearest_first[from] {
            let to = to as usize;
            if except == Some(to) {
                continue;
            }
            let (depart, seq) = job.departure(to);
            if let (true, FanoutKind::Certificate(_), Some(d)) = (shortcuts, job.kind, &due) {
                // The recipient holds the certificate, or a copy is due
                // there no later than this one can arrive (jitter only
                // adds, and a tie comes later in sequence): only the
                // counters.
                if d[to] <= (depart + model.one_way_ns(from, to), seq) {
                    count(to, model.lost(job.id, to));
                    continue;
                }
            }
            let Some(arrival) = model.arrival(from, to, job.id, depart) else {
                count(to, true);
                continue;
            };
            count(to, false);
            let wanted = !shortcuts
                || match job.kind {
                    FanoutKind::Vote { slot, kind } => !Self::vote_moot(moot_row, to, slot, kind),
                    FanoutKind::Certificate(_) => {
                        copy_wanted(&mut due, model.n, to, (arrival, seq))
                    }
                    FanoutKind::Other => true,
                };
            if wanted {
                out.push((arrival, seq, to as u32));
            }
        }
        if let (Some(due), FanoutKind::Certificate(key)) = (due, job.kind) {
            certificate_due.insert(key, due);
        }
        insertion_sort(out);
    }
}

/// Polls of an empty ring before a thread parks or yields (spinning keeps
/// the hand-over between the two threads short; parking keeps an idle
/// worker from burning a core).
const SPINS: u32 = 1 << 14;

/// Longest nap of an idle worker between looks at its ring.
const PARK_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1);

/// Capacity of the job and answer rings.
const RING_CAPACITY: usize = 1 << 14;

/// [`Links`] on a thread of its own: jobs go in, answers come back in the
/// order of their jobs (two single-producer single-consumer rings).
#[derive(Debug)]
pub(super) struct LinkWorker {
    jobs: Option<Producer<LinkJob>>,
    replies: Consumer<LinkReply>,
    /// The worker found no job for a while and parks until woken.
    sleeping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LinkWorker {
    /// Starts the thread.
    ///
    /// # Errors
    /// When the thread cannot be spawned.
    pub fn start(mut links: Links) -> std::io::Result<Self> {
        let (jobs, mut job_rx) = RingBuffer::<LinkJob>::new(RING_CAPACITY);
        let (mut reply_tx, replies) = RingBuffer::<LinkReply>::new(RING_CAPACITY);
        let sleeping = Arc::new(AtomicBool::new(false));
        let asleep = sleeping.clone();
        let thread = std::thread::Builder::new()
            .name("whiteout-links".into())
            .spawn(move || {
                let mut idle = 0;
                loop {
                    let Ok(job) = job_rx.pop() else {
                        if job_rx.is_abandoned() {
                            return;
                        }
                        idle += 1;
                        if idle < SPINS {
                            std::hint::spin_loop();
                        } else {
                            // Announce the nap, then look once more: a job
                            // pushed after the look finds the flag set and
                            // wakes the thread (both sides fence between
                            // their store and their load). The timeout only
                            // bounds the cost of a wake-up this missed.
                            asleep.store(true, AtomicOrdering::SeqCst);
                            fence(AtomicOrdering::SeqCst);
                            if job_rx.is_empty() && !job_rx.is_abandoned() {
                                std::thread::park_timeout(PARK_TIMEOUT);
                            }
                            asleep.store(false, AtomicOrdering::SeqCst);
                            idle = 0;
                        }
                        continue;
                    };
                    idle = 0;
                    let Some(mut reply) = links.process(job) else {
                        continue;
                    };
                    // The simulation takes answers while it waits to
                    // hand over a job, so a full ring drains.
                    while let Err(PushError::Full(r)) = reply_tx.push(reply) {
                        if reply_tx.is_abandoned() {
                            return;
                        }
                        reply = r;
                        std::hint::spin_loop();
                    }
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            replies,
            sleeping,
            thread: Some(thread),
        })
    }

    /// Hands `job` to the thread, or gives it back when the ring is full
    /// (take an answer, then try again).
    ///
    /// # Panics
    /// When the thread has died (it panicked).
    pub fn try_submit(&mut self, job: LinkJob) -> Result<(), LinkJob> {
        let jobs = self.jobs.as_mut().expect("worker running");
        assert!(!jobs.is_abandoned(), "the link worker stopped");
        match jobs.push(job) {
            Ok(()) => {
                // The job must be visible before the flag is read (see the
                // worker's nap).
                fence(AtomicOrdering::SeqCst);
                if self.sleeping.load(AtomicOrdering::SeqCst) {
                    self.wake();
                }
                Ok(())
            }
            Err(PushError::Full(job)) => Err(job),
        }
    }

    /// The next answer, if one is there.
    ///
    /// # Panics
    /// When the thread has died (it panicked) before answering.
    pub fn try_reply(&mut self) -> Option<LinkReply> {
        match self.replies.pop() {
            Ok(r) => Some(r),
            Err(_) => {
                assert!(
                    !(self.replies.is_abandoned() && self.replies.is_empty()),
                    "the link worker stopped"
                );
                None
            }
        }
    }

    /// The next answer, waiting for it.
    ///
    /// # Panics
    /// When the thread has died (it panicked).
    pub fn reply(&mut self) -> LinkReply {
        let mut polls = 0u32;
        loop {
            if let Some(r) = self.try_reply() {
                return r;
            }
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(SPINS) {
                // A long wait: the worker may be descheduled.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    fn wake(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }
}

impl Drop for LinkWorker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        self.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four validators on a line, 1 ms apart, no jitter or loss.
    fn model() -> Arc<LinkModel> {
        let n = 4;
        let latency_ns = (0..n * n)
            .map(|i| ((i / n) as i64 - (i % n) as i64).unsigned_abs() * 1_000_000)
            .collect::<Vec<u64>>();
        let nearest_first = (0..n)
            .map(|from| {
                let mut others: Vec<u32> = (0..n as u32).filter(|&t| t as usize != from).collect();
                others.sort_by_key(|&t| (latency_ns[from * n + t as usize], t));
                others
            })
            .collect();
        Arc::new(LinkModel {
            n,
            latency_ns,
            jitter_ns: 0,
            loss_rate: 0.0,
            nearest_first,
            link_key: 7,
        })
    }

    fn job(from: u32, start_ns: u64, base_seq: u64, kind: FanoutKind) -> FanoutJob {
        FanoutJob {
            from,
            except: None,
            id: base_seq,
            bytes: 100,
            transmit_ns: 10,
            start_ns,
            base_seq,
            kind,
        }
    }

    fn fanout(links: &mut Links, job: FanoutJob) -> Vec<Delivery> {
        match links.process(LinkJob::Fanout {
            slab: 0,
            job,
            out: Vec::new(),
        }) {
            Some(LinkReply::Fanout { out, .. }) => out,
            other => panic!("{other:?}"),
        }
    }

    fn counters(links: &mut Links) -> Vec<(u64, u64)> {
        match links.process(LinkJob::Counters) {
            Some(LinkReply::Counters(c)) => c.into_iter().map(|(m, b, _, _)| (m, b)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_broadcast_reaches_everyone_else_in_order_of_arrival() {
        let model = model();
        let mut links = Links::new(model.clone(), true);
        let j = job(1, 0, 100, FanoutKind::Other);
        let out = fanout(&mut links, j);
        // Uplink order is recipient order (0, 2, 3): departures 10, 20, 30.
        assert_eq!(
            out,
            vec![
                (1_000_010, 101, 0),
                (1_000_020, 102, 2),
                (2_000_030, 103, 3)
            ]
        );
        assert!(j.earliest_arrival_ns(&model) <= out[0].0);
        assert_eq!(
            counters(&mut links),
            vec![(1, 100), (0, 0), (1, 100), (1, 100)]
        );
        assert_eq!(counters(&mut links), vec![(0, 0); 4], "counters restart");
    }

    #[test]
    fn a_certificate_copy_goes_only_where_it_can_come_first() {
        let key = (Slot(5), CertificateKind::Notarization, Some(BlockHash(9)));
        let mut links = Links::new(model(), true);
        // Validator 3 stored it (at time 0).
        links.process(LinkJob::CertificateStored {
            key,
            to: 3,
            at_ns: 0,
        });
        // From validator 0: copies due at 1 (1_000_010 ns) and 2
        // (2_000_020 ns), not at 3, which holds it.
        let first = fanout(&mut links, job(0, 0, 10, FanoutKind::Certificate(key)));
        assert_eq!(
            first,
            vec![(1_000_010, 11, 1), (2_000_020, 12, 2)],
            "not to validator 3, which holds it"
        );
        // From validator 2: its copy to 1 cannot come before the one due
        // (it leaves at 20 ns, 1 ms away), nor to 3; only 0 gets one.
        let second = fanout(&mut links, job(2, 0, 20, FanoutKind::Certificate(key)));
        assert_eq!(second, vec![(2_000_010, 21, 0)]);
        // Every copy not lost still counts as received.
        let c = counters(&mut links);
        assert_eq!(c.iter().map(|r| r.0).sum::<u64>(), 6);
        // Without the shortcuts, every copy is delivered.
        let mut plain = Links::new(model(), false);
        plain.process(LinkJob::CertificateStored {
            key,
            to: 3,
            at_ns: 0,
        });
        assert_eq!(
            fanout(&mut plain, job(0, 0, 10, FanoutKind::Certificate(key))).len(),
            3
        );
    }

    #[test]
    fn a_vote_skips_validators_where_it_is_moot() {
        let b = BlockHash(3);
        let notar = FanoutKind::Vote {
            slot: Slot(8),
            kind: VoteKind::Notar(b),
        };
        let mut links = Links::new(model(), true);
        links.process(LinkJob::VotesMoot {
            to: 2,
            slot: Slot(8),
            block: Some(b),
        });
        links.process(LinkJob::VotesMoot {
            to: 3,
            slot: Slot(8),
            block: None,
        });
        let to = |out: Vec<Delivery>| out.iter().map(|d| d.2).collect::<Vec<_>>();
        assert_eq!(to(fanout(&mut links, job(0, 0, 1, notar))), vec![1, 3]);
        let other_block = FanoutKind::Vote {
            slot: Slot(8),
            kind: VoteKind::Notar(BlockHash(4)),
        };
        assert_eq!(
            to(fanout(&mut links, job(0, 0, 5, other_block))),
            vec![1, 2, 3]
        );
        let final_vote = FanoutKind::Vote {
            slot: Slot(8),
            kind: VoteKind::Final,
        };
        assert_eq!(to(fanout(&mut links, job(0, 0, 9, final_vote))), vec![1, 2]);
        // A later slot in the same ring place forgets slot 8.
        links.process(LinkJob::VotesMoot {
            to: 2,
            slot: Slot(8 + MOOT_SLOTS as u64),
            block: None,
        });
        assert_eq!(to(fanout(&mut links, job(0, 0, 13, notar))), vec![1, 2, 3]);
    }

    #[test]
    fn the_worker_answers_as_the_links_do() {
        let key = (Slot(2), CertificateKind::Finalization, None);
        let jobs = || {
            vec![
                LinkJob::CertificateStored {
                    key,
                    to: 1,
                    at_ns: 0,
                },
                LinkJob::Fanout {
                    slab: 4,
                    job: job(0, 0, 1, FanoutKind::Certificate(key)),
                    out: Vec::new(),
                },
                LinkJob::Fanout {
                    slab: 9,
                    job: job(3, 50, 5, FanoutKind::Other),
                    out: Vec::new(),
                },
                LinkJob::Counters,
            ]
        };
        let mut inline = Links::new(model(), true);
        let expected: Vec<String> = jobs()
            .into_iter()
            .filter_map(|j| inline.process(j))
            .map(|r| format!("{r:?}"))
            .collect();
        let mut worker = LinkWorker::start(Links::new(model(), true)).expect("spawn");
        for j in jobs() {
            worker.try_submit(j).expect("room in the ring");
        }
        let got: Vec<String> = (0..expected.len())
            .map(|_| format!("{:?}", worker.reply()))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(expected.len(), 3);
    }
}
