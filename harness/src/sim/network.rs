//! The network model: each validator's uplink, per-link latency, jitter
//! and loss (through the active link faults and partitions in a run with
//! faults), and the link service that computes a fault-free run's
//! broadcasts inline or on the link worker.

use std::sync::Arc;

use whiteout_node::{Message, Shred, ValidatorIndex};

use super::links::{
    chance, insertion_sort, uniform_upto, Counts, FanoutJob, FanoutKind, LinkJob, LinkModel,
    LinkReply, LinkWorker, Links,
};
use super::queue::{Fanout, Queued, SimEvent};
use super::Simulation;
use crate::limits::NS_PER_S;
use crate::observe::{Traffic, TrafficKind};

/// Link model of the whole network: the static links, shared with the
/// link worker, and each validator's uplink.
#[derive(Debug)]
pub(super) struct Network {
    pub(super) model: Arc<LinkModel>,
    pub(super) bandwidth_bps: u64,
    pub(super) uplink_free_ns: Vec<u64>,
}

impl Network {
    pub(super) fn transmit_ns(&self, bytes: u32) -> u64 {
        (u64::from(bytes) * 8 * NS_PER_S).div_ceil(self.bandwidth_bps)
    }

    /// One-way latency from `from` to `to` (ns), before jitter.
    #[inline(always)]
    pub(super) fn one_way_ns(&self, from: usize, to: usize) -> u64 {
        self.model.one_way_ns(from, to)
    }
}

/// Who computes the links of a fault-free run's votes and certificates.
#[derive(Debug)]
pub(super) enum LinkService {
    /// This thread, at once.
    Inline(Box<Links>),
    /// The link worker thread; answers come back later.
    Worker(LinkWorker),
}

