//! # whiteout-chaos: fault timelines as data
//!
//! A scenario file lists faults as `[[fault]]` tables and what must hold
//! despite them in `[expect]`. This crate parses them ([`FaultSpec`] →
//! [`Fault`]), checks them against the validator set ([`Plan::validate`]) and
//! turns them into a [`Timeline`] of concrete [`Action`]s that the simulator
//! polls. It simulates nothing itself.
//!
//! # Scenario syntax
//! Each `[[fault]]` has a `kind`, an optional `name` (needed to `heal` it),
//! a start, an optional `duration` (a humantime string: the fault heals by
//! itself after it; without one it lasts to the end of the run or until a
//! `heal` fault names it), a target, and parameters of its kind.
//!
//! **Start** ([`Start`]), exactly one of `at = "2m"` (simulated time since the
//! run start), `at_slot = 1200`, `at_leader_window_of = 17` (the next leader
//! window of validator 17), `after_skipped_slots = 8` (once 8 consecutive
//! slots are skipped). `at` may accompany `at_leader_window_of` or
//! `after_skipped_slots` as "not before this time".
//!
//! **Target** ([`Target`]), exactly one of `validator = 3`,
//! `validators = [1, 2, 3]`, `stake = 0.2` (a seeded set of validators with
//! at least 20% of the stake, see [`select_stake_share`]), `role = "leader"`
//! (the leader of the current window when the fault starts),
//! `next_leaders = 3` (the leaders of the current and the next 2 windows),
//! `region = "DE-Frankfurt am Main"`, `continent = "europe"` (see
//! `whiteout_topologies::Validator::region` and `continent`).
//!
//! **Kinds** ([`FaultKind`]):
//! ```toml
//! [[fault]]                     # messages across groups are dropped
//! kind = "partition"
//! name = "split"
//! at = "1m"
//! groups = [[0, 1, 2], [3, 4]]  # unlisted validators form one more group
//! # or: stake_groups = [0.34, 0.33, 0.33]  (seeded split by stake shares)
//! # or: isolate = true plus a target (the target vs the rest)
//! one_way = false               # true: only messages from group 0 are dropped
//!
//! [[fault]]                     # ends the named fault early
//! kind = "heal"
//! heals = "split"
//! at = "90s"
//!
//! [[fault]]                     # stops; loses volatile state; with a duration, restarts
//! kind = "crash"
//! at_slot = 1200
//! duration = "30s"
//! stake = 0.2
//!
//! [[fault]]                     # brings crashed validators back
//! kind = "restart"
//! at = "5m"
//! validators = [1, 2]
//!
//! [[fault]]                     # degrades the target's links (both directions),
//! kind = "link"                 # or with groups = [[..], [..]] the links between two groups
//! at = "2m"
//! duration = "1m"
//! continent = "asia"
//! latency_ms_added = 150.0
//! jitter_ms = 20.0
//! loss_rate = 0.05
//! bandwidth_bps = 100_000_000
//!
//! [[fault]]                     # local clock runs at `rate`, and/or jumps (may be negative)
//! kind = "clock"
//! at = "3m"
//! validator = 4
//! rate = 1.5
//! jump = "2s"
//!
//! [[fault]]
//! kind = "byzantine"
//! at_leader_window_of = 17
//! validator = 17
//! behaviour = "vote_delayer"    # or equivocating_leader, silent_leader,
//! delay = "200ms"               # withholding_leader (withhold_share = 0.5),
//!                               # double_voter, skip_always
//!
//! [[fault]]                     # seeded chaos monkey, expanded by RandomSpec::expand
//! kind = "random"
//! at = "1m"                     # active window (default: the whole run)
//! duration = "8m"
//! rate_per_hour = { crash = 6.0, partition = 2.0 }  # or a number for each of `kinds`
//! duration_min = "10s"
//! duration_max = "1m"
//! max_stake = 0.2               # most stake affected at once
//!
//! [expect]
//! max_stall = "30s"             # liveness: longest time without a new finalization
//! safety = true
//! ```
//!
//! Everything is deterministic: seeded choices use a counter-based stream of
//! [`whiteout_node::mix64`], one stream per fault ([`fault_seed`]: adding a
//! fault does not change the choices of the others), and no hash-map
//! iteration.

