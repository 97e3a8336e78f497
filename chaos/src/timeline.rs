//! The resolved fault timeline the simulator polls.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use whiteout_node::byzantine::Behaviour;
use whiteout_node::{LeaderSchedule, Slot, ValidatorIndex};

use crate::fault::{fmt_duration, fmt_set, FaultKind, LinkEffect, LinkScope, Split, Start, Target};
use crate::validate::check_overlaps;
use crate::{fault_seed, split_by_stake, ChaosError, Plan, ValidatorInfo};

/// A fault of the timeline: its index in [`Timeline::faults`]. The faults of
/// the plan keep their `[[fault]]` index; faults drawn by `random` faults
/// follow.
pub type FaultId = usize;

/// A fault in words, for reports.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultInfo {
    /// Its id.
    pub id: FaultId,
    /// Its `name`, or `fault[i]`; drawn faults are `<random fault's name>#k`.
    pub name: String,
    /// Kind, as in the scenario file.
    pub kind: &'static str,
    /// Whom it hits, in words, with the validators and stake when known
    /// before the run (e.g. `20% of stake (seeded): validators {3, 8} (21.0% of stake)`).
    pub target: String,
    /// When it starts.
    pub start: Start,
    /// How long it lasts, if it heals by itself.
    pub duration: Option<Duration>,
    /// For faults drawn by a `random` fault, that fault.
    pub generated_by: Option<FaultId>,
    /// One line: kind, target, parameters, start, duration.
    pub summary: String,
}

/// Links a [`Action::Link`] applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkSet {
    /// Every directed link from or to one of these validators.
    Touching(Vec<ValidatorIndex>),
    /// Every directed link between the two groups (both directions).
    Between(Vec<ValidatorIndex>, Vec<ValidatorIndex>),
}

/// Something the simulator must do now. Validator lists are sorted and
/// non-empty.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Drop every message from a validator in one group to a validator in
    /// another (with `one_way`, only from `groups[0]` to the others), until
    /// [`Action::Heal`] with this `id`. Groups are disjoint and cover every
    /// validator. Several partitions may be active: a message is dropped if
    /// any of them separates its ends.
    Partition {
        /// The partition fault.
        id: FaultId,
        /// The groups.
        groups: Vec<Vec<ValidatorIndex>>,
        /// Only messages leaving group 0 are dropped.
        one_way: bool,
    },
    /// End partition `id`.
    Heal {
        /// The partition fault.
        id: FaultId,
    },
    /// Stop these validators: drop their state, their pending timers and
    /// every message to or from them until they restart. Only validators
    /// that were up are listed.
    Crash {
        /// The crash fault.
        id: FaultId,
        /// Validators going down.
        validators: Vec<ValidatorIndex>,
    },
    /// Restart these validators: a fresh node (honest, or Byzantine if a
    /// Byzantine fault on it is active) started with `handle_start(now)`.
    /// Only validators that were down and are held by no other active crash
    /// are listed.
    Restart {
        /// The crash fault that ended, or the restart fault.
        id: FaultId,
        /// Validators coming back.
        validators: Vec<ValidatorIndex>,
    },
    /// Degrade links until [`Action::LinkRestore`] with this `id`: add
    /// latency, add jitter uniform in `[0, jitter]`, lose messages with
    /// probability `loss_rate` (on top of the network's), cap bandwidth.
    /// Effects of several active link faults on one link add up (loss
    /// combines as `1 - Π(1 - p)`, the bandwidth cap is the smallest).
    Link {
        /// The link fault.
        id: FaultId,
        /// Which links.
        links: LinkSet,
        /// Added one-way latency, ns.
        latency_ns_added: u64,
        /// Added jitter bound, ns.
        jitter_ns: u64,
        /// Loss probability, `[0, 1]`.
        loss_rate: f64,
        /// Bandwidth cap, bits per second.
        bandwidth_bps: Option<u64>,
    },
    /// End link fault `id`.
    LinkRestore {
        /// The link fault.
        id: FaultId,
    },
    /// Change these validators' local clocks: a validator's local time `L`
    /// is what its node sees as `now`; from now on `L` advances `rate` times
    /// as fast as simulated time, after jumping by `jump_ns` (`L` never goes
    /// below 0). A timer set for local time `at` fires when `L` reaches it.
    Clock {
        /// The clock fault.
        id: FaultId,
        /// Whose clocks.
        validators: Vec<ValidatorIndex>,
        /// Local clock rate (> 0).
        rate: f64,
        /// Jump, ns, may be negative.
        jump_ns: i64,
    },
    /// End clock fault `id`: rate back to 1; the local offset accumulated so
    /// far stays (clocks do not jump back).
    ClockRestore {
        /// The clock fault.
        id: FaultId,
        /// Whose clocks.
        validators: Vec<ValidatorIndex>,
    },
    /// Wrap these validators' nodes in `whiteout_node::byzantine::ByzantineNode`
    /// with `behaviour` (the node keeps its state).
    Byzantine {
        /// The Byzantine fault.
        id: FaultId,
        /// Who.
        validators: Vec<ValidatorIndex>,
        /// How.
        behaviour: Behaviour,
    },
    /// End Byzantine fault `id`: unwrap the nodes
    /// (`ByzantineNode::into_inner`).
    Honest {
        /// The Byzantine fault.
        id: FaultId,
        /// Who.
        validators: Vec<ValidatorIndex>,
    },
}

