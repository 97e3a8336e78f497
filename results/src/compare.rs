//! Comparison of a candidate report against a baseline, with thresholds.
//!
//! Every numeric leaf of the reports' `summary` is a *figure*, named by its
//! dotted path (`finalization_latency_ms.p99`, `throughput_tps`,
//! `slots.finalized`, ...; see [`summary_figures`]). A [`Threshold`] bounds
//! how far a figure of the candidate may move from the baseline in one
//! direction:
//!
//! | text | meaning |
//! | --- | --- |
//! | `+10%` | may rise by at most 10% of the baseline |
//! | `-5%` | may fall by at most 5% of the baseline |
//! | `+25` | may rise by at most 25 (in the figure's unit) |
//! | `-0.02` | may fall by at most 0.02 |
//!
//! The sign is required; moves in the other direction are always fine.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write;

use serde::Serialize;

use crate::charts::fmt_number;

/// A figure with at least 6 significant digits and between 3 and 6
/// decimals, trailing zeros removed: `0.6624`, `4148.365`, `5646477835`.
fn fmt_figure(v: f64) -> String {
    let int_digits = if v.abs() >= 1.0 {
        v.abs().log10().floor() as i32 + 1
    } else {
        0
    };
    let decimals = (6 - int_digits).clamp(3, 6) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}
use crate::report::{Percentiles, Report, ScenarioInfo, Summary};
use crate::ResultsError;

/// Which way a [`Threshold`] limits a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `+`: the candidate may rise at most this much (an upper bound).
    Rise,
    /// `-`: the candidate may fall at most this much (a lower bound).
    Fall,
}

/// How much a figure may move.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// A fraction of the baseline's absolute value (`10%` is `0.1`).
    Relative(f64),
    /// An amount in the figure's own unit.
    Absolute(f64),
}

/// A bound on one figure, parsed from `+10%`, `-5%`, `+25`, `-0.02`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Threshold {
    /// Which way the figure is limited.
    pub direction: Direction,
    /// By how much.
    pub limit: Limit,
}

impl Threshold {
    /// Parses the text form (see the module documentation).
    ///
    /// # Errors
    /// A message saying what is wrong with `text`.
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let expected = "expected a sign and a number, optionally with `%`, like \"+10%\", \"-5%\" or \"-0.02\"";
        let direction = match t.chars().next() {
            Some('+') => Direction::Rise,
            Some('-') => Direction::Fall,
            _ => return Err(format!("threshold {text:?}: {expected}")),
        };
        let rest = &t[1..];
        let (number, relative) = match rest.strip_suffix('%') {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let amount: f64 = match number.trim().parse() {
            Ok(x) if f64::is_finite(x) && x >= 0.0 && !number.trim().starts_with(['+', '-']) => x,
            _ => return Err(format!("threshold {text:?}: {expected}")),
        };
        let limit = if relative {
            Limit::Relative(amount / 100.0)
        } else {
            Limit::Absolute(amount)
        };
        Ok(Threshold { direction, limit })
    }

    /// The candidate value at which the threshold is just met, for this
    /// `baseline`.
    pub fn bound(&self, baseline: f64) -> f64 {
        let amount = match self.limit {
            Limit::Relative(f) => baseline.abs() * f,
            Limit::Absolute(a) => a,
        };
        match self.direction {
            Direction::Rise => baseline + amount,
            Direction::Fall => baseline - amount,
        }
    }

    /// Whether `candidate` is beyond the bound (with a relative tolerance of
    /// 1e-9 for floating-point rounding).
    pub fn is_broken(&self, baseline: f64, candidate: f64) -> bool {
        let bound = self.bound(baseline);
        let tolerance = 1e-9 * bound.abs().max(1.0);
        match self.direction {
            Direction::Rise => candidate > bound + tolerance,
            Direction::Fall => candidate < bound - tolerance,
        }
    }
}

impl fmt::Display for Threshold {
    /// The text form, e.g. `+10%` or `-0.02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.direction {
            Direction::Rise => '+',
            Direction::Fall => '-',
        };
        match self.limit {
            Limit::Relative(r) => write!(f, "{sign}{}%", fmt_figure(r * 100.0)),
            Limit::Absolute(a) => write!(f, "{sign}{}", fmt_figure(a)),
        }
    }
}

