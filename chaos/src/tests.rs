//! Tests of parsing, validation, seeded selection, random expansion and the
//! timeline.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use whiteout_node::{LeaderSchedule, Slot, ValidatorIndex, ValidatorSet};

use super::*;

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    fault: Vec<FaultSpec>,
    #[serde(default)]
    expect: Expect,
}

fn plan(toml_text: &str) -> Result<Plan, ChaosError> {
    let doc: Doc = toml::from_str(toml_text).expect("valid TOML");
    Plan::parse(&doc.fault, doc.expect)
}

fn one(toml_text: &str) -> Fault {
    plan(toml_text).unwrap().faults.remove(0)
}

fn vi(list: &[u32]) -> Vec<ValidatorIndex> {
    list.iter().map(|&v| ValidatorIndex(v)).collect()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Ten validators with stake 1..=10; 0-2 in Frankfurt (europe), 3-5 in New
/// York (north_america), the rest unknown.
fn validators() -> Vec<ValidatorInfo> {
    (0..10u64)
        .map(|i| ValidatorInfo {
            stake: (i + 1) * 1_000_000_000,
            region: match i {
                0..=2 => Some("DE-Frankfurt am Main".into()),
                3..=5 => Some("US-New York".into()),
                _ => None,
            },
            continent: match i {
                0..=2 => Some("europe"),
                3..=5 => Some("north_america"),
                _ => None,
            },
        })
        .collect()
}

fn schedule(n: usize) -> LeaderSchedule {
    LeaderSchedule::new(3, 4, Arc::new(ValidatorSet::new(vec![1; n])))
}

fn stake_of(v: &[ValidatorInfo], set: &[ValidatorIndex]) -> u64 {
    set.iter().map(|i| v[i.idx()].stake).sum()
}

// ----- parsing -----

#[test]
fn parses_every_kind() {
    let f =
        one("[[fault]]\nkind = \"partition\"\nat = \"1m\"\ngroups = [[0, 1], [2]]\none_way = true");
    assert_eq!(
        f.kind,
        FaultKind::Partition {
            split: Split::Groups(vec![vi(&[0, 1]), vi(&[2])]),
            one_way: true
        }
    );
    let f = one("[[fault]]\nkind = \"partition\"\nat = \"1m\"\nstake_groups = [0.34, 0.33, 0.33]");
    assert_eq!(
        f.kind,
        FaultKind::Partition {
            split: Split::StakeGroups(vec![0.34, 0.33, 0.33]),
            one_way: false
        }
    );
    let f = one("[[fault]]\nkind = \"partition\"\nat = \"1m\"\nisolate = true\nrole = \"leader\"");
    assert_eq!(f.kind.target(), Some(&Target::Leader));
    let p = plan(
        "[[fault]]\nkind = \"partition\"\nname = \"split\"\nat = \"1m\"\nstake_groups = [0.5, 0.5]\n\
         [[fault]]\nkind = \"heal\"\nheals = \"split\"\nat = \"2m\"",
    )
    .unwrap();
    assert_eq!(
        p.faults[1].kind,
        FaultKind::Heal {
            heals: "split".into()
        }
    );
    let f = one("[[fault]]\nkind = \"crash\"\nat_slot = 1200\nduration = \"30s\"\nstake = 0.2");
    assert_eq!(
        f.kind,
        FaultKind::Crash {
            target: Target::Stake(0.2)
        }
    );
    assert_eq!(
        (f.start, f.duration),
        (Start::AtSlot(Slot(1200)), Some(secs(30)))
    );
    let f = one("[[fault]]\nkind = \"restart\"\nat = \"5m\"\nvalidators = [1, 2]");
    assert_eq!(
        f.kind,
        FaultKind::Restart {
            target: Target::Validators(vi(&[1, 2]))
        }
    );
    let f = one(
        "[[fault]]\nkind = \"link\"\nat = \"2m\"\ncontinent = \"asia\"\nlatency_ms_added = 150\n\
         jitter_ms = 20.5\nloss_rate = 0.05\nbandwidth_bps = 100_000_000",
    );
    assert_eq!(
        f.kind,
        FaultKind::Link {
            scope: LinkScope::Target(Target::Continent("asia".into())),
            effect: LinkEffect {
                latency_added: Duration::from_millis(150),
                jitter: Duration::from_micros(20_500),
                loss_rate: 0.05,
                bandwidth_bps: Some(100_000_000)
            }
        }
    );
    let f = one("[[fault]]\nkind = \"link\"\nat = \"2m\"\ngroups = [[0], [1, 2]]\nloss_rate = 1.0");
    assert!(
        matches!(f.kind, FaultKind::Link { scope: LinkScope::Between(a, b), .. } if a == vi(&[0]) && b == vi(&[1, 2]))
    );
    let f =
        one("[[fault]]\nkind = \"clock\"\nat = \"3m\"\nvalidator = 4\nrate = 1.5\njump = \"-2s\"");
    assert_eq!(
        f.kind,
        FaultKind::Clock {
            target: Target::Validator(ValidatorIndex(4)),
            rate: 1.5,
            jump_ns: -2_000_000_000
        }
    );
    let byz = |b: &str| {
        let FaultKind::Byzantine { behaviour, .. } = one(&format!(
            "[[fault]]\nkind = \"byzantine\"\nat = \"0s\"\nvalidator = 1\n{b}"
        ))
        .kind
        else {
            panic!("not byzantine")
        };
        behaviour
    };
    assert_eq!(
        byz("behaviour = \"equivocating_leader\""),
        Behaviour::EquivocatingLeader
    );
    assert_eq!(
        byz("behaviour = \"silent_leader\""),
        Behaviour::SilentLeader
    );
    assert_eq!(
        byz("behaviour = \"withholding_leader\"\nwithhold_share = 0.7"),
        Behaviour::WithholdingLeader {
            withhold_share: 0.7
        }
    );
    assert_eq!(byz("behaviour = \"double_voter\""), Behaviour::DoubleVoter);
    assert_eq!(
        byz("behaviour = \"vote_delayer\"\ndelay = \"200ms\""),
        Behaviour::VoteDelayer {
            delay: Duration::from_millis(200)
        }
    );
    assert_eq!(byz("behaviour = \"skip_always\""), Behaviour::SkipAlways);
    let f = one(
        "[[fault]]\nkind = \"random\"\nat = \"1m\"\nduration = \"8m\"\n\
         rate_per_hour = { crash = 6.0, partition = 2 }\nmax_stake = 0.3",
    );
    let FaultKind::Random(r) = f.kind else {
        panic!("not random")
    };
    assert_eq!(
        r.rates,
        vec![(RandomKind::Crash, 6.0), (RandomKind::Partition, 2.0)]
    );
    assert_eq!(
        (r.from, r.window, r.max_stake),
        (secs(60), Some(secs(480)), 0.3)
    );
    let f = one("[[fault]]\nkind = \"random\"\nrate_per_hour = 3\nkinds = [\"link\", \"clock\"]");
    let FaultKind::Random(r) = f.kind else {
        panic!("not random")
    };
    assert_eq!(
        r.rates,
        vec![(RandomKind::Link, 3.0), (RandomKind::Clock, 3.0)]
    );
    assert_eq!((r.from, r.window, r.max_stake), (Duration::ZERO, None, 0.2));
}

#[test]
fn parses_every_target_and_start() {
    let target = |t: &str| one(&format!("[[fault]]\nkind = \"crash\"\nat = \"1s\"\n{t}")).kind;
    let crash = |target| FaultKind::Crash { target };
    assert_eq!(
        target("validator = 3"),
        crash(Target::Validator(ValidatorIndex(3)))
    );
    assert_eq!(
        target("validators = [3, 1]"),
        crash(Target::Validators(vi(&[3, 1])))
    );
    assert_eq!(target("stake = 0.2"), crash(Target::Stake(0.2)));
    assert_eq!(target("role = \"leader\""), crash(Target::Leader));
    assert_eq!(target("next_leaders = 3"), crash(Target::NextLeaders(3)));
    assert_eq!(
        target("region = \"DE-Frankfurt am Main\""),
        crash(Target::Region("DE-Frankfurt am Main".into()))
    );
    assert_eq!(
        target("continent = \"europe\""),
        crash(Target::Continent("europe".into()))
    );
    let start = |s: &str| one(&format!("[[fault]]\nkind = \"crash\"\nvalidator = 1\n{s}")).start;
    assert_eq!(start("at = \"2m\""), Start::At(secs(120)));
    assert_eq!(start("at_slot = 1200"), Start::AtSlot(Slot(1200)));
    assert_eq!(
        start("at_leader_window_of = 17"),
        Start::LeaderWindowOf {
            validator: ValidatorIndex(17),
            not_before: Duration::ZERO
        }
    );
    assert_eq!(
        start("at_leader_window_of = 17\nat = \"1m\""),
        Start::LeaderWindowOf {
            validator: ValidatorIndex(17),
            not_before: secs(60)
        }
    );
    assert_eq!(
        start("after_skipped_slots = 8"),
        Start::AfterSkippedSlots {
            count: 8,
            not_before: Duration::ZERO
        }
    );
}

#[test]
fn expect_table_parses() {
    let p = plan("[expect]\nmax_stall = \"30s\"\nsafety = false").unwrap();
    assert_eq!(
        p.expect,
        Expect {
            max_stall: Some(secs(30)),
            safety: false
        }
    );
    assert_eq!(plan("").unwrap().expect, Expect::default());
    assert!(toml::from_str::<Doc>("[expect]\nmax_stall = \"0s\"").is_err());
    assert!(toml::from_str::<Doc>("[expect]\nmax_stal = \"1s\"").is_err());
}

#[test]
fn parse_errors_name_fault_and_field() {
    let cases: &[(&str, &str, &str)] = &[
        ("kind = \"crash\"\nvalidator = 1", "at", "to say when the fault starts"),
        ("kind = \"crash\"\nvalidator = 1\nat_slot = 5\nafter_skipped_slots = 2", "after_skipped_slots", "exactly one of"),
        ("kind = \"crash\"\nvalidator = 1\nat_slot = 5\nat = \"1s\"", "at_slot", "exactly one of"),
        ("kind = \"crash\"\nvalidator = 1\nat = \"soon\"", "at", "got \"soon\""),
        ("kind = \"crash\"\nvalidator = 1\nat = \"1s\"\nduration = \"0s\"", "duration", "duration > 0"),
        ("kind = \"crash\"\nvalidator = 1\nat = \"1s\"\nduration = \"-5s\"", "duration", "duration > 0"),
        ("kind = \"crash\"\nvalidator = 1\nat = \"1s\"\nduration = \"31days\"", "duration", "at most 30 days"),
        ("kind = \"crash\"\nvalidator = 1\nat = \"1000years\"", "at", "at most 30 days"),
        ("kind = \"crash\"\nat = \"1s\"", "target", "needs one of"),
        ("kind = \"crash\"\nvalidator = 1\nstake = 0.2\nat = \"1s\"", "stake", "one target field"),
        ("kind = \"crash\"\nstake = 1.5\nat = \"1s\"", "stake", "(0, 1], got 1.5"),
        ("kind = \"crash\"\nstake = 0.0\nat = \"1s\"", "stake", "(0, 1]"),
        ("kind = \"crash\"\nvalidators = []\nat = \"1s\"", "validators", "at least one"),
        ("kind = \"crash\"\nrole = \"voter\"\nat = \"1s\"", "role", "\"leader\""),
        ("kind = \"crash\"\ncontinent = \"atlantis\"\nat = \"1s\"", "continent", "expected one of europe"),
        ("kind = \"crash\"\nvalidator = 1\nat = \"1s\"\nloss_rate = 0.1", "loss_rate", "not a parameter of kind `crash`"),
        ("kind = \"restart\"\nvalidator = 1\nat = \"1s\"\nduration = \"1s\"", "duration", "instantaneous"),
        ("kind = \"heal\"\nat = \"1s\"\nvalidator = 1", "validator", "not a parameter"),
        ("kind = \"partition\"\nat = \"1s\"\nstake_groups = [0.5, 0.4]", "stake_groups", "summing to 1, got 0.9"),
        ("kind = \"partition\"\nat = \"1s\"\nstake_groups = [1.0]", "stake_groups", "at least 2"),
        ("kind = \"partition\"\nat = \"1s\"\ngroups = [[0], [0, 1]]", "groups", "in two groups"),
        ("kind = \"partition\"\nat = \"1s\"\ngroups = [[0]]\nstake_groups = [0.5, 0.5]", "groups", "exactly one of"),
        ("kind = \"partition\"\nat = \"1s\"\nvalidator = 3", "groups", "exactly one of"),
        ("kind = \"partition\"\nat = \"1s\"\nisolate = true", "target", "needs one of"),
        ("kind = \"link\"\nat = \"1s\"\nvalidator = 1", "latency_ms_added", "at least one of"),
        ("kind = \"link\"\nat = \"1s\"\nvalidator = 1\nloss_rate = 1.5", "loss_rate", "[0, 1]"),
        ("kind = \"link\"\nat = \"1s\"\nvalidator = 1\nlatency_ms_added = -3", "latency_ms_added", "milliseconds"),
        ("kind = \"link\"\nat = \"1s\"\ngroups = [[0], [1], [2]]\nloss_rate = 0.5", "groups", "two groups"),
        ("kind = \"clock\"\nat = \"1s\"\nvalidator = 1", "rate", "`rate`, `jump`"),
        ("kind = \"clock\"\nat = \"1s\"\nvalidator = 1\nrate = 0.0", "rate", "[0.001, 1000]"),
        ("kind = \"clock\"\nat = \"1s\"\nvalidator = 1\nrate = 1e-12", "rate", "[0.001, 1000]"),
        ("kind = \"byzantine\"\nat = \"1s\"\nvalidator = 1\nbehaviour = \"evil\"", "behaviour", "expected one of equivocating_leader"),
        ("kind = \"byzantine\"\nat = \"1s\"\nvalidator = 1\nbehaviour = \"vote_delayer\"", "delay", "delay of each vote"),
        ("kind = \"byzantine\"\nat = \"1s\"\nvalidator = 1\nbehaviour = \"vote_delayer\"\ndelay = \"2h\"", "delay", "at most an hour, got \"2h\""),
        (
            "kind = \"byzantine\"\nat = \"1s\"\nvalidator = 1\nbehaviour = \"withholding_leader\"\nwithhold_share = 1.2",
            "withhold_share",
            "(0, 1]",
        ),
        ("kind = \"byzantine\"\nat = \"1s\"\nvalidator = 1\nbehaviour = \"silent_leader\"\ndelay = \"1s\"", "delay", "only for"),
        ("kind = \"random\"\nkinds = [\"crash\"]", "rate_per_hour", "events per hour"),
        ("kind = \"random\"\nrate_per_hour = { meteor = 1.0 }", "rate_per_hour", "got \"meteor\""),
        ("kind = \"random\"\nrate_per_hour = 0", "rate_per_hour", "rate > 0"),
        ("kind = \"random\"\nrate_per_hour = 1\nat_slot = 3", "at_slot", "`at` only"),
        ("kind = \"random\"\nrate_per_hour = 1\nduration_min = \"1m\"\nduration_max = \"10s\"", "duration_max", "at least"),
        ("kind = \"random\"\nrate_per_hour = 1\nmax_stake = 2.0", "max_stake", "(0, 1]"),
    ];
    for (body, field, message) in cases {
        let text = format!("[[fault]]\nkind = \"crash\"\nvalidator = 0\nat = \"1s\"\n[[fault]]\nname = \"x\"\n{body}");
        let e = plan(&text).expect_err(body);
        assert_eq!(e.field(), *field, "{body}: {e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("fault[1] \"x\": field `{field}`: ")),
            "{shown}"
        );
        assert!(shown.contains(message), "{body}: {shown}");
    }
}

