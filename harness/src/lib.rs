//! whiteout harness: scenarios, the backends that drive Alpenglow validators
//! (`sim`: a seeded discrete-event simulator), load generation, invariant
//! checks and metric collection, and the CLI subcommands.

pub mod cmd;