/// Thresholds by figure name.
pub type Thresholds = BTreeMap<String, Threshold>;

/// Every figure of `summary`, as (dotted name, value), in the order of the
/// report's fields. Counts are converted to `f64` (exact below 2^53).
pub fn summary_figures(summary: &Summary) -> Vec<(&'static str, f64)> {
    fn latency(prefix: &'static [&'static str; 5], p: &Percentiles) -> [(&'static str, f64); 5] {
        [
            (prefix[0], p.count as f64),
            (prefix[1], p.p50),
            (prefix[2], p.p90),
            (prefix[3], p.p99),
            (prefix[4], p.max),
        ]
    }
    let mut figures = Vec::with_capacity(32);
    figures.extend(latency(
        &[
            "finalization_latency_ms.count",
            "finalization_latency_ms.p50",
            "finalization_latency_ms.p90",
            "finalization_latency_ms.p99",
            "finalization_latency_ms.max",
        ],
        &summary.finalization_latency_ms,
    ));
    figures.extend(latency(
        &[
            "notarization_latency_ms.count",
            "notarization_latency_ms.p50",
            "notarization_latency_ms.p90",
            "notarization_latency_ms.p99",
            "notarization_latency_ms.max",
        ],
        &summary.notarization_latency_ms,
    ));
    figures.extend(latency(
        &[
            "tx_latency_ms.count",
            "tx_latency_ms.p50",
            "tx_latency_ms.p90",
            "tx_latency_ms.p99",
            "tx_latency_ms.max",
        ],
        &summary.tx_latency_ms,
    ));
    let s = summary;
    figures.extend([
        ("throughput_tps", s.throughput_tps),
        ("fast_path_ratio", s.fast_path_ratio),
        ("fast_path_first_ratio", s.fast_path_first_ratio),
        ("slots.proposed", s.slots.proposed as f64),
        ("slots.finalized", s.slots.finalized as f64),
        ("slots.skipped", s.slots.skipped as f64),
        ("slots.unfinished", s.slots.unfinished as f64),
        ("transactions.submitted", s.transactions.submitted as f64),
        ("transactions.finalized", s.transactions.finalized as f64),
        ("transactions.pending", s.transactions.pending as f64),
        ("transactions.expired", s.transactions.expired as f64),
        ("safety_violations", s.safety_violations as f64),
        ("messages_sent", s.messages_sent as f64),
        ("bytes_sent", s.bytes_sent as f64),
    ]);
    figures
}

/// Names of all figures, in [`summary_figures`] order.
pub fn figure_names() -> Vec<&'static str> {
    let empty = Summary {
        finalization_latency_ms: Percentiles::default(),
        notarization_latency_ms: Percentiles::default(),
        tx_latency_ms: Percentiles::default(),
        throughput_tps: 0.0,
        fast_path_ratio: 0.0,
        fast_path_first_ratio: 0.0,
        slots: Default::default(),
        transactions: Default::default(),
        safety_violations: 0,
        messages_sent: 0,
        bytes_sent: 0,
    };
    summary_figures(&empty)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

fn check_name(name: &str, source: &str) -> Result<(), ResultsError> {
    if figure_names().contains(&name) {
        return Ok(());
    }
    Err(ResultsError::Threshold {
        source_name: source.to_string(),
        message: format!(
            "unknown figure `{name}`; the figures are: {}",
            figure_names().join(", ")
        ),
    })
}

/// Parses one command-line threshold, `NAME=SPEC` (e.g.
/// `finalization_latency_ms.p99=+10%`).
///
/// # Errors
/// [`ResultsError::Threshold`] (source `--threshold`) when there is no `=`,
/// the name is not a figure, or the spec is malformed.
pub fn parse_threshold_arg(arg: &str) -> Result<(String, Threshold), ResultsError> {
    let source = "--threshold";
    let fail = |message: String| ResultsError::Threshold {
        source_name: source.into(),
        message,
    };
    let (name, spec) = arg.split_once('=').ok_or_else(|| {
        fail(format!(
            "{arg:?}: expected NAME=SPEC, like \"finalization_latency_ms.p99=+10%\""
        ))
    })?;
    let name = name.trim();
    check_name(name, source)?;
    let threshold = Threshold::parse(spec).map_err(|m| fail(format!("`{name}`: {m}")))?;
    Ok((name.to_string(), threshold))
}

