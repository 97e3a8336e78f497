//! `whiteout report RUN_DIR` end to end.

mod common;

use common::whiteout_output as whiteout;
use whiteout_results::testdata::sample_incomplete_report;

fn scratch(name: &str) -> common::ScratchDir {
    common::temp_dir(&format!("report-{name}"))
}

#[test]
fn report_renders_a_run_dir_deterministically() {
    let dir = scratch("render");
    std::fs::write(
        dir.join("report.json"),
        sample_incomplete_report().to_json(),
    )
    .unwrap();
    let (code, out, err) = whiteout(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let written: Vec<&str> = out.lines().collect();
    assert_eq!(written.len(), 13, "{out}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("INCOMPLETE RUN"));
    let first: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // Again, through the report.json path: byte-identical files.
    let (code, _, err) = whiteout(&["report", dir.join("report.json").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let second: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(first == second, "re-rendering changed the output");
}

#[test]
fn report_names_the_bad_file() {
    let dir = scratch("bad");
    let (code, _, err) = whiteout(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("error: {}", dir.join("report.json").display())),
        "{err}"
    );
    std::fs::write(dir.join("report.json"), "{\"schema_version\": 99}").unwrap();
    let (code, _, err) = whiteout(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("field `schema_version`: found 99"), "{err}");
    std::fs::write(
        dir.join("report.json"),
        "{\"schema_version\": 1, \"complete\": true}",
    )
    .unwrap();
    let (code, _, err) = whiteout(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("report.json: not a valid whiteout report: missing field"),
        "{err}"
    );
}
