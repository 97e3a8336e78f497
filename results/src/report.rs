//! The `report.json` data model.
//!
//! One [`Report`] is written per run, as pretty-printed JSON. All figures are
//! measured by the harness from the outside of the validators (it timestamps
//! what each validator emits and checks it against the others); none is a
//! validator's own claim. Field names carry their unit (`_ms`, `_s`, `_bytes`,
//! `_lamports`, `_tps`). Ratios are in `[0, 1]`.
//!
//! Determinism: for the `sim` backend, the same scenario and seed give a
//! byte-identical report except for [`Report::resources`].

use serde::{Deserialize, Serialize};

/// Version of the report schema. Bump it on any incompatible change of the
/// fields below.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run's report, as written to `report.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `false` when the run was interrupted (Ctrl-C) or failed before its
    /// configured duration; the figures then cover what was simulated.
    pub complete: bool,
    /// What was run.
    pub scenario: ScenarioInfo,
    /// Headline figures over the whole run.
    pub summary: Summary,
    /// One entry per simulated second (bucket `[t_s, t_s + 1)`), in order.
    pub time_series: Vec<TimeBucket>,
    /// One entry per validator, in validator-index order.
    pub validators: Vec<ValidatorFigures>,
    /// Evidence for each safety violation counted in
    /// [`Summary::safety_violations`] (at most the first 100 are kept).
    pub safety_evidence: Vec<SafetyViolation>,
    /// Chaos faults that were active during the run, in start order (empty
    /// for a run without chaos).
    pub faults: Vec<FaultWindow>,
    /// Faults written in the scenario that had not started when the
    /// simulation stopped (at `scenario.simulated_s`): their start time lies
    /// beyond it, or the slot, leader window or run of skipped slots they
    /// wait for never came. Absent when every fault started.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults_not_started: Vec<FaultNotStarted>,
    /// Finalization latency split by path: fast = finalized by the
    /// fast-finalization certificate (as counted in
    /// `summary.fast_path_first_ratio`), slow = otherwise. `None` in reports
    /// that predate it.
    #[serde(default)]
    pub latency_cdf: Option<crate::cdf::LatencyCdf>,
    /// What held despite the chaos faults (safety, liveness, recovery,
    /// per-fault figures). Present for runs with `[[fault]]`s or an
    /// `[expect]` bound; absent otherwise and in reports that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdicts: Option<Verdicts>,
    /// Machine-dependent figures: the only section that differs between two
    /// runs of the same scenario and seed.
    pub resources: Resources,
}

/// Identification of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioInfo {
    /// Scenario name (from the scenario file, or `default`).
    pub name: String,
    /// Seed of the run's single random number generator.
    pub seed: u64,
    /// Number of validators.
    pub validators: u32,
    /// Total stake of all validators, in lamports.
    pub stake_lamports_total: u64,
    /// Simulated time the run was configured for, in seconds.
    pub duration_s: f64,
    /// Simulated time actually covered, in seconds (less than `duration_s`
    /// when the run is incomplete).
    pub simulated_s: f64,
    /// Backend that ran the validators (`sim`, ...).
    pub backend: String,
    /// Short description of the topology (`csv:top=100 geographic`, ...).
    pub topology: String,
    /// Offered transaction load, in transactions per second.
    pub load_tx_per_s: f64,
    /// The exact command that reproduces this run.
    pub reproduce: String,
}

/// Percentiles of a latency distribution, in milliseconds.
///
/// All four values are 0 when `count` is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Percentiles {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
}

/// Headline figures over the whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Per (slot, validator) that finalized the slot's block: time from the
    /// leader sending the block's first shred to the validator finalizing it.
    pub finalization_latency_ms: Percentiles,
    /// Per (slot, validator): time from the leader sending the block's first
    /// shred to the validator holding a notarization certificate for it.
    pub notarization_latency_ms: Percentiles,
    /// Per transaction: time from the client submitting it to the validator
    /// the client is attached to finalizing the block that carries it.
    pub tx_latency_ms: Percentiles,
    /// Distinct transactions finalized per simulated second.
    pub throughput_tps: f64,
    /// Stake-weighted share of finalized (slot, validator) pairs in which the
    /// validator obtained a fast-finalization certificate (80% of stake voted
    /// to notarize the block), whether or not it came first. 0 when nothing
    /// was finalized (`slots.finalized` is 0 then; the time series says
    /// `null` for such a second), so that a run that finalized nothing
    /// never passes a threshold on it as an improvement.
    pub fast_path_ratio: f64,
    /// Stake-weighted share of finalized (slot, validator) pairs in which the
    /// fast-finalization certificate was the one that finalized the block
    /// (0 when nothing was finalized).
    pub fast_path_first_ratio: f64,
    /// Slot counts.
    pub slots: SlotCounts,
    /// Transaction counts.
    pub transactions: TransactionCounts,
    /// Number of safety violations found (evidence in
    /// [`Report::safety_evidence`]).
    pub safety_violations: u64,
    /// Messages sent by all validators together.
    pub messages_sent: u64,
    /// Bytes sent by all validators together (wire sizes).
    pub bytes_sent: u64,
}

