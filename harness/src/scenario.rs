//! Scenario files: what to run, as TOML. Every field is documented in the
//! README ("Scenario file").
//!
//! Parsing goes through `serde_path_to_error`, so an error names the file,
//! the field path (`load.tx_per_s`) and what was expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use whiteout_node::NodeConfig;
use whiteout_topologies::TopologyConfig;

/// The embedded default scenario (`scenarios/default.toml`).
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../scenarios/default.toml");

/// The highest client rate a scenario may ask for, in transactions per
/// second: each transaction is simulated; at 10 million per second a run
/// held 607 MiB after one simulated second and ran at 0.04x real time.
pub const TX_PER_S_MAX: f64 = 1_000_000.0;

/// A scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// Seed of the run's single random number generator (overridden by
    /// `--seed`).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time to run, e.g. `"10m"`, at most 30 days (overridden by
    /// `--duration`).
    #[serde(deserialize_with = "de_duration", default = "default_duration")]
    pub duration: Duration,
    /// Backend: only `"sim"` for now.
    #[serde(default)]
    pub backend: BackendKind,
    /// Validators and latency model.
    #[serde(default)]
    pub topology: TopologyConfig,
    /// Link model.
    #[serde(default)]
    pub network: NetworkConfig,
    /// Protocol parameters.
    #[serde(default)]
    pub protocol: ProtocolConfig,
    /// Transaction load.
    #[serde(default)]
    pub load: LoadConfig,
    /// Chaos faults (`[[fault]]`), see `whiteout_chaos` and the README.
    #[serde(default)]
    pub fault: Vec<whiteout_chaos::FaultSpec>,
    /// What must hold despite the faults (`[expect]`).
    #[serde(default)]
    pub expect: whiteout_chaos::Expect,
}

impl Scenario {
    /// The faults parsed into a plan (checks that need no validator set).
    ///
    /// # Errors
    /// The first invalid `[[fault]]`, naming it and the field.
    pub fn plan(&self) -> Result<whiteout_chaos::Plan, whiteout_chaos::ChaosError> {
        whiteout_chaos::Plan::parse(&self.fault, self.expect.clone())
    }

    /// Whether the run has faults or expectations to judge (then the
    /// report carries verdicts).
    pub fn has_chaos(&self) -> bool {
        !self.fault.is_empty() || self.expect.max_stall.is_some()
    }
}

/// `backend` of a scenario: what runs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum BackendKind {
    /// `"sim"`: the discrete-event simulator (the default).
    #[default]
    Sim,
}

impl BackendKind {
    /// The value as written in a scenario file and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Sim => "sim",
        }
    }
}

