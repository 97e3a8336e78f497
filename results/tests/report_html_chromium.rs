//! `report.html` in a real browser: headless Chromium renders it to a
//! screenshot that is not blank, and logs no console message (the page has
//! no script, so any console message means something is broken).
//!
//! Without Chromium at `/usr/bin/chromium` (or `$WHITEOUT_CHROMIUM`), the
//! tests print a skip notice, unless `CI` is set: then they fail. Install it
//! with `.ci/install-chromium.sh`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use whiteout_results::render_run_dir;
use whiteout_results::testdata::{sample_incomplete_report, sample_report};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("WHITEOUT_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} not found and CI is set: install it with .ci/install-chromium.sh (or point WHITEOUT_CHROMIUM at a Chromium)",
            path.display()
        );
    }
    // Written to the stderr handle rather than with eprintln!, which the
    // test harness captures: the skip stays visible.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {} not found; install it with .ci/install-chromium.sh",
        path.display()
    );
    None
}

/// A fresh directory `whiteout-<name>-<random>` under the system temp dir,
/// removed when dropped (also when the test fails).
fn scratch_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("whiteout-{name}-"))
        .tempdir()
        .unwrap()
}

/// What Chromium made of a page.
struct Rendered {
    /// The screenshot, as PNG.
    png: Vec<u8>,
    /// Console messages Chromium logged (`...:CONSOLE...` lines of stderr).
    console: Vec<String>,
}

/// Screenshots `page` (1280x2000) with a fresh profile in `scratch`.
fn render(chromium: &Path, page: &Path, scratch: &Path) -> Rendered {
    let shot = scratch.join("screenshot.png");
    let profile = scratch.join("profile");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = reader.join().unwrap();
    assert!(status.success(), "chromium failed ({status}):\n{log}");
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot {}: {e}\n{log}", shot.display()));
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    Rendered { png, console }
}

/// (distinct colours, share of non-white pixels) of an 8-bit PNG.
fn colour_stats(png_bytes: &[u8]) -> (usize, f64) {
    let mut decoder = png::Decoder::new(png_bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("screenshot is a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let rgb = |p: &[u8]| {
        if channels >= 3 {
            [p[0], p[1], p[2]]
        } else {
            [p[0]; 3]
        }
    };
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(rgb)
        .collect();
    let colours: BTreeSet<[u8; 3]> = pixels.iter().copied().collect();
    let non_white = pixels.iter().filter(|p| p.iter().any(|&c| c < 245)).count();
    (colours.len(), non_white as f64 / pixels.len() as f64)
}

#[test]
fn report_html_renders_in_chromium_without_console_messages() {
    let Some(chromium) = chromium() else { return };
    for (name, report) in [
        ("complete", sample_report()),
        ("incomplete", sample_incomplete_report()),
    ] {
        let scratch = scratch_dir(&format!("chromium-{name}"));
        let run = scratch.path().join("run");
        render_run_dir(&report, &run).unwrap();
        let rendered = render(&chromium, &run.join("report.html"), scratch.path());
        assert!(
            rendered.console.is_empty(),
            "{name}: console messages:\n{}",
            rendered.console.join("\n")
        );
        let (colours, non_white) = colour_stats(&rendered.png);
        assert!(
            colours >= 64,
            "{name}: screenshot has only {colours} colours: blank?"
        );
        assert!(
            non_white >= 0.05,
            "{name}: screenshot is {:.1}% non-white: blank?",
            non_white * 100.0
        );
    }
}

/// The console check really catches errors: a page with a deliberate
/// script error is flagged, and a blank page fails the colour check.
#[test]
fn chromium_checks_catch_a_broken_page() {
    let Some(chromium) = chromium() else { return };
    let scratch = scratch_dir("chromium-broken");
    let page = scratch.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let rendered = render(&chromium, &page, scratch.path());
    assert!(
        rendered
            .console
            .iter()
            .any(|l| l.contains("Uncaught ReferenceError: undefinedFunction")),
        "the deliberate error was not detected: {:?}",
        rendered.console
    );
    let (colours, non_white) = colour_stats(&rendered.png);
    assert!(
        colours < 64 && non_white < 0.05,
        "a blank page passed the colour check: {colours} colours, {non_white}"
    );
}
