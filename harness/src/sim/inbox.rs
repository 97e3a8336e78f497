//! Shortcut: relayed shreds wait in a per-(recipient, slice) inbox that
//! keeps only the arrivals able to complete the slice, handed over at the
//! first arrival (the recipient learns the block) and at the completing one.

use std::collections::BinaryHeap;

use whiteout_node::{BlockId, Message, Shred, SimulatorHooks as _, ValidatorIndex};

use super::queue::SimEvent;
use super::Simulation;

/// No completion: sorts after every (ns, sequence).
pub(super) const NO_COMPLETION: (u64, u64) = (u64::MAX, u64::MAX);

/// Relayed shreds of one slice on their way, per recipient.
///
/// The slice has one completion check queued, at the earliest of its
/// recipients' completions, rather than one per recipient: a recipient's
/// completion moves earlier with most arrivals, and a check per recipient
/// would leave a stale queue entry at each move.
#[derive(Debug)]
pub(super) struct SliceInboxes {
    /// The shreds relayed so far; arrivals refer to them by index.
    pub(super) shreds: Vec<Shred>,
    /// Indexed by recipient.
    pub(super) by_recipient: Vec<Inbox>,
    /// Per recipient, the (ns, sequence) of the arrival that completes its
    /// slice ([`Inbox::completion`]), [`NO_COMPLETION`] for none or closed.
    pub(super) completes: Vec<(u64, u64)>,
    /// Per recipient, whether it needs no more shreds of this slice (its
    /// inbox is then empty). Kept apart from the inboxes, like `completes`:
    /// a relayed shred's copies read them for every recipient.
    pub(super) closed: Vec<bool>,
    /// The check queued for the slice: at most the earliest of
    /// `completes` (`None` when none is queued).
    pub(super) queued: Option<(u64, u64)>,
}

impl SliceInboxes {
    pub(super) fn new(n: usize) -> Self {
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
    pub(super) fn reset(&mut self, to: usize, closed: bool) {
        self.by_recipient[to] = Inbox::default();
        self.completes[to] = NO_COMPLETION;
        self.closed[to] = closed;
    }

    /// Records `to`'s completion after its inbox changed. Returns the
    /// check to queue when it is earlier than the one queued.
    pub(super) fn note_completion(&mut self, to: usize) -> Option<(u64, u64)> {
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
    pub(super) fn requeue(&mut self, completes: (u64, u64)) -> Option<(u64, u64)> {
        if completes == NO_COMPLETION || self.queued.is_some_and(|q| q <= completes) {
            return None;
        }
        self.queued = Some(completes);
        Some(completes)
    }
}

/// A relayed shred's arrival: (ns, sequence, sender, index into the
/// slice's shred list).
pub(super) type Arrival = (u64, u64, u32, u32);

/// Relayed shreds on their way to one recipient, for one slice.
#[derive(Debug, Default)]
pub(super) struct Inbox {
    /// When the first-arrival announcement is queued (`None` before any
    /// arrival).
    pub(super) announce_ns: Option<u64>,
    /// Shreds the recipient still needs to rebuild the slice.
    pub(super) need: u32,
    /// The `need` earliest arrivals not yet handed over, a max-heap of
    /// (arrival ns, sequence, sender, index into `SliceInboxes::shreds`):
    /// its top is the arrival that completes the slice. Later arrivals are
    /// not kept: they cannot matter (each shred of an honest leader reaches
    /// a recipient at most once; a Byzantine leader's shreds are delivered
    /// plainly).
    pub(super) earliest: BinaryHeap<Arrival>,
}

impl Inbox {
    /// The (ns, sequence) of the arrival that completes the slice, once
    /// `need` arrivals are kept.
    pub(super) fn completion(&self) -> Option<(u64, u64)> {
        self.earliest
            .peek()
            .filter(|_| self.earliest.len() >= self.need as usize)
            .map(|top| (top.0, top.1))
    }
}

impl Simulation {
    /// Hands the recipient the shreds of its inbox that arrived up to
    /// `upto` (ns, sequence), then brings the inbox up to date with what the
    /// recipient holds.
    ///
    /// They are handed over in the inbox's (deterministic) order, not
    /// sorted by arrival: all at the same instant, they are distinct shreds
    /// of one honest leader's slice, and a validator's handling of such a
    /// set does not depend on its order (it marks each shred held and
    /// rebuilds the slice at the `gamma`-th).
    pub(super) fn hand_over(&mut self, to: u32, block: BlockId, slice: u32, upto: (u64, u64)) {
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
    pub(super) fn refresh_inbox(&mut self, to: u32, block: BlockId, slice: u32) {
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
    pub(super) fn queue_check(&mut self, block: BlockId, slice: u32, completes: (u64, u64)) {
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
    pub(super) fn keep_earliest(
        need: u32,
        earliest: &mut BinaryHeap<Arrival>,
        arrival: Arrival,
    ) -> bool {
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

    /// A shred relayed by `from` (not its leader) to `recipients`, in
    /// order: each copy uses the uplink and is counted; it goes to the
    /// recipient's inbox for the slice (looked up once), or is delivered
    /// plainly when a shortcut does not apply.
    pub(super) fn relay_shred(
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
        self.count_sent(from, bytes, sent);
        self.inboxes.insert(key, group);
    }

    /// A relayed shred (with its index in the slice's shred list) reaches
    /// `to`'s inbox at `arrival` (nothing when the recipient needs no more
    /// of the slice). The first arrival is announced (the recipient learns
    /// the block exists), and again if a later-sent shred arrives sooner;
    /// the slice's completion check moves to the arrival that now completes
    /// it, when that is the earliest.
    pub(super) fn shred_arrives(
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
}
