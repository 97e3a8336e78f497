//! The committed JSON Schema accepts the report of a real simulator run.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use whiteout::runner::{self, RunOptions};
use whiteout::scenario::{self, LoadedScenario};

#[test]
fn a_real_report_validates_against_the_committed_schema() {
    let loaded = LoadedScenario {
        scenario: scenario::parse(
            "[topology]\nkind = \"uniform\"\nvalidators = 8\n[load]\ntx_per_s = 100.0\n",
            "schema.toml",
        )
        .unwrap(),
        path: None,
    };
    let options = RunOptions {
        seed: Some(9),
        duration: Some(Duration::from_secs(10)),
        flush_every: Duration::from_secs(3600),
        ..RunOptions::default()
    };
    let report = runner::run(&loaded, &options, &AtomicBool::new(false))
        .unwrap()
        .report;
    let instance: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../results/schema/report.schema.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema is not vacuous: a report missing its summary fails.
    let mut broken = instance.clone();
    broken.as_object_mut().unwrap().remove("summary");
    assert!(!validator.is_valid(&broken));
}
