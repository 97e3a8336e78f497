//! The simulator's event queue: a binary heap of (time, sequence, slab index)
//! keys packed into one `u128`, with the events' payloads in a slab. A
//! broadcast is one entry, keyed by its next delivery.

use std::cmp::Ordering;

use whiteout_node::{BlockId, Message, Timer};

use super::links::Delivery;
use super::Simulation;

#[derive(Debug)]
pub(super) enum SimEvent {
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
    /// the slice's queued check, [`super::inbox::SliceInboxes::queued`]).
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
pub(super) struct Fanout {
    pub(super) from: u32,
    pub(super) message: Message,
    /// (arrival ns, sequence, recipient), ascending by (arrival, sequence);
    /// `next` is the first not yet delivered.
    pub(super) deliveries: Vec<Delivery>,
    pub(super) next: usize,
    /// The entry waits in the queue at the earliest arrival possible
    /// ([`super::links::FanoutJob::earliest_arrival_ns`]) while the link worker computes
    /// `deliveries`, until it reaches the head of the queue.
    pub(super) placeholder: bool,
    /// The link worker's answer has not come yet.
    pub(super) pending: bool,
}

/// A queue entry: when (ns), in which order (sequence) and where the event
/// waits in the slab, packed into one `u128` so that the heap compares and
/// moves 16 bytes with one comparison: ns in the top 52 bits (52 days),
/// the sequence in the next 44, the slab index in the low 32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Queued(u128);

impl Queued {
    /// Simulated time the queue can hold: 2^52 ns, about 52 days.
    pub(super) const AT_NS_LIMIT: u64 = 1 << 52;

    /// An event due at or beyond [`Queued::AT_NS_LIMIT`] is kept at the
    /// limit: no run reaches it ([`crate::limits::DURATION_MAX`] is 30 days), so it never
    /// fires either way. Most events due after the run's end are not queued
    /// at all ([`Simulation::push`], [`Simulation::push_fanout`]); this
    /// covers the rest (a broadcast waiting for the link worker, slice
    /// inbox announcements and checks).
    ///
    /// # Panics
    /// When `seq` does not fit.
    pub(super) fn new(at_ns: u64, seq: u64, slab: u32) -> Self {
        let at_ns = at_ns.min(Self::AT_NS_LIMIT - 1);
        assert!(seq < 1 << 44, "more than 2^44 queued events");
        Self((u128::from(at_ns) << 76) | (u128::from(seq) << 32) | u128::from(slab))
    }

    pub(super) fn at_ns(self) -> u64 {
        (self.0 >> 76) as u64
    }

    pub(super) fn slab(self) -> u32 {
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

impl Simulation {
    /// Queues `event` at `at_ns`; an event due after the run's end is
    /// dropped (it could never fire, and a very slow link would otherwise
    /// pile such events up).
    pub(super) fn push(&mut self, at_ns: u64, event: SimEvent) {
        self.seq += 1;
        if at_ns > self.end_ns {
            return;
        }
        self.push_with_seq(at_ns, self.seq, event);
    }

    /// Queues `event` at (`at_ns`, `seq`), a sequence number taken earlier;
    /// returns where it waits in the slab.
    pub(super) fn push_with_seq(&mut self, at_ns: u64, seq: u64, event: SimEvent) -> u32 {
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
    pub(super) fn push_fanout(&mut self, from: usize, message: Message, deliveries: Vec<Delivery>) {
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
    pub(super) fn pop_event(&mut self) -> Option<SimEvent> {
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
    pub(super) fn replace_placeholder(&mut self, slab: usize) -> Option<SimEvent> {
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
    pub(super) fn retire_fanout(&mut self, slab: usize) {
        if let Some(SimEvent::Fanout(f)) = self.slab[slab].take() {
            let mut spare = f.deliveries;
            spare.clear();
            self.spare_deliveries.push(spare);
        }
        self.slab_free.push(slab as u32);
    }
}