#[test]
fn unknown_kinds_are_rejected_by_serde() {
    let cases: &[(&str, &str)] = &[
        (
            "kind = \"flood\"\nat = \"1s\"",
            "expected one of partition, heal, crash, restart, link, clock, byzantine, random; \
             got \"flood\"",
        ),
        (
            "kind = \"random\"\nrate_per_hour = 1\nkinds = [\"meteor\"]",
            "expected kinds among crash, partition, link, clock; got \"meteor\"",
        ),
        (
            "kind = \"random\"\nrate_per_hour = 1\nkinds = [\"heal\"]",
            "expected kinds among crash, partition, link, clock; got \"heal\"",
        ),
    ];
    for (body, message) in cases {
        let text = format!("[[fault]]\nname = \"x\"\n{body}");
        let e = toml::from_str::<Doc>(&text).err().expect(body);
        assert_eq!(e.message(), *message, "{body}");
    }
    let f = toml::from_str::<Doc>("[[fault]]\nkind = \"byzantine\"").unwrap();
    assert_eq!(f.fault[0].kind, FaultSpecKind::Byzantine);
    assert_eq!(f.fault[0].kind.to_string(), "byzantine");
    for k in FaultSpecKind::ALL {
        assert_eq!(FaultSpecKind::try_from(k.to_string()), Ok(k));
    }
}

