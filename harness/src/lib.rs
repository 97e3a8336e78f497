//! whiteout harness: scenarios, the backends that drive Alpenglow validators
//! (`sim`: a seeded discrete-event simulator), load generation, invariant
//! checks and metric collection, and the CLI subcommands.
//!
//! Modules: [`scenario`] (TOML scenarios), [`sim`] (the discrete-event
//! backend, network model and load clients), [`metrics`] (collection and the
//! safety check), [`runner`] (one run from scenario to report), [`cmd`]
//! (subcommands).

mod chaos;
pub mod cmd;
pub mod metrics;
pub mod runner;
pub mod scenario;
pub mod sim;
