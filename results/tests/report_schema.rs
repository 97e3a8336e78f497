//! The committed JSON Schema is current, and reports validate against it.

use std::path::PathBuf;

use whiteout_results::schema::{report_schema_json, SCHEMA_PATH};
use whiteout_results::testdata::{sample_incomplete_report, sample_report};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH)
}

#[test]
fn committed_schema_is_current() {
    let generated = report_schema_json();
    let path = committed_path();
    if std::env::var_os("WHITEOUT_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale (or missing): the Report types changed. Regenerate it with\n\
         WHITEOUT_BLESS=1 cargo test -p whiteout-results --test report_schema\n\
         and commit the result.",
        path.display()
    );
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&report_schema_json()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn errors(validator: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

#[test]
fn sample_reports_validate_against_the_schema() {
    let validator = validator();
    for report in [sample_report(), sample_incomplete_report()] {
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let errs = errors(&validator, &json);
        assert!(errs.is_empty(), "{errs:#?}");
    }
}

#[test]
fn broken_reports_do_not_validate() {
    let validator = validator();
    let good: serde_json::Value = serde_json::from_str(&sample_report().to_json()).unwrap();
    type Breaker = fn(&mut serde_json::Value);
    let cases: [(&str, Breaker); 5] = [
        ("string for a number", |j| {
            j["summary"]["throughput_tps"] = "fast".into()
        }),
        ("missing field", |j| {
            j["scenario"].as_object_mut().unwrap().remove("seed");
        }),
        ("negative count", |j| {
            j["summary"]["bytes_sent"] = (-1).into()
        }),
        ("location of 3 numbers", |j| {
            j["validators"][0]["location"] = serde_json::json!([1.0, 2.0, 3.0])
        }),
        ("null for a required object", |j| {
            j["resources"] = serde_json::Value::Null
        }),
    ];
    for (what, break_it) in cases {
        let mut bad = good.clone();
        break_it(&mut bad);
        assert!(
            !errors(&validator, &bad).is_empty(),
            "{what}: accepted by the schema"
        );
    }
}