#[test]
fn unknown_fields_are_rejected_by_serde() {
    assert!(toml::from_str::<Doc>(
        "[[fault]]\nkind = \"crash\"\nvalidator = 1\nat = \"1s\"\nfoo = 1"
    )
    .is_err());
}

// ----- validation -----

#[test]
fn validation_errors_name_fault_and_field() {
    let v = validators();
    let cases: &[(&str, &str, &str)] = &[
        (
            "kind = \"crash\"\nat = \"1s\"\nvalidator = 10",
            "validator",
            "validator 10 does not exist",
        ),
        (
            "kind = \"crash\"\nat = \"1s\"\nvalidators = [1, 12]",
            "validators",
            "validator 12 does not exist",
        ),
        (
            "kind = \"crash\"\nat_leader_window_of = 10\nvalidator = 1",
            "at_leader_window_of",
            "does not exist",
        ),
        (
            "kind = \"crash\"\nat = \"1s\"\nregion = \"FR-Paris\"",
            "region",
            "no validator in region FR-Paris",
        ),
        (
            "kind = \"crash\"\nat = \"1s\"\ncontinent = \"asia\"",
            "continent",
            "no validator",
        ),
        (
            "kind = \"partition\"\nat = \"1s\"\ngroups = [[0], [11]]",
            "groups",
            "11 does not exist",
        ),
        (
            "kind = \"partition\"\nat = \"1s\"\ngroups = [[0,1,2,3,4,5,6,7,8,9]]",
            "groups",
            "at least two groups",
        ),
        (
            "kind = \"link\"\nat = \"1s\"\ngroups = [[0], [10]]\nloss_rate = 0.1",
            "groups",
            "does not exist",
        ),
        (
            "kind = \"heal\"\nat = \"1s\"\nheals = \"nothing\"",
            "heals",
            "no fault is named \"nothing\"",
        ),
        (
            "kind = \"heal\"\nat = \"1s\"\nheals = \"x\"",
            "heals",
            "cannot be healed",
        ),
        (
            "kind = \"heal\"\nat = \"1s\"\nheals = \"first\"",
            "at",
            "not after it starts at 1m",
        ),
        (
            "kind = \"crash\"\nat = \"1m 30s\"\nvalidators = [2, 5]",
            "validators",
            "validator 5 is already crashed at 1m 30s by fault[0] \"first\"",
        ),
        (
            "kind = \"restart\"\nat = \"1m\"\nvalidator = 7",
            "validator",
            "validator 7 is not crashed at 1m",
        ),
        (
            "kind = \"restart\"\nat = \"3m\"\nvalidator = 5",
            "validator",
            "not crashed at 3m",
        ),
        (
            "kind = \"crash\"\nat = \"1s\"\nvalidator = 1\nname = \"first\"",
            "name",
            "already used by fault[0]",
        ),
    ];
    for (body, field, message) in cases {
        // fault[0]: validators 4 and 5 crash from 1m to 2m.
        let text = format!(
            "[[fault]]\nkind = \"crash\"\nname = \"first\"\nat = \"1m\"\nduration = \"1m\"\nvalidators = [4, 5]\n\
             [[fault]]\n{}{body}",
            if body.contains("name =") { "" } else { "name = \"x\"\n" }
        );
        let p = plan(&text).expect(body);
        let e = p.validate(&v).expect_err(body);
        assert_eq!(e.field(), *field, "{body}: {e}");
        let shown = e.to_string();
        let name = p.faults[1].name.clone().unwrap_or_default();
        assert!(
            shown.starts_with(&format!("fault[1] \"{name}\": field `{field}`: ")),
            "{shown}"
        );
        assert!(shown.contains(message), "{body}: {shown}");
    }
}