/// What the simulator tells [`Timeline::poll`] about the run.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// Simulated time since the run start.
    pub now: Duration,
    /// The slot the run is in: the highest slot any live honest validator
    /// is in (`Node::current_slot`).
    pub slot: Slot,
    /// Consecutive skipped slots ending at the latest slot decided: slots
    /// with a skip certificate (at any validator) since the last slot with
    /// a notarized or finalized block.
    pub skipped_in_a_row: u64,
    /// The leader schedule, for role targets and leader windows.
    pub schedule: &'a LeaderSchedule,
}

/// Validators of a fault: known before the run, or by role at fault time.
#[derive(Clone, Debug)]
enum Who {
    Fixed(Vec<ValidatorIndex>),
    Role(Target),
}

#[derive(Clone, Debug)]
enum Todo {
    Partition {
        groups: Vec<Vec<ValidatorIndex>>,
        isolate: Option<Who>,
        one_way: bool,
    },
    Heal(FaultId),
    Crash(Who),
    Restart(Who),
    Link(Option<Who>, Vec<Vec<ValidatorIndex>>, LinkEffect),
    Clock(Who, f64, i64),
    Byzantine(Who, Behaviour),
    Nothing,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Pending,
    Active,
    Done,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Start,
    End,
    /// Start is now conditional on an observation.
    Arm,
}

#[derive(Clone, Copy, Debug)]
enum Cond {
    Slot(Slot),
    Skipped(u64),
}

#[derive(Clone, Debug)]
struct Entry {
    start: Start,
    duration: Option<Duration>,
    todo: Todo,
    state: State,
    applied: Vec<ValidatorIndex>,
}

/// The faults of a run, resolved, as triggers and [`Action`]s. Poll it with
/// [`Timeline::poll`] whenever simulated time reaches
/// [`Timeline::next_deadline`] and whenever the observed slot or skip count
/// changes; it returns the actions due, in order.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Every fault, by [`FaultId`].
    pub faults: Vec<FaultInfo>,
    entries: Vec<Entry>,
    validators: usize,
    queue: BTreeMap<(Duration, u64), (FaultId, Step)>,
    seq: u64,
    armed: Vec<(Cond, FaultId)>,
    /// Per crashed validator, the active crash faults holding it down.
    down: BTreeMap<ValidatorIndex, BTreeSet<FaultId>>,
}

impl Timeline {
    /// Validates `plan` ([`Plan::validate`], then again with `stake`
    /// targets resolved), expands `random` faults ([`crate::RandomSpec::expand`]
    /// with [`fault_seed`]`(seed, index)`), resolves static targets (with
    /// the same per-fault seeds) and schedules every start.
    ///
    /// # Errors
    /// What [`Plan::validate`] finds.
    pub fn new(
        plan: &Plan,
        seed: u64,
        run_duration: Duration,
        validators: &[ValidatorInfo],
    ) -> Result<Timeline, ChaosError> {
        plan.validate(validators)?;
        check_overlaps(plan, validators, Some(seed))?;
        let mut tl = Timeline {
            faults: Vec::new(),
            entries: Vec::new(),
            validators: validators.len(),
            queue: BTreeMap::new(),
            seq: 0,
            armed: Vec::new(),
            down: BTreeMap::new(),
        };
        let mut drawn = Vec::new();
        for (i, f) in plan.faults.iter().enumerate() {
            let fseed = fault_seed(seed, i);
            let name = f.name.clone().unwrap_or_else(|| format!("fault[{i}]"));
            if let FaultKind::Random(r) = &f.kind {
                for (k, g) in r
                    .expand(fseed, run_duration, validators)
                    .into_iter()
                    .enumerate()
                {
                    drawn.push((format!("{name}#{k}"), i, g));
                }
            }
            tl.add(f, name, None, fseed, plan, validators);
        }
        for (name, parent, f) in drawn {
            tl.add(&f, name, Some(parent), 0, plan, validators);
        }
        Ok(tl)
    }