/// Parses a thresholds file: TOML whose keys are figure names (quoted
/// `"finalization_latency_ms.p99"` or as dotted keys / tables) and whose
/// values are threshold strings, e.g. `throughput_tps = "-5%"`. `source`
/// names the file in errors.
///
/// # Errors
/// [`ResultsError::Threshold`] naming `source` (and the key) when the text is
/// not TOML, a value is not a string, a key is not a figure, or a spec is
/// malformed.
pub fn parse_thresholds_toml(text: &str, source: &str) -> Result<Thresholds, ResultsError> {
    let fail = |message: String| ResultsError::Threshold {
        source_name: source.to_string(),
        message,
    };
    let table: toml::Table =
        toml::from_str(text).map_err(|e| fail(format!("not valid TOML: {e}")))?;
    let mut flat = Vec::new();
    flatten(&table, "", &mut flat);
    let mut thresholds = Thresholds::new();
    for (name, value) in flat {
        check_name(&name, source)?;
        let spec = value.as_str().ok_or_else(|| {
            fail(format!(
                "`{name}`: expected a string like \"+10%\" or \"-0.02\", found {value}"
            ))
        })?;
        let threshold = Threshold::parse(spec).map_err(|m| fail(format!("`{name}`: {m}")))?;
        thresholds.insert(name, threshold);
    }
    Ok(thresholds)
}

fn flatten<'a>(table: &'a toml::Table, prefix: &str, out: &mut Vec<(String, &'a toml::Value)>) {
    for (key, value) in table {
        let name = format!("{prefix}{key}");
        match value {
            toml::Value::Table(inner) => flatten(inner, &format!("{name}."), out),
            value => out.push((name, value)),
        }
    }
}

/// The scenario fields in which two reports differ (name, validators,
/// topology, backend, offered load, duration; the seed may differ), each as
/// ``scenario.FIELD: `baseline` vs `candidate` ``.
pub fn scenario_differences(baseline: &ScenarioInfo, candidate: &ScenarioInfo) -> Vec<String> {
    let (b, c) = (baseline, candidate);
    let fields: [(&str, String, String); 6] = [
        ("name", b.name.clone(), c.name.clone()),
        (
            "validators",
            b.validators.to_string(),
            c.validators.to_string(),
        ),
        ("topology", b.topology.clone(), c.topology.clone()),
        ("backend", b.backend.clone(), c.backend.clone()),
        (
            "load_tx_per_s",
            b.load_tx_per_s.to_string(),
            c.load_tx_per_s.to_string(),
        ),
        (
            "duration_s",
            b.duration_s.to_string(),
            c.duration_s.to_string(),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(field, x, y)| format!("scenario.{field}: `{x}` vs `{y}`"))
        .collect()
}

/// A report and the name it is shown under (usually its file).
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// Shown in the output, e.g. `runs/main/report.json`.
    pub name: &'a str,
    /// The report.
    pub report: &'a Report,
}

/// One row of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FigureComparison {
    /// Dotted figure name.
    pub name: String,
    /// Baseline value.
    pub baseline: f64,
    /// Candidate value.
    pub candidate: f64,
    /// `(candidate - baseline) / |baseline|` in percent; `None` when the
    /// baseline is 0.
    pub change_pct: Option<f64>,
    /// The threshold on this figure, as text (`+10%`), if any.
    pub threshold: Option<String>,
    /// The candidate value at which the threshold is just met, if any.
    pub bound: Option<f64>,
    /// Whether the threshold is broken.
    pub broken: bool,
    /// For a latency percentile: which report has no samples of that
    /// latency (`"baseline"`, `"candidate"` or `"both"`), whose percentiles
    /// are then 0 by convention, not measured. A threshold on such a figure
    /// is broken: a run that finalized nothing must not pass as "faster".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_samples: Option<&'static str>,
}