#[test]
fn consistent_plans_validate() {
    let p = plan(
        "[[fault]]\nkind = \"crash\"\nname = \"c\"\nat = \"1m\"\nvalidators = [4, 5]\n\
         [[fault]]\nkind = \"restart\"\nat = \"2m\"\nvalidator = 5\n\
         [[fault]]\nkind = \"crash\"\nat = \"3m\"\nvalidator = 5\nduration = \"10s\"\n\
         [[fault]]\nkind = \"heal\"\nheals = \"c\"\nat = \"4m\"\n\
         [[fault]]\nkind = \"crash\"\nat = \"5m\"\nvalidator = 4\n\
         [[fault]]\nkind = \"byzantine\"\nat = \"0s\"\nvalidator = 4\nbehaviour = \"double_voter\"\n\
         [[fault]]\nkind = \"partition\"\nat = \"1m\"\nisolate = true\nregion = \"US-New York\"\n\
         [[fault]]\nkind = \"link\"\nat = \"1m\"\ncontinent = \"europe\"\nlatency_ms_added = 100",
    )
    .unwrap();
    p.validate(&validators()).unwrap();
    Timeline::new(&p, 1, secs(600), &validators()).unwrap();
}

#[test]
fn stake_targets_are_checked_for_overlaps_once_seeded() {
    // Without a seed the stake set is unknown; with one, 100% overlaps.
    let p = plan(
        "[[fault]]\nkind = \"crash\"\nat = \"1m\"\nstake = 1.0\n\
         [[fault]]\nkind = \"crash\"\nat = \"2m\"\nvalidator = 3",
    )
    .unwrap();
    p.validate(&validators()).unwrap();
    let e = Timeline::new(&p, 1, secs(600), &validators()).unwrap_err();
    assert_eq!(e.field(), "validator");
}

