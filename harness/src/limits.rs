//! The limits of a run, defined once: what a scenario may ask for and what
//! the backends and consumers size themselves by.

use std::time::Duration;

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

/// The longest run (30 days of simulated or wall time; the simulator's
/// queue holds times up to about 52 days, leaving room for timers set near
/// the end).
pub const DURATION_MAX: Duration = Duration::from_secs(30 * 24 * 3600);
