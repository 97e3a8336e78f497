//! The limits of a run, defined once: what a scenario may ask for and what
//! the backends and consumers size themselves by.

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

/// The longest run (30 days of simulated or wall time; the simulator's
/// queue holds times up to about 52 days, leaving room for timers set near
/// the end), also the bound on fault times.
pub use whiteout_chaos::DURATION_MAX;
/// The longest delay a scenario may give (a latency, jitter, `delta_block`,
/// `delta_timeout`, `standstill`, a vote delay), in ms: an hour.
pub use whiteout_topologies::LATENCY_MS_MAX as DELAY_MS_MAX;
/// The most validators a topology may have (memory and work grow with the
/// square of the count).
pub use whiteout_topologies::MAX_VALIDATORS as VALIDATORS_MAX;