// ----- seeded selection -----

#[test]
fn stake_share_takes_the_shortest_reaching_prefix_of_the_seeded_permutation() {
    let v = validators();
    let total: u64 = v.iter().map(|x| x.stake).sum();
    let mut distinct = std::collections::BTreeSet::new();
    for seed in 0..50 {
        for share in [0.05, 0.2, 1.0 / 3.0, 0.5, 1.0] {
            let set = select_stake_share(&v, share, seed);
            assert_eq!(set, select_stake_share(&v, share, seed), "deterministic");
            assert!(stake_of(&v, &set) as f64 >= share * total as f64 - 1.0);
            // The set is a prefix of the permutation and its last element is
            // needed.
            let perm = permutation(v.len(), seed);
            let k = set.len();
            let mut prefix = perm[..k].to_vec();
            prefix.sort();
            assert_eq!(prefix, set, "seed {seed} share {share}");
            let without_last = stake_of(&v, &perm[..k - 1]);
            assert!(
                (without_last as f64) < share * total as f64,
                "seed {seed} share {share}"
            );
            if share == 0.2 {
                distinct.insert(set);
            }
        }
    }
    assert!(distinct.len() > 5, "seeds choose different sets");
}

#[test]
fn stake_groups_cover_everyone_near_their_shares() {
    let v = validators();
    let total = stake_of(&v, &vi(&(0..10).collect::<Vec<_>>())) as f64;
    let groups = split_by_stake(&v, &[0.5, 0.3, 0.2], 9);
    assert_eq!(groups, split_by_stake(&v, &[0.5, 0.3, 0.2], 9));
    let mut all: Vec<ValidatorIndex> = groups.iter().flatten().copied().collect();
    all.sort();
    assert_eq!(all, vi(&(0..10).collect::<Vec<_>>()));
    let max = 10.0e9;
    for (g, share) in groups.iter().zip([0.5, 0.3, 0.2]) {
        assert!(
            (stake_of(&v, g) as f64 - share * total).abs() <= max,
            "{groups:?}"
        );
    }
}

