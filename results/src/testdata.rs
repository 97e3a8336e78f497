//! Synthetic but plausible reports, for tests, examples and chart previews
//! before (and besides) real runs.
//!
//! Everything here is deterministic: the same function returns the same
//! report every time.

use crate::cdf::LatencyCdf;
use crate::report::*;

/// A tiny deterministic generator (SplitMix64), so that this module needs no
/// random-number crate.
struct Noise(u64);

impl Noise {
    /// A value in `[0, 1)`.
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn percentiles(count: u64, p50: f64) -> Percentiles {
    Percentiles {
        count,
        p50: round3(p50),
        p90: round3(p50 * 1.35),
        p99: round3(p50 * 1.8),
        max: round3(p50 * 2.6),
    }
}

/// A complete 60 s run of 50 validators on the `sim` backend, with a network
/// partition from 20 s to 32 s and a crash from 45 s to the end of the run.
/// No safety violation.
pub fn sample_report() -> Report {
    let mut noise = Noise(7);
    let validators_n = 50u32;
    let duration_s = 60.0;
    // Zipf-like stake: validator i has stake proportional to 1 / (i + 1).
    let weights: Vec<f64> = (0..validators_n).map(|i| 1.0 / f64::from(i + 1)).collect();
    let weight_total: f64 = weights.iter().sum();
    let stake_total: u64 = 400_000_000 * 1_000_000_000;
    let faults = vec![
        FaultWindow {
            name: "partition-eu".into(),
            kind: "partition".into(),
            target: "validators in Europe (31% of stake) cut off from the rest".into(),
            start_s: 20.0,
            end_s: Some(32.0),
        },
        FaultWindow {
            name: "crash#1".into(),
            kind: "crash".into(),
            target: "validator 3 (9% of stake)".into(),
            start_s: 45.0,
            end_s: None,
        },
    ];
    let time_series: Vec<TimeBucket> = (0..60)
        .map(|t| {
            let t_s = f64::from(t);
            let partitioned = (20.0..32.0).contains(&t_s);
            let crashed = t_s >= 45.0;
            let base = if partitioned { 520.0 } else { 180.0 } + 25.0 * noise.next();
            let base = if crashed { base + 40.0 } else { base };
            let finalizations = if partitioned { 40 } else { 120 } + (noise.next() * 10.0) as u64;
            let tps = if partitioned { 1_200.0 } else { 4_800.0 } + 300.0 * noise.next();
            TimeBucket {
                t_s,
                finalizations,
                finalization_latency_ms_p50: round3(base),
                finalization_latency_ms_p99: round3(base * 1.7 + 30.0 * noise.next()),
                notarization_latency_ms_p50: round3(base * 0.7),
                notarization_latency_ms_p99: round3(base * 1.2 + 20.0 * noise.next()),
                throughput_tps: round3(tps),
                fast_path_ratio: Some(round3(if partitioned {
                    0.1 * noise.next()
                } else if crashed {
                    0.45 + 0.1 * noise.next()
                } else {
                    0.82 + 0.15 * noise.next()
                })),
            }
        })
        .collect();
    let validators: Vec<ValidatorFigures> = (0..validators_n)
        .map(|i| {
            let share = weights[i as usize] / weight_total;
            let p50 = 170.0 + 120.0 * noise.next() + 40.0 * (1.0 - share * 5.0);
            let sent = 30_000_000 + (share * 4.0e9) as u64 + (noise.next() * 5.0e6) as u64;
            ValidatorFigures {
                index: i,
                identity: format!("validator-{i:03}"),
                stake_lamports: (share * stake_total as f64) as u64,
                stake_share: share,
                location: Some([50.0 - f64::from(i % 7) * 9.0, -120.0 + f64::from(i) * 5.0]),
                region: Some(["us-east", "eu-central", "ap-northeast"][i as usize % 3].into()),
                finalization_latency_ms: percentiles(140, p50),
                notarization_latency_ms: percentiles(145, p50 * 0.7),
                fast_path_ratio: round3(0.6 + 0.2 * noise.next()),
                slots_finalized: 140,
                slots_proposed: (share * 150.0).round() as u64,
                messages_sent: sent / 900,
                messages_received: 40_000 + (noise.next() * 2_000.0) as u64,
                bytes_sent: sent,
                bytes_received: 31_000_000 + (noise.next() * 1.0e6) as u64,
            }
        })
        .collect();
    let bytes_sent = validators.iter().map(|v| v.bytes_sent).sum();
    let messages_sent = validators.iter().map(|v| v.messages_sent).sum();
    Report {
        schema_version: SCHEMA_VERSION,
        complete: true,
        scenario: ScenarioInfo {
            name: "sample-partition".into(),
            seed: 42,
            validators: validators_n,
            stake_lamports_total: stake_total,
            duration_s,
            simulated_s: duration_s,
            backend: "sim".into(),
            topology: "csv:top=50 geographic".into(),
            load_tx_per_s: 5_000.0,
            reproduce: "whiteout run scenarios/sample-partition.toml --seed 42".into(),
        },
        summary: Summary {
            finalization_latency_ms: percentiles(7_000, 231.5),
            notarization_latency_ms: percentiles(7_250, 160.25),
            tx_latency_ms: percentiles(262_000, 640.0),
            throughput_tps: 4_366.7,
            fast_path_ratio: 0.6624,
            fast_path_first_ratio: 0.5871,
            slots: SlotCounts {
                proposed: 150,
                finalized: 141,
                skipped: 7,
                unfinished: 2,
            },
            transactions: TransactionCounts {
                submitted: 300_000,
                finalized: 262_000,
                pending: 37_000,
                expired: 1_000,
            },
            safety_violations: 0,
            messages_sent,
            bytes_sent,
        },
        time_series,
        validators,
        safety_evidence: vec![],
        faults,
        faults_not_started: vec![],
        latency_cdf: Some(sample_latency_cdf()),
        verdicts: Some(Verdicts {
            safe: true,
            safety_expected: true,
            longest_stall_s: 12.4,
            longest_stall_start_s: 20.1,
            max_stall_s: Some(30.0),
            liveness_ok: true,
            faults: vec![FaultVerdict {
                name: "partition-eu".into(),
                recovery_s: Some(0.9),
                during: WindowFigures {
                    seconds: 12.0,
                    finalizations: 0,
                    finalization_latency_ms_p50: 0.0,
                    throughput_tps: 0.0,
                    fast_path_ratio: None,
                },
                before: Some(WindowFigures {
                    seconds: 12.0,
                    finalizations: 1_200,
                    finalization_latency_ms_p50: 310.0,
                    throughput_tps: 1_950.0,
                    fast_path_ratio: Some(0.97),
                }),
            }],
            restarts: vec![],
        }),
        resources: Resources {
            wall_s: 12.5,
            sim_s_per_wall_s: 4.8,
            peak_rss_bytes: 310_000_000,
            cpus: 2,
            threads: 2,
        },
    }
}

/// [`sample_report`] cut short by Ctrl-C after 50 of its 60 simulated
/// seconds (`complete == false`), with one safety violation and a fault name
/// that needs escaping in HTML and SVG.
pub fn sample_incomplete_report() -> Report {
    let mut report = sample_report();
    report.complete = false;
    report.scenario.simulated_s = 50.0;
    report.time_series.truncate(50);
    report.faults[1].name = "crash <b>&\"co\"</b>".into();
    report.summary.safety_violations = 1;
    report.safety_evidence = vec![SafetyViolation {
        slot: 97,
        time_s: 33.25,
        kind: "conflicting_finalization".into(),
        blocks: vec![
            BlockEvidence {
                block: "9f2c".repeat(16),
                validators: vec![0, 2, 5],
            },
            BlockEvidence {
                block: "41ab".repeat(16),
                validators: vec![1, 3],
            },
        ],
    }];
    report
}

/// A plausible fast-/slow-path split of [`sample_report`]'s finalization
/// latencies: fast-path finalizations around 190 ms, slow-path ones around
/// 330 ms with a long tail.
pub fn sample_latency_cdf() -> LatencyCdf {
    let curve = |median: f64, spread: f64| -> Vec<[f64; 2]> {
        (1..=50)
            .map(|i| {
                let q = f64::from(i) / 50.0;
                // Quantile function of a log-logistic distribution, capped at
                // q = 0.999 so the last point stays finite.
                let q_capped = q.min(0.999);
                let ms = median * (q_capped / (1.0 - q_capped)).powf(spread);
                [round3(ms), q]
            })
            .collect()
    };
    LatencyCdf {
        fast_path_ms: curve(190.0, 0.12),
        slow_path_ms: curve(330.0, 0.22),
    }
}
