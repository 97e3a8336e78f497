//! The JSON Schema of `report.json`, generated from the Rust types with
//! schemars.
//!
//! The generated schema is committed as `results/schema/report.schema.json`;
//! a test fails when it is stale. Regenerate it with
//! `WHITEOUT_BLESS=1 cargo test -p whiteout-results --test report_schema`.

use crate::report::Report;

/// Path of the committed schema, relative to the `results` crate directory.
pub const SCHEMA_PATH: &str = "schema/report.schema.json";

/// The JSON Schema (draft-07) of [`Report`], as pretty-printed JSON with a
/// trailing newline: exactly the committed file's content.
pub fn report_schema_json() -> String {
    let schema = schemars::schema_for!(Report);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