// ----- random expansion -----

fn monkey(extra: &str) -> RandomSpec {
    let f = one(&format!(
        "[[fault]]\nkind = \"random\"\nrate_per_hour = {{ crash = 30.0, partition = 20.0, link = 20.0, clock = 10.0 }}\n{extra}"
    ));
    match f.kind {
        FaultKind::Random(r) => r,
        _ => unreachable!(),
    }
}

#[test]
fn random_expansion_is_seeded() {
    let v = validators();
    let r = monkey("");
    let a = r.expand(1, secs(3600), &v);
    assert_eq!(a, r.expand(1, secs(3600), &v));
    assert_ne!(a, r.expand(2, secs(3600), &v));
    // About λT = 80 events, some dropped when the budget is used up.
    assert!(a.len() > 20 && a.len() <= 82, "{}", a.len());
    for kind in ["crash", "partition", "link", "clock"] {
        assert!(a.iter().any(|f| f.kind.name() == kind), "{kind}");
    }
    for f in &a {
        let Start::At(t) = f.start else {
            panic!("timed")
        };
        let d = f.duration.unwrap();
        assert!(t < secs(3600) && d >= secs(10) && d <= secs(60));
    }
}

#[test]
fn random_expansion_respects_max_stake_and_window() {
    let v = validators();
    let total: u64 = v.iter().map(|x| x.stake).sum();
    for (max, seed) in [(0.2, 1), (0.1, 2), (0.35, 3)] {
        let r = monkey(&format!(
            "max_stake = {max}\nat = \"10m\"\nduration = \"30m\""
        ));
        let faults = r.expand(seed, secs(3600), &v);
        let span = |f: &Fault| {
            let Start::At(t) = f.start else {
                unreachable!()
            };
            (t, t + f.duration.unwrap())
        };
        for f in &faults {
            let (t, _) = span(f);
            assert!(t >= secs(600) && t < secs(2400));
            let mut affected: Vec<ValidatorIndex> = faults
                .iter()
                .filter(|g| {
                    let (s, e) = span(g);
                    s <= t && t < e
                })
                .flat_map(|g| g.kind.target().unwrap().resolve_static(&v, 0).unwrap())
                .collect();
            let n = affected.len();
            affected.sort();
            affected.dedup();
            assert_eq!(n, affected.len(), "a validator in two faults at once");
            assert!(
                stake_of(&v, &affected) as f64 <= max * total as f64,
                "max {max}"
            );
        }
    }
}

// ----- timeline -----

fn obs(now: u64, slot: u64, skipped: u64, s: &LeaderSchedule) -> Observation<'_> {
    Observation {
        now: secs(now),
        slot: Slot(slot),
        skipped_in_a_row: skipped,
        schedule: s,
    }
}

fn timeline(text: &str) -> Timeline {
    Timeline::new(&plan(text).unwrap(), 5, secs(600), &validators()).unwrap()
}

