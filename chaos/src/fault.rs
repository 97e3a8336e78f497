//! The typed fault model: what a `[[fault]]` entry means once parsed.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use whiteout_node::byzantine::Behaviour;
use whiteout_node::{LeaderSchedule, Slot, ValidatorIndex};

use crate::{select_stake_share, ValidatorInfo};

/// One fault, parsed from a [`crate::FaultSpec`].
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// `name`: how `heal` faults and reports refer to it.
    pub name: Option<String>,
    /// When it starts.
    pub start: Start,
    /// `duration`: it heals by itself this long after it started; `None`:
    /// it lasts to the end of the run or until a `heal` names it. For
    /// `random`, the length of its active window.
    pub duration: Option<Duration>,
    /// What it does, to whom.
    pub kind: FaultKind,
}

/// When a fault starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// `at = "2m"`: at this simulated time since the run start.
    At(Duration),
    /// `at_slot = 1200`: when the run reaches this slot (see
    /// [`crate::Observation::slot`]).
    AtSlot(Slot),
    /// `at_leader_window_of = 17` (with an optional `at` as `not_before`):
    /// at the first slot of the next leader window of `validator` that
    /// starts at or after the slot the run is in at `not_before`.
    LeaderWindowOf {
        /// The leader.
        validator: ValidatorIndex,
        /// Not before this time (`at`, default 0).
        not_before: Duration,
    },
    /// `after_skipped_slots = 8` (with an optional `at` as `not_before`):
    /// once `count` consecutive slots have been skipped (see
    /// [`crate::Observation::skipped_in_a_row`]).
    AfterSkippedSlots {
        /// Consecutive skipped slots, > 0.
        count: u64,
        /// Not before this time (`at`, default 0).
        not_before: Duration,
    },
}

/// Whom a fault hits.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `validator = 3`.
    Validator(ValidatorIndex),
    /// `validators = [1, 2, 3]` (non-empty, no duplicates).
    Validators(Vec<ValidatorIndex>),
    /// `stake = 0.2`: the seeded set of [`select_stake_share`], in `(0, 1]`.
    Stake(f64),
    /// `role = "leader"`: the leader of the window the run is in when the
    /// fault starts.
    Leader,
    /// `next_leaders = 3`: the leaders of the window the run is in when the
    /// fault starts and of the windows after it, this many windows (a
    /// validator leading several counts once).
    NextLeaders(u32),
    /// `region = "DE-Frankfurt am Main"`: validators whose
    /// `whiteout_topologies::Validator::region` is exactly this.
    Region(String),
    /// `continent = "europe"`: validators whose
    /// `whiteout_topologies::Validator::continent` is this.
    Continent(String),
}

impl Target {
    /// Whether the target depends on the leader schedule at fault time
    /// ([`Target::Leader`], [`Target::NextLeaders`]).
    pub fn is_role(&self) -> bool {
        matches!(self, Target::Leader | Target::NextLeaders(_))
    }

    /// The validators of a static target, sorted (`None` for role targets).
    /// `seed` is the fault's seed ([`crate::fault_seed`]), used by
    /// [`Target::Stake`].
    pub fn resolve_static(
        &self,
        validators: &[ValidatorInfo],
        seed: u64,
    ) -> Option<Vec<ValidatorIndex>> {
        let matching = |f: &dyn Fn(&ValidatorInfo) -> bool| {
            (0..validators.len())
                .filter(|&i| f(&validators[i]))
                .map(|i| ValidatorIndex(i as u32))
                .collect()
        };
        Some(match self {
            Target::Validator(v) => vec![*v],
            Target::Validators(vs) => {
                let mut vs = vs.clone();
                vs.sort();
                vs
            }
            Target::Stake(share) => select_stake_share(validators, *share, seed),
            Target::Region(r) => matching(&|v| v.region.as_deref() == Some(r)),
            Target::Continent(c) => matching(&|v| v.continent == Some(c.as_str())),
            Target::Leader | Target::NextLeaders(_) => return None,
        })
    }