/// What became of the slots of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SlotCounts {
    /// Slots whose leader sent a block.
    pub proposed: u64,
    /// Slots in which at least one validator finalized a block.
    pub finalized: u64,
    /// Slots that ended with no finalized block (skip certificate, or passed
    /// over by a later finalization).
    pub skipped: u64,
    /// Slots still undecided when the run ended.
    pub unfinished: u64,
}

/// What became of the transactions of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TransactionCounts {
    /// Transactions submitted by the load clients.
    pub submitted: u64,
    /// Distinct transactions that were finalized.
    pub finalized: u64,
    /// Submitted, neither finalized nor expired by the end of the run.
    pub pending: u64,
    /// Submitted and still not finalized when the harness stopped waiting
    /// for them: the node's transaction expiry (60 s, on the leader's
    /// clock: stretched by the slowest clock rate and the backward jumps
    /// of the run's clock faults), plus the slowest link, plus the 120 s a
    /// slot is measured at most; after that a
    /// transaction can no longer be finalized as measured. Expired
    /// transactions are forgotten, so that an overloaded run holds at most
    /// that long a stretch of its load in memory. 0 in reports written
    /// before the field existed.
    #[serde(default)]
    pub expired: u64,
}

/// Figures of one simulated second.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeBucket {
    /// Start of the bucket, in simulated seconds since the start of the run.
    pub t_s: f64,
    /// Finalizations ((slot, validator) pairs) that happened in the bucket.
    pub finalizations: u64,
    /// Median finalization latency of those, in ms (0 when none).
    pub finalization_latency_ms_p50: f64,
    /// 99th percentile finalization latency of those, in ms (0 when none).
    pub finalization_latency_ms_p99: f64,
    /// Median notarization latency of notarizations in the bucket, in ms.
    pub notarization_latency_ms_p50: f64,
    /// 99th percentile notarization latency, in ms.
    pub notarization_latency_ms_p99: f64,
    /// Distinct transactions finalized in the bucket (per second).
    pub throughput_tps: f64,
    /// Fast-path ratio (as in [`Summary::fast_path_ratio`]) of the slots
    /// whose blocks were proposed in the bucket; `None` when none were.
    pub fast_path_ratio: Option<f64>,
}

/// Figures of one validator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidatorFigures {
    /// Index of the validator in the run (0-based).
    pub index: u32,
    /// Identity public key (base58) or generated name.
    pub identity: String,
    /// Active stake, in lamports.
    pub stake_lamports: u64,
    /// Share of the total stake, in `[0, 1]`.
    pub stake_share: f64,
    /// Location as `[latitude_deg, longitude_deg]`, when known.
    pub location: Option<[f64; 2]>,
    /// Data-center key or region, when known.
    pub region: Option<String>,
    /// Finalization latency seen by this validator.
    pub finalization_latency_ms: Percentiles,
    /// Notarization latency seen by this validator.
    pub notarization_latency_ms: Percentiles,
    /// Share of its finalized slots for which it obtained a fast-finalization
    /// certificate.
    pub fast_path_ratio: f64,
    /// Slots this validator finalized.
    pub slots_finalized: u64,
    /// Slots this validator led and proposed a block for.
    pub slots_proposed: u64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Messages received (delivered to it).
    pub messages_received: u64,
    /// Bytes sent (wire sizes).
    pub bytes_sent: u64,
    /// Bytes received (wire sizes).
    pub bytes_received: u64,
}

/// Evidence of one safety violation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SafetyViolation {
    /// Slot in which the conflict happened.
    pub slot: u64,
    /// Simulated time at which the conflict was detected, in seconds.
    pub time_s: f64,
    /// `conflicting_finalization` (two blocks finalized in one slot) or
    /// `chain_inconsistency` (a finalized block whose ancestry disagrees with
    /// another validator's finalized chain).
    pub kind: String,
    /// The conflicting blocks and who finalized each.
    pub blocks: Vec<BlockEvidence>,
}

/// One side of a safety violation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BlockEvidence {
    /// Block hash, as hex.
    pub block: String,
    /// Validators (indices) that finalized this block.
    pub validators: Vec<u32>,
}

/// A chaos fault as it happened in the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultWindow {
    /// Label given in the scenario, or `kind#n`.
    pub name: String,
    /// Fault kind (`partition`, `crash`, ...).
    pub kind: String,
    /// Who it applied to, in words.
    pub target: String,
    /// Start, in simulated seconds.
    pub start_s: f64,
    /// End, in simulated seconds; `None` if it lasted to the end of the run.
    pub end_s: Option<f64>,
}

/// A fault of the scenario that never started (see
/// [`Report::faults_not_started`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultNotStarted {
    /// Label given in the scenario, or `fault[i]`.
    pub name: String,
    /// Fault kind (`partition`, `crash`, ...).
    pub kind: String,
    /// Who it would have applied to, in words.
    pub target: String,
    /// When it was to start, in words (`at 100y`, `at the leader window of
    /// validator 17`).
    pub start: String,
}

