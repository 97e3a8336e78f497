//! Validator sets, stake distributions, placement and latency models for whiteout.
//!
//! A [`Topology`] is a list of [`Validator`]s (identity, stake, optional location) plus a
//! [`LatencyModel`] giving the one-way latency between any two of them. Topologies are built from
//! the `[topology]` table of a scenario file ([`TopologyConfig`]) by [`build`], either from a
//! validator CSV (by default the embedded Solana mainnet epoch-780 file, [`EPOCH_780_CSV`]) or as
//! `n` equal-stake validators.
//!
//! Everything here is deterministic: validators are always ordered by stake descending, ties by
//! identity, so validator indices are stable across runs and machines.

use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod geo;
mod table;

/// The embedded Solana mainnet epoch-780 validator file: a validators.app export of the 1,283
/// active, non-delinquent, staked validators, sorted by stake (the distribution the Alpenglow
/// white paper v1.1 used in section 3.7). Columns as in [`parse_validators_csv`]; 7 rows have no
/// location. See `data/README.md`.
pub const EPOCH_780_CSV: &str = include_str!("../data/solana-mainnet-epoch780.csv");

/// Name of the embedded file in error messages.
const EPOCH_780_FILE: &str = "solana-mainnet-epoch780.csv (embedded)";

/// Default `stake_lamports` of a uniform topology: 1M SOL.
const DEFAULT_UNIFORM_STAKE_LAMPORTS: u64 = 1_000_000_000_000_000;
/// Default `latency_ms` of the fixed model.
const DEFAULT_LATENCY_MS: f64 = 50.0;
/// Default speed of light in fibre, km per ms: c ≈ 299,792 km/s divided by the refractive index
/// of silica fibre core (≈ 1.47) is ≈ 204 km/ms, rounded to 200 (the usual rule of thumb of
/// 5 µs per km).
const DEFAULT_FIBRE_KM_PER_MS: f64 = 200.0;
/// Default route inflation (fibre path length / great-circle distance). Fibre follows roads,
/// railways, coasts and sea-cable landing points and is routed through exchange points rather
/// than along the geodesic; Internet measurement studies (e.g. Singla et al., "The Internet at the
/// Speed of Light", HotNets 2014) find measured paths and minimum RTTs well above the
/// speed-of-light bound, with physical route lengths commonly 1.5-2x the great-circle distance.
/// 1.5 is the low, well-connected end of that range, fitting data-centre-hosted validators.
const DEFAULT_ROUTE_INFLATION: f64 = 1.5;
/// Default latency floor, ms: co-located validators (same data centre or city) still pay
/// switching, serialisation and kernel costs.
const DEFAULT_LATENCY_MS_MIN: f64 = 0.5;

/// The most validators a topology may have: 2,000, half again Solana
/// mainnet's 1,276 located validators of epoch 780. A simulation's memory
/// and work grow with the square of the count (every vote reaches every
/// validator): 1,000 validators take about 400 MiB and run at about half
/// real time, 100,000 would take about 4 TB.
pub const MAX_VALIDATORS: usize = 2_000;

/// The longest one-way latency a topology may give, in ms: 1 hour, as for
/// a chaos fault's delays. Longer ones are surely typos, and would let
/// simulated time overflow.
pub const LATENCY_MS_MAX: f64 = 3_600_000.0;

/// Half the Earth's circumference in km: the longest great-circle distance.
const ANTIPODE_KM: f64 = 20_038.0;

/// A validator as placed in a topology.
#[derive(Clone, Debug, PartialEq)]
pub struct Validator {
    /// Identity: the base58 public key from the CSV, or `"v000"`, `"v001"`, ... for generated
    /// (uniform) validators (zero-padded to at least 3 digits, so they sort by index).
    pub identity: String,
    /// Active stake in lamports (1 SOL = 10^9 lamports).
    pub stake_lamports: u64,
    /// Approximate location; `None` when unknown (and always for uniform topologies).
    pub location: Option<Location>,
    /// validators.app data-centre key `ASN-COUNTRY-City` (e.g. `"20326-DE-Frankfurt am Main"`),
    /// as given in the CSV (including `"0--Unknown"`); `None` when the cell is empty or the
    /// validator is generated.
    pub data_center: Option<String>,
}

impl Validator {
    /// Region for grouping/targeting: `"COUNTRY-City"` taken from [`Validator::data_center`].
    ///
    /// A time-zone style city is reduced to its last component and underscores become spaces:
    /// `"20326-DE-Frankfurt am Main"` → `"DE-Frankfurt am Main"`, `"6461-GB-Europe/London"` →
    /// `"GB-London"`, `"1-US-America/New_York"` → `"US-New York"`. An empty country is kept
    /// empty (`"29066--Europe/Vaduz"` → `"-Vaduz"`). `None` when there is no data centre, the
    /// city is `Unknown` or empty, or the key does not have the form `ASN-COUNTRY-City` with a
    /// numeric ASN.
    pub fn region(&self) -> Option<String> {
        geo::region_of(self.data_center.as_deref()?)
    }

    /// Continent-level region from [`Validator::location`]: one of `"europe"`,
    /// `"north_america"`, `"south_america"`, `"asia"`, `"oceania"`, `"africa"`; `None` when the
    /// location is unknown.
    ///
    /// A rough classification by latitude/longitude boxes, good for data-centre locations:
    /// west of the mid-Atlantic is the Americas (north of 13°N, or of 7°N west of 77.5°W, is
    /// North America incl. Central America, the Caribbean, Greenland and Hawaii; the Pacific
    /// south of 10°N and west of 120°W is Oceania); Europe is bounded by the Mediterranean,
    /// the Bosporus, the Black Sea, the Caucasus, the Caspian, the Ural river and 60°E (so
    /// Istanbul is Europe, Anatolia, Cyprus and Tbilisi are Asia); Oceania is south of 10°S east
    /// of 110°E, or south of 25°N east of 130°E; Africa is west of the Suez isthmus and the Red
    /// Sea, and south of 12.5°N everything west of 60°E; the rest is Asia. Every location gets a
    /// continent; points in oceans get a nearby one.
    pub fn continent(&self) -> Option<&'static str> {
        self.location.as_ref().map(geo::continent_of)
    }
}

/// A point on the Earth, in degrees (WGS 84 style: latitude in [-90, 90], north positive;
/// longitude in [-180, 180], east positive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Location {
    /// Latitude in degrees, north positive.
    pub latitude_deg: f64,
    /// Longitude in degrees, east positive.
    pub longitude_deg: f64,
}