impl TryFrom<String> for BackendKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "sim" => Ok(BackendKind::Sim),
            other => Err(format!(
                "expected \"sim\" (the only backend built so far), got {other:?}"
            )),
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[network]`: applied to every directed link and every validator.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Uplink bandwidth of each validator, in bits per second: a message
    /// leaves only after the ones queued before it (default 1 Gbit/s).
    #[serde(default = "default_bandwidth")]
    pub uplink_bandwidth_bps: u64,
    /// Jitter: each delivery gets an extra delay uniform in
    /// `[0, jitter_ms]` (default 1 ms).
    #[serde(default = "default_jitter")]
    pub jitter_ms: f64,
    /// Probability that a message is lost on its link (default 0).
    #[serde(default)]
    pub loss_rate: f64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            uplink_bandwidth_bps: default_bandwidth(),
            jitter_ms: default_jitter(),
            loss_rate: 0.0,
        }
    }
}

/// `[protocol]`: Alpenglow parameters (see `whiteout_node::NodeConfig`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolConfig {
    /// Δblock (default `"400ms"`).
    #[serde(deserialize_with = "de_duration", default = "d_block")]
    pub delta_block: Duration,
    /// Δtimeout (default `"750ms"`).
    #[serde(deserialize_with = "de_duration", default = "d_timeout")]
    pub delta_timeout: Duration,
    /// Slots per leader window (default 4).
    #[serde(default = "d_window")]
    pub slots_per_window: u64,
    /// Slices per block (default 4).
    #[serde(default = "d_slices")]
    pub slices_per_block: u32,
    /// γ, data shreds per slice (default 32).
    #[serde(default = "d_gamma")]
    pub data_shreds_per_slice: u32,
    /// Γ, shreds per slice (default 64).
    #[serde(default = "d_big_gamma")]
    pub shreds_per_slice: u32,
    /// Most transactions per block (default 2,000).
    #[serde(default = "d_capacity")]
    pub block_capacity_tx: u32,
    /// Standstill re-broadcast after this long without finalization
    /// (default `"10s"`).
    #[serde(deserialize_with = "de_duration", default = "d_standstill")]
    pub standstill: Duration,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        Self {
            delta_block: d_block(),
            delta_timeout: d_timeout(),
            slots_per_window: d_window(),
            slices_per_block: d_slices(),
            data_shreds_per_slice: d_gamma(),
            shreds_per_slice: d_big_gamma(),
            block_capacity_tx: d_capacity(),
            standstill: d_standstill(),
        }
    }
}

impl ProtocolConfig {
    /// The node configuration these parameters give.
    pub fn node_config(&self) -> NodeConfig {
        NodeConfig {
            delta_block: self.delta_block,
            delta_timeout: self.delta_timeout,
            slots_per_window: self.slots_per_window,
            slices_per_block: self.slices_per_block,
            data_shreds_per_slice: self.data_shreds_per_slice,
            shreds_per_slice: self.shreds_per_slice,
            block_capacity_tx: self.block_capacity_tx,
            standstill: self.standstill,
            ..NodeConfig::default()
        }
    }
}

/// `[load]`: open-loop transaction clients.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadConfig {
    /// Offered load, transactions per second, Poisson arrivals (default
    /// 2,000; 0 for no load).
    #[serde(default = "d_tps")]
    pub tx_per_s: f64,
    /// Wire size of a transaction, in bytes (default 250).
    #[serde(default = "d_tx_size")]
    pub tx_size_bytes: u32,
    /// Each transaction goes to the leaders of this many upcoming leader
    /// windows (default 2).
    #[serde(default = "d_leaders")]
    pub leaders_per_tx: u32,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            tx_per_s: d_tps(),
            tx_size_bytes: d_tx_size(),
            leaders_per_tx: d_leaders(),
        }
    }
}

fn default_name() -> String {
    "unnamed".into()
}
fn default_seed() -> u64 {
    1
}
fn default_duration() -> Duration {
    Duration::from_secs(600)
}
fn default_bandwidth() -> u64 {
    1_000_000_000
}
fn default_jitter() -> f64 {
    1.0
}
fn d_block() -> Duration {
    Duration::from_millis(400)
}
fn d_timeout() -> Duration {
    Duration::from_millis(750)
}
fn d_window() -> u64 {
    4
}
fn d_slices() -> u32 {
    4
}
fn d_gamma() -> u32 {
    32
}
fn d_big_gamma() -> u32 {
    64
}
fn d_capacity() -> u32 {
    2_000
}
fn d_standstill() -> Duration {
    Duration::from_secs(10)
}
fn d_tps() -> f64 {
    2_000.0
}
fn d_tx_size() -> u32 {
    250
}
fn d_leaders() -> u32 {
    2
}

/// Deserializes a duration written as a string such as `"400ms"`, `"10m"`
/// or `"1h 30m"` (humantime syntax).
pub fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "expected a duration such as \"400ms\", \"10m\" or \"1h\", got {text:?} ({e})"
        ))
    })
}

/// A scenario that failed to load: names the file, the field and what is
/// expected.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read: {error}")]
    Read {
        /// The file.
        file: String,
        /// Why (in the message, not chained as a source, so that `{:#}`
        /// does not say it twice).
        error: std::io::Error,
    },
    /// The TOML is malformed or a field has the wrong type.
    #[error("{file}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: String,
        /// Dotted path of the field.
        field: String,
        /// What was wrong and what is expected.
        message: String,
    },
}

