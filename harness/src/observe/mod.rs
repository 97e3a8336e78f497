//! The observation stream and its consumers.
//!
//! Every backend feeds one stream of records, each with a time in
//! nanoseconds since the run's start (the backend's clock: simulated time
//! for `sim`), in time order:
//! - [`EventRecord`]: `(t_ns, validator, node Event)`, what a validator
//!   emitted;
//! - [`Traffic`]: `(t_ns, from, to, messages, bytes, Sent | Received |
//!   Dropped)`;
//! - [`FaultRecord`]: `(t_ns, fault, Started | Ended)`, from the chaos
//!   [`conductor`];
//! - [`Lifecycle`]: a validator crashed, restarted, turned Byzantine or
//!   honest again (the backend reports what it did);
//! - [`SlotEntered`]: an honest validator's current slot moved on;
//! - a transaction submitted by a load client, and ticks: every whole
//!   second of the run, once the backend's clock has passed it.
//!
//! [`Observers`] hands each record to the consumers: the metrics
//! [`Collector`], the [`SafetyCheck`], the [`VerdictTracker`] and the
//! [`ChaosWatch`] (chaos runs), and any number of extra [`Observer`]s (a
//! live exporter).
//!
//! Architecture Invariant: figures reach the report only through this
//! stream; no backend computes a metric, a safety verdict or a chaos
//! verdict itself.

pub mod conductor;
pub mod metrics;
pub mod safety;
pub mod verdicts;

use whiteout_chaos::FaultId;
use whiteout_node::{Event, Slot, ValidatorIndex};

pub use conductor::{ChaosWatch, Conductor};
pub use metrics::{Collector, Snapshot};
pub use safety::SafetyCheck;
pub use verdicts::VerdictTracker;

/// A validator emitted `event` at `t_ns`.
#[derive(Clone, Copy, Debug)]
pub struct EventRecord<'a> {
    /// When (ns since the run's start).
    pub t_ns: u64,
    /// Who emitted it.
    pub validator: ValidatorIndex,
    /// What.
    pub event: &'a Event,
    /// The event comes from state handed to a restarting validator (the
    /// `sim` backend's restart hands over recent certificates): the safety
    /// check and the chaos verdicts see it, the metrics do not measure it.
    pub handed_over: bool,
}

/// What happened to the messages of a [`Traffic`] record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrafficKind {
    /// Left the sender (counted at the sender, once per recipient).
    Sent,
    /// Reached the recipient. The `sim` backend counts a message when its
    /// link model delivers it (also a copy that its exact shortcuts then
    /// need not turn into an event); a real-time backend when the datagram
    /// is read.
    Received,
    /// Lost on the way, or dropped across a partition (counted at the
    /// recipient).
    Dropped,
}

/// Messages on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traffic {
    /// When (ns since the run's start).
    pub t_ns: u64,
    /// Sent, received or dropped.
    pub kind: TrafficKind,
    /// The sender; `None` when the record gathers several senders' messages
    /// to one recipient.
    pub from: Option<ValidatorIndex>,
    /// The recipient; `None` when the record gathers the copies of one
    /// broadcast (then `from` is set).
    pub to: Option<ValidatorIndex>,
    /// How many messages (copies) the record stands for.
    pub messages: u64,
    /// Their bytes on the wire, all together.
    pub bytes: u64,
}

/// Whether a fault started or ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPhase {
    /// Its action applied.
    Started,
    /// It healed, or was healed.
    Ended,
}

/// A chaos fault started or ended at `t_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultRecord {
    /// When (ns since the run's start).
    pub t_ns: u64,
    /// Which fault of the timeline.
    pub fault: FaultId,
    /// Started or ended.
    pub phase: FaultPhase,
}

/// What happened to a validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// It stopped, losing its state.
    Crashed,
    /// It came back with a fresh node (Byzantine again if a Byzantine fault
    /// on it is still active).
    Restarted,
    /// A Byzantine behaviour now drives it (while it is down: once it
    /// restarts).
    Byzantine,
    /// It is honest again.
    Honest,
}

/// A validator's lifecycle changed at `t_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// When (ns since the run's start).
    pub t_ns: u64,
    /// Who.
    pub validator: ValidatorIndex,
    /// What happened.
    pub change: Change,
}

/// An honest validator's current slot is now `slot` (reported when it
/// changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotEntered {
    /// When (ns since the run's start).
    pub t_ns: u64,
    /// Who.
    pub validator: ValidatorIndex,
    /// Its current slot.
    pub slot: Slot,
}

