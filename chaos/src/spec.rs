//! `[[fault]]` entries as written, and their parsing into [`Fault`]s.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use whiteout_node::byzantine::Behaviour;
use whiteout_node::{Slot, ValidatorIndex};
use whiteout_topologies::LATENCY_MS_MAX;

use crate::fault::{
    Fault, FaultKind, LinkEffect, LinkScope, RandomKind, RandomSpec, Split, Start, Target,
};
use crate::ChaosError;

/// Continents `whiteout_topologies::Validator::continent` knows.
pub(crate) const CONTINENTS: [&str; 6] = [
    "europe",
    "north_america",
    "south_america",
    "asia",
    "oceania",
    "africa",
];

/// One `[[fault]]` entry as written in a scenario file: every field of every
/// kind, all optional except `kind`. [`FaultSpec::parse`] checks which ones
/// are given and turns them into a [`Fault`]. See the crate documentation
/// for the meaning of each field.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Fault kind: `partition`, `heal`, `crash`, `restart`, `link`, `clock`, `byzantine`, `random`.
    pub kind: FaultSpecKind,
    /// Name, for `heal` and reports.
    pub name: Option<String>,
    /// Start at this time since the run start (humantime); with `at_leader_window_of` or `after_skipped_slots`: not before it.
    pub at: Option<String>,
    /// Start when the run reaches this slot.
    pub at_slot: Option<u64>,
    /// Start at the next leader window of this validator.
    pub at_leader_window_of: Option<u32>,
    /// Start after this many consecutive skipped slots.
    pub after_skipped_slots: Option<u64>,
    /// Heal by itself this long after the start (humantime); `random`: active window.
    pub duration: Option<String>,
    /// `heal`: name of the fault to end.
    pub heals: Option<String>,
    /// Target: one validator.
    pub validator: Option<u32>,
    /// Target: these validators.
    pub validators: Option<Vec<u32>>,
    /// Target: a seeded set with this share of the stake, in (0, 1].
    pub stake: Option<f64>,
    /// Target: `"leader"`, the current leader.
    pub role: Option<String>,
    /// Target: the leaders of this many windows from the current one.
    pub next_leaders: Option<u32>,
    /// Target: validators of this region (`COUNTRY-City`).
    pub region: Option<String>,
    /// Target: validators of this continent.
    pub continent: Option<String>,
    /// `partition`: explicit groups; `link`: the two groups whose links degrade.
    pub groups: Option<Vec<Vec<u32>>>,
    /// `partition`: split by these stake shares (summing to 1).
    pub stake_groups: Option<Vec<f64>>,
    /// `partition`: the target vs the rest.
    pub isolate: Option<bool>,
    /// `partition`: drop only messages from group 0.
    pub one_way: Option<bool>,
    /// `link`: added one-way latency, ms.
    pub latency_ms_added: Option<f64>,
    /// `link`: added jitter bound, ms.
    pub jitter_ms: Option<f64>,
    /// `link`: loss probability, [0, 1].
    pub loss_rate: Option<f64>,
    /// `link`: bandwidth cap, bit/s.
    pub bandwidth_bps: Option<u64>,
    /// `clock`: local clock rate (> 0).
    pub rate: Option<f64>,
    /// `clock`: one-off clock jump (humantime, may start with `-`).
    pub jump: Option<String>,
    /// `byzantine`: one of `whiteout_node::byzantine::Behaviour::NAMES`.
    pub behaviour: Option<String>,
    /// `byzantine` `vote_delayer`: how long each vote is held.
    pub delay: Option<String>,
    /// `byzantine` `withholding_leader`: share of shreds withheld, (0, 1], default 0.5.
    pub withhold_share: Option<f64>,
    /// `random`: events per hour.
    pub rate_per_hour: Option<RatePerHour>,
    /// `random`: kinds drawn when `rate_per_hour` is a number (default crash, partition, link).
    pub kinds: Option<Vec<RandomKind>>,
    /// `random`: shortest drawn fault (default 10s).
    pub duration_min: Option<String>,
    /// `random`: longest drawn fault (default 60s).
    pub duration_max: Option<String>,
    /// `random`: most stake affected at once (default 0.2).
    pub max_stake: Option<f64>,
}