/// A scenario with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// The scenario.
    pub scenario: Scenario,
    /// The file it was read from (`None`: the embedded default).
    pub path: Option<PathBuf>,
}

impl LoadedScenario {
    /// Directory relative paths in the scenario resolve against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Name of the source for error messages.
    pub fn source_name(&self) -> String {
        self.path.as_ref().map_or_else(
            || "<embedded default scenario>".into(),
            |p| p.display().to_string(),
        )
    }
}

/// Checks a run's simulated duration (a scenario's or `--duration`): more
/// than 0 and at most [`crate::limits::DURATION_MAX`] (30 days). The error
/// says what is expected and what was given.
pub fn check_duration(duration: Duration) -> Result<(), String> {
    if duration.is_zero() || duration > crate::limits::DURATION_MAX {
        let given = if duration.is_zero() {
            "0s".to_string()
        } else {
            format!("{:.2} days", duration.as_secs_f64() / 86_400.0)
        };
        return Err(format!(
            "expected a duration > 0 and at most 30 days, got {given}"
        ));
    }
    Ok(())
}

/// Reads and checks a scenario file; `None` loads the embedded default.
///
/// # Errors
/// [`ScenarioError`] naming the file, the field and what is expected.
pub fn load(path: Option<&Path>) -> Result<LoadedScenario, ScenarioError> {
    let (text, file) = match path {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|error| ScenarioError::Read {
                file: p.display().to_string(),
                error,
            })?,
            p.display().to_string(),
        ),
        None => (
            DEFAULT_SCENARIO_TOML.to_string(),
            "<embedded default scenario>".to_string(),
        ),
    };
    let scenario = parse(&text, &file)?;
    Ok(LoadedScenario {
        scenario,
        path: path.map(Path::to_path_buf),
    })
}

/// The dotted path of the key written on the line of byte `offset` in TOML
/// `text` (`topology.stake_lamports`, `fault[1].at`), from the line's
/// `key =` and the table header above it; `None` when the line has no key.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let key = line.split_once('=')?.0.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.starts_with('#') || key.starts_with('[') {
        return None;
    }
    let mut table = String::new();
    let mut arrays: BTreeMap<String, usize> = BTreeMap::new();
    // A header's name is a bare or quoted key: `[3, 4],` inside a
    // multi-line array is not one.
    let is_name = |n: &str| {
        !n.trim().is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c))
    };
    for header in text[..line_start].lines().map(str::trim) {
        if let Some(name) = header
            .strip_prefix("[[")
            .and_then(|h| h.split_once("]]"))
            .filter(|(n, _)| is_name(n))
        {
            let name = name.0.trim().to_string();
            let index = arrays.entry(name.clone()).or_insert(0);
            table = format!("{name}[{index}]");
            *index += 1;
        } else if let Some(name) = header
            .strip_prefix('[')
            .and_then(|h| h.split_once(']'))
            .filter(|(n, _)| is_name(n))
        {
            table = name.0.trim().to_string();
        }
    }
    Some(if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    })
}

/// Parses and checks scenario text; `file` names it in errors.
///
/// # Errors
/// [`ScenarioError::Field`] naming the field and what is expected.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let de = toml::Deserializer::new(text);
    let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let mut message = inner.message().to_string();
        let start = inner.span().map(|span| span.start.min(text.len()));
        if message.contains("number too large") {
            message += "; TOML integers are at most 9223372036854775807";
        }
        let location = start
            .map(|start| {
                let line = text[..start].matches('\n').count() + 1;
                format!(" (line {line})")
            })
            .unwrap_or_default();
        // A TOML syntax error (or a number TOML cannot hold) comes before
        // any field is known: name the one written on the error's line.
        let field = match (field.as_str(), start) {
            (".", Some(start)) => key_at(text, start).unwrap_or_else(|| "(top level)".into()),
            (".", None) => "(top level)".into(),
            _ => field,
        };
        ScenarioError::Field {
            file: file.to_string(),
            field,
            message: format!("{message}{location}"),
        }
    })?;
    scenario.validate(file)?;
    Ok(scenario)
}

