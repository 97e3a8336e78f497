//! Writes everything a run directory shows besides `report.json`.

use std::path::{Path, PathBuf};

use crate::report::Report;
use crate::ResultsError;

/// Name of the HTML page [`render_run_dir`] writes.
pub const HTML_FILE: &str = "report.html";

/// Renders `report` into `dir` (created if missing): every chart as
/// `<stem>.svg` and `<stem>.png` (see [`crate::charts::ChartKind`]), then
/// [`HTML_FILE`], which inlines the SVG charts and needs no other file.
/// Existing files of those names are replaced; nothing else in `dir` is
/// touched. Returns the paths written, in that order.
///
/// The output depends on `report` only: the same report gives
/// byte-identical files.
///
/// # Errors
/// [`ResultsError::Chart`] when a chart cannot be drawn,
/// [`ResultsError::Io`] (naming the file) when `dir` or a file cannot be
/// written.
pub fn render_run_dir(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, ResultsError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |error| ResultsError::Io { path, error }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let charts = crate::charts::render_charts(report)?;
    let mut written = Vec::with_capacity(2 * charts.len() + 1);
    for chart in &charts {
        for (ext, bytes) in [("svg", chart.svg.as_bytes()), ("png", &chart.png[..])] {
            let path = dir.join(format!("{}.{ext}", chart.stem));
            std::fs::write(&path, bytes).map_err(io(&path))?;
            written.push(path);
        }
    }
    let path = dir.join(HTML_FILE);
    std::fs::write(&path, crate::html::render_html(report, &charts)).map_err(io(&path))?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;

    #[test]
    fn writes_charts_and_html_and_names_unwritable_dir() {
        let scratch = tempfile::Builder::new()
            .prefix("whiteout-render-")
            .tempdir()
            .unwrap();
        let dir = scratch.path().join("run");
        let written = render_run_dir(&sample_report(), &dir).unwrap();
        assert_eq!(written.len(), 13);
        assert!(written.iter().all(|p| p.is_file()), "{written:?}");
        assert!(written.last().unwrap().ends_with(HTML_FILE));
        // A file where the directory should be: the error names it.
        let blocked = dir.join("report.html").join("sub");
        let err = render_run_dir(&sample_report(), &blocked)
            .unwrap_err()
            .to_string();
        assert!(err.contains("report.html"), "{err}");
    }
}