/// A consumer of the observation stream beyond the built-in ones (e.g. a
/// live exporter). Every method has an empty default: implement what you
/// consume. Records come in time order.
pub trait Observer: Send {
    /// A validator's event.
    fn on_event(&mut self, _record: &EventRecord<'_>) {}
    /// Messages on the wire.
    fn on_traffic(&mut self, _traffic: &Traffic) {}
    /// A fault started or ended.
    fn on_fault(&mut self, _record: &FaultRecord) {}
    /// A validator crashed, restarted, or changed behaviour.
    fn on_lifecycle(&mut self, _record: &Lifecycle) {}
    /// An honest validator's current slot moved on.
    fn on_slot(&mut self, _record: &SlotEntered) {}
    /// A load client submitted transaction `id` through `client`.
    fn on_transaction(&mut self, _t_ns: u64, _id: u64, _client: ValidatorIndex) {}
    /// The run's clock passed the whole second `t_ns` (or reached its end).
    fn on_tick(&mut self, _t_ns: u64) {}
}

/// The consumers of one run's observation stream.
pub struct Observers {
    /// Metrics for the report.
    pub metrics: Collector,
    /// The safety checks.
    pub safety: SafetyCheck,
    /// Chaos verdicts (runs with faults).
    pub verdicts: Option<VerdictTracker>,
    /// What the chaos timeline's starts watch (runs with faults).
    pub watch: Option<ChaosWatch>,
    /// Further consumers.
    extra: Vec<Box<dyn Observer>>,
}

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observers")
            .field("extra", &self.extra.len())
            .finish_non_exhaustive()
    }
}

impl Observers {
    /// The consumers of a run of validators with these stakes (lamports,
    /// by validator index), counting a transaction pending for
    /// `tx_timeout_ns` as expired ([`Collector::with_tx_timeout_ns`]), with
    /// the chaos consumers when `chaos` holds the verdicts' tracker.
    pub fn new(stakes: Vec<u64>, tx_timeout_ns: u64, chaos: Option<VerdictTracker>) -> Self {
        let watch = chaos.as_ref().map(|_| ChaosWatch::default());
        Self {
            metrics: Collector::with_tx_timeout_ns(stakes, tx_timeout_ns),
            safety: SafetyCheck::new(),
            verdicts: chaos,
            watch,
            extra: Vec::new(),
        }
    }

    /// Adds a consumer; it sees the records from now on.
    pub fn add(&mut self, observer: Box<dyn Observer>) {
        self.extra.push(observer);
    }

    /// A validator's event.
    #[inline]
    pub fn event(&mut self, r: &EventRecord<'_>) {
        if let Some(w) = &mut self.watch {
            w.on_event(r);
        }
        if let Some(v) = &mut self.verdicts {
            v.on_event(r);
        }
        self.safety.on_event(r);
        self.metrics.on_event(r);
        for o in &mut self.extra {
            o.on_event(r);
        }
    }

    /// Messages on the wire.
    #[inline]
    pub fn traffic(&mut self, t: Traffic) {
        self.metrics.on_traffic(&t);
        for o in &mut self.extra {
            o.on_traffic(&t);
        }
    }

    /// A fault started or ended.
    pub fn fault(&mut self, r: FaultRecord) {
        if let Some(v) = &mut self.verdicts {
            v.on_fault(&r);
        }
        for o in &mut self.extra {
            o.on_fault(&r);
        }
    }

    /// A validator's lifecycle changed.
    pub fn lifecycle(&mut self, r: Lifecycle) {
        if let Some(v) = &mut self.verdicts {
            v.on_lifecycle(&r);
        }
        for o in &mut self.extra {
            o.on_lifecycle(&r);
        }
    }

    /// An honest validator's current slot moved on.
    pub fn slot(&mut self, r: SlotEntered) {
        if let Some(w) = &mut self.watch {
            w.on_slot(&r);
        }
        for o in &mut self.extra {
            o.on_slot(&r);
        }
    }

    /// A load client submitted transaction `id` through `client`.
    pub fn transaction(&mut self, t_ns: u64, id: u64, client: ValidatorIndex) {
        self.metrics.on_transaction(t_ns, id, client);
        for o in &mut self.extra {
            o.on_transaction(t_ns, id, client);
        }
    }

    /// The run's clock passed `t_ns` (a whole second, or the run's end):
    /// slot records that are settled close.
    pub fn tick(&mut self, t_ns: u64) {
        self.metrics.settle(t_ns);
        for o in &mut self.extra {
            o.on_tick(t_ns);
        }
    }

    /// Whether the chaos timeline must be polled now (what its starts
    /// watch changed).
    #[inline]
    pub fn wants_poll(&self) -> bool {
        self.watch.as_ref().is_some_and(|w| w.dirty)
    }

    /// The whole-run figures so far (see [`Collector::snapshot`]).
    pub fn snapshot(&self, simulated_ns: u64) -> Snapshot {
        self.metrics.snapshot(simulated_ns, &self.safety)
    }

    /// The verdicts at `now_ns` (`None` without chaos).
    pub fn verdicts(&self, now_ns: u64) -> Option<whiteout_results::Verdicts> {
        let v = self.verdicts.as_ref()?;
        Some(v.verdicts(now_ns, &self.metrics, &self.safety))
    }
}