/// How one-way latency between two validators is derived.
#[derive(Clone, Debug, PartialEq)]
pub enum LatencyModel {
    /// Same latency for every pair of distinct validators.
    Fixed {
        /// One-way latency, ms.
        latency_ms: f64,
    },
    /// `latency_ms = max(latency_ms_min, great_circle_km * route_inflation / fibre_km_per_ms)`.
    /// Needs every validator's [`Location`].
    Geographic {
        /// Speed of light in fibre, km per ms (default 200).
        fibre_km_per_ms: f64,
        /// Fibre path length / great-circle distance (default 1.5).
        route_inflation: f64,
        /// Floor for any pair of distinct validators, ms (default 0.5).
        latency_ms_min: f64,
    },
}

impl LatencyModel {
    /// Short description for [`Topology::name`]: `"fixed 50 ms"`, `"geographic"` (defaults) or
    /// `"geographic (fibre 200 km/ms, inflation 2, min 0.5 ms)"`.
    fn describe(&self) -> String {
        match *self {
            LatencyModel::Fixed { latency_ms } => format!("fixed {latency_ms} ms"),
            LatencyModel::Geographic {
                fibre_km_per_ms,
                route_inflation,
                latency_ms_min,
            } => {
                if fibre_km_per_ms == DEFAULT_FIBRE_KM_PER_MS
                    && route_inflation == DEFAULT_ROUTE_INFLATION
                    && latency_ms_min == DEFAULT_LATENCY_MS_MIN
                {
                    "geographic".to_string()
                } else {
                    format!(
                        "geographic (fibre {fibre_km_per_ms} km/ms, inflation {route_inflation}, \
                         min {latency_ms_min} ms)"
                    )
                }
            }
        }
    }
}

/// A validator set with a latency model.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Short description, e.g. `"epoch780 top=100, geographic"`, `"epoch780 n=1276,
    /// geographic"` (no `top`), `"uniform n=4, fixed 50 ms"`.
    pub name: String,
    /// Validators, sorted by stake descending, ties by identity (when built by [`build`]).
    pub validators: Vec<Validator>,
    /// How latency between two validators is derived.
    pub latency: LatencyModel,
}

impl Topology {
    /// One-way latency from validator `from` to `to` (indices into [`Topology::validators`]), in
    /// nanoseconds, rounded to the nearest ns; 0 when `from == to`. Symmetric.
    ///
    /// # Panics
    /// If an index is out of range, or with [`LatencyModel::Geographic`] if either validator has
    /// no location ([`build`] never produces such a topology).
    pub fn latency_ns(&self, from: usize, to: usize) -> u64 {
        let (a, b) = (&self.validators[from], &self.validators[to]);
        if from == to {
            return 0;
        }
        let ms = match self.latency {
            LatencyModel::Fixed { latency_ms } => latency_ms,
            LatencyModel::Geographic {
                fibre_km_per_ms,
                route_inflation,
                latency_ms_min,
            } => {
                let (Some(la), Some(lb)) = (&a.location, &b.location) else {
                    panic!(
                        "geographic latency between validators {from} ({}) and {to} ({}): \
                         both need a location",
                        a.identity, b.identity
                    );
                };
                (la.great_circle_km(lb) * route_inflation / fibre_km_per_ms).max(latency_ms_min)
            }
        };
        // Saturating float-to-int cast; validated models give finite, non-negative values.
        (ms * 1e6).round() as u64
    }

    /// Full `n * n` row-major matrix of [`Topology::latency_ns`] (entry `from * n + to`),
    /// `n = validators.len()`; symmetric with a zero diagonal.
    ///
    /// # Panics
    /// As [`Topology::latency_ns`].
    pub fn latency_matrix_ns(&self) -> Vec<u64> {
        let n = self.validators.len();
        let mut m = vec![0u64; n * n];
        for from in 0..n {
            for to in from + 1..n {
                let ns = self.latency_ns(from, to);
                m[from * n + to] = ns;
                m[to * n + from] = ns;
            }
        }
        m
    }

    /// Sum of all validators' stake, in lamports.
    ///
    /// # Panics
    /// On u64 overflow (impossible for topologies from [`build`], which checks it).
    pub fn total_stake_lamports(&self) -> u64 {
        self.validators
            .iter()
            .map(|v| v.stake_lamports)
            .try_fold(0u64, u64::checked_add)
            .expect("total stake overflows u64")
    }
}

/// The `[topology]` table of a scenario TOML file. Flat on purpose so errors can name one field.
///
/// Field values are checked by [`TopologyConfig::validate`] (called by [`build`]); fields that do
/// not apply to the chosen `kind` / `latency` are errors rather than silently ignored.
///
/// Note: deserialising an empty table gives `top = None` (all validators), while
/// [`TopologyConfig::default`] has `top = Some(100)`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyConfig {
    /// `"csv"` (default) or `"uniform"`.
    #[serde(default)]
    pub kind: TopologyKind,
    /// csv: path to a CSV with the columns of the epoch-780 file (see [`parse_validators_csv`]);
    /// relative paths are relative to the scenario file's directory (`base_dir` of [`build`]).
    /// `None` = the embedded epoch-780 file.
    #[serde(default)]
    pub csv: Option<PathBuf>,
    /// csv: keep the `top` validators with the most stake (after dropping rows per
    /// `missing_location`); `1..=` the number of validators available. `None` = all.
    #[serde(default)]
    pub top: Option<usize>,
    /// csv: what to do with rows with no location when latency = `"geographic"`: `"drop"`
    /// (default) or `"error"`. With `"fixed"` latency, rows without a location are kept.
    #[serde(default)]
    pub missing_location: MissingLocation,
    /// uniform: number of validators (required for uniform, >= 1).
    #[serde(default)]
    pub validators: Option<usize>,
    /// uniform: stake of each validator in lamports, >= 1 (default 1_000_000_000_000_000, i.e.
    /// 1M SOL). `validators * stake_lamports` must fit in a u64.
    #[serde(default)]
    pub stake_lamports: Option<u64>,
    /// `"geographic"` (default for csv) or `"fixed"` (default for uniform, the only choice there:
    /// uniform validators have no location).
    #[serde(default)]
    pub latency: Option<LatencyKind>,
    /// fixed: one-way latency in ms, finite and >= 0 (default 50.0).
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// geographic: speed of light in fibre, km per ms, finite and > 0 (default 200.0: c divided
    /// by the ≈ 1.47 refractive index of fibre is ≈ 204 km/ms, rounded to 200).
    #[serde(default)]
    pub fibre_km_per_ms: Option<f64>,
    /// geographic: route inflation factor (fibre path length / great-circle distance), finite,
    /// at least 1 (default 1.5). Fibre does not follow the geodesic: Internet measurement studies
    /// find physical paths commonly 1.5-2x the great-circle distance; 1.5 is the well-connected
    /// end, fitting data-centre-hosted validators.
    #[serde(default)]
    pub route_inflation: Option<f64>,
    /// geographic: floor for any pair of distinct validators in ms, e.g. same data centre, finite
    /// and >= 0 (default 0.5).
    #[serde(default)]
    pub latency_ms_min: Option<f64>,
}

