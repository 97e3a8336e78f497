//! whiteout harness: scenarios, the backends that run Alpenglow validators
//! (`sim`: a seeded discrete-event simulator), the observation stream and
//! its consumers (metrics, safety checks, chaos verdicts and conductor),
//! and the CLI subcommands.
//!
//! Modules: [`scenario`] (TOML scenarios), [`limits`] (a run's limits),
//! [`seeds`] (the seed's derived streams), [`backend`] (the `Backend`
//! trait and the loop that drives one), [`sim`] (the discrete-event
//! backend), [`observe`] (the observation stream and its consumers),
//! [`runner`] (one run from scenario to report), [`cmd`] (subcommands).

pub mod backend;
pub mod cmd;
pub mod limits;
pub mod observe;
pub mod runner;
pub mod scenario;
pub mod seeds;
pub mod sim;
