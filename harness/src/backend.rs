//! The seam between the harness and the ways of running validators.
//!
//! A backend runs the validators (simulated, as tasks on sockets, as
//! processes, across hosts), applies the chaos [`Action`]s the conductor
//! hands it, and feeds what happens into the observation stream
//! ([`crate::observe::Observers`]). It computes no figure and no verdict:
//! the stream's consumers do.
//!
//! Call order: [`drive`] calls [`Backend::run_until`] with the target time
//! and the timeline's next deadline; the backend runs until one of the
//! three [`Stop`]s; on `Deadline` or `Poll` the conductor polls the timeline
//! and calls [`Backend::apply`] for each action due, then `run_until` again.

use whiteout_chaos::Action;

use crate::observe::{Conductor, Observers};

/// Why [`Backend::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The backend's clock reached `until_ns` (or the end of the run).
    Reached,
    /// The clock reached the timeline's deadline (before `until_ns`); what
    /// is due at the deadline itself has not run yet.
    Deadline,
    /// Something the timeline's starts watch changed
    /// ([`Observers::wants_poll`]): poll it before going on.
    Poll,
}

/// A way of running validators.
pub trait Backend {
    /// The backend's clock: ns since the run's start (simulated time for
    /// `sim`, monotonic wall time for real-time backends).
    fn now_ns(&self) -> u64;

    /// Runs until `until_ns` (inclusive: what is due at `until_ns` runs),
    /// stopping earlier at `deadline_ns` (exclusive: what is due at the
    /// deadline waits for the poll) or when the observers want a poll.
    /// Feeds every event, traffic, lifecycle change, current slot,
    /// transaction and tick into [`Backend::observers_mut`].
    fn run_until(&mut self, until_ns: u64, deadline_ns: Option<u64>) -> Stop;

    /// Carries out one chaos action now, reporting each validator it
    /// crashes, restarts or turns Byzantine or honest as a lifecycle
    /// record (before the validator runs again).
    fn apply(&mut self, action: Action);

    /// The stream's consumers.
    fn observers(&self) -> &Observers;

    /// The stream's consumers, to feed.
    fn observers_mut(&mut self) -> &mut Observers;

    /// Threads the backend runs on (recorded in the report's
    /// `resources`).
    fn threads(&self) -> u32;
}

/// Runs `backend` until `until_ns`, polling the chaos `conductor` (if the
/// run has faults) at each deadline and whenever what it watches changes.
pub fn drive<B: Backend + ?Sized>(
    backend: &mut B,
    mut conductor: Option<&mut Conductor>,
    until_ns: u64,
) {
    loop {
        let deadline = conductor.as_deref().and_then(Conductor::next_deadline_ns);
        match backend.run_until(until_ns, deadline) {
            Stop::Reached => return,
            Stop::Deadline | Stop::Poll => {
                let c = conductor
                    .as_deref_mut()
                    .expect("only a run with a conductor stops for it");
                c.poll(backend);
            }
        }
    }
}