/// The sample count behind a latency percentile figure
/// (`finalization_latency_ms.p50` → `finalization_latency_ms.count`), or
/// `None` for any other figure.
fn samples_behind(figures: &[(&'static str, f64)], name: &str) -> Option<f64> {
    let (latency, field) = name.rsplit_once('.')?;
    if !matches!(field, "p50" | "p90" | "p99" | "max") {
        return None;
    }
    figures
        .iter()
        .find(|(n, _)| n.strip_suffix(".count") == Some(latency))
        .map(|&(_, count)| count)
}

/// The result of [`compare`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Name of the baseline.
    pub baseline: String,
    /// Name of the candidate.
    pub candidate: String,
    /// Scenario differences (non-empty only when forced).
    pub scenario_differences: Vec<String>,
    /// Other caveats (incomplete reports, differing seeds).
    pub warnings: Vec<String>,
    /// One row per figure, in [`summary_figures`] order.
    pub figures: Vec<FigureComparison>,
    /// Names of the broken thresholds' figures.
    pub broken: Vec<String>,
}

/// Compares `candidate` against `baseline` on every figure, checking
/// `thresholds`. Reports of different scenarios (see
/// [`scenario_differences`]) are refused unless `force`.
///
/// # Errors
/// [`ResultsError::ScenarioMismatch`] listing the differences when the
/// scenarios differ and `force` is false; [`ResultsError::Threshold`] when a
/// threshold names an unknown figure.
pub fn compare(
    baseline: Source<'_>,
    candidate: Source<'_>,
    thresholds: &Thresholds,
    force: bool,
) -> Result<Comparison, ResultsError> {
    for name in thresholds.keys() {
        check_name(name, "thresholds")?;
    }
    let (b, c) = (baseline.report, candidate.report);
    let differences = scenario_differences(&b.scenario, &c.scenario);
    if !differences.is_empty() && !force {
        return Err(ResultsError::ScenarioMismatch { differences });
    }
    let mut warnings = Vec::new();
    for (role, source) in [("baseline", baseline), ("candidate", candidate)] {
        let r = source.report;
        if !r.complete {
            warnings.push(format!(
                "the {role} report is INCOMPLETE: {} of {} s simulated",
                fmt_number(r.scenario.simulated_s),
                fmt_number(r.scenario.duration_s)
            ));
        }
    }
    if b.scenario.seed != c.scenario.seed {
        warnings.push(format!(
            "the seeds differ ({} vs {}): part of each change is seed noise",
            b.scenario.seed, c.scenario.seed
        ));
    }
    let (b_figures, c_figures) = (summary_figures(&b.summary), summary_figures(&c.summary));
    let figures: Vec<FigureComparison> = b_figures
        .iter()
        .zip(&c_figures)
        .map(|(&(name, bv), &(_, cv))| {
            let threshold = thresholds.get(name);
            let empty = |figures| samples_behind(figures, name) == Some(0.0);
            let no_samples = match (empty(&b_figures), empty(&c_figures)) {
                (true, true) => Some("both"),
                (true, false) => Some("baseline"),
                (false, true) => Some("candidate"),
                (false, false) => None,
            };
            FigureComparison {
                name: name.to_string(),
                baseline: bv,
                candidate: cv,
                change_pct: (bv != 0.0 && no_samples.is_none())
                    .then(|| (cv - bv) / bv.abs() * 100.0),
                threshold: threshold.map(Threshold::to_string),
                bound: threshold.map(|t| t.bound(bv)),
                broken: threshold.is_some_and(|t| no_samples.is_some() || t.is_broken(bv, cv)),
                no_samples,
            }
        })
        .collect();
    let broken = figures
        .iter()
        .filter(|f| f.broken)
        .map(|f| f.name.clone())
        .collect();
    Ok(Comparison {
        baseline: baseline.name.to_string(),
        candidate: candidate.name.to_string(),
        scenario_differences: differences,
        warnings,
        figures,
        broken,
    })
}

impl FigureComparison {
    fn change_text(&self) -> String {
        match self.no_samples {
            Some("both") => return "n/a (no samples in either report)".into(),
            Some(which) => return format!("n/a (no samples in the {which})"),
            None => {}
        }
        match self.change_pct {
            Some(p) if p.abs() < 0.05 => "0.0%".into(),
            Some(p) => format!("{p:+.1}%"),
            None if self.candidate == self.baseline => "0.0%".into(),
            None => "n/a (baseline 0)".into(),
        }
    }

    fn bound_text(&self) -> String {
        match (&self.threshold, self.bound) {
            (Some(t), Some(bound)) => {
                let op = if t.starts_with('+') { "≤" } else { "≥" };
                format!("{t} ({op} {})", fmt_figure(bound))
            }
            _ => String::new(),
        }
    }
}

impl Comparison {
    /// Whether any threshold is broken.
    pub fn is_broken(&self) -> bool {
        !self.broken.is_empty()
    }

    /// Markdown for a pull-request comment: a verdict line, caveats, the
    /// broken thresholds by name, and a table of every figure.
    pub fn to_markdown(&self) -> String {
        let checked = self
            .figures
            .iter()
            .filter(|f| f.threshold.is_some())
            .count();
        let mut md = String::new();
        let verdict = match (checked, self.broken.len()) {
            (0, _) => "no thresholds given".to_string(),
            (1, 0) => "✅ the 1 threshold met".to_string(),
            (n, 0) => format!("✅ all {n} thresholds met"),
            (_, 1) => "❌ 1 threshold broken".to_string(),
            (_, k) => format!("❌ {k} thresholds broken"),
        };
        let _ = writeln!(md, "### whiteout compare: {verdict}\n");
        let _ = writeln!(
            md,
            "Baseline: {} · Candidate: {}\n",
            md_code(&self.baseline),
            md_code(&self.candidate)
        );
        for d in &self.scenario_differences {
            let _ = writeln!(
                md,
                "> ⚠️ compared with `--force` although the scenarios differ: {}",
                md_cell(d)
            );
        }
        for w in &self.warnings {
            let _ = writeln!(md, "> ⚠️ {}", md_cell(w));
        }
        if !self.scenario_differences.is_empty() || !self.warnings.is_empty() {
            md.push('\n');
        }
        if self.is_broken() {
            md.push_str("**Broken thresholds:**\n\n");
            for f in self.figures.iter().filter(|f| f.broken) {
                let _ = writeln!(
                    md,
                    "- `{}`: {} → {} ({}), threshold {}",
                    f.name,
                    fmt_figure(f.baseline),
                    fmt_figure(f.candidate),
                    f.change_text(),
                    f.bound_text()
                );
            }
            md.push('\n');
        }
        md.push_str("| figure | baseline | candidate | change | threshold | status |\n");
        md.push_str("|:--|--:|--:|--:|:--|:--|\n");
        for f in &self.figures {
            let status = match (&f.threshold, f.broken) {
                (None, _) => "",
                (Some(_), false) => "✅ ok",
                (Some(_), true) => "❌ **BROKEN**",
            };
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {status} |",
                f.name,
                fmt_figure(f.baseline),
                fmt_figure(f.candidate),
                f.change_text(),
                f.bound_text()
            );
        }
        md
    }

    /// The comparison as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a comparison serializes");
        s.push('\n');
        s
    }
}