impl Scenario {
    /// Checks fields and fields against each other (`Config::assert`).
    ///
    /// # Errors
    /// [`ScenarioError::Field`] for the first bad field.
    pub fn validate(&self, file: &str) -> Result<(), ScenarioError> {
        let bad = |field: &str, message: String| {
            Err(ScenarioError::Field {
                file: file.to_string(),
                field: field.to_string(),
                message,
            })
        };
        if let Err(expected) = check_duration(self.duration) {
            return bad("duration", expected);
        }
        if self.network.uplink_bandwidth_bps == 0 {
            return bad(
                "network.uplink_bandwidth_bps",
                "expected bits per second > 0, got 0".into(),
            );
        }
        if !(self.network.jitter_ms.is_finite()
            && (0.0..=whiteout_topologies::LATENCY_MS_MAX).contains(&self.network.jitter_ms))
        {
            return bad(
                "network.jitter_ms",
                format!(
                    "expected milliseconds in [0, 3600000] (at most an hour), got {}",
                    self.network.jitter_ms
                ),
            );
        }
        if !(0.0..1.0).contains(&self.network.loss_rate) {
            return bad(
                "network.loss_rate",
                format!(
                    "expected a probability in [0, 1), got {}",
                    self.network.loss_rate
                ),
            );
        }
        if !(self.load.tx_per_s.is_finite() && (0.0..=TX_PER_S_MAX).contains(&self.load.tx_per_s)) {
            return bad(
                "load.tx_per_s",
                format!(
                    "expected a rate in [0, 1000000] transactions per second, got {}",
                    self.load.tx_per_s
                ),
            );
        }
        if self.load.tx_size_bytes == 0 || self.load.tx_size_bytes > 1_232 {
            return bad(
                "load.tx_size_bytes",
                format!(
                    "expected 1..=1232 (a Solana transaction fits one packet), got {}",
                    self.load.tx_size_bytes
                ),
            );
        }
        if self.load.leaders_per_tx == 0 || self.load.leaders_per_tx > 16 {
            return bad(
                "load.leaders_per_tx",
                format!("expected 1..=16, got {}", self.load.leaders_per_tx),
            );
        }
        if let Err(e) = self.protocol.node_config().assert() {
            let field = e.to_string();
            let (field, message) = field.split_once(": ").unwrap_or((&field, ""));
            return bad(field, message.to_string());
        }
        self.topology
            .validate()
            .map_err(|e| topology_error(file, e))?;
        self.plan().map_err(|e| fault_error(file, e))?;
        Ok(())
    }
}

/// A topology error of scenario `file`, as a [`ScenarioError::Field`]
/// naming `topology.<field>` when the error is about one field (a CSV's
/// own row and column errors name the CSV file instead).
pub fn topology_error(file: &str, e: whiteout_topologies::TopologyError) -> ScenarioError {
    use whiteout_topologies::TopologyError;
    let (field, message) = match e {
        TopologyError::Config { field, message } => (format!("topology.{field}"), message),
        TopologyError::Read { path, error } => (
            "topology.csv".to_string(),
            format!("cannot read {}: {error}", path.display()),
        ),
        other => ("topology".to_string(), other.to_string()),
    };
    ScenarioError::Field {
        file: file.to_string(),
        field,
        message,
    }
}

