//! Typed identifiers and the stake-weighted structures every validator
//! shares: the validator set and the leader schedule.

use std::fmt;
use std::sync::Arc;

/// A slot number. Slot 0 holds the genesis block; the first leader window
/// starts at slot 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Slot(pub u64);

impl Slot {
    /// The genesis slot.
    pub const GENESIS: Slot = Slot(0);

    /// The slot after this one.
    pub fn next(self) -> Slot {
        Slot(self.0 + 1)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Index of a validator in the [`ValidatorSet`] (0-based, dense).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ValidatorIndex(pub u32);

impl ValidatorIndex {
    /// As a `usize`, for indexing vectors.
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// Stake, in lamports (1 SOL = 10^9 lamports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Stake(pub u64);

/// A block hash. In simulation a 64-bit digest of (slot, leader, parent,
/// variant) stands in for the 32-byte hash of the white paper; it is unique
/// per block with overwhelming probability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BlockHash(pub u64);

impl BlockHash {
    /// The genesis block's hash.
    pub const GENESIS: BlockHash = BlockHash(0);
}

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A block named by its slot and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId {
    /// Slot of the block.
    pub slot: Slot,
    /// Hash of the block.
    pub hash: BlockHash,
}

impl BlockId {
    /// The genesis block (slot 0).
    pub const GENESIS: BlockId = BlockId {
        slot: Slot::GENESIS,
        hash: BlockHash::GENESIS,
    };
}

/// SplitMix64 finalizer: a fixed, portable 64-bit mixing function. Used for
/// the public pseudo-random choices the protocol makes from a seed (leader
/// schedule, Rotor relays, block hashes); a node has no randomness of its own.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The validators of a run with their stake: the same for every validator.
#[derive(Clone, Debug)]
pub struct ValidatorSet {
    stakes: Vec<u64>,
    cumulative: Vec<u64>,
    total: u64,
}

impl ValidatorSet {
    /// Builds the set from per-validator stake in lamports (index order).
    ///
    /// # Panics
    /// When `stakes_lamports` is empty, has more than `u32::MAX` entries or
    /// sums to 0 or beyond `u64::MAX` (input is validated by the harness).
    pub fn new(stakes_lamports: Vec<u64>) -> Self {
        assert!(!stakes_lamports.is_empty(), "validator set is empty");
        assert!(stakes_lamports.len() < u32::MAX as usize);
        let mut cumulative = Vec::with_capacity(stakes_lamports.len());
        let mut total: u64 = 0;
        for &s in &stakes_lamports {
            total = total.checked_add(s).expect("total stake overflows u64");
            cumulative.push(total);
        }
        assert!(total > 0, "total stake is 0");
        Self {
            stakes: stakes_lamports,
            cumulative,
            total,
        }
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.stakes.len()
    }

    /// Always false: a set has at least one validator.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Stake of one validator.
    pub fn stake(&self, v: ValidatorIndex) -> Stake {
        Stake(self.stakes[v.idx()])
    }

    /// Total stake.
    pub fn total(&self) -> Stake {
        Stake(self.total)
    }

    /// The least stake that reaches `percent`% of the total stake
    /// ([`ValidatorSet::reaches`]), in lamports.
    pub fn threshold_stake(&self, percent: u64) -> u64 {
        (u128::from(self.total) * u128::from(percent)).div_ceil(100) as u64
    }

    /// Whether `stake` is at least `percent`% of the total stake (exact,
    /// integer arithmetic).
    pub fn reaches(&self, stake: Stake, percent: u64) -> bool {
        u128::from(stake.0) * 100 >= u128::from(self.total) * u128::from(percent)
    }

    /// The validator owning the point `x` (in `0..total`) of the stake line:
    /// stake-weighted sampling from a uniform `x`.
    pub fn by_stake_point(&self, x: u64) -> ValidatorIndex {
        debug_assert!(x < self.total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        ValidatorIndex(i as u32)
    }

    /// Stake-weighted draw from a 64-bit random value.
    pub fn sample(&self, random: u64) -> ValidatorIndex {
        // Multiply-shift maps `random` uniformly onto `0..total`.
        let x = ((u128::from(random) * u128::from(self.total)) >> 64) as u64;
        self.by_stake_point(x)
    }
}

/// Which validator leads each slot (white paper section 2.1: leader windows
/// of consecutive slots, leaders drawn stake-weighted).
///
/// Windows are `[1 + k*W, k*W + W]` for `W = slots_per_window`; the leader of
/// window `k` is a stake-weighted draw from `mix64(seed, k)`. Pure function of
/// the seed: every validator computes the same schedule.
#[derive(Clone, Debug)]
pub struct LeaderSchedule {
    seed: u64,
    slots_per_window: u64,
    validators: Arc<ValidatorSet>,
}

impl LeaderSchedule {
    /// A schedule for `validators`, windows of `slots_per_window` slots.
    ///
    /// # Panics
    /// When `slots_per_window` is 0.
    pub fn new(seed: u64, slots_per_window: u64, validators: Arc<ValidatorSet>) -> Self {
        assert!(slots_per_window > 0);
        Self {
            seed,
            slots_per_window,
            validators,
        }
    }

    /// Slots per leader window.
    pub fn slots_per_window(&self) -> u64 {
        self.slots_per_window
    }

    /// Index of the leader window containing `slot` (slot 0, genesis, is in
    /// no window and maps to 0 like slot 1).
    pub fn window(&self, slot: Slot) -> u64 {
        slot.0.saturating_sub(1) / self.slots_per_window
    }

    /// First slot of the window containing `slot`.
    pub fn window_start(&self, slot: Slot) -> Slot {
        Slot(1 + self.window(slot) * self.slots_per_window)
    }

    /// Whether `slot` is the first slot of its leader window.
    pub fn is_window_start(&self, slot: Slot) -> bool {
        slot.0 >= 1 && (slot.0 - 1).is_multiple_of(self.slots_per_window)
    }

    /// The slots of the window containing `slot`, in order.
    pub fn window_slots(&self, slot: Slot) -> impl Iterator<Item = Slot> {
        let start = self.window_start(slot).0;
        (start..start + self.slots_per_window).map(Slot)
    }

    /// Leader of `slot`.
    pub fn leader(&self, slot: Slot) -> ValidatorIndex {
        let window = self.window(slot);
        self.validators
            .sample(mix64(self.seed ^ mix64(window.wrapping_add(0x5EED))))
    }

    /// Rotor relays of one slice (white paper section 2.2): one
    /// stake-weighted draw per shred, with replacement, from
    /// `mix64(seed, slot, slice, shred)`. Returns `shreds` relays, the relay
    /// of shred `i` at index `i`.
    pub fn relays(&self, slot: Slot, slice: u32, shreds: u32) -> Vec<ValidatorIndex> {
        let base = mix64(self.seed ^ 0xA11C_E5ED) ^ mix64(slot.0) ^ mix64(u64::from(slice) << 32);
        (0..shreds)
            .map(|i| {
                self.validators
                    .sample(mix64(base ^ mix64(u64::from(i) + 1)))
            })
            .collect()
    }

    /// The validator set the schedule draws from.
    pub fn validators(&self) -> &Arc<ValidatorSet> {
        &self.validators
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_exact() {
        let set = ValidatorSet::new(vec![20, 20, 20, 20, 20]);
        assert!(set.reaches(Stake(60), 60));
        assert!(!set.reaches(Stake(59), 60));
        assert!(set.reaches(Stake(80), 80));
        assert!(!set.reaches(Stake(79), 80));
    }

    #[test]
    fn threshold_stake_is_the_least_that_reaches() {
        let set = ValidatorSet::new(vec![33, 33, 34]);
        for percent in [20, 40, 60, 80] {
            let t = set.threshold_stake(percent);
            assert!(set.reaches(Stake(t), percent), "{percent}%");
            assert!(!set.reaches(Stake(t - 1), percent), "{percent}%");
        }
        assert_eq!(set.threshold_stake(60), 60);
        let odd = ValidatorSet::new(vec![7, 7, 7]);
        assert_eq!(odd.threshold_stake(60), 13, "12.6 rounds up");
    }

    #[test]
    fn thresholds_do_not_overflow_with_mainnet_stake() {
        // ~389.7M SOL in lamports.
        let set = ValidatorSet::new(vec![389_700_000_000_000_000]);
        assert!(set.reaches(Stake(389_700_000_000_000_000), 80));
    }

    #[test]
    fn windows_start_at_one() {
        let set = Arc::new(ValidatorSet::new(vec![1; 10]));
        let schedule = LeaderSchedule::new(7, 4, set);
        assert!(schedule.is_window_start(Slot(1)));
        assert!(schedule.is_window_start(Slot(5)));
        assert!(!schedule.is_window_start(Slot(4)));
        assert_eq!(schedule.window_start(Slot(8)), Slot(5));
        assert_eq!(
            schedule.window_slots(Slot(6)).collect::<Vec<_>>(),
            vec![Slot(5), Slot(6), Slot(7), Slot(8)]
        );
        for s in 5..=8 {
            assert_eq!(schedule.leader(Slot(s)), schedule.leader(Slot(5)));
        }
    }

    #[test]
    fn leaders_are_stake_weighted() {
        // Validator 0 holds 70% of the stake.
        let set = Arc::new(ValidatorSet::new(vec![70, 10, 10, 10]));
        let schedule = LeaderSchedule::new(1, 4, set);
        let windows = 10_000u64;
        let led_by_0 = (0..windows)
            .filter(|w| schedule.leader(Slot(1 + w * 4)) == ValidatorIndex(0))
            .count() as f64;
        let share = led_by_0 / windows as f64;
        assert!((share - 0.7).abs() < 0.02, "share {share}");
    }

    #[test]
    fn sampling_covers_every_validator() {
        let set = ValidatorSet::new(vec![1, 1, 1]);
        assert_eq!(set.by_stake_point(0), ValidatorIndex(0));
        assert_eq!(set.by_stake_point(1), ValidatorIndex(1));
        assert_eq!(set.by_stake_point(2), ValidatorIndex(2));
    }
}
