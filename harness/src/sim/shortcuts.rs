//! The exact delivery shortcuts of votes and certificates (earliest
//! certificate copy, moot votes, quiet votes) and the pruning of their state
//! behind finalization. See the module documentation of [`super`].

use whiteout_node::{
    CertificateKind, Message, SimulatorHooks as _, Slot, Validator as _, ValidatorIndex, Vote,
    VoteKind,
};

use super::links::{copy_wanted, mark_stored, CertificateKey, LinkJob};
use super::seat::Seat;
use super::Simulation;

impl Simulation {
    /// Forgets shortcut state of slots every validator has pruned, and of
    /// slots some validator has pruned where nothing is on its way to the
    /// validators that have not (a validator far behind, e.g. behind a very
    /// slow link, would otherwise hold the state of every later slot).
    ///
    /// A validator has pruned the slots below its highest finalized slot
    /// minus twice `slots_retained` (it keeps `slots_retained` of them;
    /// shreds and certificates of older slots change nothing there). State forgotten
    /// while a validator still keeps the slot is state of a shortcut that
    /// then does not apply: a later copy is delivered (as without
    /// shortcuts) rather than skipped, and a later shred of the slice
    /// starts an inbox afresh from what the validator holds.
    pub(super) fn prune(&mut self) {
        // Twice what the node keeps, as a margin.
        let retained = 2 * self.config.slots_retained;
        let floors: Vec<Option<Slot>> = self
            .nodes
            .iter()
            .map(|v| {
                v.node()
                    .map(|n| Slot(n.highest_finalized().0.saturating_sub(retained)))
            })
            .collect();
        let floor = floors
            .iter()
            .flatten()
            .min()
            .copied()
            .unwrap_or(Slot::GENESIS);
        let top = floors
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or(Slot::GENESIS);
        // Validators that keep `slot`.
        let keeps = |slot: Slot| {
            floors
                .iter()
                .enumerate()
                .filter(move |(_, f)| f.is_some_and(|f| slot >= f))
                .map(|(r, _)| r)
        };
        let (now, end) = (self.now_ns, self.end_ns);
        self.certificate_due.retain(|(slot, _, _), due| {
            *slot >= floor
                && (*slot >= top
                    // A copy still on its way to a validator that keeps
                    // the slot.
                    || keeps(*slot).any(|r| due[r].0 >= now && due[r].0 <= end))
        });
        if self.links.is_some() {
            self.tell_links(LinkJob::Prune { floor });
        }
        self.inboxes.retain(|(block, _), group| {
            block.slot >= floor
                && (block.slot >= top
                    // Arrivals not handed over yet, to a validator that
                    // keeps the slot.
                    || keeps(block.slot).any(|r| !group.by_recipient[r].earliest.is_empty()))
        });
        let inboxes = &self.inboxes;
        self.announced.retain(|block, _| {
            block.slot >= floor
                && (block.slot >= top
                    || inboxes
                        .range((*block, 0)..=(*block, u32::MAX))
                        .next()
                        .is_some())
        });
    }

    /// Delivers `vote` from `from` to validator `r` as a quiet vote
    /// ([`whiteout_node::SimulatorHooks::handle_quiet_vote`]) when its stake keeps the votes `r` took
    /// for the slot since its last other input below its bound
    /// ([`whiteout_node::SimulatorHooks::vote_quiet_stake`]); returns whether it did. The vote then
    /// changes only `r`'s tallies, so nothing is left to do. Only in a
    /// fault-free run with the shortcuts on (every validator honest).
    pub(super) fn quiet_vote(&mut self, r: usize, from: u32, vote: &Vote) -> bool {
        if !self.shortcuts || self.chaos.is_some() {
            return false;
        }
        let Seat::Honest(node) = &mut self.nodes[r] else {
            unreachable!("every validator is honest without faults");
        };
        let budgets = &mut self.quiet_lamports[r];
        let i = match budgets.iter().position(|(slot, _)| *slot == vote.slot) {
            Some(i) => i,
            None => {
                budgets.push((vote.slot, node.vote_quiet_stake(vote.slot)));
                budgets.len() - 1
            }
        };
        let stake_lamports = self.schedule.validators().stake(vote.voter).0;
        let budget = &mut budgets[i].1;
        if stake_lamports >= *budget {
            return false;
        }
        *budget -= stake_lamports;
        node.handle_quiet_vote(ValidatorIndex(from), *vote);
        true
    }

    /// Validator `v` stored a certificate: copies of it need not reach it,
    /// and votes it completes may be moot there now.
    pub(super) fn certificate_stored(&mut self, v: usize, key: CertificateKey) {
        if self.links().is_none() {
            mark_stored(
                &mut self.certificate_due,
                self.net.model.n,
                key,
                v,
                self.now_ns,
            );
            return;
        }
        self.tell_links(LinkJob::CertificateStored {
            key,
            to: v as u32,
            at_ns: self.now_ns,
        });
        match key {
            (slot, CertificateKind::FastFinalization | CertificateKind::Notarization, Some(b)) => {
                self.note_moot(v, slot, VoteKind::Notar(b));
            }
            (slot, CertificateKind::Finalization, _) => self.note_moot(v, slot, VoteKind::Final),
            _ => {}
        }
    }

    /// Tells the links when votes of `kind` for `slot` became moot at
    /// validator `v` (they change nothing there any more).
    pub(super) fn note_moot(&mut self, v: usize, slot: Slot, kind: VoteKind) {
        if self.links.is_none() {
            return;
        }
        let vote = Vote {
            voter: ValidatorIndex(v as u32),
            slot,
            kind,
        };
        if !self.nodes[v].node().is_some_and(|n| n.vote_is_moot(&vote)) {
            return;
        }
        let block = match kind {
            VoteKind::Notar(b) => Some(b),
            _ => None,
        };
        self.tell_links(LinkJob::VotesMoot {
            to: v as u32,
            slot,
            block,
        });
    }

    /// Whether a vote or certificate arriving at `to` at `arrival` can
    /// matter there: a certificate the recipient holds, or of which an
    /// earlier copy is already due (`due`, per recipient, created on first
    /// use), is not delivered; nor is a vote that is moot at the recipient.
    pub(super) fn wanted(
        &self,
        to: usize,
        message: &Message,
        arrival: (u64, u64),
        due: &mut Option<Vec<(u64, u64)>>,
    ) -> bool {
        match message {
            // `due` also holds when each recipient stored the certificate
            // (from its events).
            Message::Certificate(_) => copy_wanted(due, self.net.model.n, to, arrival),
            // Mootness assumes every validator is honest.
            Message::Vote(v) => {
                self.chaos.as_ref().is_some_and(|c| c.any_byzantine)
                    || !self.nodes[to].node().is_some_and(|n| n.vote_is_moot(v))
            }
            _ => true,
        }
    }
}
