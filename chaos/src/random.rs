//! The seeded chaos monkey: [`RandomSpec::expand`].

use std::collections::BTreeSet;
use std::time::Duration;

use whiteout_node::ValidatorIndex;

use crate::fault::{Fault, FaultKind, LinkScope, RandomKind, RandomSpec, Split, Start, Target};
use crate::{permutation, Rng, ValidatorInfo, PPB};

impl RandomSpec {
    /// Draws a concrete timeline from `seed` (in a run, the random fault's
    /// [`crate::fault_seed`]): faults with `Start::At`, a duration and an
    /// explicit `validators` target, sorted by start time. Pure function of
    /// its arguments.
    ///
    /// The rule, over the active window `[from, end)` (`end` = `from +
    /// window`, capped at `run_duration`) of length `T`:
    /// 1. per kind, in kind order, with expected count `λ·T` (`λ` =
    ///    `rate_per_hour`): `⌊λ·T⌋` events, plus one with probability
    ///    `frac(λ·T)`, at times uniform in the window (a Poisson process
    ///    conditioned on its count);
    /// 2. events in time order (kind order on ties); each draws its
    ///    validators from the stake budget left: `max_stake · total` minus
    ///    the stake of validators in this monkey's faults still active.
    ///    It draws a stake goal uniform in `(0, budget]`, walks a fresh
    ///    seeded permutation, skipping validators already affected, and
    ///    takes each validator that still fits under the goal until one
    ///    does not fit (after at least one was taken). No validator fits:
    ///    the event is dropped;
    /// 3. its duration is uniform in `[duration_min, duration_max]` (ns).
    ///
    /// So at any time the stake affected by the drawn faults is at most
    /// `max_stake` of the total, and a validator is in at most one of them.
    pub fn expand(
        &self,
        seed: u64,
        run_duration: Duration,
        validators: &[ValidatorInfo],
    ) -> Vec<Fault> {
        let from = self.from.as_nanos() as u64;
        let end = self
            .window
            .map_or(run_duration, |w| (self.from + w).min(run_duration))
            .as_nanos() as u64;
        let total: u64 = validators.iter().map(|v| v.stake).sum();
        if end <= from || total == 0 {
            return Vec::new();
        }
        let span = end - from;
        let mut rng = Rng::new(seed);
        let mut events = Vec::new();
        for &(kind, rate) in &self.rates {
            let expected = rate * span as f64 / 3.6e12;
            let n = expected.floor() as u64 + u64::from(rng.unit() < expected.fract());
            events.extend((0..n).map(|_| (from + rng.below(span), kind)));
        }
        events.sort();
        let cap = (u128::from(total) * (self.max_stake * PPB as f64).round() as u128 / PPB) as u64;
        let (dmin, dmax) = (
            self.duration_min.as_nanos() as u64,
            self.duration_max.as_nanos() as u64,
        );
        let mut active: Vec<(u64, Vec<ValidatorIndex>)> = Vec::new();
        let mut faults = Vec::new();
        for (t, kind) in events {
            active.retain(|(e, _)| *e > t);
            let busy: BTreeSet<ValidatorIndex> = active
                .iter()
                .flat_map(|(_, vs)| vs.iter().copied())
                .collect();
            let used: u64 = busy.iter().map(|v| validators[v.idx()].stake).sum();
            let budget = cap.saturating_sub(used);
            if budget == 0 {
                continue;
            }
            let goal = 1 + rng.below(budget);
            let (mut set, mut sum) = (Vec::new(), 0u64);
            for v in permutation(validators.len(), rng.next_u64()) {
                let s = validators[v.idx()].stake;
                if busy.contains(&v) || s == 0 {
                    continue;
                }
                if sum + s <= goal {
                    set.push(v);
                    sum += s;
                } else if !set.is_empty() {
                    break;
                }
            }
            if set.is_empty() {
                continue;
            }
            set.sort();
            let d = dmin + rng.below(dmax - dmin + 1);
            active.push((t + d, set.clone()));
            let target = Target::Validators(set);
            faults.push(Fault {
                name: None,
                start: Start::At(Duration::from_nanos(t)),
                duration: Some(Duration::from_nanos(d)),
                kind: match kind {
                    RandomKind::Crash => FaultKind::Crash { target },
                    RandomKind::Partition => FaultKind::Partition {
                        split: Split::Isolate(target),
                        one_way: false,
                    },
                    RandomKind::Link => FaultKind::Link {
                        scope: LinkScope::Target(target),
                        effect: self.link,
                    },
                    RandomKind::Clock => FaultKind::Clock {
                        target,
                        rate: self.clock_rate,
                        jump_ns: self.clock_jump_ns,
                    },
                },
            });
        }
        faults
    }
}