/// `kind` of a [`TopologyConfig`]: where the validators come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum TopologyKind {
    /// `"csv"`: a validator CSV (default).
    #[default]
    Csv,
    /// `"uniform"`: `validators` generated validators of equal stake.
    Uniform,
}

impl TopologyKind {
    /// The value as written in a scenario file.
    pub fn as_str(self) -> &'static str {
        match self {
            TopologyKind::Csv => "csv",
            TopologyKind::Uniform => "uniform",
        }
    }
}

impl TryFrom<String> for TopologyKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "csv" => Ok(TopologyKind::Csv),
            "uniform" => Ok(TopologyKind::Uniform),
            other => Err(format!("expected \"csv\" or \"uniform\", got {other:?}")),
        }
    }
}

impl fmt::Display for TopologyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `missing_location` of a [`TopologyConfig`]: what a csv topology with geographic latency does
/// with rows that have no location.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum MissingLocation {
    /// `"drop"`: leave those validators out (default).
    #[default]
    Drop,
    /// `"error"`: reject the CSV.
    Error,
}

impl MissingLocation {
    /// The value as written in a scenario file.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingLocation::Drop => "drop",
            MissingLocation::Error => "error",
        }
    }
}

impl TryFrom<String> for MissingLocation {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "drop" => Ok(MissingLocation::Drop),
            "error" => Ok(MissingLocation::Error),
            other => Err(format!("expected \"drop\" or \"error\", got {other:?}")),
        }
    }
}

impl fmt::Display for MissingLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `latency` of a [`TopologyConfig`]: which [`LatencyModel`] to build. When not given, geographic
/// for csv and fixed for uniform topologies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LatencyKind {
    /// `"geographic"`: [`LatencyModel::Geographic`], from the validators' locations.
    Geographic,
    /// `"fixed"`: [`LatencyModel::Fixed`], the same for every pair.
    Fixed,
}

impl LatencyKind {
    /// The value as written in a scenario file.
    pub fn as_str(self) -> &'static str {
        match self {
            LatencyKind::Geographic => "geographic",
            LatencyKind::Fixed => "fixed",
        }
    }
}

impl TryFrom<String> for LatencyKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "geographic" => Ok(LatencyKind::Geographic),
            "fixed" => Ok(LatencyKind::Fixed),
            other => Err(format!(
                "expected \"geographic\" or \"fixed\", got {other:?}"
            )),
        }
    }
}

impl fmt::Display for LatencyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for TopologyConfig {
    /// The embedded epoch-780 file, top 100 by stake, geographic latency with default parameters.
    fn default() -> Self {
        TopologyConfig {
            kind: TopologyKind::Csv,
            csv: None,
            top: Some(100),
            missing_location: MissingLocation::Drop,
            validators: None,
            stake_lamports: None,
            latency: None,
            latency_ms: None,
            fibre_km_per_ms: None,
            route_inflation: None,
            latency_ms_min: None,
        }
    }
}

fn config_err(field: &'static str, message: impl Into<String>) -> TopologyError {
    TopologyError::Config {
        field,
        message: message.into(),
    }
}

impl TopologyConfig {
    /// Checks every field's value and the fields against each other, without reading any file.
    ///
    /// # Errors
    /// [`TopologyError::Config`] naming the first offending field, e.g. a negative or non-finite
    /// number, a latency beyond [`LATENCY_MS_MAX`] (for a geographic one, between antipodes),
    /// `validators` missing for `kind = "uniform"`, `validators` or `top` outside
    /// `1..=`[`MAX_VALIDATORS`], a field that does not apply to the chosen `kind` or `latency`
    /// (the message names both fields), `latency = "geographic"` with `kind = "uniform"`, or
    /// uniform total stake overflowing u64. (`top` larger than the CSV is only detected by
    /// [`build`]; an unknown `kind` / `latency` / `missing_location` is rejected when the table
    /// is deserialised, with the same message, e.g. `expected "csv" or "uniform", got "mesh"`.)
    pub fn validate(&self) -> Result<(), TopologyError> {
        let uniform = self.kind == TopologyKind::Uniform;
        let geographic = self.geographic();

        let check = |field: &'static str, value: Option<f64>, ok: fn(f64) -> bool, what: &str| {
            match value {
                Some(v) if !(v.is_finite() && ok(v)) => Err(config_err(
                    field,
                    format!("expected a finite number {what}, got {v}"),
                )),
                _ => Ok(()),
            }
        };
        let up_to_an_hour = |v: f64| (0.0..=LATENCY_MS_MAX).contains(&v);
        let in_an_hour = "in [0, 3600000] (milliseconds, at most an hour)";
        check("latency_ms", self.latency_ms, up_to_an_hour, in_an_hour)?;
        check("fibre_km_per_ms", self.fibre_km_per_ms, |v| v > 0.0, "> 0")?;
        check(
            "route_inflation",
            self.route_inflation,
            |v| v >= 1.0,
            ">= 1 (a route cannot be shorter than the great circle)",
        )?;
        check(
            "latency_ms_min",
            self.latency_ms_min,
            up_to_an_hour,
            in_an_hour,
        )?;
        if geographic {
            let fibre = self.fibre_km_per_ms.unwrap_or(DEFAULT_FIBRE_KM_PER_MS);
            let inflation = self.route_inflation.unwrap_or(DEFAULT_ROUTE_INFLATION);
            let antipode_ms = ANTIPODE_KM * inflation / fibre;
            if antipode_ms > LATENCY_MS_MAX {
                let field = if self.fibre_km_per_ms.is_some() {
                    "fibre_km_per_ms"
                } else {
                    "route_inflation"
                };
                return Err(config_err(
                    field,
                    format!(
                        "topology.route_inflation {inflation} / topology.fibre_km_per_ms {fibre} \
                         gives {antipode_ms:.0} ms between antipodes; expected at most 3600000 ms \
                         (an hour)"
                    ),
                ));
            }
        }

