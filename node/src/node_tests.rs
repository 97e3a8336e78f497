//! Tests of the validator's rules: each certificate, each event, the
//! timeout schedule. One validator is driven with crafted messages from the
//! others (ten validators of equal stake, so one validator is 10%).

use std::sync::Arc;
use std::time::Duration;

use crate::message::{CertificateKind, Message, Shred, Vote, VoteKind};
use crate::node::{Event, FinalizedBy, Node, Output, Timer};
use crate::types::{BlockHash, BlockId, LeaderSchedule, Slot, ValidatorIndex, ValidatorSet};
use crate::{NodeConfig, SimulatorHooks, Validator};

const MS: Duration = Duration::from_millis(1);

fn config() -> NodeConfig {
    NodeConfig {
        slices_per_block: 1,
        ..NodeConfig::default()
    }
}

fn schedule() -> Arc<LeaderSchedule> {
    Arc::new(LeaderSchedule::new(
        11,
        4,
        Arc::new(ValidatorSet::new(vec![10; 10])),
    ))
}

/// A validator that does not lead slot 1's window, started at time 0.
fn follower() -> (Node, Vec<Output>) {
    let schedule = schedule();
    let leader = schedule.leader(Slot(1));
    let me = ValidatorIndex(if leader.0 == 0 { 1 } else { 0 });
    let mut node = Node::new(me, config(), schedule);
    node.handle_start(Duration::ZERO);
    let out = drain(&mut node);
    (node, out)
}

fn drain(node: &mut Node) -> Vec<Output> {
    std::iter::from_fn(|| node.poll_output()).collect()
}

fn others(node: &Node) -> impl Iterator<Item = ValidatorIndex> + '_ {
    (0..10)
        .map(ValidatorIndex)
        .filter(move |v| *v != node.index())
}

/// Delivers votes of `kind` for `slot` from `count` other validators.
fn votes(node: &mut Node, now: Duration, slot: u64, kind: VoteKind, count: usize) -> Vec<Output> {
    let voters: Vec<ValidatorIndex> = others(node).take(count).collect();
    let mut out = Vec::new();
    for voter in voters {
        node.handle_message(
            now,
            voter,
            Message::Vote(Vote {
                voter,
                slot: Slot(slot),
                kind,
            }),
        );
        out.extend(drain(node));
    }
    out
}

fn own_votes(out: &[Output]) -> Vec<(Slot, VoteKind)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Broadcast {
                message: Message::Vote(v),
                ..
            } => Some((v.slot, v.kind)),
            _ => None,
        })
        .collect()
}

fn events(out: &[Output]) -> Vec<Event> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn certificates(out: &[Output]) -> Vec<(CertificateKind, Slot)> {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            Event::CertificateStored { kind, slot, .. } => Some((kind, slot)),
            _ => None,
        })
        .collect()
}

fn timers(out: &[Output]) -> Vec<(Duration, Timer)> {
    out.iter()
        .filter_map(|o| match o {
            Output::SetTimer { at, timer } => Some((*at, *timer)),
            _ => None,
        })
        .collect()
}

/// Delivers a whole one-slice block for `slot` (32 shreds relayed by
/// others) to `node`.
fn deliver_block(node: &mut Node, now: Duration, block: BlockId, parent: BlockId) -> Vec<Output> {
    let leader = schedule().leader(block.slot);
    let relay = others(node).find(|v| *v != leader).unwrap();
    let mut out = Vec::new();
    for index in 0..32 {
        node.handle_message(
            now,
            relay,
            Message::Shred(Shred {
                leader,
                block,
                parent,
                slice: 0,
                slices: 1,
                index,
                relay,
            }),
        );
        out.extend(drain(node));
    }
    out
}

const B1: BlockId = BlockId {
    slot: Slot(1),
    hash: BlockHash(0xB1),
};

/// B1's child, in slot 2 (same leader window).
const B2: BlockId = BlockId {
    slot: Slot(2),
    hash: BlockHash(0xB2),
};

/// B2's child, in slot 3.
const B3: BlockId = BlockId {
    slot: Slot(3),
    hash: BlockHash(0xB3),
};

