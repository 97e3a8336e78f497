//! The chaos verdicts, from the observation stream: fault windows (from
//! fault records), stalls and recoveries (from finalizations by correct
//! validators), restart catch-up (from lifecycle records and
//! finalizations). "Correct" is known from the lifecycle records: a
//! validator is correct while it is neither crashed nor Byzantine.
//!
//! Architecture Invariant: only ordered maps and vectors here (no hash-map
//! iteration).

use std::collections::BTreeMap;

use whiteout_chaos::{Expect, FaultId, FaultInfo};
use whiteout_node::{Event, Slot, ValidatorIndex};
use whiteout_results::{FaultVerdict, FaultWindow, RestartCatchUp, Verdicts};

use super::{Change, Collector, EventRecord, FaultPhase, FaultRecord, Lifecycle, SafetyCheck};
use crate::limits::NS_PER_S;

/// A fault as it happened: when its actions applied.
#[derive(Clone, Debug)]
struct Window {
    start_ns: u64,
    end_ns: Option<u64>,
    /// Time of the first new finalization (by correct validators) at or
    /// after the end.
    recovered_ns: Option<u64>,
}

/// One restart and its catch-up.
#[derive(Clone, Debug)]
struct Restart {
    validator: ValidatorIndex,
    at_ns: u64,
    /// Highest slot finalized by correct validators when it restarted.
    slot_then: Slot,
    /// When it first finalized a slot above `slot_then`.
    caught_up_ns: Option<u64>,
}

/// The verdicts' state of one chaos run.
#[derive(Debug)]
pub struct VerdictTracker {
    /// The timeline's faults, by id (names, kinds, targets for the report).
    faults: Vec<FaultInfo>,
    expect: Expect,
    /// Stake per validator (lamports).
    stakes: Vec<u64>,
    /// Per validator: crashed now.
    down: Vec<bool>,
    /// Per validator: a Byzantine behaviour is active on it.
    byzantine: Vec<bool>,
    /// Stake of the validators correct now.
    correct_stake: u64,
    windows: BTreeMap<FaultId, Window>,
    restarts: Vec<Restart>,
    /// Liveness: highest slot finalized by correct validators holding at
    /// least 2/3 of the correct stake (correct: neither Byzantine nor
    /// crashed at that moment).
    correct_highest: Slot,
    /// Slots above `correct_highest`: correct stake that finalized them, and
    /// who.
    finalized_stake: BTreeMap<Slot, (u64, Vec<u32>)>,
    /// When the last new finalization came, and the longest stretch without
    /// one (start, length), in ns.
    last_final_ns: u64,
    longest_stall: (u64, u64),
}

impl VerdictTracker {
    /// A tracker for the faults of a timeline (`Timeline::faults`), the
    /// run's `[expect]` and validators with these stakes (lamports).
    pub fn new(faults: Vec<FaultInfo>, expect: Expect, stakes: Vec<u64>) -> Self {
        let n = stakes.len();
        Self {
            faults,
            expect,
            correct_stake: stakes.iter().sum(),
            stakes,
            down: vec![false; n],
            byzantine: vec![false; n],
            windows: BTreeMap::new(),
            restarts: Vec::new(),
            correct_highest: Slot::GENESIS,
            finalized_stake: BTreeMap::new(),
            last_final_ns: 0,
            longest_stall: (0, 0),
        }
    }

    fn correct(&self, v: usize) -> bool {
        !self.down[v] && !self.byzantine[v]
    }

    /// A validator's lifecycle changed.
    pub fn on_lifecycle(&mut self, r: &Lifecycle) {
        let v = r.validator.idx();
        match r.change {
            Change::Crashed => self.down[v] = true,
            Change::Restarted => {
                self.down[v] = false;
                self.restarts.push(Restart {
                    validator: r.validator,
                    at_ns: r.t_ns,
                    slot_then: self.correct_highest,
                    caught_up_ns: None,
                });
            }
            Change::Byzantine => self.byzantine[v] = true,
            Change::Honest => self.byzantine[v] = false,
        }
        self.correct_stake = (0..self.stakes.len())
            .filter(|&i| self.correct(i))
            .map(|i| self.stakes[i])
            .sum();
    }

