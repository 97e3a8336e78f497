//! Renders the synthetic sample reports into a directory, to look at the
//! charts and the page without running a simulation:
//! `cargo run -p whiteout-results --example render_sample -- OUT_DIR`.

use std::path::PathBuf;

use whiteout_results::charts::{render_chart, ChartKind};
use whiteout_results::testdata::{sample_incomplete_report, sample_latency_cdf, sample_report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: render_sample OUT_DIR")?,
    );
    let cases = [
        ("complete", sample_report()),
        ("incomplete", sample_incomplete_report()),
        ("crowded", crowded()),
    ];
    for (name, report) in cases {
        let dir = out.join(name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("report.json"), report.to_json())?;
        for path in whiteout_results::render_run_dir(&report, &dir)? {
            println!("{}", path.display());
        }
    }
    // The CDF chart as it looks once reports carry the fast/slow split.
    let chart = render_chart(
        ChartKind::LatencyCdf,
        &sample_report(),
        Some(&sample_latency_cdf()),
    )?;
    let path = out.join("latency_cdf_split.png");
    std::fs::write(&path, &chart.png)?;
    println!("{}", path.display());
    Ok(())
}

/// 1,500 validators, eight overlapping faults, cut short near the end: a
/// stress test of the chart layout.
fn crowded() -> whiteout_results::Report {
    let mut report = sample_incomplete_report();
    report.scenario.name = "crowded".into();
    report.scenario.simulated_s = 57.5;
    let template = report.validators[10].clone();
    let weights: Vec<f64> = (0..1500)
        .map(|i| 1.0 / f64::from(i + 1).powf(1.1))
        .collect();
    let total: f64 = weights.iter().sum();
    report.validators = (0..1500u32)
        .map(|i| {
            let mut v = template.clone();
            v.index = i;
            v.identity = format!("validator-{i:04}");
            v.stake_share = weights[i as usize] / total;
            v.bytes_sent = (v.stake_share * 2.0e11) as u64 + 20_000_000;
            v.finalization_latency_ms.p50 = 200.0 + f64::from(i % 97);
            v.finalization_latency_ms.p99 = 380.0 + f64::from(i % 89) * 2.0;
            v.finalization_latency_ms.count = u64::from(i % 50 != 7) * 140;
            v
        })
        .collect();
    let fault = report.faults[0].clone();
    report.faults = (0..8)
        .map(|i| {
            let mut f = fault.clone();
            f.name = format!("fault-number-{i}");
            f.start_s = 5.0 + f64::from(i) * 3.5;
            f.end_s = Some(f.start_s + 6.0);
            f
        })
        .collect();
    report
}