/// Verdicts of a chaos run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verdicts {
    /// No safety violation was found (see [`Summary::safety_violations`]).
    pub safe: bool,
    /// `[expect] safety`: whether safety was required.
    pub safety_expected: bool,
    /// Longest stretch of simulated time without a new finalized slot, in
    /// seconds: between consecutive moments at which some correct (not
    /// Byzantine) validator finalized a slot higher than any correct
    /// validator had before (the run's start and end count as such
    /// moments).
    pub longest_stall_s: f64,
    /// Start of that stretch, in simulated seconds.
    pub longest_stall_start_s: f64,
    /// `[expect] max_stall`, in seconds, when set.
    pub max_stall_s: Option<f64>,
    /// `longest_stall_s <= max_stall_s` (true when no bound is set).
    pub liveness_ok: bool,
    /// Per fault that applied, in start order.
    pub faults: Vec<FaultVerdict>,
    /// Per validator restart, its catch-up.
    pub restarts: Vec<RestartCatchUp>,
}

/// Figures of one fault.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultVerdict {
    /// The fault's name (as in [`Report::faults`]).
    pub name: String,
    /// From the fault's end (heal, restart, restore) to the next new
    /// finalized slot (as in [`Verdicts::longest_stall_s`]), in seconds;
    /// `None` if it never ended or nothing was finalized after it.
    pub recovery_s: Option<f64>,
    /// Figures over the seconds the fault was active.
    pub during: WindowFigures,
    /// Figures over as many seconds (at most 60) before it started; `None`
    /// when it started at 0.
    pub before: Option<WindowFigures>,
}

/// Figures over a span of whole simulated seconds, from the per-second
/// time series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WindowFigures {
    /// Seconds covered.
    pub seconds: f64,
    /// Finalizations ((slot, validator) pairs) in the span.
    pub finalizations: u64,
    /// Median of the per-second finalization latency medians, weighted by
    /// finalizations, in ms (0 when none).
    pub finalization_latency_ms_p50: f64,
    /// Finalized transactions per second.
    pub throughput_tps: f64,
    /// Stake-weighted fast-path ratio of the slots proposed in the span
    /// (`None` when none were finalized).
    pub fast_path_ratio: Option<f64>,
}

/// One restart of a crashed validator.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RestartCatchUp {
    /// The validator.
    pub validator: u32,
    /// When it restarted, in simulated seconds.
    pub restart_s: f64,
    /// From the restart to it finalizing a slot above the highest slot
    /// finalized by a correct validator at the restart, in seconds; `None`
    /// if it never did.
    pub catch_up_s: Option<f64>,
}

/// Machine-dependent figures of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Resources {
    /// Wall-clock time of the run, in seconds.
    pub wall_s: f64,
    /// Simulated seconds per wall-clock second.
    pub sim_s_per_wall_s: f64,
    /// Peak resident set size of the process, in bytes (sysinfo).
    pub peak_rss_bytes: u64,
    /// Logical CPUs of the machine.
    pub cpus: u32,
    /// Threads the simulator ran on: 1, or 2 when a fault-free run
    /// computed the links of its votes and certificates on a second thread
    /// (reports of earlier versions: 1).
    #[serde(default = "one_thread")]
    pub threads: u32,
}

fn one_thread() -> u32 {
    1
}

impl Report {
    /// Parses a report from JSON text. `source` names the file in errors.
    ///
    /// # Errors
    /// [`crate::ResultsError::Parse`] when the text is not a report of this
    /// schema, [`crate::ResultsError::SchemaVersion`] when it is of another
    /// version.
    pub fn from_json(text: &str, source: &str) -> Result<Report, crate::ResultsError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| crate::ResultsError::Parse {
                source_name: source.to_string(),
                message: e.to_string(),
            })?;
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(crate::ResultsError::SchemaVersion {
                    source_name: source.to_string(),
                    found: v,
                    expected: SCHEMA_VERSION,
                })
            }
            None => {
                return Err(crate::ResultsError::Parse {
                    source_name: source.to_string(),
                    message: "field `schema_version`: missing or not an integer".into(),
                })
            }
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            crate::ResultsError::Parse {
                source_name: source.to_string(),
                // `missing field` errors are raised by the enclosing object.
                message: if path == "." {
                    message
                } else {
                    format!("at `{path}`: {message}")
                },
            }
        })
    }

    /// The report as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serializes");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::Report;

    #[test]
    fn a_bad_report_names_where_it_is_wrong() {
        let report = crate::testdata::sample_report();
        let mut value: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        value["time_series"][1]["finalizations"] = "many".into();
        let e = Report::from_json(&value.to_string(), "r.json").unwrap_err();
        assert!(
            e.to_string()
                .contains("at `time_series[1].finalizations`: invalid type"),
            "{e}"
        );
        let mut value: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        value["summary"]
            .as_object_mut()
            .unwrap()
            .remove("throughput_tps");
        let e = Report::from_json(&value.to_string(), "r.json").unwrap_err();
        assert!(
            e.to_string()
                .contains("at `summary`: missing field `throughput_tps`"),
            "{e}"
        );
        assert!(Report::from_json(&report.to_json(), "r.json").is_ok());
    }
}