/// A `[[fault]]` error of scenario `file`, as a [`ScenarioError::Field`]
/// naming `fault[i].<field>` (and the fault's name after the message).
pub fn fault_error(file: &str, e: whiteout_chaos::ChaosError) -> ScenarioError {
    let whiteout_chaos::ChaosError::Fault {
        index,
        name,
        field,
        message,
    } = e;
    let name = name.map(|n| format!(" ({n:?})")).unwrap_or_default();
    ScenarioError::Field {
        file: file.to_string(),
        field: format!("fault[{index}].{field}"),
        message: format!("{message}{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_parses() {
        let s = load(None).unwrap().scenario;
        assert_eq!(s.name, "default");
        assert_eq!(s.duration, Duration::from_secs(600));
        assert_eq!(s.topology.top, Some(100));
        assert_eq!(s.load.tx_per_s, 2000.0);
    }

    #[test]
    fn wrong_type_names_field_and_line() {
        let e = parse("[load]\ntx_per_s = \"fast\"\n", "x.toml").unwrap_err();
        let m = e.to_string();
        assert!(m.starts_with("x.toml: field `load.tx_per_s`"), "{m}");
        assert!(m.contains("line 2"), "{m}");
    }

    #[test]
    fn unknown_field_is_named() {
        let e = parse("[network]\nbandwidth = 5\n", "x.toml").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("network.bandwidth"), "{m}");
        assert!(m.contains("uplink_bandwidth_bps"), "{m}");
    }

    #[test]
    fn duration_beyond_thirty_days_is_refused() {
        let e = parse("duration = \"31days\"\n", "x.toml").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("x.toml") && m.contains("field `duration`") && m.contains("at most 30 days"),
            "{m}"
        );
        assert!(parse("duration = \"30days\"\n", "x.toml").is_ok());
    }

    #[test]
    fn bad_duration_says_what_is_expected() {
        let e = parse("duration = \"ten minutes\"\n", "x.toml").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("field `duration`") && m.contains("expected a duration"),
            "{m}"
        );
    }

    #[test]
    fn cross_field_checks_name_the_field() {
        let e = parse("[protocol]\ndata_shreds_per_slice = 80\n", "x.toml").unwrap_err();
        assert!(
            e.to_string().contains("protocol.data_shreds_per_slice"),
            "{e}"
        );
        let e = parse("[network]\nloss_rate = 1.5\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("network.loss_rate"), "{e}");
        // Topology and fault errors name their field the same way.
        let e = parse("[topology]\ntop = 0\n", "x.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml: field `topology.top`: expected 1..=2000, got 0"
        );
        let text = "[[fault]]\nkind = \"partition\"\nat = \"1s\"\ngroups = [[0], [0, 1]]\n";
        let e = parse(text, "x.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml: field `fault[0].groups`: validator 0 is in two groups"
        );
    }

    #[test]
    fn syntax_errors_name_the_field_on_their_line() {
        // TOML cannot hold the number, so no field is known to serde.
        let text = "[topology]\nkind = \"uniform\"\nstake_lamports = 18446744073709551615\n";
        let e = parse(text, "x.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("x.toml: field `topology.stake_lamports`: number too large")
                && e.contains("at most 9223372036854775807")
                && e.ends_with("(line 3)"),
            "{e}"
        );
        let text = "[[fault]]\nkind = \"crash\"\n[[fault]]\nat = \"1s\n";
        let e = parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("field `fault[1].at`"), "{e}");
        // A multi-line array's rows are not table headers.
        let text =
            "[[fault]]\nkind = \"partition\"\ngroups = [\n  [0, 1],\n  [2, 3],\n]\nat = \"1s\n";
        let e = parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("field `fault[0].at`"), "{e}");
    }

    #[test]
    fn values_beyond_what_a_run_can_hold_are_refused() {
        // Each of these used to pass, then panic or wrap simulated time.
        let cases = [
            (
                "[network]\njitter_ms = 1e12\n",
                "network.jitter_ms",
                "[0, 3600000]",
            ),
            ("[load]\ntx_per_s = 1e7\n", "load.tx_per_s", "[0, 1000000]"),
            (
                "[protocol]\ndelta_block = \"29d\"\n",
                "protocol.delta_block",
                "at most an hour",
            ),
            (
                "[protocol]\nstandstill = \"100y\"\n",
                "protocol.standstill",
                "at most an hour",
            ),
            (
                "[topology]\nkind = \"uniform\"\nvalidators = 100000\n",
                "topology.validators",
                "expected 1..=2000, got 100000",
            ),
            (
                "[topology]\nkind = \"uniform\"\nvalidators = 4\nlatency_ms = 1e15\n",
                "topology.latency_ms",
                "[0, 3600000]",
            ),
        ];
        for (text, field, expected) in cases {
            let e = parse(text, "x.toml").unwrap_err().to_string();
            assert!(e.contains(field) && e.contains(expected), "{text}: {e}");
        }
    }
}