        let kind_only = |field: &'static str, given: bool, wanted: &str| {
            if given {
                Err(config_err(
                    field,
                    format!(
                        "only used with kind = \"{wanted}\", but topology.kind = {:?}",
                        self.kind.as_str()
                    ),
                ))
            } else {
                Ok(())
            }
        };
        if uniform {
            kind_only("csv", self.csv.is_some(), "csv")?;
            kind_only("top", self.top.is_some(), "csv")?;
            let n = match self.validators {
                None => {
                    return Err(config_err(
                        "validators",
                        "required when topology.kind = \"uniform\": expected an integer >= 1",
                    ))
                }
                Some(n) if n == 0 || n > MAX_VALIDATORS => {
                    return Err(config_err(
                        "validators",
                        format!("expected 1..={MAX_VALIDATORS}, got {n}"),
                    ))
                }
                Some(n) => n,
            };
            let stake = self
                .stake_lamports
                .unwrap_or(DEFAULT_UNIFORM_STAKE_LAMPORTS);
            if stake == 0 {
                return Err(config_err(
                    "stake_lamports",
                    "expected an integer >= 1 (lamports), got 0",
                ));
            }
            if u64::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(stake))
                .is_none()
            {
                return Err(config_err(
                    "validators",
                    format!(
                        "{n} validators x {stake} lamports (topology.stake_lamports) overflows \
                         u64; expected a total stake below 1.8e19 lamports"
                    ),
                ));
            }
            if geographic {
                return Err(config_err(
                    "latency",
                    "\"geographic\" needs validator locations, which topology.kind = \"uniform\" \
                     does not have; expected \"fixed\"",
                ));
            }
        } else {
            kind_only("validators", self.validators.is_some(), "uniform")?;
            kind_only("stake_lamports", self.stake_lamports.is_some(), "uniform")?;
            if let Some(top) = self.top.filter(|&t| t == 0 || t > MAX_VALIDATORS) {
                return Err(config_err(
                    "top",
                    format!("expected 1..={MAX_VALIDATORS}, got {top}"),
                ));
            }
        }

        let latency_only = |field: &'static str, given: bool, wanted: &str, actual: &str| {
            if given {
                let implicit = if self.latency.is_none() {
                    format!(" (the default for kind = {:?})", self.kind.as_str())
                } else {
                    String::new()
                };
                Err(config_err(
                    field,
                    format!(
                        "only used with latency = \"{wanted}\", but topology.latency is \
                         \"{actual}\"{implicit}"
                    ),
                ))
            } else {
                Ok(())
            }
        };
        if geographic {
            latency_only(
                "latency_ms",
                self.latency_ms.is_some(),
                "fixed",
                "geographic",
            )?;
        } else {
            for (field, value) in [
                ("fibre_km_per_ms", self.fibre_km_per_ms),
                ("route_inflation", self.route_inflation),
                ("latency_ms_min", self.latency_ms_min),
            ] {
                latency_only(field, value.is_some(), "geographic", "fixed")?;
            }
        }
        Ok(())
    }

    /// Whether the effective latency model is geographic.
    fn geographic(&self) -> bool {
        match self.latency {
            None => self.kind == TopologyKind::Csv,
            Some(latency) => latency == LatencyKind::Geographic,
        }
    }

    /// The latency model with defaults filled in (assumes a valid config).
    fn latency_model(&self) -> LatencyModel {
        if self.geographic() {
            LatencyModel::Geographic {
                fibre_km_per_ms: self.fibre_km_per_ms.unwrap_or(DEFAULT_FIBRE_KM_PER_MS),
                route_inflation: self.route_inflation.unwrap_or(DEFAULT_ROUTE_INFLATION),
                latency_ms_min: self.latency_ms_min.unwrap_or(DEFAULT_LATENCY_MS_MIN),
            }
        } else {
            LatencyModel::Fixed {
                latency_ms: self.latency_ms.unwrap_or(DEFAULT_LATENCY_MS),
            }
        }
    }
}

/// Error building a topology. Every message names where the problem is (the `topology.<field>`
/// of the scenario, or the CSV file with row and column) and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// A `[topology]` field is invalid or conflicts with another field, e.g.
    /// `topology.top: expected 1..=2000, got 0`.
    #[error("topology.{field}: {message}")]
    Config {
        /// Field name within `[topology]`, e.g. `"top"`.
        field: &'static str,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The file named by `topology.csv` could not be read.
    #[error("topology.csv: cannot read {}: {error}", .path.display())]
    Read {
        /// The resolved path (joined to the scenario's directory).
        path: PathBuf,
        /// The I/O error (in the message, not chained as a source, so that
        /// `{:#}` does not say it twice).
        error: std::io::Error,
    },
    /// A validator CSV is malformed or inconsistent, e.g.
    /// `data.csv: row 17, column active_stake_lamports: expected an unsigned integer, got "abc"`.
    #[error("{file}: {}{message}", csv_position(*.row, .column.as_deref()))]
    Csv {
        /// The file: the resolved path, the `source` given to [`parse_validators_csv`], or
        /// `"solana-mainnet-epoch780.csv (embedded)"`.
        file: String,
        /// 1-based line number in the file (the header is row 1), when the problem is one row.
        row: Option<u64>,
        /// Column name, when the problem is one column.
        column: Option<String>,
        /// What is wrong and what was expected.
        message: String,
    },
}

fn csv_position(row: Option<u64>, column: Option<&str>) -> String {
    match (row, column) {
        (Some(r), Some(c)) => format!("row {r}, column {c}: "),
        (Some(r), None) => format!("row {r}: "),
        (None, Some(c)) => format!("column {c}: "),
        (None, None) => String::new(),
    }
}

/// Order of validators in a topology: stake descending, ties by identity ascending.
fn validator_order(a: &Validator, b: &Validator) -> Ordering {
    b.stake_lamports
        .cmp(&a.stake_lamports)
        .then_with(|| a.identity.cmp(&b.identity))
}

/// Parses validator rows from CSV text; `source` names the file in errors.
///
/// The header must contain `identity,active_stake_lamports,latitude,longitude,data_center`
/// (any order, matched by name after trimming; extra columns are ignored); every row must have
/// as many fields as the header. Cells are trimmed. `identity` must be non-empty and unique;
/// `active_stake_lamports` an unsigned integer (0 allowed, but the total must be > 0);
/// `latitude` in [-90, 90] and `longitude` in [-180, 180] degrees, both empty (no location) or
/// both given; `data_center` may be empty (`None`).
///
/// Returns the validators sorted by stake descending, ties by identity.
///
/// # Errors
/// [`TopologyError::Csv`] naming `source`, the 1-based line (header = row 1) and column, e.g.
/// `data.csv: row 17, column active_stake_lamports: expected an unsigned integer, got "abc"`;
/// also for a missing or repeated header column, a row with the wrong number of fields, a
/// duplicate identity, no rows, zero or u64-overflowing total stake.
pub fn parse_validators_csv(text: &str, source: &str) -> Result<Vec<Validator>, TopologyError> {
    Ok(table::parse_rows(text, source)?
        .into_iter()
        .map(|r| r.validator)
        .collect())
}