#[test]
fn a_long_validator_list_is_described_by_its_count() {
    let many: Vec<ValidatorInfo> = (0..20)
        .map(|_| ValidatorInfo {
            stake: 1,
            region: None,
            continent: None,
        })
        .collect();
    let text = "[[fault]]\nkind = \"crash\"\nat = \"10s\"\nvalidators = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]";
    let tl = Timeline::new(&plan(text).unwrap(), 5, secs(600), &many).unwrap();
    assert!(
        tl.faults[0]
            .summary
            .contains("crash 13 validators (65.0% of stake)"),
        "{}",
        tl.faults[0].summary
    );
}

#[test]
fn timed_crash_restarts_after_its_duration() {
    let s = schedule(10);
    let mut tl = timeline(
        "[[fault]]\nkind = \"crash\"\nat = \"10s\"\nduration = \"5s\"\nvalidators = [1, 2]",
    );
    assert_eq!(tl.next_deadline(), Some(secs(10)));
    assert!(tl.poll(&obs(9, 20, 0, &s)).is_empty());
    assert_eq!(
        tl.poll(&obs(11, 20, 0, &s)),
        vec![Action::Crash {
            id: 0,
            validators: vi(&[1, 2])
        }]
    );
    // Ends `duration` after it actually started.
    assert_eq!(tl.next_deadline(), Some(secs(16)));
    assert_eq!(
        tl.poll(&obs(16, 30, 0, &s)),
        vec![Action::Restart {
            id: 0,
            validators: vi(&[1, 2])
        }]
    );
    assert!(tl.is_finished());
    assert!(
        tl.faults[0].summary.contains("crash validators {1, 2}"),
        "{}",
        tl.faults[0].summary
    );
}