#[test]
fn timeouts_follow_definition_17() {
    let (_, out) = follower();
    let timeouts: Vec<(Duration, Timer)> = timers(&out)
        .into_iter()
        .filter(|(_, t)| matches!(t, Timer::Timeout(_)))
        .collect();
    // ParentReady(1, genesis) at time 0: Timeout(i) = 0 + Δtimeout + (i - 1 + 1)·Δblock.
    assert_eq!(
        timeouts,
        vec![
            (750 * MS + 400 * MS, Timer::Timeout(Slot(1))),
            (750 * MS + 800 * MS, Timer::Timeout(Slot(2))),
            (750 * MS + 1200 * MS, Timer::Timeout(Slot(3))),
            (750 * MS + 1600 * MS, Timer::Timeout(Slot(4))),
        ]
    );
}

#[test]
fn leader_sends_each_block_when_its_slot_ends() {
    let schedule = schedule();
    let leader = schedule.leader(Slot(1));
    let mut node = Node::new(leader, config(), schedule);
    node.handle_start(Duration::ZERO);
    let produce: Vec<(Duration, Timer)> = timers(&drain(&mut node))
        .into_iter()
        .filter(|(_, t)| matches!(t, Timer::ProduceBlock(_)))
        .collect();
    assert_eq!(produce.len(), 4);
    assert_eq!(produce[0], (400 * MS, Timer::ProduceBlock(Slot(1))));
    assert_eq!(produce[3], (1600 * MS, Timer::ProduceBlock(Slot(4))));
    node.handle_timer(400 * MS, Timer::ProduceBlock(Slot(1)));
    let out = drain(&mut node);
    let shreds = out
        .iter()
        .filter(|o| {
            matches!(
                o,
                Output::Send {
                    message: Message::Shred(_),
                    ..
                } | Output::Broadcast {
                    message: Message::Shred(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(shreds, 64, "one slice of Γ = 64 shreds, one per relay");
    // The leader votes for its own block.
    assert!(matches!(
        own_votes(&out)[..],
        [(Slot(1), VoteKind::Notar(_))]
    ));
}

#[test]
fn a_complete_block_gets_a_notar_vote() {
    let (mut node, _) = follower();
    let out = deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    assert!(events(&out).contains(&Event::BlockReceived {
        block: B1,
        parent: BlockId::GENESIS
    }));
    assert_eq!(own_votes(&out), vec![(Slot(1), VoteKind::Notar(B1.hash))]);
}

#[test]
fn a_block_with_a_parent_that_is_not_ready_gets_no_vote() {
    let (mut node, _) = follower();
    let wrong_parent = BlockId {
        slot: Slot(0),
        hash: BlockHash(0xBAD),
    };
    let out = deliver_block(&mut node, 100 * MS, B1, wrong_parent);
    assert!(own_votes(&out).is_empty());
}

#[test]
fn notarization_at_60_percent_then_final_vote_then_slow_finalization() {
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    // Own vote (10%) + 4 others = 50%: no certificate.
    let out = votes(&mut node, 110 * MS, 1, VoteKind::Notar(B1.hash), 4);
    assert!(certificates(&out).is_empty());
    // The 6th vote: 60%, notarization; the node casts its final vote.
    let out = votes(&mut node, 120 * MS, 1, VoteKind::Notar(B1.hash), 5);
    assert_eq!(
        certificates(&out),
        vec![(CertificateKind::Notarization, Slot(1))]
    );
    assert_eq!(own_votes(&out), vec![(Slot(1), VoteKind::Final)]);
    // Final votes: own + 5 others = 60%: finalization certificate, block finalized by the slow path.
    let out = votes(&mut node, 130 * MS, 1, VoteKind::Final, 5);
    assert_eq!(
        certificates(&out),
        vec![(CertificateKind::Finalization, Slot(1))]
    );
    assert!(events(&out).contains(&Event::Finalized {
        block: B1,
        by: FinalizedBy::Finalization
    }));
    assert_eq!(node.highest_finalized(), Slot(1));
}

#[test]
fn fast_finalization_at_80_percent_not_below() {
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    // Own + 6 = 70%.
    let out = votes(&mut node, 110 * MS, 1, VoteKind::Notar(B1.hash), 6);
    assert!(!certificates(&out).contains(&(CertificateKind::FastFinalization, Slot(1))));
    // Own + 7 = 80%.
    let out = votes(&mut node, 120 * MS, 1, VoteKind::Notar(B1.hash), 7);
    assert_eq!(
        certificates(&out),
        vec![(CertificateKind::FastFinalization, Slot(1))]
    );
    assert!(events(&out).contains(&Event::Finalized {
        block: B1,
        by: FinalizedBy::FastFinalization
    }));
}

#[test]
fn timeout_skips_the_window_and_skip_certificate_makes_next_parent_ready() {
    let (mut node, _) = follower();
    node.handle_timer(1150 * MS, Timer::Timeout(Slot(1)));
    let out = drain(&mut node);
    // trySkipWindow: skip votes for every unvoted slot of the window.
    assert_eq!(
        own_votes(&out),
        (1..=4)
            .map(|s| (Slot(s), VoteKind::Skip))
            .collect::<Vec<_>>()
    );
    // Skip certificates (own + 5 = 60%) on slots 1-4 make ParentReady(5, genesis):
    // timeouts for window 5..8 are set.
    let mut out = Vec::new();
    for slot in 1..=4 {
        out.extend(votes(&mut node, 1200 * MS, slot, VoteKind::Skip, 5));
    }
    let skips = certificates(&out)
        .into_iter()
        .filter(|(k, _)| *k == CertificateKind::Skip)
        .count();
    assert_eq!(skips, 4);
    assert!(timers(&out)
        .iter()
        .any(|(_, t)| *t == Timer::Timeout(Slot(5))));
}

#[test]
fn skip_certificate_below_60_percent_is_not_built() {
    let (mut node, _) = follower();
    node.handle_timer(1150 * MS, Timer::Timeout(Slot(1)));
    drain(&mut node);
    // Own + 4 = 50%.
    let out = votes(&mut node, 1200 * MS, 1, VoteKind::Skip, 4);
    assert!(certificates(&out).is_empty());
}

#[test]
fn safe_to_notar_at_40_percent_not_below() {
    let (mut node, _) = follower();
    // The node times out and votes skip; then notar votes for B1 arrive.
    node.handle_timer(1150 * MS, Timer::Timeout(Slot(1)));
    drain(&mut node);
    let out = votes(&mut node, 1200 * MS, 1, VoteKind::Notar(B1.hash), 3);
    assert!(own_votes(&out).is_empty(), "30% is not enough");
    let out = votes(&mut node, 1210 * MS, 1, VoteKind::Notar(B1.hash), 4);
    assert_eq!(
        own_votes(&out),
        vec![(Slot(1), VoteKind::NotarFallback(B1.hash))],
        "notar(b) = 40%: SafeToNotar"
    );
}

#[test]
fn safe_to_notar_by_skip_plus_notar() {
    // skip(s) + notar(b) >= 60% with notar(b) >= 20%.
    let (mut node, _) = follower();
    node.handle_timer(1150 * MS, Timer::Timeout(Slot(1)));
    drain(&mut node);
    // Skips from validators other than the notar voters: own skip + 3 = 40%.
    let voters: Vec<ValidatorIndex> = others(&node).collect();
    for v in &voters[..3] {
        node.handle_message(
            1200 * MS,
            *v,
            Message::Vote(Vote {
                voter: *v,
                slot: Slot(1),
                kind: VoteKind::Skip,
            }),
        );
    }
    drain(&mut node);
    let mut out = Vec::new();
    for v in &voters[3..5] {
        node.handle_message(
            1210 * MS,
            *v,
            Message::Vote(Vote {
                voter: *v,
                slot: Slot(1),
                kind: VoteKind::Notar(B1.hash),
            }),
        );
        out.extend(drain(&mut node));
    }
    // 40% skip + 20% notar = 60%, notar 20%.
    assert_eq!(
        own_votes(&out),
        vec![(Slot(1), VoteKind::NotarFallback(B1.hash))]
    );
}

#[test]
fn safe_to_notar_waits_for_the_parent_certificate_the_node_builds_itself() {
    // Definition 16: beyond a window's first slot, SafeToNotar(s, b) also
    // needs a notar-fallback (or notarization) certificate on b's parent.
    // Here the validator builds that certificate itself, from votes, after
    // the child's votes are in: no later message about the child comes.
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    // Slot 2 times out: the validator skips the rest of the window.
    node.handle_timer(1550 * MS, Timer::Timeout(Slot(2)));
    let out = drain(&mut node);
    assert!(own_votes(&out).contains(&(Slot(2), VoteKind::Skip)));
    deliver_block(&mut node, 1600 * MS, B2, B1);
    let out = votes(&mut node, 1610 * MS, 2, VoteKind::Notar(B2.hash), 4);
    assert!(
        own_votes(&out).is_empty(),
        "notar(B2) = 40%, but B1 has no certificate yet"
    );
    // Own vote + 5 others = 60%: the validator builds B1's notarization.
    let out = votes(&mut node, 1620 * MS, 1, VoteKind::Notar(B1.hash), 5);
    assert!(certificates(&out).contains(&(CertificateKind::Notarization, Slot(1))));
    // Its final vote for B1, then the fallback vote SafeToNotar(2, B2) asks.
    assert_eq!(
        own_votes(&out),
        vec![
            (Slot(1), VoteKind::Final),
            (Slot(2), VoteKind::NotarFallback(B2.hash))
        ],
    );
}

#[test]
fn ancestors_are_finalized_before_the_block() {
    // Definition 14: finalizing a block finalizes its ancestors first.
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    deliver_block(&mut node, 500 * MS, B2, B1);
    deliver_block(&mut node, 900 * MS, B3, B2);
    // 80% notarize B3 (the validator's own vote and 7 others).
    let out = votes(&mut node, 1000 * MS, 3, VoteKind::Notar(B3.hash), 7);
    let finalized: Vec<(Slot, FinalizedBy)> = events(&out)
        .into_iter()
        .filter_map(|e| match e {
            Event::Finalized { block, by } => Some((block.slot, by)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finalized,
        vec![
            (Slot(1), FinalizedBy::Ancestor),
            (Slot(2), FinalizedBy::Ancestor),
            (Slot(3), FinalizedBy::FastFinalization),
        ]
    );
}

fn sends(out: &[Output]) -> Vec<(ValidatorIndex, Message)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { to, message } => Some((*to, message.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_certified_block_missing_after_delta_block_is_repaired_from_its_voters() {
    // Section 2.8: B1 is notarized (60% of NotarVotes) at a validator that
    // never got its shreds.
    let (mut node, _) = follower();
    let leader = schedule().leader(Slot(1));
    let out = votes(&mut node, 100 * MS, 1, VoteKind::Notar(B1.hash), 6);
    assert!(certificates(&out).contains(&(CertificateKind::Notarization, Slot(1))));
    let repair = |attempt| Timer::Repair { block: B1, attempt };
    assert_eq!(timers(&out), vec![(500 * MS, repair(0))], "after Δblock");
    let voters: Vec<ValidatorIndex> = others(&node).take(6).collect();
    let mut asked = Vec::new();
    for attempt in 0..crate::REPAIR_ATTEMPTS_MAX {
        let now = (500 + 400 * attempt) * MS;
        node.handle_timer(now, repair(attempt));
        let out = drain(&mut node);
        let sent = sends(&out);
        assert_eq!(sent.len(), 1, "{out:?}");
        let (to, message) = &sent[0];
        assert_eq!(*message, Message::RepairRequest(B1));
        assert!(voters.contains(to) && *to != leader, "asked {to:?}");
        asked.push(*to);
        let next = timers(&out);
        if attempt + 1 < crate::REPAIR_ATTEMPTS_MAX {
            assert_eq!(next, vec![(now + 400 * MS, repair(attempt + 1))]);
        } else {
            assert!(next.is_empty(), "bounded: {next:?}");
        }
    }
    asked.dedup();
    assert!(asked.len() > 1, "retries ask other voters: {asked:?}");
    // Once the block is here, a due repair asks nothing.
    deliver_block(&mut node, 5 * 1000 * MS, B1, BlockId::GENESIS);
    node.handle_timer(5100 * MS, repair(0));
    assert!(sends(&drain(&mut node)).is_empty());
}

#[test]
fn a_block_certified_only_by_notar_fallback_is_repaired_from_its_signers() {
    // A notar-fallback certificate arrives at a validator that stored none
    // of B1's NotarVotes (it was cut off while they flew): its signers are
    // the only validators known to have voted for B1.
    let (mut node, _) = follower();
    let leader = schedule().leader(Slot(1));
    let mut signers = crate::SignerSet::with_capacity(10);
    let signed: Vec<ValidatorIndex> = others(&node).take(6).collect();
    for v in &signed {
        signers.insert(*v);
    }
    let cert = crate::Certificate {
        kind: CertificateKind::NotarFallback,
        slot: Slot(1),
        block: Some(B1.hash),
        signers,
    };
    node.handle_message(100 * MS, signed[0], Message::Certificate(Arc::new(cert)));
    let out = drain(&mut node);
    let repair = |attempt| Timer::Repair { block: B1, attempt };
    assert!(timers(&out).contains(&(500 * MS, repair(0))), "{out:?}");
    node.handle_timer(500 * MS, repair(0));
    let sent = sends(&drain(&mut node));
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, message) = &sent[0];
    assert_eq!(*message, Message::RepairRequest(B1));
    assert!(signed.contains(to) && *to != leader, "asked {to:?}");
}

#[test]
fn safe_to_notar_repairs_a_block_it_has_no_shred_of_to_learn_its_parent() {
    // Definition 16: beyond a window's first slot, block b is retrieved by
    // repair first, to identify its parent.
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    votes(&mut node, 150 * MS, 1, VoteKind::Notar(B1.hash), 5);
    node.handle_timer(1550 * MS, Timer::Timeout(Slot(2)));
    drain(&mut node);
    let out = votes(&mut node, 1600 * MS, 2, VoteKind::Notar(B2.hash), 4);
    assert!(own_votes(&out).is_empty(), "B2's parent is unknown here");
    assert_eq!(
        timers(&out),
        vec![(
            2000 * MS,
            Timer::Repair {
                block: B2,
                attempt: 0
            }
        )]
    );
    node.handle_timer(
        2000 * MS,
        Timer::Repair {
            block: B2,
            attempt: 0,
        },
    );
    let asked = sends(&drain(&mut node));
    assert_eq!(asked.len(), 1);
    // The answer's first shred names the parent: SafeToNotar(2, B2).
    let out = deliver_block(&mut node, 2050 * MS, B2, B1);
    assert_eq!(
        own_votes(&out),
        vec![(Slot(2), VoteKind::NotarFallback(B2.hash))]
    );
}

#[test]
fn a_block_of_a_finalized_slot_gets_no_vote() {
    // B1 is fast-finalized before its shreds arrive (they come by repair,
    // or after a restart): the slot is decided, no NotarVote follows.
    let (mut node, _) = follower();
    let out = votes(&mut node, 100 * MS, 1, VoteKind::Notar(B1.hash), 8);
    assert!(certificates(&out).contains(&(CertificateKind::FastFinalization, Slot(1))));
    let out = deliver_block(&mut node, 600 * MS, B1, BlockId::GENESIS);
    assert!(own_votes(&out).is_empty(), "{:?}", own_votes(&out));
}

#[test]
fn a_block_that_arrives_in_time_is_not_repaired() {
    let (mut node, _) = follower();
    votes(&mut node, 100 * MS, 1, VoteKind::Notar(B1.hash), 6);
    deliver_block(&mut node, 300 * MS, B1, BlockId::GENESIS);
    node.handle_timer(
        500 * MS,
        Timer::Repair {
            block: B1,
            attempt: 0,
        },
    );
    let out = drain(&mut node);
    assert!(sends(&out).is_empty() && timers(&out).is_empty(), "{out:?}");
}

#[test]
fn repair_requests_are_answered_with_gamma_shreds_per_slice() {
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    let asker = others(&node).last().unwrap();
    node.handle_message(200 * MS, asker, Message::RepairRequest(B1));
    let answers = sends(&drain(&mut node));
    assert_eq!(answers.len(), 32, "one slice, γ = 32");
    assert!(answers.iter().all(|(to, m)| *to == asker
        && matches!(m, Message::Shred(s) if s.block == B1 && s.relay == asker)));
}

#[test]
fn safe_to_skip_at_40_percent_not_below() {
    let (mut node, _) = follower();
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    // The node voted notar; 30% skip: nothing.
    let out = votes(&mut node, 110 * MS, 1, VoteKind::Skip, 3);
    assert!(own_votes(&out).is_empty());
    // 40% skip: SafeToSkip, the node casts skip-fallback (and skips the
    // rest of its window).
    let out = votes(&mut node, 120 * MS, 1, VoteKind::Skip, 4);
    let cast = own_votes(&out);
    assert!(
        cast.contains(&(Slot(1), VoteKind::SkipFallback)),
        "{cast:?}"
    );
    assert!(cast.contains(&(Slot(2), VoteKind::Skip)), "{cast:?}");
}

#[test]
fn received_certificates_are_stored_and_rebroadcast() {
    let (mut node, _) = follower();
    let mut signers = crate::SignerSet::with_capacity(10);
    for v in 0..6 {
        signers.insert(ValidatorIndex(v));
    }
    let cert = crate::Certificate {
        kind: CertificateKind::Notarization,
        slot: Slot(1),
        block: Some(B1.hash),
        signers,
    };
    node.handle_message(
        100 * MS,
        ValidatorIndex(9),
        Message::Certificate(Arc::new(cert.clone())),
    );
    let out = drain(&mut node);
    assert_eq!(
        certificates(&out),
        vec![(CertificateKind::Notarization, Slot(1))]
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Broadcast {
            message: Message::Certificate(_),
            ..
        }
    )));
    // ParentReady(5, B1): the notarized block of the window's last slot is
    // not needed; slots 2-4 lack skip certificates, so no timeouts for 5.
    assert!(!timers(&out)
        .iter()
        .any(|(_, t)| *t == Timer::Timeout(Slot(5))));
    // A certificate short of its threshold is rejected.
    let mut weak = cert;
    weak.slot = Slot(2);
    weak.signers = crate::SignerSet::with_capacity(10);
    weak.signers.insert(ValidatorIndex(1));
    node.handle_message(
        110 * MS,
        ValidatorIndex(9),
        Message::Certificate(Arc::new(weak)),
    );
    assert!(certificates(&drain(&mut node)).is_empty());
}

#[test]
fn votes_are_only_accepted_from_their_voter() {
    let (mut node, _) = follower();
    // Validator 9 forwards votes "from" others: ignored (votes are signed).
    for v in 0..8 {
        node.handle_message(
            100 * MS,
            ValidatorIndex(9),
            Message::Vote(Vote {
                voter: ValidatorIndex(v),
                slot: Slot(1),
                kind: VoteKind::Skip,
            }),
        );
    }
    assert!(certificates(&drain(&mut node)).is_empty());
}

#[test]
fn parent_ready_for_a_notarized_last_slot() {
    let (mut node, _) = follower();
    // Notarization of slot 4 (the window's last slot) makes ParentReady(5, b4).
    let b4 = BlockHash(0xB4);
    let out = votes(&mut node, 100 * MS, 4, VoteKind::Notar(b4), 6);
    assert!(certificates(&out).contains(&(CertificateKind::Notarization, Slot(4))));
    assert!(timers(&out)
        .iter()
        .any(|(_, t)| *t == Timer::Timeout(Slot(5))));
}

/// A small xorshift generator, so that the quiet-vote tests replay.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn quiet_stake_of_a_fresh_slot_and_after_a_notar_vote() {
    let (mut node, _) = follower();
    // Not voted: a block's notarization, skip and final certificates all
    // need 60%.
    assert_eq!(node.vote_quiet_stake(Slot(1)), 60);
    deliver_block(&mut node, 100 * MS, B1, BlockId::GENESIS);
    // Voted for B1 (its own 10% counted): 80 - 10 to fast-finalize,
    // 60 - 10 to notarize, and 40% for SafeToNotar on another block.
    assert_eq!(node.vote_quiet_stake(Slot(1)), 40);
    votes(&mut node, 110 * MS, 1, VoteKind::Notar(B1.hash), 3);
    assert_eq!(node.vote_quiet_stake(Slot(1)), 20, "60 - 40 to notarize");
    // Outside the range of slots kept, votes are dropped.
    assert_eq!(node.vote_quiet_stake(Slot(2_000_000)), u64::MAX);
}

/// Two copies of a validator get the same votes: one each as a plain
/// delivery, the other as quiet votes while their stake stays below
/// [`SimulatorHooks::vote_quiet_stake`] (taken again after each plain
/// one). The plain copy must do nothing at the quiet ones, and the same as
/// the other at the rest. Random votes of every kind, for two blocks, from a
/// validator that voted for a block, timed out, or did not vote.
#[test]
fn votes_below_the_quiet_stake_change_nothing_but_tallies() {
    let b2 = BlockHash(0xB2);
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut quiet_total = 0;
    for round in 0..300 {
        let (mut quiet, _) = follower();
        let (mut plain, _) = follower();
        match round % 3 {
            0 => {
                deliver_block(&mut quiet, 100 * MS, B1, BlockId::GENESIS);
                deliver_block(&mut plain, 100 * MS, B1, BlockId::GENESIS);
            }
            1 => {
                for node in [&mut quiet, &mut plain] {
                    node.handle_timer(1150 * MS, Timer::Timeout(Slot(1)));
                    drain(node);
                }
            }
            _ => {}
        }
        let voters: Vec<ValidatorIndex> = others(&quiet).collect();
        let mut budget: Option<u64> = None;
        for step in 0..40u64 {
            let voter = voters[(xorshift(&mut rng) % voters.len() as u64) as usize];
            let block = if xorshift(&mut rng).is_multiple_of(4) {
                b2
            } else {
                B1.hash
            };
            let kind = match xorshift(&mut rng) % 8 {
                0..=2 => VoteKind::Notar(block),
                3 => VoteKind::Skip,
                4 | 5 => VoteKind::Final,
                6 => VoteKind::NotarFallback(block),
                _ => VoteKind::SkipFallback,
            };
            let vote = Vote {
                voter,
                slot: Slot(1),
                kind,
            };
            let now = 1200 * MS + step as u32 * MS;
            let left = *budget.get_or_insert_with(|| quiet.vote_quiet_stake(Slot(1)));
            plain.handle_message(now, voter, Message::Vote(vote));
            let plain_out = drain(&mut plain);
            if 10 < left {
                budget = Some(left - 10);
                quiet.handle_quiet_vote(voter, vote);
                assert_eq!(plain_out, Vec::new(), "round {round}: {vote:?} was quiet");
                quiet_total += 1;
            } else {
                quiet.handle_message(now, voter, Message::Vote(vote));
                assert_eq!(drain(&mut quiet), plain_out, "round {round}: {vote:?}");
                budget = None;
            }
        }
    }
    assert!(quiet_total > 1000, "the bound lets votes through quietly");
}

#[test]
fn expired_transactions_leave_the_pending_queue_as_new_ones_arrive() {
    let (mut node, _) = follower();
    let tx = |id| crate::Transaction {
        id,
        size_bytes: 250,
    };
    for id in 0..5 {
        node.handle_transaction(Duration::from_secs(id), tx(id));
    }
    assert_eq!(node.pending_transactions(), 5);
    // 60 s expiry: at 62 s the transactions of 0 s and 1 s are gone, the
    // one of 2 s (exactly 60 s old) stays.
    node.handle_transaction(Duration::from_secs(62), tx(5));
    assert_eq!(node.pending_transactions(), 4);
}
