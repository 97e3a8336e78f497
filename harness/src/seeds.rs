//! The streams derived from a run's seed, named in one place. Each is a
//! pure function of the seed, so one seed decides the whole run.

use whiteout_node::mix64;

/// Seed of the leader schedule (stake-weighted leader windows).
pub fn leader_schedule(seed: u64) -> u64 {
    mix64(seed ^ 0x5C4E_D01E)
}

/// Key of the `sim` backend's per-message link draws (jitter and loss of
/// each copy, a hash of this key, the message id and the recipient).
pub fn link_draws(seed: u64) -> u64 {
    mix64(seed ^ 0x114C_D7A3)
}

/// Seed of the load clients' generator (ChaCha8: arrivals and which
/// validator each transaction goes through): the run's seed itself.
pub fn clients(seed: u64) -> u64 {
    seed
}