    fn add(
        &mut self,
        f: &crate::Fault,
        name: String,
        generated_by: Option<FaultId>,
        seed: u64,
        plan: &Plan,
        validators: &[ValidatorInfo],
    ) {
        let id = self.entries.len();
        let who = |t: &Target| match t.resolve_static(validators, seed) {
            Some(vs) => Who::Fixed(vs),
            None => Who::Role(t.clone()),
        };
        let total: u64 = validators.iter().map(|v| v.stake).sum::<u64>().max(1);
        let words = |vs: &[ValidatorIndex]| {
            let stake: u64 = vs.iter().map(|v| validators[v.idx()].stake).sum();
            let pct = stake as f64 * 100.0 / total as f64;
            if vs.len() <= 12 {
                format!("{} ({pct:.1}% of stake)", fmt_set(vs))
            } else {
                format!("{} validators ({pct:.1}% of stake)", vs.len())
            }
        };
        // "validators 1, 2 (…)", or "19 validators (…)" for a long list.
        let named = |vs: &[ValidatorIndex]| {
            if vs.len() <= 12 {
                format!("validators {}", words(vs))
            } else {
                words(vs)
            }
        };
        let describe = |t: &Target, w: &Who| match (t, w) {
            (Target::Validator(_) | Target::Validators(_), Who::Fixed(vs)) => named(vs),
            (_, Who::Fixed(vs)) => format!("{t}: {}", named(vs)),
            (_, Who::Role(_)) => t.to_string(),
        };
        let groups_words = |gs: &[Vec<ValidatorIndex>]| {
            gs.iter().map(|g| words(g)).collect::<Vec<_>>().join(" | ")
        };
        let (todo, target, params) = match &f.kind {
            FaultKind::Partition { split, one_way } => {
                let dir = if *one_way {
                    ", one-way from the first group"
                } else {
                    ""
                };
                match split {
                    Split::Isolate(t) => {
                        let w = who(t);
                        let d = describe(t, &w);
                        (
                            Todo::Partition {
                                groups: Vec::new(),
                                isolate: Some(w),
                                one_way: *one_way,
                            },
                            format!("{d} vs the rest"),
                            dir.into(),
                        )
                    }
                    Split::Groups(gs) => {
                        let mut gs = gs.clone();
                        let listed: BTreeSet<ValidatorIndex> =
                            gs.iter().flatten().copied().collect();
                        let rest: Vec<ValidatorIndex> = (0..self.validators as u32)
                            .map(ValidatorIndex)
                            .filter(|v| !listed.contains(v))
                            .collect();
                        if !rest.is_empty() {
                            gs.push(rest);
                        }
                        for g in &mut gs {
                            g.sort();
                        }
                        let d = groups_words(&gs);
                        (
                            Todo::Partition {
                                groups: gs,
                                isolate: None,
                                one_way: *one_way,
                            },
                            d,
                            dir.into(),
                        )
                    }
                    Split::StakeGroups(shares) => {
                        let gs: Vec<_> = split_by_stake(validators, shares, seed)
                            .into_iter()
                            .filter(|g| !g.is_empty())
                            .collect();
                        let d = format!("stake groups {shares:?} (seeded): {}", groups_words(&gs));
                        (
                            Todo::Partition {
                                groups: gs,
                                isolate: None,
                                one_way: *one_way,
                            },
                            d,
                            dir.into(),
                        )
                    }
                }
            }
            FaultKind::Heal { heals } => {
                let j = plan.named(heals).expect("validated");
                (Todo::Heal(j), format!("fault {heals:?}"), String::new())
            }
            FaultKind::Crash { target } => {
                let w = who(target);
                (Todo::Crash(w.clone()), describe(target, &w), String::new())
            }
            FaultKind::Restart { target } => {
                let w = who(target);
                (
                    Todo::Restart(w.clone()),
                    describe(target, &w),
                    String::new(),
                )
            }
            FaultKind::Link { scope, effect } => {
                let mut p = Vec::new();
                if !effect.latency_added.is_zero() {
                    p.push(format!("+{} latency", fmt_duration(effect.latency_added)));
                }
                if !effect.jitter.is_zero() {
                    p.push(format!("+{} jitter", fmt_duration(effect.jitter)));
                }
                if effect.loss_rate > 0.0 {
                    p.push(format!("{}% loss", effect.loss_rate * 100.0));
                }
                if let Some(b) = effect.bandwidth_bps {
                    p.push(format!("{b} bit/s cap"));
                }
                let params = format!(": {}", p.join(", "));
                match scope {
                    LinkScope::Target(t) => {
                        let w = who(t);
                        let d = format!("links of {}", describe(t, &w));
                        (Todo::Link(Some(w), Vec::new(), *effect), d, params)
                    }
                    LinkScope::Between(a, b) => {
                        let gs = vec![a.clone(), b.clone()];
                        let d = format!("links between {}", groups_words(&gs));
                        (Todo::Link(None, gs, *effect), d, params)
                    }
                }
            }
            FaultKind::Clock {
                target,
                rate,
                jump_ns,
            } => {
                let w = who(target);
                let jump = if *jump_ns == 0 {
                    String::new()
                } else {
                    let sign = if *jump_ns < 0 { "-" } else { "+" };
                    format!(
                        ", jump {sign}{}",
                        fmt_duration(Duration::from_nanos(jump_ns.unsigned_abs()))
                    )
                };
                (
                    Todo::Clock(w.clone(), *rate, *jump_ns),
                    describe(target, &w),
                    format!(": rate {rate}x{jump}"),
                )
            }
            FaultKind::Byzantine { target, behaviour } => {
                let w = who(target);
                let p = match behaviour {
                    Behaviour::VoteDelayer { delay } => {
                        format!(" (delay {})", fmt_duration(*delay))
                    }
                    Behaviour::WithholdingLeader { withhold_share } => {
                        format!(" (withhold {}%)", withhold_share * 100.0)
                    }
                    _ => String::new(),
                };
                (
                    Todo::Byzantine(w.clone(), *behaviour),
                    describe(target, &w),
                    format!(": {}{p}", behaviour.name()),
                )
            }
            FaultKind::Random(r) => {
                let kinds: Vec<String> = r
                    .rates
                    .iter()
                    .map(|(k, x)| format!("{} {x}/h", k.name()))
                    .collect();
                (
                    Todo::Nothing,
                    format!("up to {}% of stake at once", r.max_stake * 100.0),
                    format!(": {}", kinds.join(", ")),
                )
            }
        };
        let dur = f
            .duration
            .map(|d| format!(" for {}", fmt_duration(d)))
            .unwrap_or_default();
        let summary = format!(
            "{name}: {} {target}{params}, {}{dur}",
            f.kind.name(),
            f.start
        );
        self.faults.push(FaultInfo {
            id,
            name,
            kind: f.kind.name(),
            target,
            start: f.start.clone(),
            duration: f.duration,
            generated_by,
            summary,
        });
        let random = matches!(todo, Todo::Nothing);
        self.entries.push(Entry {
            start: f.start.clone(),
            duration: f.duration,
            todo,
            state: State::Pending,
            applied: Vec::new(),
        });
        if random {
            self.entries[id].state = State::Done;
            return;
        }
        match f.start {
            Start::At(t) => self.schedule(t, id, Step::Start),
            Start::AtSlot(s) => self.armed.push((Cond::Slot(s), id)),
            Start::LeaderWindowOf { not_before, .. }
            | Start::AfterSkippedSlots { not_before, .. } => {
                self.schedule(not_before, id, Step::Arm)
            }
        }
    }