/// Builds the topology described by `config`; `base_dir` resolves relative `csv` paths (the
/// scenario file's directory).
///
/// kind = `"csv"`: loads the CSV ([`parse_validators_csv`]), with geographic latency drops (or,
/// with `missing_location = "error"`, rejects) rows without a location, then keeps the `top`
/// validators by stake. kind = `"uniform"`: `validators` validators `"v000"`, `"v001"`, ... with
/// `stake_lamports` each and no location. Validators are sorted by stake descending, ties by
/// identity.
///
/// # Errors
/// Everything [`TopologyConfig::validate`] and [`parse_validators_csv`] report;
/// [`TopologyError::Read`] if the CSV cannot be read; [`TopologyError::Config`] for `top`
/// larger than the number of validators available (`topology.top: expected 1..=1283
/// (validators in epoch780), got 5000`); [`TopologyError::Csv`] for a row without a location
/// when `missing_location = "error"`, or when no validator (or no stake) with a location is
/// left after dropping.
pub fn build(config: &TopologyConfig, base_dir: &Path) -> Result<Topology, TopologyError> {
    config.validate()?;
    let latency = config.latency_model();
    if config.kind == TopologyKind::Uniform {
        // validate() guarantees validators is Some(n >= 1) and the total fits.
        let n = config.validators.unwrap_or(1);
        let stake_lamports = config
            .stake_lamports
            .unwrap_or(DEFAULT_UNIFORM_STAKE_LAMPORTS);
        let width = (n - 1).to_string().len().max(3);
        let validators = (0..n)
            .map(|i| Validator {
                identity: format!("v{i:0width$}"),
                stake_lamports,
                location: None,
                data_center: None,
            })
            .collect();
        return Ok(Topology {
            name: format!("uniform n={n}, {}", latency.describe()),
            validators,
            latency,
        });
    }

    let (text, file, label) = match &config.csv {
        None => (
            EPOCH_780_CSV.to_string(),
            EPOCH_780_FILE.to_string(),
            "epoch780".to_string(),
        ),
        Some(csv) => {
            let path = base_dir.join(csv);
            let text = std::fs::read_to_string(&path).map_err(|error| TopologyError::Read {
                path: path.clone(),
                error,
            })?;
            let label = csv.file_stem().map_or_else(
                || csv.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
            (text, path.display().to_string(), label)
        }
    };
    let rows = table::parse_rows(&text, &file)?;
    let geographic = matches!(latency, LatencyModel::Geographic { .. });
    let mut validators = Vec::with_capacity(rows.len());
    let mut dropped = 0usize;
    for row in rows {
        if geographic && row.validator.location.is_none() {
            if config.missing_location == MissingLocation::Error {
                return Err(TopologyError::Csv {
                    file,
                    row: Some(row.line),
                    column: Some("latitude".to_string()),
                    message: format!(
                        "validator {} has no location (latitude and longitude empty); expected \
                         one because topology.latency is \"geographic\" and \
                         topology.missing_location = \"error\"",
                        row.validator.identity
                    ),
                });
            }
            dropped += 1;
            continue;
        }
        validators.push(row.validator);
    }
    let available = if dropped > 0 {
        "validators with a location"
    } else {
        "validators"
    };
    if validators.is_empty() {
        return Err(TopologyError::Csv {
            file,
            row: None,
            column: Some("latitude".to_string()),
            message: format!(
                "no validator has a location; topology.latency = \"geographic\" needs at least one \
                 ({dropped} rows dropped by topology.missing_location = \"drop\")"
            ),
        });
    }
    if let Some(top) = config.top {
        if top > validators.len() {
            return Err(config_err(
                "top",
                format!(
                    "expected 1..={} ({available} in {label}), got {top}",
                    validators.len()
                ),
            ));
        }
        validators.truncate(top);
    }
    if validators.len() > MAX_VALIDATORS {
        return Err(config_err(
            "top",
            format!(
                "{file} has {} {label}, more than the {MAX_VALIDATORS} a run may have; \
                 expected topology.top = 1..={MAX_VALIDATORS}",
                validators.len()
            ),
        ));
    }
    if validators.iter().all(|v| v.stake_lamports == 0) {
        return Err(TopologyError::Csv {
            file,
            row: None,
            column: Some("active_stake_lamports".to_string()),
            message: format!(
                "the selected {available} have total stake 0; expected a positive total"
            ),
        });
    }
    let selection = match config.top {
        Some(top) => format!("top={top}"),
        None => format!("n={}", validators.len()),
    };
    Ok(Topology {
        name: format!("{label} {selection}, {}", latency.describe()),
        validators,
        latency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOL: u64 = 1_000_000_000;
    const HEADER: &str = "identity,active_stake_lamports,latitude,longitude,data_center\n";

    fn here() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn uniform(n: usize) -> TopologyConfig {
        TopologyConfig {
            kind: TopologyKind::Uniform,
            top: None,
            validators: Some(n),
            ..TopologyConfig::default()
        }
    }

    fn located(identity: &str, stake_lamports: u64, lat: f64, lon: f64) -> Validator {
        Validator {
            identity: identity.into(),
            stake_lamports,
            location: Some(Location {
                latitude_deg: lat,
                longitude_deg: lon,
            }),
            data_center: None,
        }
    }

    /// A fresh directory `whiteout-topologies-<test>-<random>` under the
    /// system temp dir for files written by one test, removed when dropped
    /// (also when the test fails).
    fn temp_dir(test: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("whiteout-topologies-{test}-"))
            .tempdir()
            .unwrap()
    }

    fn config_error(config: &TopologyConfig) -> String {
        build(config, here()).unwrap_err().to_string()
    }

    fn csv_error(body: &str) -> String {
        parse_validators_csv(&format!("{HEADER}{body}"), "data.csv")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn geographic_latency_frankfurt_ashburn_defaults() {
        let t = Topology {
            name: "pair".into(),
            validators: vec![
                located("fra", 1, 50.1109, 8.6821),
                located("ash", 1, 39.0438, -77.4874),
            ],
            latency: TopologyConfig::default().latency_model(),
        };
        // ~6,549 km * 1.5 / 200 km/ms ≈ 49.1 ms.
        let ms = t.latency_ns(0, 1) as f64 / 1e6;
        assert!((ms - 49.1).abs() < 0.3, "{ms} ms");
        assert_eq!(t.latency_ns(0, 1), t.latency_ns(1, 0));
        assert_eq!(t.latency_ns(0, 0), 0);
        let m = t.latency_matrix_ns();
        assert_eq!(m, vec![0, t.latency_ns(0, 1), t.latency_ns(1, 0), 0]);
    }

    #[test]
    fn floor_applies_to_co_located_validators() {
        let t = Topology {
            name: "dc".into(),
            validators: vec![
                located("a", 1, 50.1957, 8.6805),
                located("b", 1, 50.1957, 8.6805),
                located("c", 1, 50.1960, 8.6810), // ~50 m away
            ],
            latency: LatencyModel::Geographic {
                fibre_km_per_ms: 200.0,
                route_inflation: 1.5,
                latency_ms_min: 0.5,
            },
        };
        assert_eq!(t.latency_ns(0, 1), 500_000);
        assert_eq!(t.latency_ns(0, 2), 500_000);
        assert_eq!(t.latency_ns(1, 1), 0);
    }

    #[test]
    fn fixed_model_and_uniform_topology() {
        let t = build(&uniform(4), here()).unwrap();
        assert_eq!(t.name, "uniform n=4, fixed 50 ms");
        let ids: Vec<_> = t.validators.iter().map(|v| v.identity.as_str()).collect();
        assert_eq!(ids, ["v000", "v001", "v002", "v003"]);
        assert!(t
            .validators
            .iter()
            .all(|v| v.stake_lamports == 1_000_000 * SOL && v.location.is_none()));
        assert_eq!(t.total_stake_lamports(), 4_000_000 * SOL);
        assert_eq!(t.latency, LatencyModel::Fixed { latency_ms: 50.0 });
        let m = t.latency_matrix_ns();
        for from in 0..4 {
            for to in 0..4 {
                let want = if from == to { 0 } else { 50_000_000 };
                assert_eq!(m[from * 4 + to], want);
                assert_eq!(t.latency_ns(from, to), want);
            }
        }
        // Custom stake and latency; identities widen past 1000 and still sort by index.
        let t = build(
            &TopologyConfig {
                validators: Some(1001),
                stake_lamports: Some(7),
                latency: Some(LatencyKind::Fixed),
                latency_ms: Some(12.5),
                ..uniform(1)
            },
            here(),
        )
        .unwrap();
        assert_eq!(t.name, "uniform n=1001, fixed 12.5 ms");
        assert_eq!(t.validators[0].identity, "v0000");
        assert_eq!(t.validators[1000].identity, "v1000");
        let mut sorted = t.validators.clone();
        sorted.sort_by(validator_order);
        assert_eq!(sorted, t.validators);
        assert_eq!(t.latency_ns(3, 700), 12_500_000);
        assert_eq!(t.total_stake_lamports(), 7007);
    }

    #[test]
    fn embedded_file_parses() {
        let vs = parse_validators_csv(EPOCH_780_CSV, "epoch780").unwrap();
        assert_eq!(vs.len(), 1283);
        let total: u64 = vs.iter().map(|v| v.stake_lamports).sum();
        let want = 3.897e17;
        assert!((total as f64 - want).abs() / want < 0.005, "{total}");
        assert_eq!(vs.iter().filter(|v| v.location.is_none()).count(), 7);
        assert_eq!(
            vs[0].identity,
            "HEL1USMZKAL2odpNBj2oCjffnFGaYwmbGmyewGv1e2TU"
        );
        assert_eq!(vs[0].region().as_deref(), Some("DE-Frankfurt am Main"));
        assert_eq!(vs[0].continent(), Some("europe"));
        assert_eq!(vs[1].continent(), Some("north_america"));
        // The data README: the top 178 validators hold 80% of the stake.
        let top178: u64 = vs[..178].iter().map(|v| v.stake_lamports).sum();
        let top177: u64 = vs[..177].iter().map(|v| v.stake_lamports).sum();
        assert!(top178 as f64 >= 0.8 * total as f64 && (top177 as f64) < 0.8 * total as f64);
    }

    #[test]
    fn frankfurt_amsterdam_london_hold_about_half_the_stake() {
        let vs = parse_validators_csv(EPOCH_780_CSV, "epoch780").unwrap();
        let total: u64 = vs.iter().map(|v| v.stake_lamports).sum();
        let hubs: u64 = vs
            .iter()
            .filter(|v| {
                matches!(
                    v.region().as_deref(),
                    Some("DE-Frankfurt am Main" | "NL-Amsterdam" | "GB-London")
                )
            })
            .map(|v| v.stake_lamports)
            .sum();
        let share = hubs as f64 / total as f64;
        assert!((0.40..=0.60).contains(&share), "share {share}");
    }

    #[test]
    fn validator_region_and_continent() {
        let mut v = located("x", 1, 51.4964, -0.1224);
        assert_eq!(v.region(), None);
        v.data_center = Some("6461-GB-Europe/London".into());
        assert_eq!(v.region().as_deref(), Some("GB-London"));
        v.data_center = Some("20326-DE-Frankfurt am Main".into());
        assert_eq!(v.region().as_deref(), Some("DE-Frankfurt am Main"));
        assert_eq!(v.continent(), Some("europe"));
        v.location = None;
        assert_eq!(v.continent(), None);
    }

    #[test]
    fn default_config_is_top_100_geographic() {
        let t = build(&TopologyConfig::default(), Path::new("/nonexistent")).unwrap();
        assert_eq!(t.name, "epoch780 top=100, geographic");
        assert_eq!(t.validators.len(), 100);
        let all = parse_validators_csv(EPOCH_780_CSV, "epoch780").unwrap();
        let mut largest: Vec<_> = all.into_iter().filter(|v| v.location.is_some()).collect();
        largest.truncate(100);
        assert_eq!(t.validators, largest);
        // The 100 kept are the largest: none left out has more stake than the smallest kept.
        let min_kept = t.validators.iter().map(|v| v.stake_lamports).min().unwrap();
        let t_all = build(
            &TopologyConfig {
                top: None,
                ..TopologyConfig::default()
            },
            here(),
        )
        .unwrap();
        assert_eq!(t_all.name, "epoch780 n=1276, geographic");
        assert!(t_all.validators[100..]
            .iter()
            .all(|v| v.stake_lamports <= min_kept));
        assert!(t_all.validators.iter().all(|v| v.location.is_some()));
        let m = t.latency_matrix_ns();
        assert_eq!(m.len(), 100 * 100);
        assert!(m
            .iter()
            .enumerate()
            .all(|(i, &ns)| (i / 100 == i % 100) == (ns == 0)));
        assert!(m.iter().all(|&ns| ns < 200_000_000)); // < 200 ms anywhere on Earth
    }

    #[test]
    fn fixed_latency_keeps_rows_without_location() {
        let config = TopologyConfig {
            top: None,
            latency: Some(LatencyKind::Fixed),
            latency_ms: Some(20.0),
            ..TopologyConfig::default()
        };
        let t = build(&config, here()).unwrap();
        assert_eq!(t.name, "epoch780 n=1283, fixed 20 ms");
        assert_eq!(t.validators.len(), 1283);
        assert_eq!(t.latency_ns(0, 1282), 20_000_000);
    }

    #[test]
    fn ordering_is_deterministic() {
        let text = format!("{HEADER}b,5,1,1,\na,5,1,1,\nc,9,,,\nd,0,2,2,x\n");
        let vs = parse_validators_csv(&text, "t.csv").unwrap();
        let ids: Vec<_> = vs.iter().map(|v| v.identity.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b", "d"]);
        // Row order in the file does not matter.
        let shuffled = format!("{HEADER}d,0,2,2,x\nc,9,,,\nb,5,1,1,\na,5,1,1,\n");
        assert_eq!(parse_validators_csv(&shuffled, "t.csv").unwrap(), vs);
        let a = build(&TopologyConfig::default(), here()).unwrap();
        let b = build(&TopologyConfig::default(), here()).unwrap();
        assert_eq!(a.validators, b.validators);
        assert_eq!(a.latency_matrix_ns(), b.latency_matrix_ns());
    }

    #[test]
    fn csv_columns_by_header_name_and_relative_paths() {
        let scratch = temp_dir("columns");
        let dir = scratch.path();
        std::fs::write(
            dir.join("data.csv"),
            "data_center, extra ,longitude,latitude,active_stake_lamports,identity\n\
             1-DE-Berlin,zz,13.4,52.5,300,big\n\
             1-FR-Paris,zz,2.35,48.86,100,small\n",
        )
        .unwrap();
        let config = TopologyConfig {
            csv: Some("data.csv".into()),
            top: None,
            ..TopologyConfig::default()
        };
        let t = build(&config, dir).unwrap();
        assert_eq!(t.name, "data n=2, geographic");
        assert_eq!(t.validators[0], {
            let mut v = located("big", 300, 52.5, 13.4);
            v.data_center = Some("1-DE-Berlin".into());
            v
        });
        assert_eq!(t.total_stake_lamports(), 400);
        // Berlin-Paris ~878 km -> ~6.6 ms.
        let ms = t.latency_ns(0, 1) as f64 / 1e6;
        assert!((ms - 6.6).abs() < 0.2, "{ms}");
        let err = build(
            &TopologyConfig {
                top: Some(3),
                ..config.clone()
            },
            dir,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "topology.top: expected 1..=2 (validators in data), got 3"
        );
        let err = build(
            &TopologyConfig {
                csv: Some("nope.csv".into()),
                ..config
            },
            dir,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("topology.csv: cannot read ") && err.contains("nope.csv"),
            "{err}"
        );
    }

    #[test]
    fn missing_location_error_names_file_row_and_fields() {
        let scratch = temp_dir("missing");
        let dir = scratch.path();
        std::fs::write(dir.join("data.csv"), format!("{HEADER}a,5,1,1,\nb,4,,,\n")).unwrap();
        let config = TopologyConfig {
            csv: Some("data.csv".into()),
            top: None,
            missing_location: MissingLocation::Error,
            ..TopologyConfig::default()
        };
        let err = build(&config, dir).unwrap_err().to_string();
        assert!(err.contains("data.csv: row 3, column latitude:"), "{err}");
        assert!(err.contains("topology.missing_location"), "{err}");
        let t = build(
            &TopologyConfig {
                missing_location: MissingLocation::Drop,
                ..config.clone()
            },
            dir,
        )
        .unwrap();
        assert_eq!(t.validators.len(), 1);
        let err = config_error(&TopologyConfig {
            top: Some(2),
            missing_location: MissingLocation::Drop,
            csv: Some(dir.join("data.csv")),
            ..config
        });
        assert_eq!(
            err,
            "topology.top: expected 1..=1 (validators with a location in data), got 2"
        );
    }

    #[test]
    fn csv_errors_name_file_row_and_column() {
        let cases = [
            ("a,abc,1,1,\n", "data.csv: row 2, column active_stake_lamports: expected an unsigned integer, got \"abc\""),
            ("a,-5,1,1,\n", "data.csv: row 2, column active_stake_lamports: expected an unsigned integer, got \"-5\""),
            ("a,1,1,1,\nb,1,91,1,\n", "data.csv: row 3, column latitude: expected degrees in [-90, 90], got \"91\""),
            ("a,1,1,-181,\n", "data.csv: row 2, column longitude: expected degrees in [-180, 180], got \"-181\""),
            ("a,1,x,1,\n", "data.csv: row 2, column latitude: expected degrees in [-90, 90], got \"x\""),
            ("a,1,1,,\n", "data.csv: row 2, column longitude: empty but latitude is given"),
            ("a,1,1,1,\nb,1,1,1,\na,1,1,1,\n", "data.csv: row 4, column identity: duplicate identity \"a\" (first on row 2)"),
            (",1,1,1,\n", "data.csv: row 2, column identity: expected a validator identity"),
            ("a,1,1,1\n", "data.csv: row 2: expected 5 fields (as many as the header), got 4"),
            ("a,0,1,1,\nb,0,,,\n", "data.csv: column active_stake_lamports: total stake is 0"),
            ("", "data.csv: no validator rows"),
            ("a,18446744073709551615,1,1,\nb,1,1,1,\n", "data.csv: row 3, column active_stake_lamports: total stake overflows u64"),
        ];
        for (body, want) in cases {
            let err = csv_error(body);
            assert!(
                err.starts_with(want),
                "{body:?}:\n got  {err}\n want {want}"
            );
        }
        let err = parse_validators_csv("identity,stake\na,1\n", "data.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "data.csv: row 1, column active_stake_lamports: missing from the header"
            ),
            "{err}"
        );
        let err = parse_validators_csv(&format!("identity,{HEADER}"), "data.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("data.csv: row 1, column identity: appears more than once"),
            "{err}"
        );
    }

    #[test]
    fn config_errors_name_the_field() {
        let csv = TopologyConfig::default();
        let cases = [
            (
                TopologyConfig { top: Some(1500), ..csv.clone() },
                "topology.top: expected 1..=1276 (validators with a location in epoch780), got 1500",
            ),
            (
                TopologyConfig { top: Some(1500), latency: Some(LatencyKind::Fixed), ..csv.clone() },
                "topology.top: expected 1..=1283 (validators in epoch780), got 1500",
            ),
            (TopologyConfig { top: Some(0), ..csv.clone() }, "topology.top: expected 1..=2000, got 0"),
            (TopologyConfig { top: Some(2001), ..csv.clone() }, "topology.top: expected 1..=2000, got 2001"),
            (
                TopologyConfig { latency: Some(LatencyKind::Fixed), latency_ms: Some(-1.0), ..csv.clone() },
                "topology.latency_ms: expected a finite number in [0, 3600000] (milliseconds, at most an hour), got -1",
            ),
            (
                TopologyConfig { latency: Some(LatencyKind::Fixed), latency_ms: Some(f64::NAN), ..csv.clone() },
                "topology.latency_ms: expected a finite number in [0, 3600000] (milliseconds, at most an hour), got NaN",
            ),
            (
                TopologyConfig { fibre_km_per_ms: Some(0.0), ..csv.clone() },
                "topology.fibre_km_per_ms: expected a finite number > 0, got 0",
            ),
            (
                TopologyConfig { route_inflation: Some(0.9), ..csv.clone() },
                "topology.route_inflation: expected a finite number >= 1",
            ),
            (
                TopologyConfig { latency_ms_min: Some(f64::INFINITY), ..csv.clone() },
                "topology.latency_ms_min: expected a finite number in [0, 3600000] (milliseconds, at most an hour), got inf",
            ),
            (
                TopologyConfig { latency_ms: Some(10.0), ..csv.clone() },
                "topology.latency_ms: only used with latency = \"fixed\", but topology.latency is \"geographic\" (the default for kind = \"csv\")",
            ),
            (
                TopologyConfig { route_inflation: Some(2.0), ..uniform(4) },
                "topology.route_inflation: only used with latency = \"geographic\", but topology.latency is \"fixed\"",
            ),
            (
                TopologyConfig { validators: Some(4), ..csv.clone() },
                "topology.validators: only used with kind = \"uniform\", but topology.kind = \"csv\"",
            ),
            (
                TopologyConfig { stake_lamports: Some(4), ..csv.clone() },
                "topology.stake_lamports: only used with kind = \"uniform\", but topology.kind = \"csv\"",
            ),
            (
                TopologyConfig { csv: Some("x.csv".into()), ..uniform(4) },
                "topology.csv: only used with kind = \"csv\", but topology.kind = \"uniform\"",
            ),
            (
                TopologyConfig { top: Some(3), ..uniform(4) },
                "topology.top: only used with kind = \"csv\", but topology.kind = \"uniform\"",
            ),
            (
                TopologyConfig { validators: None, ..uniform(4) },
                "topology.validators: required when topology.kind = \"uniform\"",
            ),
            (uniform(0), "topology.validators: expected 1..=2000, got 0"),
            (uniform(2001), "topology.validators: expected 1..=2000, got 2001"),
            (
                TopologyConfig { latency_ms: Some(3_600_001.0), ..uniform(4) },
                "topology.latency_ms: expected a finite number in [0, 3600000] (milliseconds, at most an hour), got 3600001",
            ),
            (
                TopologyConfig { fibre_km_per_ms: Some(0.001), ..csv.clone() },
                "topology.fibre_km_per_ms: topology.route_inflation 1.5 / topology.fibre_km_per_ms 0.001 gives 30057000 ms between antipodes; expected at most 3600000 ms (an hour)",
            ),
            (
                TopologyConfig { stake_lamports: Some(0), ..uniform(4) },
                "topology.stake_lamports: expected an integer >= 1 (lamports), got 0",
            ),
            (
                TopologyConfig { stake_lamports: Some(u64::MAX), ..uniform(2) },
                "topology.validators: 2 validators x 18446744073709551615 lamports (topology.stake_lamports) overflows u64",
            ),
            (
                TopologyConfig { latency: Some(LatencyKind::Geographic), ..uniform(4) },
                "topology.latency: \"geographic\" needs validator locations",
            ),
        ];
        for (config, want) in cases {
            let err = config_error(&config);
            assert!(
                err.starts_with(want),
                "{config:?}:\n got  {err}\n want {want}"
            );
        }
    }

    #[test]
    fn embedded_file_errors_name_it() {
        let err = TopologyError::Csv {
            file: EPOCH_780_FILE.into(),
            row: Some(9),
            column: None,
            message: "m".into(),
        };
        assert_eq!(
            err.to_string(),
            "solana-mainnet-epoch780.csv (embedded): row 9: m"
        );
        let config = TopologyConfig {
            top: None,
            missing_location: MissingLocation::Error,
            ..TopologyConfig::default()
        };
        let err = config_error(&config);
        assert!(
            err.starts_with("solana-mainnet-epoch780.csv (embedded): row "),
            "{err}"
        );
    }

    #[test]
    fn toml_table_deserialises() {
        let c: TopologyConfig = toml::from_str("").unwrap();
        assert_eq!(
            c,
            TopologyConfig {
                top: None,
                ..TopologyConfig::default()
            }
        );
        let c: TopologyConfig = toml::from_str(
            "kind = \"uniform\"\nvalidators = 7\nlatency = \"fixed\"\nlatency_ms = 25",
        )
        .unwrap();
        let t = build(&c, here()).unwrap();
        assert_eq!(t.name, "uniform n=7, fixed 25 ms");
        let c: TopologyConfig = toml::from_str(
            "csv = \"data/solana-mainnet-epoch780.csv\"\ntop = 10\nroute_inflation = 2.0",
        )
        .unwrap();
        let t = build(&c, here()).unwrap();
        assert_eq!(
            t.name,
            "solana-mainnet-epoch780 top=10, geographic (fibre 200 km/ms, inflation 2, min 0.5 ms)"
        );
        let err = toml::from_str::<TopologyConfig>("validator = 4").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `validator`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_choices_are_rejected_when_deserialised() {
        let cases = [
            (
                "kind = \"mesh\"",
                "expected \"csv\" or \"uniform\", got \"mesh\"",
            ),
            (
                "latency = \"vacuum\"",
                "expected \"geographic\" or \"fixed\", got \"vacuum\"",
            ),
            (
                "missing_location = \"ignore\"",
                "expected \"drop\" or \"error\", got \"ignore\"",
            ),
        ];
        for (text, want) in cases {
            let err = toml::from_str::<TopologyConfig>(text).unwrap_err();
            assert_eq!(err.message(), want, "{text}");
        }
        let c: TopologyConfig =
            toml::from_str("kind = \"uniform\"\nmissing_location = \"error\"\nlatency = \"fixed\"")
                .unwrap();
        assert_eq!(
            (c.kind, c.missing_location, c.latency),
            (
                TopologyKind::Uniform,
                MissingLocation::Error,
                Some(LatencyKind::Fixed)
            )
        );
        assert_eq!(
            [
                c.kind.to_string(),
                c.missing_location.to_string(),
                LatencyKind::Geographic.to_string()
            ],
            ["uniform", "error", "geographic"]
        );
    }
}