    /// The validators of a role target when the run is in `slot`, sorted
    /// (`None` for static targets).
    pub fn resolve_role(
        &self,
        schedule: &LeaderSchedule,
        slot: Slot,
    ) -> Option<Vec<ValidatorIndex>> {
        let windows = match self {
            Target::Leader => 1,
            Target::NextLeaders(n) => u64::from(*n),
            _ => return None,
        };
        let w = schedule.slots_per_window();
        let start = schedule.window_start(slot).0;
        let mut leaders: Vec<ValidatorIndex> = (0..windows)
            .map(|k| schedule.leader(Slot(start + k * w)))
            .collect();
        leaders.sort();
        leaders.dedup();
        Some(leaders)
    }
}

/// How a partition splits the validators.
#[derive(Clone, Debug, PartialEq)]
pub enum Split {
    /// `groups = [[0, 1, 2], [3, 4]]`: disjoint, non-empty groups; the
    /// validators in none of them form one more group, last.
    Groups(Vec<Vec<ValidatorIndex>>),
    /// `stake_groups = [0.5, 0.5]`: all validators split by stake shares
    /// ([`crate::split_by_stake`]; shares in `(0, 1)`, summing to 1 ± 0.01).
    StakeGroups(Vec<f64>),
    /// `isolate = true` with a target: the target vs the rest.
    Isolate(Target),
}

/// Which links a `link` fault degrades.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkScope {
    /// A target: every link from or to one of its validators.
    Target(Target),
    /// `groups = [[..], [..]]`: the links between the two (disjoint) groups,
    /// both directions.
    Between(Vec<ValidatorIndex>, Vec<ValidatorIndex>),
}

/// What a `link` fault does to each link in its scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkEffect {
    /// `latency_ms_added`: extra one-way latency (default 0).
    pub latency_added: Duration,
    /// `jitter_ms`: extra delay uniform in `[0, jitter]` per message
    /// (default 0).
    pub jitter: Duration,
    /// `loss_rate`: extra probability of losing a message, in `[0, 1]`
    /// (default 0).
    pub loss_rate: f64,
    /// `bandwidth_bps`: cap on the link's bandwidth in bits per second.
    pub bandwidth_bps: Option<u64>,
}

/// A kind a `random` fault draws (its `kinds`, or the keys of its
/// `rate_per_hour` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum RandomKind {
    /// A `crash` with a duration.
    Crash,
    /// A `partition` isolating the drawn validators.
    Partition,
    /// A `link` fault on the drawn validators, with the random fault's link
    /// parameters.
    Link,
    /// A `clock` fault on the drawn validators, with the random fault's
    /// clock parameters.
    Clock,
}

impl RandomKind {
    /// All kinds, in order.
    pub const ALL: [RandomKind; 4] = [
        RandomKind::Crash,
        RandomKind::Partition,
        RandomKind::Link,
        RandomKind::Clock,
    ];

    /// Name as in the scenario file.
    pub fn name(self) -> &'static str {
        match self {
            RandomKind::Crash => "crash",
            RandomKind::Partition => "partition",
            RandomKind::Link => "link",
            RandomKind::Clock => "clock",
        }
    }
}

impl TryFrom<String> for RandomKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        RandomKind::ALL
            .into_iter()
            .find(|k| k.name() == value)
            .ok_or_else(|| {
                format!("expected kinds among crash, partition, link, clock; got {value:?}")
            })
    }
}