#![warn(missing_docs)]

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use whiteout_node::{mix64, ValidatorIndex};

mod fault;
mod random;
mod spec;
mod timeline;
mod validate;

pub use fault::{
    Fault, FaultKind, LinkEffect, LinkScope, RandomKind, RandomSpec, Split, Start, Target,
};
pub use spec::{FaultSpec, FaultSpecKind, RatePerHour};
/// The longest run: 30 days (of simulated or wall time). Fault times are
/// bounded by it, and so is a scenario's `duration`; defined once here, the
/// lowest crate that needs it.
pub const DURATION_MAX: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

pub use timeline::{Action, FaultId, FaultInfo, LinkSet, Observation, Timeline};
pub use whiteout_node::byzantine::Behaviour;

/// A fault list or expectation that is not valid. Names the fault (index in
/// the `[[fault]]` list and name) and the field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ChaosError {
    /// A `[[fault]]` entry is invalid.
    #[error("fault[{index}]{}: field `{field}`: {message}", quoted(.name))]
    Fault {
        /// Position in the `[[fault]]` list (0-based).
        index: usize,
        /// The fault's `name`, if any.
        name: Option<String>,
        /// The offending field.
        field: String,
        /// What is expected and what was found.
        message: String,
    },
}

fn quoted(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!(" {n:?}")).unwrap_or_default()
}

impl ChaosError {
    /// The offending field.
    pub fn field(&self) -> &str {
        match self {
            ChaosError::Fault { field, .. } => field,
        }
    }
}

/// What the chaos layer needs to know about a validator (index = position).
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatorInfo {
    /// Stake in lamports.
    pub stake: u64,
    /// `whiteout_topologies::Validator::region`.
    pub region: Option<String>,
    /// `whiteout_topologies::Validator::continent`.
    pub continent: Option<&'static str>,
}

impl ValidatorInfo {
    /// The validators of a topology, in index order.
    pub fn from_topology(topology: &whiteout_topologies::Topology) -> Vec<ValidatorInfo> {
        topology
            .validators
            .iter()
            .map(|v| ValidatorInfo {
                stake: v.stake_lamports,
                region: v.region(),
                continent: v.continent(),
            })
            .collect()
    }

    /// `n` validators of stake `stake` each, without location.
    pub fn uniform(n: usize, stake: u64) -> Vec<ValidatorInfo> {
        vec![
            ValidatorInfo {
                stake,
                region: None,
                continent: None,
            };
            n
        ]
    }
}

/// `[expect]`: what must hold despite the faults. Parsed by serde (its
/// errors name the field through the scenario's path).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Liveness bound: the longest time the run may go without a new
    /// finalized block (`max_stall = "30s"`); `None`: not checked.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub max_stall: Option<Duration>,
    /// Safety: no two conflicting blocks finalized (default true).
    #[serde(default = "yes")]
    pub safety: bool,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            max_stall: None,
            safety: true,
        }
    }
}

fn yes() -> bool {
    true
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    match humantime::parse_duration(&text) {
        Ok(t) if !t.is_zero() => Ok(Some(t)),
        _ => Err(serde::de::Error::custom(format!(
            "expected a duration > 0 such as \"30s\", got {text:?}"
        ))),
    }
}

/// The faults of a scenario, parsed, with the expectations.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Plan {
    /// The faults, in file order (their index is their [`FaultId`]).
    pub faults: Vec<Fault>,
    /// `[expect]`.
    pub expect: Expect,
}