    /// A fault started (the first start counts) or ended (the first end
    /// counts).
    pub fn on_fault(&mut self, r: &FaultRecord) {
        match r.phase {
            FaultPhase::Started => {
                self.windows.entry(r.fault).or_insert(Window {
                    start_ns: r.t_ns,
                    end_ns: None,
                    recovered_ns: None,
                });
            }
            FaultPhase::Ended => {
                if let Some(w) = self.windows.get_mut(&r.fault) {
                    w.end_ns.get_or_insert(r.t_ns);
                }
            }
        }
    }

    /// A validator's event (handed-over ones count too: a restarted
    /// validator that finalizes from them has caught up that far).
    pub fn on_event(&mut self, r: &EventRecord<'_>) {
        let Event::Finalized { block, .. } = r.event else {
            return;
        };
        let (now_ns, v) = (r.t_ns, r.validator);
        for restart in self.restarts.iter_mut() {
            if restart.validator == v
                && restart.caught_up_ns.is_none()
                && block.slot > restart.slot_then
            {
                restart.caught_up_ns = Some(now_ns);
            }
        }
        if !self.correct(v.idx()) || block.slot <= self.correct_highest {
            return;
        }
        let own = self.stakes[v.idx()];
        let (sum, who) = self.finalized_stake.entry(block.slot).or_default();
        if !who.contains(&v.0) {
            who.push(v.0);
            *sum += own;
        }
        if u128::from(*sum) * 3 >= u128::from(self.correct_stake) * 2 {
            self.correct_highest = block.slot;
            self.finalized_stake = self.finalized_stake.split_off(&block.slot.next());
            self.new_finalization(now_ns);
        }
    }

    fn new_finalization(&mut self, now_ns: u64) {
        let gap = now_ns - self.last_final_ns;
        if gap > self.longest_stall.1 {
            self.longest_stall = (self.last_final_ns, gap);
        }
        self.last_final_ns = now_ns;
        for w in self.windows.values_mut() {
            if let (Some(end), None) = (w.end_ns, w.recovered_ns) {
                if now_ns >= end {
                    w.recovered_ns = Some(now_ns);
                }
            }
        }
    }

    /// The longest stall (start, length, ns); the one still running at
    /// `now_ns` counts too.
    fn longest_stall_at(&self, now_ns: u64) -> (u64, u64) {
        let open = now_ns.saturating_sub(self.last_final_ns);
        if open > self.longest_stall.1 {
            (self.last_final_ns, open)
        } else {
            self.longest_stall
        }
    }

    /// The faults that applied, in start order, with the times their
    /// actions applied.
    pub fn fault_windows(&self) -> Vec<FaultWindow> {
        let mut out: Vec<(u64, FaultId, FaultWindow)> = self
            .windows
            .iter()
            .map(|(&id, w)| {
                let info = &self.faults[id];
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

    /// The verdicts at `now_ns`, with the figures of `metrics` per fault
    /// window and the violations of `safety`.
    pub fn verdicts(&self, now_ns: u64, metrics: &Collector, safety: &SafetyCheck) -> Verdicts {
        let s = |ns: u64| ns as f64 / NS_PER_S as f64;
        let (stall_start, stall) = self.longest_stall_at(now_ns);
        let max_stall_s = self.expect.max_stall.map(|d| d.as_secs_f64());
        let now_s = now_ns.div_ceil(NS_PER_S);
        let mut faults: Vec<(u64, FaultId, FaultVerdict)> = self
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
                        name: self.faults[id].name.clone(),
                        recovery_s: w
                            .end_ns
                            .zip(w.recovered_ns)
                            .map(|(e, r)| s(r.saturating_sub(e))),
                        during: metrics.window_figures(start, end),
                        before: (start > 0)
                            .then(|| metrics.window_figures(start.saturating_sub(len), start)),
                    },
                )
            })
            .collect();
        faults.sort_by_key(|(t, id, _)| (*t, *id));
        Verdicts {
            safe: safety.violation_count() == 0,
            safety_expected: self.expect.safety,
            longest_stall_s: s(stall),
            longest_stall_start_s: s(stall_start),
            max_stall_s,
            liveness_ok: max_stall_s.is_none_or(|m| s(stall) <= m),
            faults: faults.into_iter().map(|(_, _, f)| f).collect(),
            restarts: self
                .restarts
                .iter()
                .map(|r| RestartCatchUp {
                    validator: r.validator.0,
                    restart_s: s(r.at_ns),
                    catch_up_s: r.caught_up_ns.map(|t| s(t - r.at_ns)),
                })
                .collect(),
        }
    }
}