    fn schedule(&mut self, at: Duration, id: FaultId, step: Step) {
        self.seq += 1;
        self.queue.insert((at, self.seq), (id, step));
    }

    /// How far the faults' clocks can lag simulated time: the slowest clock
    /// rate of any clock fault (1.0 without one; in `(0, 1]`) and the sum
    /// of their backward jumps, ns. A validator measuring `d` on its own
    /// clock may take up to `d / rate + backward_jump_ns` of simulated time
    /// (used to bound how long a transaction can wait at a leader).
    pub fn clock_lag_bounds(&self) -> (f64, u64) {
        let mut rate_min = 1.0_f64;
        let mut backward_ns = 0u64;
        for e in &self.entries {
            if let Todo::Clock(_, rate, jump_ns) = e.todo {
                rate_min = rate_min.min(rate);
                if jump_ns < 0 {
                    backward_ns = backward_ns.saturating_add(jump_ns.unsigned_abs());
                }
            }
        }
        (rate_min, backward_ns)
    }

    /// The earliest time at which something is scheduled (poll then).
    pub fn next_deadline(&self) -> Option<Duration> {
        self.queue.first_key_value().map(|((t, _), _)| *t)
    }

    /// The faults written in the scenario (not drawn by a `random` one)
    /// that have not started, in scenario order.
    pub fn not_started(&self) -> Vec<&FaultInfo> {
        self.faults
            .iter()
            .zip(&self.entries)
            .filter(|(f, e)| e.state == State::Pending && f.generated_by.is_none())
            .map(|(f, _)| f)
            .collect()
    }

