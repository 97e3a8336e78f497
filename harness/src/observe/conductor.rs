//! The chaos conductor: it watches the stream for what the timeline's
//! starts wait for ([`ChaosWatch`]: the slot the run is in, skipped slots in
//! a row), polls the [`Timeline`] when that changes or a deadline comes,
//! hands the due [`Action`]s to the backend and reports each fault's start
//! and end into the stream.
//!
//! Architecture Invariant: the conductor decides what happens when; the
//! backend only carries actions out (and reports lifecycle changes it
//! made). Fault windows are derived here, from the actions, the same way
//! for every backend.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use whiteout_chaos::{Action, FaultId, Observation, Timeline};
use whiteout_node::{CertificateKind, Event, LeaderSchedule, Slot, ValidatorIndex};
use whiteout_results::FaultNotStarted;

use super::{EventRecord, FaultPhase, FaultRecord, SlotEntered};
use crate::backend::Backend;

/// What the timeline's starts watch, kept from the stream.
#[derive(Debug, Default)]
pub struct ChaosWatch {
    /// The slot the run is in: the highest current slot an honest
    /// validator reported.
    slot: Slot,
    /// Highest slot with a notarized or finalized block (any validator).
    last_block_slot: Slot,
    /// Skip-certified slots above `last_block_slot`.
    skipped: BTreeSet<Slot>,
    /// Consecutive skipped slots right above `last_block_slot`.
    skipped_in_a_row: u64,
    /// Something watched changed: the timeline must be polled.
    pub(super) dirty: bool,
}

impl ChaosWatch {
    /// A validator's event: certificates and finalizations decide slots.
    pub fn on_event(&mut self, r: &EventRecord<'_>) {
        match r.event {
            Event::CertificateStored { kind, slot, .. } => match kind {
                CertificateKind::Skip => {
                    if *slot > self.last_block_slot && self.skipped.insert(*slot) {
                        self.update_skips();
                    }
                }
                _ => self.block_decided(*slot),
            },
            Event::Finalized { block, .. } => self.block_decided(block.slot),
            _ => {}
        }
    }

    /// An honest validator's current slot.
    pub fn on_slot(&mut self, r: &SlotEntered) {
        if r.slot > self.slot {
            self.slot = r.slot;
            self.dirty = true;
        }
    }

    fn block_decided(&mut self, slot: Slot) {
        if slot > self.last_block_slot {
            self.last_block_slot = slot;
            self.skipped = self.skipped.split_off(&slot.next());
            self.update_skips();
        }
    }

    fn update_skips(&mut self) {
        let mut run = 0;
        let mut expect = self.last_block_slot.next();
        for s in &self.skipped {
            if *s != expect {
                break;
            }
            run += 1;
            expect = expect.next();
        }
        if run != self.skipped_in_a_row {
            self.skipped_in_a_row = run;
            self.dirty = true;
        }
    }
}

/// The conductor of one chaos run.
#[derive(Debug)]
pub struct Conductor {
    timeline: Timeline,
    schedule: Arc<LeaderSchedule>,
    /// Crash faults: validators still down because of them.
    crash_members: BTreeMap<FaultId, BTreeSet<ValidatorIndex>>,
    /// Faults that have started.
    started: BTreeSet<FaultId>,
}

impl Conductor {
    /// A conductor of `timeline`, resolving role targets and leader
    /// windows against `schedule`.
    pub fn new(timeline: Timeline, schedule: Arc<LeaderSchedule>) -> Self {
        Self {
            timeline,
            schedule,
            crash_members: BTreeMap::new(),
            started: BTreeSet::new(),
        }
    }

    /// When the timeline must be polled next at the latest (ns since the
    /// run's start), if ever.
    pub fn next_deadline_ns(&self) -> Option<u64> {
        self.timeline
            .next_deadline()
            .map(|d| d.as_nanos().min(u128::from(u64::MAX)) as u64)
    }

    /// Polls the timeline at the backend's time and carries out the
    /// actions due: each goes to the backend, then its fault's start or
    /// end goes into the stream.
    pub fn poll<B: Backend + ?Sized>(&mut self, backend: &mut B) {
        let now_ns = backend.now_ns();
        let obs = backend.observers_mut();
        let Some(watch) = obs.watch.as_mut() else {
            return;
        };
        watch.dirty = false;
        let observation = Observation {
            now: Duration::from_nanos(now_ns),
            slot: watch.slot,
            skipped_in_a_row: watch.skipped_in_a_row,
            schedule: &self.schedule,
        };
        let actions = self.timeline.poll(&observation);
        for action in actions {
            let phases = self.phases(&action);
            backend.apply(action);
            let t_ns = backend.now_ns();
            for (fault, phase) in phases {
                if phase == FaultPhase::Started {
                    self.started.insert(fault);
                }
                backend
                    .observers_mut()
                    .fault(FaultRecord { t_ns, fault, phase });
            }
        }
    }

    /// The fault starts and ends an action makes, in order: a heal ends
    /// its fault; a restart ends the crash faults it brings every validator
    /// of back from, and a restart fault of its own is a moment.
    fn phases(&mut self, action: &Action) -> Vec<(FaultId, FaultPhase)> {
        use FaultPhase::{Ended, Started};
        match action {
            Action::Partition { id, .. }
            | Action::Link { id, .. }
            | Action::Clock { id, .. }
            | Action::Byzantine { id, .. } => vec![(*id, Started)],
            Action::Heal { id }
            | Action::LinkRestore { id }
            | Action::ClockRestore { id, .. }
            | Action::Honest { id, .. } => vec![(*id, Ended)],
            Action::Crash { id, validators } => {
                self.crash_members
                    .entry(*id)
                    .or_default()
                    .extend(validators.iter().copied());
                vec![(*id, Started)]
            }
            Action::Restart { id, validators } => {
                let mut ended = Vec::new();
                for v in validators {
                    for (crash, members) in self.crash_members.iter_mut() {
                        if members.remove(v) && members.is_empty() {
                            ended.push(*crash);
                        }
                    }
                }
                ended.sort_unstable();
                ended.dedup();
                let mut out = Vec::new();
                for crash in ended {
                    self.crash_members.remove(&crash);
                    out.push((crash, Ended));
                }
                if !self.started.contains(id) {
                    out.push((*id, Started));
                    out.push((*id, Ended));
                }
                out
            }
        }
    }

    /// The faults of the scenario that have not started (see
    /// [`whiteout_results::Report::faults_not_started`]).
    pub fn faults_not_started(&self) -> Vec<FaultNotStarted> {
        self.timeline
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
}