/// The `kind` of a `[[fault]]` entry, as written: which [`FaultKind`] it
/// parses into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum FaultSpecKind {
    /// `partition`: [`FaultKind::Partition`].
    Partition,
    /// `heal`: [`FaultKind::Heal`].
    Heal,
    /// `crash`: [`FaultKind::Crash`].
    Crash,
    /// `restart`: [`FaultKind::Restart`].
    Restart,
    /// `link`: [`FaultKind::Link`].
    Link,
    /// `clock`: [`FaultKind::Clock`].
    Clock,
    /// `byzantine`: [`FaultKind::Byzantine`].
    Byzantine,
    /// `random`: [`FaultKind::Random`].
    Random,
}

impl FaultSpecKind {
    /// All kinds, in the order of the enum.
    pub const ALL: [FaultSpecKind; 8] = [
        FaultSpecKind::Partition,
        FaultSpecKind::Heal,
        FaultSpecKind::Crash,
        FaultSpecKind::Restart,
        FaultSpecKind::Link,
        FaultSpecKind::Clock,
        FaultSpecKind::Byzantine,
        FaultSpecKind::Random,
    ];

    /// Name as in the scenario file (the same as [`FaultKind::name`]).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultSpecKind::Partition => "partition",
            FaultSpecKind::Heal => "heal",
            FaultSpecKind::Crash => "crash",
            FaultSpecKind::Restart => "restart",
            FaultSpecKind::Link => "link",
            FaultSpecKind::Clock => "clock",
            FaultSpecKind::Byzantine => "byzantine",
            FaultSpecKind::Random => "random",
        }
    }
}

impl TryFrom<String> for FaultSpecKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        FaultSpecKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| {
                format!(
                    "expected one of partition, heal, crash, restart, link, clock, byzantine, \
                     random; got {value:?}"
                )
            })
    }
}

impl fmt::Display for FaultSpecKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `rate_per_hour` of a `random` fault: one rate for each of `kinds`, or a
/// table of rates per kind (`{ crash = 6.0, link = 2.0 }`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RatePerHour {
    /// The same rate for each kind of `kinds`.
    Each(f64),
    /// A rate per kind; the kinds are the keys.
    PerKind(BTreeMap<String, f64>),
}

/// Fault times and durations: at most the longest run.
const TIME_MAX: Duration = crate::DURATION_MAX;

/// The longest delay a `vote_delayer` may hold each vote: 1 hour, as for a
/// link's latency.
const VOTE_DELAY_MAX: Duration = Duration::from_millis(LATENCY_MS_MAX as u64);

const TARGET_FIELDS: [&str; 7] = [
    "validator",
    "validators",
    "stake",
    "role",
    "next_leaders",
    "region",
    "continent",
];
const LINK_FIELDS: [&str; 4] = [
    "latency_ms_added",
    "jitter_ms",
    "loss_rate",
    "bandwidth_bps",
];
const START_FIELDS: [&str; 4] = [
    "at",
    "at_slot",
    "at_leader_window_of",
    "after_skipped_slots",
];

/// Parameter fields allowed per kind (besides `kind`, `name`, the start
/// fields and `duration`).
fn allowed(kind: FaultSpecKind) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = match kind {
        FaultSpecKind::Partition => vec!["groups", "stake_groups", "isolate", "one_way"],
        FaultSpecKind::Heal => return vec!["heals"],
        FaultSpecKind::Crash | FaultSpecKind::Restart => vec![],
        FaultSpecKind::Link => [&LINK_FIELDS[..], &["groups"]].concat(),
        FaultSpecKind::Clock => vec!["rate", "jump"],
        FaultSpecKind::Byzantine => vec!["behaviour", "delay", "withhold_share"],
        FaultSpecKind::Random => {
            let own = [
                "rate_per_hour",
                "kinds",
                "duration_min",
                "duration_max",
                "max_stake",
                "rate",
                "jump",
            ];
            return [&own[..], &LINK_FIELDS[..]].concat();
        }
    };
    v.extend(TARGET_FIELDS);
    v
}