/// Inline code that survives any content (backticks, pipes).
fn md_code(text: &str) -> String {
    let fence = if text.contains('`') { "`` " } else { "`" };
    let close = if text.contains('`') { " ``" } else { "`" };
    format!("{fence}{}{close}", text.replace('|', "\\|"))
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;

    fn t(text: &str) -> Threshold {
        Threshold::parse(text).unwrap()
    }

    fn source(report: &Report) -> Source<'_> {
        Source {
            name: "x/report.json",
            report,
        }
    }

    #[test]
    fn threshold_parsing() {
        assert_eq!(
            t("+10%"),
            Threshold {
                direction: Direction::Rise,
                limit: Limit::Relative(0.1)
            }
        );
        assert_eq!(
            t(" -0.02 "),
            Threshold {
                direction: Direction::Fall,
                limit: Limit::Absolute(0.02)
            }
        );
        assert_eq!(t("-5%").to_string(), "-5%");
        assert_eq!(t("+0").to_string(), "+0");
        for bad in [
            "10%", "", "+", "+%", "+abc", "+-3", "-+3", "+inf", "+NaN", "~5%", "+5%%",
        ] {
            assert!(Threshold::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn threshold_bounds() {
        // Latency may rise at most 10%.
        assert!(!t("+10%").is_broken(100.0, 110.0));
        assert!(t("+10%").is_broken(100.0, 110.01));
        assert!(!t("+10%").is_broken(100.0, 50.0));
        // Throughput may fall at most 5%.
        assert!(!t("-5%").is_broken(1000.0, 950.0));
        assert!(t("-5%").is_broken(1000.0, 949.9));
        assert!(!t("-5%").is_broken(1000.0, 2000.0));
        // Absolute.
        assert!(!t("-0.02").is_broken(0.80, 0.78));
        assert!(t("-0.02").is_broken(0.80, 0.7799));
        assert!(t("+0").is_broken(0.0, 1.0));
        assert!(!t("+0").is_broken(0.0, 0.0));
        // Relative on a zero baseline: any rise breaks it.
        assert!(t("+10%").is_broken(0.0, 0.001));
    }

    #[test]
    fn figures_cover_every_numeric_leaf_of_summary() {
        fn leaves(prefix: String, v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        leaves(p, v, out);
                    }
                }
                serde_json::Value::Number(_) => out.push(prefix),
                _ => {}
            }
        }
        let report = sample_report();
        let mut expected = Vec::new();
        leaves(
            String::new(),
            &serde_json::to_value(&report.summary).unwrap(),
            &mut expected,
        );
        expected.sort();
        let figures = summary_figures(&report.summary);
        let mut names: Vec<String> = figures.iter().map(|f| f.0.to_string()).collect();
        names.sort();
        assert_eq!(
            names, expected,
            "summary_figures must list every numeric leaf of Summary"
        );
        // And with the right values.
        let json = serde_json::to_value(&report.summary).unwrap();
        for (name, value) in figures {
            let leaf = name.split('.').fold(&json, |v, k| &v[k]);
            assert_eq!(leaf.as_f64(), Some(value), "{name}");
        }
    }

    #[test]
    fn toml_thresholds() {
        let text = "\"finalization_latency_ms.p99\" = \"+10%\"\nthroughput_tps = \"-5%\"\nfast_path_ratio = \"-0.02\"\n\
                    [slots]\nskipped = \"+3\"\n";
        let th = parse_thresholds_toml(text, "th.toml").unwrap();
        assert_eq!(th.len(), 4);
        assert_eq!(th["slots.skipped"], t("+3"));
        assert_eq!(th["finalization_latency_ms.p99"], t("+10%"));
        let err = parse_thresholds_toml("latency = \"+10%\"", "th.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("th.toml: unknown figure `latency`"),
            "{err}"
        );
        let err = parse_thresholds_toml("throughput_tps = -5", "th.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("th.toml: `throughput_tps`: expected a string"),
            "{err}"
        );
        let err = parse_thresholds_toml("throughput_tps = \"5%\"", "th.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`throughput_tps`: threshold \"5%\""), "{err}");
        let err = parse_thresholds_toml("= =", "th.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("th.toml: not valid TOML"), "{err}");
    }

    #[test]
    fn command_line_thresholds() {
        let (name, th) = parse_threshold_arg("finalization_latency_ms.p99=+10%").unwrap();
        assert_eq!(
            (name.as_str(), th),
            ("finalization_latency_ms.p99", t("+10%"))
        );
        assert!(parse_threshold_arg("finalization_latency_ms.p99").is_err());
        let err = parse_threshold_arg("p99=+10%").unwrap_err().to_string();
        assert!(err.contains("--threshold: unknown figure `p99`"), "{err}");
    }

    #[test]
    fn broken_thresholds_are_named() {
        let base = sample_report();
        let mut cand = sample_report();
        cand.summary.finalization_latency_ms.p99 *= 1.2;
        cand.summary.throughput_tps *= 0.97;
        let mut th = Thresholds::new();
        th.insert("finalization_latency_ms.p99".into(), t("+10%"));
        th.insert("throughput_tps".into(), t("-5%"));
        let cmp = compare(source(&base), source(&cand), &th, false).unwrap();
        assert_eq!(cmp.broken, ["finalization_latency_ms.p99"]);
        let md = cmp.to_markdown();
        assert!(
            md.starts_with("### whiteout compare: ❌ 1 threshold broken"),
            "{md}"
        );
        assert!(md.contains("| `finalization_latency_ms.p99` | 416.7 | 500.04 | +20.0% | +10% (≤ 458.37) | ❌ **BROKEN** |"), "{md}");
        assert!(
            md.contains(
                "| `throughput_tps` | 4366.7 | 4235.699 | -3.0% | -5% (≥ 4148.365) | ✅ ok |"
            ),
            "{md}"
        );
        let json: serde_json::Value = serde_json::from_str(&cmp.to_json()).unwrap();
        assert_eq!(json["broken"][0], "finalization_latency_ms.p99");
        let same = compare(source(&base), source(&base), &th, false).unwrap();
        assert!(!same.is_broken());
        assert!(same.to_markdown().contains("✅ all 2 thresholds met"));
    }

    #[test]
    fn different_scenarios_are_refused_unless_forced() {
        let base = sample_report();
        let mut cand = sample_report();
        cand.scenario.validators = 51;
        cand.scenario.load_tx_per_s = 100.0;
        cand.scenario.seed = 9;
        let err = compare(source(&base), source(&cand), &Thresholds::new(), false).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("scenario.validators: `50` vs `51`"), "{msg}");
        assert!(
            msg.contains("scenario.load_tx_per_s: `5000` vs `100`"),
            "{msg}"
        );
        assert!(!msg.contains("seed"), "{msg}");
        let cmp = compare(source(&base), source(&cand), &Thresholds::new(), true).unwrap();
        assert_eq!(cmp.scenario_differences.len(), 2);
        assert!(cmp.to_markdown().contains("the seeds differ (42 vs 9)"));
        // Only the seed differs: fine.
        let mut reseeded = sample_report();
        reseeded.scenario.seed = 1;
        assert!(compare(source(&base), source(&reseeded), &Thresholds::new(), false).is_ok());
    }

    #[test]
    fn figure_formatting() {
        assert_eq!(fmt_figure(0.6624), "0.6624");
        assert_eq!(fmt_figure(416.7), "416.7");
        assert_eq!(fmt_figure(4148.365), "4148.365");
        assert_eq!(fmt_figure(5_646_477_835.0), "5646477835");
        assert_eq!(fmt_figure(0.0), "0");
        assert_eq!(fmt_figure(-0.0000001), "0");
    }

    /// A run that finalized nothing has percentiles of 0 by convention; it
    /// must not pass a latency threshold as "faster" (nor be compared).
    #[test]
    fn latency_thresholds_without_samples_are_broken() {
        let base = sample_report();
        let mut cand = sample_report();
        cand.summary.finalization_latency_ms = Percentiles::default();
        let mut th = Thresholds::new();
        th.insert("finalization_latency_ms.p50".into(), t("+10%"));
        th.insert("notarization_latency_ms.p50".into(), t("+10%"));
        let cmp = compare(source(&base), source(&cand), &th, false).unwrap();
        assert_eq!(cmp.broken, ["finalization_latency_ms.p50"]);
        let row = &cmp.figures[1];
        assert_eq!(row.name, "finalization_latency_ms.p50");
        assert_eq!((row.no_samples, row.change_pct), (Some("candidate"), None));
        assert!(
            cmp.to_markdown()
                .contains("| 0 | n/a (no samples in the candidate) |"),
            "{}",
            cmp.to_markdown()
        );
        // The other way round, and the count itself, are flagged too.
        let back = compare(source(&cand), source(&base), &th, false).unwrap();
        assert_eq!(back.figures[1].no_samples, Some("baseline"));
        assert!(back.is_broken());
        assert_eq!(back.figures[0].no_samples, None, "the count is a figure");
    }

    #[test]
    fn zero_baseline_change() {
        let base = sample_report();
        let mut cand = sample_report();
        cand.summary.safety_violations = 2;
        let cmp = compare(source(&base), source(&cand), &Thresholds::new(), false).unwrap();
        let row = cmp
            .figures
            .iter()
            .find(|f| f.name == "safety_violations")
            .unwrap();
        assert_eq!(row.change_pct, None);
        assert!(cmp
            .to_markdown()
            .contains("| `safety_violations` | 0 | 2 | n/a (baseline 0) |  |  |"));
    }
}
