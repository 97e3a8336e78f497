//! Checks of a [`Plan`] against the validator set.

use std::collections::BTreeMap;
use std::time::Duration;

use whiteout_node::ValidatorIndex;

use crate::fault::{fmt_duration, Fault, FaultKind, LinkScope, Split, Start, Target};
use crate::{fault_seed, ChaosError, Plan, ValidatorInfo};

/// The field a target was given in.
pub(crate) fn target_field(t: &Target) -> &'static str {
    match t {
        Target::Validator(_) => "validator",
        Target::Validators(_) => "validators",
        Target::Stake(_) => "stake",
        Target::Leader => "role",
        Target::NextLeaders(_) => "next_leaders",
        Target::Region(_) => "region",
        Target::Continent(_) => "continent",
    }
}

fn fail(plan: &Plan, index: usize, field: &str, message: String) -> ChaosError {
    ChaosError::Fault {
        index,
        name: plan.faults[index].name.clone(),
        field: field.to_string(),
        message,
    }
}

impl Plan {
    /// Checks the faults against the validators (index = position): ids
    /// exist, regions and continents have validators, `heal` names a
    /// healable fault and does not come before it, names are unique, and
    /// faults whose time and validators are known before the run (start
    /// `at`, targets other than `stake` and roles) do not contradict each
    /// other: no validator crashed, Byzantine or clock-shifted twice at
    /// once, and no `restart` of a validator that is not crashed (this last
    /// check is skipped when some crash has a start or target known only
    /// during the run). [`crate::Timeline::new`] repeats the checks with
    /// `stake` targets resolved.
    ///
    /// # Errors
    /// The first problem, naming the fault and field.
    pub fn validate(&self, validators: &[ValidatorInfo]) -> Result<(), ChaosError> {
        check_targets(self, validators)?;
        check_overlaps(self, validators, None)
    }

    /// Index of the fault named `name`.
    pub(crate) fn named(&self, name: &str) -> Option<usize> {
        self.faults
            .iter()
            .position(|f| f.name.as_deref() == Some(name))
    }
}