impl FaultSpec {
    /// Names of the parameter fields given (not `kind`, `name`, start
    /// fields, `duration`).
    fn given(&self) -> Vec<&'static str> {
        let fields = [
            ("heals", self.heals.is_some()),
            ("validator", self.validator.is_some()),
            ("validators", self.validators.is_some()),
            ("stake", self.stake.is_some()),
            ("role", self.role.is_some()),
            ("next_leaders", self.next_leaders.is_some()),
            ("region", self.region.is_some()),
            ("continent", self.continent.is_some()),
            ("groups", self.groups.is_some()),
            ("stake_groups", self.stake_groups.is_some()),
            ("isolate", self.isolate.is_some()),
            ("one_way", self.one_way.is_some()),
            ("latency_ms_added", self.latency_ms_added.is_some()),
            ("jitter_ms", self.jitter_ms.is_some()),
            ("loss_rate", self.loss_rate.is_some()),
            ("bandwidth_bps", self.bandwidth_bps.is_some()),
            ("rate", self.rate.is_some()),
            ("jump", self.jump.is_some()),
            ("behaviour", self.behaviour.is_some()),
            ("delay", self.delay.is_some()),
            ("withhold_share", self.withhold_share.is_some()),
            ("rate_per_hour", self.rate_per_hour.is_some()),
            ("kinds", self.kinds.is_some()),
            ("duration_min", self.duration_min.is_some()),
            ("duration_max", self.duration_max.is_some()),
            ("max_stake", self.max_stake.is_some()),
        ];
        fields
            .into_iter()
            .filter(|(_, g)| *g)
            .map(|(f, _)| f)
            .collect()
    }

    /// Parses entry `index` of the `[[fault]]` list.
    ///
    /// # Errors
    /// A missing, extra or out-of-range field, naming the fault and field.
    pub fn parse(&self, index: usize) -> Result<Fault, ChaosError> {
        let err = |field: &str, message: String| ChaosError::Fault {
            index,
            name: self.name.clone(),
            field: field.to_string(),
            message,
        };
        let kind = self.kind;
        let allowed = allowed(kind);
        let given = self.given();
        if let Some(f) = given.iter().find(|f| !allowed.contains(f)) {
            return Err(err(f, format!("not a parameter of kind `{kind}`")));
        }
        if self.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(err("name", "expected a non-empty name".into()));
        }
        let duration =
            |field: &str, text: &Option<String>| -> Result<Option<Duration>, ChaosError> {
                text.as_deref()
                    .map(|t| match humantime::parse_duration(t) {
                        Ok(d) if !d.is_zero() && d <= TIME_MAX => Ok(d),
                        _ => Err(err(
                            field,
                            format!(
                                "expected a duration > 0 and at most 30 days such as \"30s\", \
                                 got {t:?}"
                            ),
                        )),
                    })
                    .transpose()
            };
        let at = match self.at.as_deref() {
            None => None,
            Some(t) => Some(
                humantime::parse_duration(t)
                    .ok()
                    .filter(|d| *d <= TIME_MAX)
                    .ok_or_else(|| {
                        err(
                            "at",
                            format!(
                                "expected a time since the run start, at most 30 days, such as \
                                 \"2m\", got {t:?}"
                            ),
                        )
                    })?,
            ),
        };
        // Start.
        let starts: Vec<&str> = [
            ("at_slot", self.at_slot.is_some()),
            ("at_leader_window_of", self.at_leader_window_of.is_some()),
            ("after_skipped_slots", self.after_skipped_slots.is_some()),
        ]
        .into_iter()
        .filter(|(_, g)| *g)
        .map(|(f, _)| f)
        .collect();
        let exactly_one = || {
            format!(
                "expected exactly one of {} (`at` may go with at_leader_window_of or \
                 after_skipped_slots, as \"not before\")",
                START_FIELDS.join(", ")
            )
        };
        if starts.len() > 1 {
            return Err(err(starts[1], exactly_one()));
        }
        if starts.first() == Some(&"at_slot") && at.is_some() {
            return Err(err("at_slot", exactly_one()));
        }
        if let (Some(f), FaultSpecKind::Random) = (starts.first(), kind) {
            return Err(err(f, "a random fault starts with `at` only".into()));
        }
        let not_before = at.unwrap_or_default();
        let start = if let Some(s) = self.at_slot {
            if s == 0 {
                return Err(err("at_slot", "expected a slot >= 1".into()));
            }
            Start::AtSlot(Slot(s))
        } else if let Some(v) = self.at_leader_window_of {
            Start::LeaderWindowOf {
                validator: ValidatorIndex(v),
                not_before,
            }
        } else if let Some(count) = self.after_skipped_slots {
            if count == 0 {
                return Err(err("after_skipped_slots", "expected a count >= 1".into()));
            }
            Start::AfterSkippedSlots { count, not_before }
        } else if at.is_some() || kind == FaultSpecKind::Random {
            Start::At(not_before)
        } else {
            return Err(err(
                "at",
                format!(
                    "expected one of {} to say when the fault starts",
                    START_FIELDS.join(", ")
                ),
            ));
        };
        let fault_duration = duration("duration", &self.duration)?;
        if fault_duration.is_some() && matches!(kind, FaultSpecKind::Heal | FaultSpecKind::Restart)
        {
            return Err(err(
                "duration",
                format!("not a parameter of kind `{kind}` (it is instantaneous)"),
            ));
        }
        // Target.
        let targets: Vec<&str> = given
            .iter()
            .copied()
            .filter(|f| TARGET_FIELDS.contains(f))
            .collect();
        if targets.len() > 1 {
            return Err(err(
                targets[1],
                format!(
                    "expected one target field, also got `{}` (targets: {})",
                    targets[0],
                    TARGET_FIELDS.join(", ")
                ),
            ));
        }
        let target = match targets.first().copied() {
            None => None,
            Some("validator") => Some(Target::Validator(ValidatorIndex(
                self.validator.unwrap_or_default(),
            ))),
            Some("validators") => {
                let vs = self.validators.clone().unwrap_or_default();
                if vs.is_empty() {
                    return Err(err("validators", "expected at least one validator".into()));
                }
                let mut sorted = vs.clone();
                sorted.sort_unstable();
                if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                    return Err(err(
                        "validators",
                        format!("validator {} listed twice", w[0]),
                    ));
                }
                Some(Target::Validators(
                    vs.into_iter().map(ValidatorIndex).collect(),
                ))
            }
            Some("stake") => {
                let s = self.stake.unwrap_or_default();
                share(s).map_err(|m| err("stake", m))?;
                Some(Target::Stake(s))
            }
            Some("role") => match self.role.as_deref() {
                Some("leader") => Some(Target::Leader),
                r => {
                    return Err(err(
                        "role",
                        format!("expected \"leader\", got {:?}", r.unwrap_or_default()),
                    ))
                }
            },
            Some("next_leaders") => match self.next_leaders {
                Some(n @ 1..=1000) => Some(Target::NextLeaders(n)),
                n => {
                    return Err(err(
                        "next_leaders",
                        format!("expected 1..=1000, got {}", n.unwrap_or_default()),
                    ))
                }
            },
            Some("region") => Some(Target::Region(self.region.clone().unwrap_or_default())),
            Some(_) => {
                let c = self.continent.clone().unwrap_or_default();
                if !CONTINENTS.contains(&c.as_str()) {
                    return Err(err(
                        "continent",
                        format!("expected one of {}, got {c:?}", CONTINENTS.join(", ")),
                    ));
                }
                Some(Target::Continent(c))
            }
        };
        let need_target = |t: Option<Target>| {
            t.ok_or_else(|| {
                err(
                    "target",
                    format!("kind `{kind}` needs one of {}", TARGET_FIELDS.join(", ")),
                )
            })
        };
        let groups =
            |field: &str, gs: &[Vec<u32>]| -> Result<Vec<Vec<ValidatorIndex>>, ChaosError> {
                let mut seen = std::collections::BTreeSet::new();
                for g in gs {
                    if g.is_empty() {
                        return Err(err(field, "expected non-empty groups".into()));
                    }
                    if let Some(v) = g.iter().find(|v| !seen.insert(**v)) {
                        return Err(err(field, format!("validator {v} is in two groups")));
                    }
                }
                Ok(gs
                    .iter()
                    .map(|g| g.iter().map(|&v| ValidatorIndex(v)).collect())
                    .collect())
            };
        let link_effect = |default: LinkEffect| -> Result<LinkEffect, ChaosError> {
            let ms = |field: &str, v: Option<f64>, d: Duration| match v {
                None => Ok(d),
                Some(x) if x.is_finite() && (0.0..=LATENCY_MS_MAX).contains(&x) => {
                    Ok(Duration::from_secs_f64(x / 1e3))
                }
                Some(x) => Err(err(
                    field,
                    format!("expected milliseconds in [0, 3600000], got {x}"),
                )),
            };
            let e = LinkEffect {
                latency_added: ms(
                    "latency_ms_added",
                    self.latency_ms_added,
                    default.latency_added,
                )?,
                jitter: ms("jitter_ms", self.jitter_ms, default.jitter)?,
                loss_rate: self.loss_rate.unwrap_or(default.loss_rate),
                bandwidth_bps: self.bandwidth_bps.or(default.bandwidth_bps),
            };
            if !(0.0..=1.0).contains(&e.loss_rate) {
                return Err(err(
                    "loss_rate",
                    format!("expected a probability in [0, 1], got {}", e.loss_rate),
                ));
            }
            if e.bandwidth_bps == Some(0) {
                return Err(err("bandwidth_bps", "expected bits per second > 0".into()));
            }
            Ok(e)
        };
        let clock = |default_rate: f64| -> Result<(f64, i64), ChaosError> {
            let rate = self.rate.unwrap_or(default_rate);
            // Slower than 1/1000 a clock stands still for the simulation:
            // its timers would fire again and again at the same instant.
            if !(rate.is_finite() && (0.001..=1000.0).contains(&rate)) {
                return Err(err(
                    "rate",
                    format!("expected a clock rate in [0.001, 1000], got {rate}"),
                ));
            }
            let jump_ns = match self.jump.as_deref() {
                None => 0,
                Some(t) => {
                    let (sign, abs) = t.strip_prefix('-').map_or((1, t), |a| (-1, a));
                    let d = humantime::parse_duration(abs.trim())
                        .ok()
                        .filter(|d| d.as_nanos() < i64::MAX as u128)
                        .ok_or_else(|| {
                            err(
                                "jump",
                                format!(
                                    "expected a duration such as \"2s\" or \"-500ms\", got {t:?}"
                                ),
                            )
                        })?;
                    sign * d.as_nanos() as i64
                }
            };
            Ok((rate, jump_ns))
        };
        let kind = match kind {
            FaultSpecKind::Partition => {
                let ways = [
                    self.groups.is_some(),
                    self.stake_groups.is_some(),
                    self.isolate.is_some(),
                ];
                if ways.iter().filter(|w| **w).count() != 1 {
                    return Err(err(
                        "groups",
                        "expected exactly one of groups, stake_groups, isolate".into(),
                    ));
                }
                let split = if let Some(gs) = &self.groups {
                    if target.is_some() {
                        return Err(err(
                            targets[0],
                            "a target goes with `isolate = true`, not with groups".into(),
                        ));
                    }
                    Split::Groups(groups("groups", gs)?)
                } else if let Some(shares) = &self.stake_groups {
                    if target.is_some() {
                        return Err(err(
                            targets[0],
                            "a target goes with `isolate = true`, not with stake_groups".into(),
                        ));
                    }
                    if shares.len() < 2 {
                        return Err(err(
                            "stake_groups",
                            format!("expected at least 2 shares, got {}", shares.len()),
                        ));
                    }
                    if let Some(s) = shares
                        .iter()
                        .find(|s| !(s.is_finite() && **s > 0.0 && **s < 1.0))
                    {
                        return Err(err(
                            "stake_groups",
                            format!("expected shares in (0, 1), got {s}"),
                        ));
                    }
                    let sum: f64 = shares.iter().sum();
                    if (sum - 1.0).abs() > 0.01 {
                        return Err(err(
                            "stake_groups",
                            format!("expected shares summing to 1, got {sum}"),
                        ));
                    }
                    Split::StakeGroups(shares.clone())
                } else {
                    if self.isolate != Some(true) {
                        return Err(err(
                            "isolate",
                            "expected `isolate = true` (or leave it out)".into(),
                        ));
                    }
                    Split::Isolate(need_target(target)?)
                };
                FaultKind::Partition {
                    split,
                    one_way: self.one_way.unwrap_or(false),
                }
            }
            FaultSpecKind::Heal => match self.heals.as_deref() {
                Some(h) if !h.trim().is_empty() => FaultKind::Heal {
                    heals: h.to_string(),
                },
                _ => {
                    return Err(err(
                        "heals",
                        "expected the name of the fault to heal".into(),
                    ))
                }
            },
            FaultSpecKind::Crash => FaultKind::Crash {
                target: need_target(target)?,
            },
            FaultSpecKind::Restart => FaultKind::Restart {
                target: need_target(target)?,
            },
            FaultSpecKind::Link => {
                if !given.iter().any(|f| LINK_FIELDS.contains(f)) {
                    return Err(err(
                        "latency_ms_added",
                        format!("expected at least one of {}", LINK_FIELDS.join(", ")),
                    ));
                }
                let scope = match (&self.groups, target) {
                    (Some(gs), None) if gs.len() == 2 => {
                        let mut g = groups("groups", gs)?;
                        let b = g.pop().unwrap_or_default();
                        LinkScope::Between(g.pop().unwrap_or_default(), b)
                    }
                    (Some(gs), None) => {
                        return Err(err(
                            "groups",
                            format!(
                                "expected two groups (the links between them), got {}",
                                gs.len()
                            ),
                        ))
                    }
                    (Some(_), Some(_)) => {
                        return Err(err(
                            "groups",
                            "expected either a target or groups, not both".into(),
                        ))
                    }
                    (None, t) => LinkScope::Target(need_target(t)?),
                };
                FaultKind::Link {
                    scope,
                    effect: link_effect(LinkEffect {
                        latency_added: Duration::ZERO,
                        jitter: Duration::ZERO,
                        loss_rate: 0.0,
                        bandwidth_bps: None,
                    })?,
                }
            }
            FaultSpecKind::Clock => {
                if self.rate.is_none() && self.jump.is_none() {
                    return Err(err("rate", "expected `rate`, `jump` or both".into()));
                }
                let (rate, jump_ns) = clock(1.0)?;
                FaultKind::Clock {
                    target: need_target(target)?,
                    rate,
                    jump_ns,
                }
            }
            FaultSpecKind::Byzantine => {
                let name = self.behaviour.as_deref().unwrap_or_default();
                let behaviour = match name {
                    "equivocating_leader" => Behaviour::EquivocatingLeader,
                    "silent_leader" => Behaviour::SilentLeader,
                    "withholding_leader" => {
                        let s = self.withhold_share.unwrap_or(0.5);
                        share(s).map_err(|m| err("withhold_share", m))?;
                        Behaviour::WithholdingLeader { withhold_share: s }
                    }
                    "double_voter" => Behaviour::DoubleVoter,
                    "vote_delayer" => {
                        let delay = duration("delay", &self.delay)?.ok_or_else(|| {
                            err(
                                "delay",
                                "expected the delay of each vote, e.g. \"200ms\"".into(),
                            )
                        })?;
                        if delay > VOTE_DELAY_MAX {
                            return Err(err(
                                "delay",
                                format!(
                                    "expected at most an hour, got {:?}",
                                    self.delay.as_deref().unwrap_or_default()
                                ),
                            ));
                        }
                        Behaviour::VoteDelayer { delay }
                    }
                    "skip_always" => Behaviour::SkipAlways,
                    _ => {
                        return Err(err(
                            "behaviour",
                            format!(
                                "expected one of {}, got {name:?}",
                                Behaviour::NAMES.join(", ")
                            ),
                        ))
                    }
                };
                if self.delay.is_some() && name != "vote_delayer" {
                    return Err(err("delay", "only for behaviour \"vote_delayer\"".into()));
                }
                if self.withhold_share.is_some() && name != "withholding_leader" {
                    return Err(err(
                        "withhold_share",
                        "only for behaviour \"withholding_leader\"".into(),
                    ));
                }
                FaultKind::Byzantine {
                    target: need_target(target)?,
                    behaviour,
                }
            }
            FaultSpecKind::Random => {
                let kind_of = |k: &str| {
                    RandomKind::try_from(k.to_string()).map_err(|m| err("rate_per_hour", m))
                };
                let rates: Vec<(RandomKind, f64)> = match &self.rate_per_hour {
                    None => {
                        return Err(err(
                            "rate_per_hour",
                            "expected events per hour: a number or a table per kind".into(),
                        ))
                    }
                    Some(RatePerHour::Each(r)) => {
                        let mut ks = self.kinds.clone().unwrap_or_else(|| {
                            vec![RandomKind::Crash, RandomKind::Partition, RandomKind::Link]
                        });
                        if ks.is_empty() {
                            return Err(err("kinds", "expected at least one kind".into()));
                        }
                        ks.sort();
                        ks.dedup();
                        ks.into_iter().map(|k| (k, *r)).collect()
                    }
                    Some(RatePerHour::PerKind(table)) => {
                        if self.kinds.is_some() {
                            return Err(err("kinds", "leave it out when rate_per_hour is a table (its keys are the kinds)".into()));
                        }
                        let mut rs = table
                            .iter()
                            .map(|(k, r)| Ok((kind_of(k)?, *r)))
                            .collect::<Result<Vec<_>, ChaosError>>()?;
                        rs.sort_by_key(|(k, _)| *k);
                        rs
                    }
                };
                if let Some((_, r)) = rates
                    .iter()
                    .find(|(_, r)| !(r.is_finite() && (0.0..=1e6).contains(r)))
                {
                    return Err(err(
                        "rate_per_hour",
                        format!("expected events per hour in [0, 1000000], got {r}"),
                    ));
                }
                if rates.iter().all(|(_, r)| *r == 0.0) {
                    return Err(err(
                        "rate_per_hour",
                        "expected a rate > 0 for at least one kind".into(),
                    ));
                }
                let duration_min = duration("duration_min", &self.duration_min)?
                    .unwrap_or(Duration::from_secs(10));
                let duration_max = duration("duration_max", &self.duration_max)?
                    .unwrap_or(Duration::from_secs(60).max(duration_min));
                if duration_max < duration_min {
                    return Err(err("duration_max", "expected at least duration_min".into()));
                }
                let max_stake = self.max_stake.unwrap_or(0.2);
                share(max_stake).map_err(|m| err("max_stake", m))?;
                let link_given = given.iter().any(|f| LINK_FIELDS.contains(f));
                let link = link_effect(LinkEffect {
                    latency_added: if link_given {
                        Duration::ZERO
                    } else {
                        Duration::from_millis(200)
                    },
                    jitter: Duration::ZERO,
                    loss_rate: if link_given { 0.0 } else { 0.1 },
                    bandwidth_bps: None,
                })?;
                let (clock_rate, clock_jump_ns) =
                    clock(if self.jump.is_some() { 1.0 } else { 2.0 })?;
                FaultKind::Random(RandomSpec {
                    rates,
                    from: not_before,
                    window: fault_duration,
                    duration_min,
                    duration_max,
                    max_stake,
                    link,
                    clock_rate,
                    clock_jump_ns,
                })
            }
        };
        Ok(Fault {
            name: self.name.clone(),
            start,
            duration: fault_duration,
            kind,
        })
    }
}

/// Checks a stake share is in `(0, 1]`.
fn share(s: f64) -> Result<(), String> {
    if s.is_finite() && s > 0.0 && s <= 1.0 {
        Ok(())
    } else {
        Err(format!("expected a stake share in (0, 1], got {s}"))
    }
}