impl Simulation {
    /// The links of a fault-free run, started at first use (`None` with
    /// faults).
    pub(super) fn links(&mut self) -> Option<&mut LinkService> {
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
    pub(super) fn tell_links(&mut self, job: LinkJob) {
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
    pub(super) fn submit(&mut self, mut job: LinkJob) {
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
    pub(super) fn take_reply(&mut self, wait: bool) -> Option<Vec<Counts>> {
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

    /// Feeds the received and lost counters the links gathered into the
    /// stream, waiting for the link worker to catch up.
    pub(super) fn sync_links(&mut self) {
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
        let now = self.now_ns;
        for (to, (messages, bytes, lost, lost_bytes)) in counters.into_iter().enumerate() {
            if lost > 0 {
                self.count_dropped(to, lost, lost_bytes);
            }
            if messages > 0 {
                self.count_received(None, to, messages, bytes, now);
            }
        }
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
    pub(super) fn transmit(
        &mut self,
        from: usize,
        to: usize,
        bytes: u32,
        message: (u64, u64),
    ) -> Option<(u64, bool)> {
        let (id, transmit_ns) = message;
        let depart = self.uplink_depart(from, transmit_ns);
        self.count_sent(from, bytes, 1);
        self.link(from, to, bytes, id, depart)
    }

    /// Puts one message of `transmit_ns` on `from`'s uplink, after those
    /// queued before it; returns when it has left.
    pub(super) fn uplink_depart(&mut self, from: usize, transmit_ns: u64) -> u64 {
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
    pub(super) fn link(
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
        let Some(arrival) = self.network_arrival(from, to, id, depart) else {
            self.count_dropped(to, 1, u64::from(bytes));
            return None;
        };
        self.count_received(Some(from), to, 1, u64::from(bytes), arrival);
        Some((arrival, !self.shortcuts))
    }

    /// The network model's part of [`Simulation::link`]: `None` when the
    /// message is lost, else `depart` plus the link's latency and jitter.
    #[inline(always)]
    pub(super) fn network_arrival(
        &self,
        from: usize,
        to: usize,
        id: u64,
        depart: u64,
    ) -> Option<u64> {
        self.net.model.arrival(from, to, id, depart)
    }

    /// [`Simulation::link`] in a run with faults.
    #[inline(never)]
    pub(super) fn faulty_link(
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
                self.count_dropped(to, 1, u64::from(bytes));
                return None;
            }
            extra = c.link(from, to);
            plain |= c.plain_delivery(from, to) || self.nodes[to].is_down();
        }
        let Some(mut arrival) = self.network_arrival(from, to, id, depart) else {
            self.count_dropped(to, 1, u64::from(bytes));
            return None;
        };
        if let Some(e) = extra {
            if e.loss_rate > 0.0 && chance(self.link_draw(id, to, 3), e.loss_rate) {
                self.count_dropped(to, 1, u64::from(bytes));
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
        self.count_received(Some(from), to, 1, u64::from(bytes), arrival);
        Some((arrival, plain))
    }

    /// Whether `shred` comes from a leader that is or was Byzantine (its
    /// shreds are delivered plainly: it may send one twice).
    pub(super) fn byzantine_leader(&self, shred: &Shred) -> bool {
        self.chaos
            .as_ref()
            .is_some_and(|c| c.ever_byzantine[shred.leader.idx()])
    }

    /// [`Simulation::link`] for a message that cannot matter to `to`
    /// (without faults): only whether it is lost and the received counter.
    pub(super) fn link_counters_only(&mut self, to: usize, bytes: u32, id: u64) {
        if self.lost(id, to) {
            self.count_dropped(to, 1, u64::from(bytes));
        } else {
            let arrival = self.now_ns;
            self.count_received(None, to, 1, u64::from(bytes), arrival);
        }
    }

    /// Whether message `id` is lost on its way to `to` (the network's loss
    /// rate; a link fault's extra loss is drawn apart).
    #[inline(always)]
    pub(super) fn lost(&self, id: u64, to: usize) -> bool {
        self.net.model.lost(id, to)
    }

    /// [`LinkModel::link_draw`].
    pub(super) fn link_draw(&self, id: u64, to: usize, purpose: u64) -> u64 {
        self.net.model.link_draw(id, to, purpose)
    }

    /// A new message id and the time `bytes` take on an uplink.
    pub(super) fn new_message(&mut self, bytes: u32) -> (u64, u64) {
        self.next_message_id += 1;
        (self.next_message_id, self.net.transmit_ns(bytes))
    }

    /// `message` from `from` to every other validator but `except`, in
    /// recipient order. The shortcut state of the message (its
    /// certificate's earliest copies, its slice's inboxes) is looked up once
    /// for all recipients, and the deliveries are queued as one entry.
    pub(super) fn broadcast(
        &mut self,
        from: usize,
        message: Message,
        except: Option<ValidatorIndex>,
    ) {
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
        self.count_sent(from, bytes, count as u64);
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
    pub(super) fn broadcast_with_faults(&mut self, message: Message, job: &FanoutJob) {
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

    /// One message over one link (see [`Simulation::transmit`]), with the
    /// delivery shortcuts.
    pub(super) fn send(&mut self, from: usize, to: usize, message: Message) {
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

    /// Traffic: `count` copies of a message of `bytes` left `from` now.
    #[inline]
    pub(super) fn count_sent(&mut self, from: usize, bytes: u32, count: u64) {
        let bytes = count * u64::from(bytes);
        self.count(
            TrafficKind::Sent,
            self.now_ns,
            Some(from),
            None,
            count,
            bytes,
        );
    }

    /// Traffic: `messages` of `bytes` in all reach `to` at `at_ns` (counted
    /// when the link model delivers them), from `from` when one sender.
    #[inline]
    pub(super) fn count_received(
        &mut self,
        from: Option<usize>,
        to: usize,
        messages: u64,
        bytes: u64,
        at_ns: u64,
    ) {
        self.count(
            TrafficKind::Received,
            at_ns,
            from,
            Some(to),
            messages,
            bytes,
        );
    }

    /// Traffic: `messages` of `bytes` in all to `to` are lost or dropped
    /// across a partition.
    #[inline]
    pub(super) fn count_dropped(&mut self, to: usize, messages: u64, bytes: u64) {
        self.count(
            TrafficKind::Dropped,
            self.now_ns,
            None,
            Some(to),
            messages,
            bytes,
        );
    }

    /// Feeds one traffic record into the stream.
    #[inline]
    fn count(
        &mut self,
        kind: TrafficKind,
        t_ns: u64,
        from: Option<usize>,
        to: Option<usize>,
        messages: u64,
        bytes: u64,
    ) {
        let index = |v: usize| ValidatorIndex(v as u32);
        self.obs.traffic(Traffic {
            t_ns,
            kind,
            from: from.map(index),
            to: to.map(index),
            messages,
            bytes,
        });
    }
}