fn check_targets(plan: &Plan, validators: &[ValidatorInfo]) -> Result<(), ChaosError> {
    let n = validators.len();
    let mut names = BTreeMap::new();
    for (i, f) in plan.faults.iter().enumerate() {
        let fail = |field: &str, message: String| fail(plan, i, field, message);
        let exists = |field: &str, vs: &[ValidatorIndex]| match vs.iter().find(|v| v.idx() >= n) {
            Some(v) => Err(fail(
                field,
                format!(
                    "validator {} does not exist ({n} validators: 0..={})",
                    v.0,
                    n.saturating_sub(1)
                ),
            )),
            None => Ok(()),
        };
        if let Some(name) = &f.name {
            if let Some(j) = names.insert(name.clone(), i) {
                return Err(fail(
                    "name",
                    format!("name {name:?} is already used by fault[{j}]"),
                ));
            }
        }
        if let Start::LeaderWindowOf { validator, .. } = f.start {
            exists("at_leader_window_of", &[validator])?;
            if validators[validator.idx()].stake == 0 {
                return Err(fail(
                    "at_leader_window_of",
                    format!("validator {} has no stake and never leads", validator.0),
                ));
            }
        }
        if let Some(t) = f.kind.target() {
            let field = target_field(t);
            match t {
                Target::Validator(v) => exists(field, &[*v])?,
                Target::Validators(vs) => exists(field, vs)?,
                Target::Region(_) | Target::Continent(_)
                    if t.resolve_static(validators, 0)
                        .is_some_and(|vs| vs.is_empty()) =>
                {
                    return Err(fail(field, format!("no validator in {t}")));
                }
                _ => {}
            }
        }
        match &f.kind {
            FaultKind::Partition {
                split: Split::Groups(gs),
                ..
            } => {
                for g in gs {
                    exists("groups", g)?;
                }
                let listed: usize = gs.iter().map(Vec::len).sum();
                if gs.len() < 2 && listed == n {
                    return Err(fail(
                        "groups",
                        "expected at least two groups (validators in none form one more)".into(),
                    ));
                }
            }
            FaultKind::Partition {
                split: Split::StakeGroups(shares),
                ..
            } if shares.len() > n => {
                return Err(fail(
                    "stake_groups",
                    format!("{} groups for {n} validators", shares.len()),
                ));
            }
            FaultKind::Link {
                scope: LinkScope::Between(a, b),
                ..
            } => {
                exists("groups", a)?;
                exists("groups", b)?;
            }
            FaultKind::Heal { heals } => {
                let Some(j) = plan.named(heals) else {
                    return Err(fail("heals", format!("no fault is named {heals:?}")));
                };
                let target = &plan.faults[j];
                if matches!(
                    target.kind,
                    FaultKind::Heal { .. } | FaultKind::Restart { .. } | FaultKind::Random(_)
                ) {
                    return Err(fail(
                        "heals",
                        format!(
                            "fault {heals:?} is a {} and cannot be healed",
                            target.kind.name()
                        ),
                    ));
                }
                if let (Start::At(h), Start::At(s)) = (&f.start, &target.start) {
                    if h <= s {
                        return Err(fail(
                            "at",
                            format!(
                                "heals {heals:?} at {}, not after it starts at {}",
                                fmt_duration(*h),
                                fmt_duration(*s)
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A fault whose time span and validators are known before the run.
struct Span {
    index: usize,
    start: Duration,
    end: Option<Duration>,
    validators: Vec<ValidatorIndex>,
}

/// Contradicting faults among those with `at` starts and static targets;
/// `stake` targets only when `seed` is given.
pub(crate) fn check_overlaps(
    plan: &Plan,
    validators: &[ValidatorInfo],
    seed: Option<u64>,
) -> Result<(), ChaosError> {
    let resolve = |i: usize, f: &Fault| -> Option<Vec<ValidatorIndex>> {
        let t = f.kind.target()?;
        if matches!(t, Target::Stake(_)) && seed.is_none() {
            return None;
        }
        t.resolve_static(validators, fault_seed(seed.unwrap_or(0), i))
    };
    // Ends set by `heal` faults with `at` starts.
    let mut healed_at: BTreeMap<usize, Duration> = BTreeMap::new();
    for f in &plan.faults {
        if let (FaultKind::Heal { heals }, Start::At(t)) = (&f.kind, &f.start) {
            if let Some(j) = plan.named(heals) {
                let e = healed_at.entry(j).or_insert(*t);
                *e = (*e).min(*t);
            }
        }
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut uncertain_crash = false;
    for (i, f) in plan.faults.iter().enumerate() {
        let exclusive = matches!(
            f.kind,
            FaultKind::Crash { .. }
                | FaultKind::Restart { .. }
                | FaultKind::Byzantine { .. }
                | FaultKind::Clock { .. }
        );
        if !exclusive {
            continue;
        }
        match (&f.start, resolve(i, f)) {
            (Start::At(t), Some(vs)) => {
                let end = [f.duration.map(|d| *t + d), healed_at.get(&i).copied()]
                    .into_iter()
                    .flatten()
                    .min();
                spans.push(Span {
                    index: i,
                    start: *t,
                    end,
                    validators: vs,
                });
            }
            _ => uncertain_crash |= matches!(f.kind, FaultKind::Crash { .. }),
        }
    }
    spans.sort_by_key(|s| (s.start, s.index));
    let mut active: Vec<Span> = Vec::new();
    for span in spans {
        let t = span.start;
        active.retain(|a| a.end.is_none_or(|e| e > t));
        let f = &plan.faults[span.index];
        let field = f.kind.target().map_or("target", target_field);
        if let FaultKind::Restart { .. } = f.kind {
            for v in &span.validators {
                let crash = active.iter_mut().find(|a| {
                    matches!(plan.faults[a.index].kind, FaultKind::Crash { .. })
                        && a.validators.contains(v)
                });
                match crash {
                    Some(c) => c.validators.retain(|w| w != v),
                    None if uncertain_crash => {}
                    None => {
                        return Err(fail(
                            plan,
                            span.index,
                            field,
                            format!("validator {} is not crashed at {}", v.0, fmt_duration(t)),
                        ))
                    }
                }
            }
            continue;
        }
        let same_kind = |a: &Span| {
            std::mem::discriminant(&plan.faults[a.index].kind) == std::mem::discriminant(&f.kind)
        };
        for a in active.iter().filter(|a| same_kind(a)) {
            if let Some(v) = span.validators.iter().find(|v| a.validators.contains(v)) {
                let other = &plan.faults[a.index];
                let what = match f.kind {
                    FaultKind::Crash { .. } => "crashed",
                    FaultKind::Byzantine { .. } => "Byzantine",
                    _ => "clock-shifted",
                };
                let other_name = other
                    .name
                    .as_ref()
                    .map(|n| format!(" {n:?}"))
                    .unwrap_or_default();
                return Err(fail(
                    plan,
                    span.index,
                    field,
                    format!(
                        "validator {} is already {what} at {} by fault[{}]{other_name}",
                        v.0,
                        fmt_duration(t),
                        a.index
                    ),
                ));
            }
        }
        active.push(span);
    }
    Ok(())
}