#[test]
fn heal_ends_a_partition_or_cancels_it() {
    let s = schedule(10);
    let mut tl = timeline(
        "[[fault]]\nkind = \"partition\"\nname = \"split\"\nat = \"10s\"\ngroups = [[0, 1], [2]]\n\
         [[fault]]\nkind = \"heal\"\nheals = \"split\"\nat = \"20s\"",
    );
    let rest = vi(&[3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        tl.poll(&obs(10, 0, 0, &s)),
        vec![Action::Partition {
            id: 0,
            groups: vec![vi(&[0, 1]), vi(&[2]), rest],
            one_way: false
        }]
    );
    assert_eq!(tl.poll(&obs(25, 0, 0, &s)), vec![Action::Heal { id: 0 }]);
    // A heal before a slot-triggered fault starts cancels it.
    let mut tl = timeline(
        "[[fault]]\nkind = \"link\"\nname = \"slow\"\nat_slot = 100\nvalidator = 1\nlatency_ms_added = 100\n\
         [[fault]]\nkind = \"heal\"\nheals = \"slow\"\nat = \"20s\"",
    );
    assert!(tl.poll(&obs(20, 50, 0, &s)).is_empty());
    assert!(tl.poll(&obs(30, 200, 0, &s)).is_empty());
    assert!(tl.is_finished());
}

#[test]
fn role_targets_resolve_when_the_fault_starts() {
    let s = schedule(10);
    let mut tl = timeline(
        "[[fault]]\nkind = \"byzantine\"\nat_slot = 41\nduration = \"1m\"\nrole = \"leader\"\nbehaviour = \"silent_leader\"\n\
         [[fault]]\nkind = \"crash\"\nat_slot = 41\nnext_leaders = 3",
    );
    assert!(tl.poll(&obs(5, 40, 0, &s)).is_empty());
    let actions = tl.poll(&obs(6, 42, 0, &s));
    let leader = s.leader(Slot(41));
    assert_eq!(
        actions[0],
        Action::Byzantine {
            id: 0,
            validators: vec![leader],
            behaviour: Behaviour::SilentLeader
        }
    );
    let mut next: Vec<_> = [41, 45, 49].iter().map(|&x| s.leader(Slot(x))).collect();
    next.sort();
    next.dedup();
    assert_eq!(
        actions[1],
        Action::Crash {
            id: 1,
            validators: next
        }
    );
    // The end applies to the validators resolved at the start.
    assert_eq!(
        tl.poll(&obs(66, 500, 0, &s)),
        vec![Action::Honest {
            id: 0,
            validators: vec![leader]
        }]
    );
}

#[test]
fn leader_window_and_skipped_slot_triggers() {
    let s = schedule(10);
    let v = ValidatorIndex(6);
    // The run is mid-window (slot 10) at 30s: the next window of validator
    // 6 starts at 13 or later.
    let expected = (0..)
        .map(|k| 13 + 4 * k)
        .find(|&st| s.leader(Slot(st)) == v)
        .unwrap();
    let mut tl = timeline(
        "[[fault]]\nkind = \"clock\"\nat_leader_window_of = 6\nat = \"30s\"\nvalidator = 6\nrate = 2.0\n\
         [[fault]]\nkind = \"link\"\nafter_skipped_slots = 8\nvalidator = 0\nloss_rate = 1.0",
    );
    assert!(tl.poll(&obs(20, 1, 0, &s)).is_empty(), "not before 30s");
    assert!(tl.poll(&obs(30, 10, 7, &s)).is_empty());
    assert!(tl.poll(&obs(31, expected - 1, 7, &s)).is_empty());
    assert_eq!(
        tl.poll(&obs(32, expected, 7, &s)),
        vec![Action::Clock {
            id: 0,
            validators: vec![v],
            rate: 2.0,
            jump_ns: 0
        }]
    );
    let a = tl.poll(&obs(33, expected + 9, 8, &s));
    assert!(
        matches!(&a[..], [Action::Link { id: 1, links: LinkSet::Touching(vs), loss_rate, .. }] if *vs == vi(&[0]) && *loss_rate == 1.0)
    );
}

#[test]
fn overlapping_crashes_restart_once_the_last_one_ends() {
    let s = schedule(10);
    // fault[1]'s stake set is checked only when seeded; pick validators via
    // roles so validation cannot know.
    let mut tl = timeline(
        "[[fault]]\nkind = \"crash\"\nat = \"10s\"\nduration = \"20s\"\nvalidators = [1, 2]\n\
         [[fault]]\nkind = \"crash\"\nat_slot = 5\nduration = \"5s\"\nvalidators = [2, 3]\n\
         [[fault]]\nkind = \"restart\"\nat = \"40s\"\nvalidator = 9",
    );
    assert_eq!(
        tl.poll(&obs(10, 1, 0, &s)),
        vec![Action::Crash {
            id: 0,
            validators: vi(&[1, 2])
        }]
    );
    assert_eq!(
        tl.poll(&obs(11, 5, 0, &s)),
        vec![Action::Crash {
            id: 1,
            validators: vi(&[3])
        }]
    );
    assert_eq!(
        tl.poll(&obs(16, 6, 0, &s)),
        vec![Action::Restart {
            id: 1,
            validators: vi(&[3])
        }]
    );
    assert_eq!(
        tl.poll(&obs(30, 7, 0, &s)),
        vec![Action::Restart {
            id: 0,
            validators: vi(&[1, 2])
        }]
    );
    assert!(
        tl.poll(&obs(40, 8, 0, &s)).is_empty(),
        "restart of a live validator does nothing"
    );
}

#[test]
fn random_faults_join_the_timeline_and_static_targets_are_seeded() {
    let text = "[[fault]]\nkind = \"random\"\nname = \"monkey\"\nrate_per_hour = 60\nkinds = [\"crash\"]\n\
                [[fault]]\nkind = \"partition\"\nat = \"1s\"\nstake_groups = [0.5, 0.5]\n\
                [[fault]]\nkind = \"crash\"\nat = \"1s\"\nstake = 0.3";
    let p = plan(text).unwrap();
    let v = validators();
    let a = Timeline::new(&p, 1, secs(600), &v).unwrap();
    let b = Timeline::new(&p, 1, secs(600), &v).unwrap();
    assert_eq!(a.faults, b.faults);
    let drawn: Vec<_> = a
        .faults
        .iter()
        .filter(|f| f.generated_by == Some(0))
        .collect();
    assert!(!drawn.is_empty());
    assert_eq!(drawn[0].name, "monkey#0");
    assert_eq!(drawn[0].id, 3);
    let c = Timeline::new(&p, 2, secs(600), &v).unwrap();
    assert_ne!(a.faults, c.faults);
    // Per-fault seeds: the crash picks the set select_stake_share picks.
    let set = select_stake_share(&v, 0.3, fault_seed(1, 2));
    assert!(
        a.faults[2].target.contains(&fault::fmt_set(&set)),
        "{}",
        a.faults[2].target
    );
}

#[test]
fn clock_lag_bounds_take_the_slowest_rate_and_every_backward_jump() {
    assert_eq!(timeline("").clock_lag_bounds(), (1.0, 0));
    let tl = timeline(
        r#"
[[fault]]
kind = "clock"
at = "1m"
validator = 1
rate = 0.25
jump = "-2s"

[[fault]]
kind = "clock"
at = "2m"
validator = 2
rate = 2.0
jump = "-3s"

[[fault]]
kind = "clock"
at = "3m"
validator = 3
rate = 0.5
jump = "5s"
"#,
    );
    assert_eq!(tl.clock_lag_bounds(), (0.25, 5_000_000_000));
}