    /// Whether nothing more can happen (every start and end has fired, or
    /// can never fire).
    pub fn is_finished(&self) -> bool {
        self.queue.is_empty() && self.armed.is_empty()
    }

    /// The actions due at `obs`, in order: scheduled times up to `obs.now`
    /// (in time order), and starts waiting for a slot or for skipped slots
    /// that `obs` satisfies. Role targets resolve against `obs.schedule`
    /// and `obs.slot`. A fault started here with a duration ends at
    /// `obs.now + duration`.
    pub fn poll(&mut self, obs: &Observation<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        loop {
            let mut progressed = false;
            while let Some(entry) = self.queue.first_entry() {
                if entry.key().0 > obs.now {
                    break;
                }
                let (id, step) = entry.remove();
                self.step(id, step, obs, &mut out);
                progressed = true;
            }
            let mut i = 0;
            while i < self.armed.len() {
                let (cond, id) = self.armed[i];
                let due = match cond {
                    Cond::Slot(s) => obs.slot >= s,
                    Cond::Skipped(n) => obs.skipped_in_a_row >= n,
                };
                if due {
                    self.armed.remove(i);
                    self.step(id, Step::Start, obs, &mut out);
                    progressed = true;
                } else {
                    i += 1;
                }
            }
            if !progressed {
                return out;
            }
        }
    }

    fn resolve(&self, who: &Who, obs: &Observation<'_>) -> Vec<ValidatorIndex> {
        match who {
            Who::Fixed(vs) => vs.clone(),
            Who::Role(t) => t.resolve_role(obs.schedule, obs.slot).unwrap_or_default(),
        }
    }