impl fmt::Display for RandomKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A seeded chaos monkey (`kind = "random"`); see [`RandomSpec::expand`].
#[derive(Clone, Debug, PartialEq)]
pub struct RandomSpec {
    /// Events per hour, per kind (`rate_per_hour`), in kind order.
    pub rates: Vec<(RandomKind, f64)>,
    /// Start of the active window (`at`, default 0).
    pub from: Duration,
    /// Length of the active window (`duration`; default: to the run end).
    pub window: Option<Duration>,
    /// Shortest fault drawn (`duration_min`, default 10 s).
    pub duration_min: Duration,
    /// Longest fault drawn (`duration_max`, default 60 s).
    pub duration_max: Duration,
    /// Most stake affected by this monkey's faults at any time
    /// (`max_stake`, default 0.2).
    pub max_stake: f64,
    /// Link parameters of drawn `link` faults (the random fault's
    /// `latency_ms_added` etc.; default +200 ms latency, 10% loss).
    pub link: LinkEffect,
    /// `rate` of drawn `clock` faults (default 2.0).
    pub clock_rate: f64,
    /// `jump` of drawn `clock` faults, in ns (default 0).
    pub clock_jump_ns: i64,
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// `partition`: messages between groups are dropped (with `one_way`,
    /// only messages from group 0 to the other groups).
    Partition {
        /// The groups.
        split: Split,
        /// `one_way = true`.
        one_way: bool,
    },
    /// `heal`: ends the named fault (`heals = "name"`) early; if it has not
    /// started yet, it never will.
    Heal {
        /// Name of the fault to end.
        heals: String,
    },
    /// `crash`: the target stops and loses its volatile state; with a
    /// duration, it restarts afterwards.
    Crash {
        /// Who crashes.
        target: Target,
    },
    /// `restart`: crashed validators of the target come back.
    Restart {
        /// Who restarts.
        target: Target,
    },
    /// `link`: degrades links.
    Link {
        /// Which links.
        scope: LinkScope,
        /// How.
        effect: LinkEffect,
    },
    /// `clock`: the target's local clock runs at `rate` and/or jumps.
    Clock {
        /// Whose clock.
        target: Target,
        /// Local time advances `rate` times as fast as simulated time (> 0;
        /// 1 = unchanged): timers fire early when > 1.
        rate: f64,
        /// A one-off jump of the local clock at the start, in ns (may be
        /// negative).
        jump_ns: i64,
    },
    /// `byzantine`: the target runs a [`Behaviour`].
    Byzantine {
        /// Who misbehaves.
        target: Target,
        /// How.
        behaviour: Behaviour,
    },
    /// `random`: a seeded chaos monkey, expanded into concrete faults.
    Random(RandomSpec),
}

impl FaultKind {
    /// The kind's name as in the scenario file.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Partition { .. } => "partition",
            FaultKind::Heal { .. } => "heal",
            FaultKind::Crash { .. } => "crash",
            FaultKind::Restart { .. } => "restart",
            FaultKind::Link { .. } => "link",
            FaultKind::Clock { .. } => "clock",
            FaultKind::Byzantine { .. } => "byzantine",
            FaultKind::Random(_) => "random",
        }
    }

    /// The target, for kinds that have one.
    pub fn target(&self) -> Option<&Target> {
        match self {
            FaultKind::Crash { target }
            | FaultKind::Restart { target }
            | FaultKind::Clock { target, .. }
            | FaultKind::Byzantine { target, .. }
            | FaultKind::Partition {
                split: Split::Isolate(target),
                ..
            }
            | FaultKind::Link {
                scope: LinkScope::Target(target),
                ..
            } => Some(target),
            _ => None,
        }
    }
}

pub(crate) fn fmt_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

pub(crate) fn fmt_set(vs: &[ValidatorIndex]) -> String {
    let ids: Vec<String> = vs.iter().map(|v| v.0.to_string()).collect();
    format!("{{{}}}", ids.join(", "))
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not_before = |t: &Duration| {
            if t.is_zero() {
                String::new()
            } else {
                format!(", not before {}", fmt_duration(*t))
            }
        };
        match self {
            Start::At(t) => write!(f, "at {}", fmt_duration(*t)),
            Start::AtSlot(s) => write!(f, "at slot {s}"),
            Start::LeaderWindowOf {
                validator,
                not_before: t,
            } => {
                write!(
                    f,
                    "at the next leader window of validator {}{}",
                    validator.0,
                    not_before(t)
                )
            }
            Start::AfterSkippedSlots {
                count,
                not_before: t,
            } => {
                write!(
                    f,
                    "after {count} consecutive skipped slots{}",
                    not_before(t)
                )
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Validator(v) => write!(f, "validator {}", v.0),
            Target::Validators(vs) => write!(f, "validators {}", fmt_set(vs)),
            Target::Stake(s) => write!(f, "{}% of stake (seeded)", s * 100.0),
            Target::Leader => write!(f, "the current leader"),
            Target::NextLeaders(n) => write!(f, "the next {n} leaders"),
            Target::Region(r) => write!(f, "region {r}"),
            Target::Continent(c) => write!(f, "continent {c}"),
        }
    }
}