impl Plan {
    /// Parses the `[[fault]]` entries (checks that need no validator set:
    /// fields present and allowed for the kind, value ranges, durations).
    ///
    /// # Errors
    /// The first invalid entry, naming it and the field.
    pub fn parse(specs: &[FaultSpec], expect: Expect) -> Result<Plan, ChaosError> {
        let faults = specs
            .iter()
            .enumerate()
            .map(|(i, s)| s.parse(i))
            .collect::<Result<_, _>>()?;
        Ok(Plan { faults, expect })
    }
}

/// A seeded stream of pseudo-random numbers: `mix64` of a seed and a counter
/// (portable, no state beyond the counter).
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    seed: u64,
    counter: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng {
            seed: mix64(seed),
            counter: 0,
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        mix64(self.seed ^ mix64(self.counter))
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The seed of fault `index`'s choices in a run with seed `seed`.
pub fn fault_seed(seed: u64, index: usize) -> u64 {
    mix64(seed ^ mix64(0xC4A0_5EED ^ index as u64))
}

/// A permutation of `0..n` drawn from `seed` (Fisher-Yates driven by a
/// `mix64(mix64(seed) ^ mix64(counter))` stream, counter from 1; an index in
/// `0..k` is `(x · k) >> 64` of a stream value `x`).
pub fn permutation(n: usize, seed: u64) -> Vec<ValidatorIndex> {
    let mut p: Vec<ValidatorIndex> = (0..n as u32).map(ValidatorIndex).collect();
    let mut rng = Rng::new(seed);
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        p.swap(i, j);
    }
    p
}

/// Parts per billion: stake shares are compared exactly, in integers.
const PPB: u128 = 1_000_000_000;

/// Whether `stake` is at least `share` of `total` (share rounded to 1e-9).
pub(crate) fn reaches(stake: u64, total: u64, share: f64) -> bool {
    u128::from(stake) * PPB >= (share * PPB as f64).round() as u128 * u128::from(total)
}

/// The validators a `stake = share` target selects: walk
/// [`permutation`]`(n, seed)`, skip zero-stake validators, and take
/// validators until their stake reaches `share` of the total (`>=`, exact
/// to 1e-9). The result is the shortest prefix of the seeded permutation
/// (zero-stake validators left out) whose stake reaches the share: without
/// its last validator it falls short. Sorted by index.
pub fn select_stake_share(
    validators: &[ValidatorInfo],
    share: f64,
    seed: u64,
) -> Vec<ValidatorIndex> {
    let total: u64 = validators.iter().map(|v| v.stake).sum();
    let mut taken = Vec::new();
    let mut stake = 0u64;
    for v in permutation(validators.len(), seed) {
        if reaches(stake, total, share) {
            break;
        }
        if validators[v.idx()].stake > 0 {
            stake += validators[v.idx()].stake;
            taken.push(v);
        }
    }
    taken.sort();
    taken
}

/// Splits all validators into groups by stake shares (`stake_groups`):
/// walk [`permutation`]`(n, seed)`; a validator whose stake starts at point
/// `c` of the walk's cumulative stake line goes to the first group `i` with
/// `c < (shares[0] + ... + shares[i]) · total` (the last group when there is
/// none). Each group's stake is then within one validator's stake of its
/// share. Groups sorted by index; a group may be empty when validators are
/// few and heavy.
pub fn split_by_stake(
    validators: &[ValidatorInfo],
    shares: &[f64],
    seed: u64,
) -> Vec<Vec<ValidatorIndex>> {
    let total: u64 = validators.iter().map(|v| v.stake).sum();
    let mut bounds = Vec::with_capacity(shares.len());
    let mut acc = 0.0;
    for s in shares {
        acc += s;
        bounds.push(acc);
    }
    let mut groups = vec![Vec::new(); shares.len()];
    let mut cumulative = 0u64;
    for v in permutation(validators.len(), seed) {
        let g = bounds
            .iter()
            .position(|&b| !reaches(cumulative, total, b))
            .unwrap_or(shares.len() - 1);
        groups[g].push(v);
        cumulative += validators[v.idx()].stake;
    }
    for g in &mut groups {
        g.sort();
    }
    groups
}

#[cfg(test)]
mod tests;