    fn step(&mut self, id: FaultId, step: Step, obs: &Observation<'_>, out: &mut Vec<Action>) {
        match step {
            Step::Arm => {
                let cond = match self.entries[id].start {
                    Start::LeaderWindowOf { validator, .. } => {
                        let s = obs.schedule;
                        let w = s.slots_per_window();
                        let first = if obs.slot.0 <= 1 || s.is_window_start(obs.slot) {
                            s.window_start(obs.slot).0
                        } else {
                            s.window_start(obs.slot).0 + w
                        };
                        // A validator with stake leads about once per
                        // 1/stake windows; give up after 1M windows.
                        match (0..1_000_000u64)
                            .map(|k| first + k * w)
                            .find(|&st| s.leader(Slot(st)) == validator)
                        {
                            Some(st) => Cond::Slot(Slot(st)),
                            None => return,
                        }
                    }
                    Start::AfterSkippedSlots { count, .. } => Cond::Skipped(count),
                    _ => return,
                };
                self.armed.push((cond, id));
            }
            Step::Start => {
                if self.entries[id].state != State::Pending {
                    return;
                }
                self.entries[id].state = State::Active;
                if let Some(d) = self.entries[id].duration {
                    self.schedule(obs.now + d, id, Step::End);
                }
                let todo = self.entries[id].todo.clone();
                let (action, applied) = match todo {
                    Todo::Partition {
                        mut groups,
                        isolate,
                        one_way,
                    } => {
                        if let Some(w) = isolate {
                            let inside = self.resolve(&w, obs);
                            let rest = (0..self.validators as u32)
                                .map(ValidatorIndex)
                                .filter(|v| !inside.contains(v))
                                .collect();
                            groups = vec![inside, rest];
                        }
                        groups.retain(|g| !g.is_empty());
                        (
                            Some(Action::Partition {
                                id,
                                groups,
                                one_way,
                            }),
                            Vec::new(),
                        )
                    }
                    Todo::Heal(target) => {
                        self.entries[id].state = State::Done;
                        match self.entries[target].state {
                            State::Pending => self.entries[target].state = State::Done,
                            State::Active => self.end(target, out),
                            State::Done => {}
                        }
                        (None, Vec::new())
                    }
                    Todo::Crash(w) => {
                        let vs = self.resolve(&w, obs);
                        let mut newly = Vec::new();
                        for &v in &vs {
                            let holders = self.down.entry(v).or_default();
                            if holders.is_empty() {
                                newly.push(v);
                            }
                            holders.insert(id);
                        }
                        (
                            Some(Action::Crash {
                                id,
                                validators: newly,
                            }),
                            vs,
                        )
                    }
                    Todo::Restart(w) => {
                        self.entries[id].state = State::Done;
                        let up: Vec<_> = self
                            .resolve(&w, obs)
                            .into_iter()
                            .filter(|v| self.down.remove(v).is_some())
                            .collect();
                        (Some(Action::Restart { id, validators: up }), Vec::new())
                    }
                    Todo::Link(w, gs, e) => {
                        let links = match w {
                            Some(w) => LinkSet::Touching(self.resolve(&w, obs)),
                            None => LinkSet::Between(gs[0].clone(), gs[1].clone()),
                        };
                        let action = Action::Link {
                            id,
                            links,
                            latency_ns_added: e.latency_added.as_nanos() as u64,
                            jitter_ns: e.jitter.as_nanos() as u64,
                            loss_rate: e.loss_rate,
                            bandwidth_bps: e.bandwidth_bps,
                        };
                        (Some(action), Vec::new())
                    }
                    Todo::Clock(w, rate, jump_ns) => {
                        let vs = self.resolve(&w, obs);
                        (
                            Some(Action::Clock {
                                id,
                                validators: vs.clone(),
                                rate,
                                jump_ns,
                            }),
                            vs,
                        )
                    }
                    Todo::Byzantine(w, behaviour) => {
                        let vs = self.resolve(&w, obs);
                        (
                            Some(Action::Byzantine {
                                id,
                                validators: vs.clone(),
                                behaviour,
                            }),
                            vs,
                        )
                    }
                    Todo::Nothing => (None, Vec::new()),
                };
                match action.filter(non_empty) {
                    Some(a) => out.push(a),
                    // Nothing applied: nothing to undo later.
                    None if applied.is_empty() && self.entries[id].state == State::Active => {
                        self.entries[id].state = State::Done
                    }
                    None => {}
                }
                self.entries[id].applied = applied;
            }
            Step::End => self.end(id, out),
        }
    }

    /// Ends active fault `id`.
    fn end(&mut self, id: FaultId, out: &mut Vec<Action>) {
        if self.entries[id].state != State::Active {
            return;
        }
        self.entries[id].state = State::Done;
        let validators = std::mem::take(&mut self.entries[id].applied);
        let action = match self.entries[id].todo {
            Todo::Partition { .. } => Action::Heal { id },
            Todo::Link(..) => Action::LinkRestore { id },
            Todo::Clock(..) => Action::ClockRestore { id, validators },
            Todo::Byzantine(..) => Action::Honest { id, validators },
            Todo::Crash(_) => {
                let mut up = Vec::new();
                for v in validators {
                    if let Some(holders) = self.down.get_mut(&v) {
                        if holders.remove(&id) && holders.is_empty() {
                            self.down.remove(&v);
                            up.push(v);
                        }
                    }
                }
                Action::Restart { id, validators: up }
            }
            Todo::Heal(_) | Todo::Restart(_) | Todo::Nothing => return,
        };
        out.extend(Some(action).filter(non_empty));
    }
}

/// Whether an action does something (no empty validator lists or groups).
fn non_empty(a: &Action) -> bool {
    match a {
        Action::Crash { validators, .. }
        | Action::Restart { validators, .. }
        | Action::Clock { validators, .. }
        | Action::ClockRestore { validators, .. }
        | Action::Byzantine { validators, .. }
        | Action::Honest { validators, .. } => !validators.is_empty(),
        Action::Link {
            links: LinkSet::Touching(vs),
            ..
        } => !vs.is_empty(),
        _ => true,
    }
}
