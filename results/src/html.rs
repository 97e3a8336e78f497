//! `report.html`: one self-contained page per run.
//!
//! The page has no script and loads nothing: styles are inline, charts are
//! inline SVG, links to the PNG/SVG files next to it are plain relative
//! links. All text from the report is HTML-escaped.

use std::fmt::Write;

use crate::charts::{fmt_number, Chart};
use crate::report::{Percentiles, Report, ValidatorFigures};

/// Validators shown before the "all validators" fold, largest stake first.
pub const TOP_VALIDATORS: usize = 20;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0 auto;max-width:1280px;padding:0 16px 48px;color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin:.8em 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.sub{color:#555;margin:0 0 1em}
table{border-collapse:collapse;margin:.4em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td{white-space:nowrap}.scroll{overflow-x:auto}
tr:nth-child(even) td{background:#f7f7f7}
th{background:#eee}
pre{background:#f4f4f4;border:1px solid #ddd;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.banner{background:#c00;color:#fff;font-weight:bold;padding:10px 14px;margin:12px 0;border-radius:4px}
.pass{color:#176c1f;font-weight:bold}.fail{color:#c00;font-weight:bold}
figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
code{font-family:ui-monospace,'DejaVu Sans Mono',monospace}
details summary{cursor:pointer;margin:.5em 0}
";

/// Escapes `text` for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page for `report`, with `charts` (from
/// [`crate::charts::render_charts`]) inlined as SVG. Deterministic: depends
/// on its arguments only.
pub fn render_html(report: &Report, charts: &[Chart]) -> String {
    let s = &report.scenario;
    let mut h =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>whiteout report: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&s.name)
    );
    if !report.complete {
        let _ = writeln!(
            h,
            "<div class=\"banner\" id=\"incomplete\">INCOMPLETE RUN: only {} of {} simulated seconds were run \
             (interrupted or failed); every figure covers that part only.</div>",
            fmt_number(s.simulated_s),
            fmt_number(s.duration_s)
        );
    }
    let _ = writeln!(
        h,
        "<h1>whiteout report: {}</h1>\n<p class=\"sub\">Alpenglow on the <code>{}</code> backend, {} validators, \
         seed {}, {} s simulated.</p>",
        escape(&s.name),
        escape(&s.backend),
        s.validators,
        s.seed,
        fmt_number(s.simulated_s)
    );
    verdicts(&mut h, report);
    scenario(&mut h, report);
    summary(&mut h, report);
    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    for c in charts {
        let _ = writeln!(
            h,
            "<figure id=\"chart-{stem}\">\n{svg}\n<figcaption>{title} (files: <a href=\"{stem}.png\">{stem}.png</a>, \
             <a href=\"{stem}.svg\">{stem}.svg</a>)</figcaption>\n</figure>",
            stem = c.stem,
            svg = c.svg.trim(),
            title = escape(c.title)
        );
    }
    faults(&mut h, report);
    validators(&mut h, report);
    let r = &report.resources;
    let _ = writeln!(
        h,
        "<h2 id=\"resources\">Resources (machine-dependent)</h2>\n<table>\n\
         <tr><th>wall-clock time</th><td class=\"n\">{} s</td></tr>\n\
         <tr><th>simulated seconds per wall second</th><td class=\"n\">{}</td></tr>\n\
         <tr><th>peak resident memory</th><td class=\"n\">{} MB</td></tr>\n\
         <tr><th>logical CPUs</th><td class=\"n\">{}</td></tr>\n\
         <tr><th>simulator threads</th><td class=\"n\">{}</td></tr>\n</table>",
        fmt_number(r.wall_s),
        fmt_number(r.sim_s_per_wall_s),
        fmt_number(r.peak_rss_bytes as f64 / 1e6),
        r.cpus,
        r.threads
    );
    let _ = write!(
        h,
        "<p class=\"sub\">report schema version {}, rendered by whiteout-results {}.</p>\n</body>\n</html>\n",
        report.schema_version,
        env!("CARGO_PKG_VERSION")
    );
    h
}

fn verdicts(h: &mut String, report: &Report) {
    h.push_str("<h2 id=\"verdicts\">Verdicts</h2>\n");
    let n = report.summary.safety_violations;
    if n == 0 {
        h.push_str("<p><span class=\"pass\">Safety: PASS</span> - no two validators finalized conflicting blocks.</p>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p><span class=\"fail\">Safety: FAIL</span> - {n} safety violation(s); evidence for the first {}:</p>",
        report.safety_evidence.len()
    );
    h.push_str("<div class=\"scroll\"><table>\n<tr><th class=\"n\">slot</th><th class=\"n\">detected at [s]</th><th>kind</th><th>block</th><th>finalized by validators</th></tr>\n");
    for v in &report.safety_evidence {
        let rows = v.blocks.len().max(1);
        let _ = write!(
            h,
            "<tr><td class=\"n\" rowspan=\"{rows}\">{}</td><td class=\"n\" rowspan=\"{rows}\">{}</td><td rowspan=\"{rows}\">{}</td>",
            v.slot,
            fmt_number(v.time_s),
            escape(&v.kind)
        );
        if v.blocks.is_empty() {
            h.push_str("<td></td><td></td></tr>\n");
        }
        for (i, b) in v.blocks.iter().enumerate() {
            if i > 0 {
                h.push_str("<tr>");
            }
            let who: Vec<String> = b.validators.iter().map(u32::to_string).collect();
            let _ = writeln!(
                h,
                "<td><code>{}</code></td><td>{}</td></tr>",
                escape(&b.block),
                who.join(", ")
            );
        }
    }
    h.push_str("</table></div>\n");
}

fn scenario(h: &mut String, report: &Report) {
    let s = &report.scenario;
    let rows: [(&str, String); 9] = [
        ("name", escape(&s.name)),
        ("seed", s.seed.to_string()),
        ("validators", s.validators.to_string()),
        (
            "total stake",
            format!("{} SOL", group(s.stake_lamports_total / 1_000_000_000)),
        ),
        (
            "duration",
            format!(
                "{} s configured, {} s simulated",
                fmt_number(s.duration_s),
                fmt_number(s.simulated_s)
            ),
        ),
        ("backend", escape(&s.backend)),
        ("topology", escape(&s.topology)),
        (
            "offered load",
            format!("{} tx/s", fmt_number(s.load_tx_per_s)),
        ),
        (
            "complete",
            if report.complete {
                "yes".into()
            } else {
                "<span class=\"fail\">no</span>".into()
            },
        ),
    ];
    h.push_str("<h2 id=\"scenario\">Scenario</h2>\n<table>\n");
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    let _ = writeln!(
        h,
        "</table>\n<p>Reproduce with:</p>\n<pre><code>{}</code></pre>",
        escape(&s.reproduce)
    );
}

fn summary(h: &mut String, report: &Report) {
    let m = &report.summary;
    h.push_str(
        "<h2 id=\"summary\">Summary</h2>\n<table>\n<tr><th>latency [ms]</th><th class=\"n\">samples</th>\
         <th class=\"n\">p50</th><th class=\"n\">p90</th><th class=\"n\">p99</th><th class=\"n\">max</th></tr>\n",
    );
    let lat = |h: &mut String, name: &str, p: &Percentiles| {
        let _ = writeln!(
            h,
            "<tr><th>{name}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            group(p.count),
            fmt_number(p.p50),
            fmt_number(p.p90),
            fmt_number(p.p99),
            fmt_number(p.max)
        );
    };
    lat(
        h,
        "finalization (slot, validator)",
        &m.finalization_latency_ms,
    );
    lat(
        h,
        "notarization (slot, validator)",
        &m.notarization_latency_ms,
    );
    lat(h, "transaction", &m.tx_latency_ms);
    h.push_str("</table>\n<table>\n");
    let rows: [(&str, String); 8] = [
        (
            "throughput",
            format!("{} tx/s", fmt_number(m.throughput_tps)),
        ),
        (
            "fast-path ratio (fast certificate obtained)",
            percent(m.fast_path_ratio),
        ),
        (
            "fast-path-first ratio (finalized by the fast certificate)",
            percent(m.fast_path_first_ratio),
        ),
        (
            "slots",
            format!(
                "{} proposed, {} finalized, {} skipped, {} unfinished",
                group(m.slots.proposed),
                group(m.slots.finalized),
                group(m.slots.skipped),
                group(m.slots.unfinished)
            ),
        ),
        (
            "transactions",
            format!(
                "{} submitted, {} finalized, {} pending, {} expired",
                group(m.transactions.submitted),
                group(m.transactions.finalized),
                group(m.transactions.pending),
                group(m.transactions.expired)
            ),
        ),
        ("safety violations", group(m.safety_violations)),
        ("messages sent", group(m.messages_sent)),
        (
            "bytes sent",
            format!(
                "{} ({} MB)",
                group(m.bytes_sent),
                fmt_number(m.bytes_sent as f64 / 1e6)
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{k}</th><td class=\"n\">{v}</td></tr>");
    }
    h.push_str("</table>\n");
}

fn faults(h: &mut String, report: &Report) {
    h.push_str("<h2 id=\"faults\">Fault windows</h2>\n");
    if report.faults.is_empty() {
        h.push_str("<p>No chaos fault in this run.</p>\n");
        return;
    }
    h.push_str("<table>\n<tr><th>name</th><th>kind</th><th>target</th><th class=\"n\">start [s]</th><th class=\"n\">end [s]</th></tr>\n");
    for f in &report.faults {
        let end = f.end_s.map_or_else(|| "end of run".to_string(), fmt_number);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{end}</td></tr>",
            escape(&f.name),
            escape(&f.kind),
            escape(&f.target),
            fmt_number(f.start_s)
        );
    }
    h.push_str("</table>\n");
    let Some(v) = &report.verdicts else {
        return;
    };
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let bound = v
        .max_stall_s
        .map_or_else(|| "not set".to_string(), |b| format!("{} s", fmt_number(b)));
    let _ = writeln!(
        h,
        "<h3 id=\"verdicts\">Verdicts</h3>\n<table>\n\
         <tr><th>safe</th><td>{}</td></tr>\n\
         <tr><th>longest stall</th><td class=\"n\">{} s from {} s (bound: {bound}; met: {})</td></tr>\n</table>",
        yes(v.safe),
        fmt_number(v.longest_stall_s),
        fmt_number(v.longest_stall_start_s),
        yes(v.liveness_ok)
    );
    if !v.faults.is_empty() {
        h.push_str("<table>\n<tr><th>fault</th><th class=\"n\">recovery [s]</th><th class=\"n\">p50 before / during [ms]</th><th class=\"n\">tx/s before / during</th><th class=\"n\">fast path before / during</th></tr>\n");
        let opt = |x: Option<f64>| x.map_or_else(|| "-".to_string(), fmt_number);
        for f in &v.faults {
            let b = f.before.as_ref();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td></tr>",
                escape(&f.name),
                opt(f.recovery_s),
                opt(b.map(|b| b.finalization_latency_ms_p50)),
                fmt_number(f.during.finalization_latency_ms_p50),
                opt(b.map(|b| b.throughput_tps)),
                fmt_number(f.during.throughput_tps),
                opt(b.and_then(|b| b.fast_path_ratio)),
                opt(f.during.fast_path_ratio)
            );
        }
        h.push_str("</table>\n");
    }
    if !v.restarts.is_empty() {
        h.push_str("<table>\n<tr><th class=\"n\">validator</th><th class=\"n\">restart [s]</th><th class=\"n\">catch-up [s]</th></tr>\n");
        for r in &v.restarts {
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                r.validator,
                fmt_number(r.restart_s),
                r.catch_up_s.map_or_else(|| "never".to_string(), fmt_number)
            );
        }
        h.push_str("</table>\n");
    }
}

fn validators(h: &mut String, report: &Report) {
    let mut by_stake: Vec<&ValidatorFigures> = report.validators.iter().collect();
    by_stake.sort_by(|a, b| {
        b.stake_lamports
            .cmp(&a.stake_lamports)
            .then(a.index.cmp(&b.index))
    });
    let _ = writeln!(
        h,
        "<h2 id=\"validators\">Validators ({})</h2>",
        by_stake.len()
    );
    if by_stake.is_empty() {
        h.push_str("<p>No validator figures in this report.</p>\n");
        return;
    }
    let top = by_stake.len().min(TOP_VALIDATORS);
    let _ = writeln!(h, "<p>The {top} with the largest stake:</p>");
    validator_table(h, &by_stake[..top]);
    if by_stake.len() > top {
        let _ = writeln!(
            h,
            "<details>\n<summary>All {} validators, by index</summary>",
            by_stake.len()
        );
        let by_index: Vec<&ValidatorFigures> = report.validators.iter().collect();
        validator_table(h, &by_index);
        h.push_str("</details>\n");
    }
}

fn validator_table(h: &mut String, rows: &[&ValidatorFigures]) {
    h.push_str(
        "<div class=\"scroll\"><table>\n<tr><th class=\"n\">index</th><th>identity</th><th>region</th><th class=\"n\">stake</th>\
         <th class=\"n\">finalization p50 / p99 [ms]</th><th class=\"n\">notarization p50 / p99 [ms]</th>\
         <th class=\"n\">fast path</th><th class=\"n\">slots finalized / led</th>\
         <th class=\"n\">messages sent / received</th><th class=\"n\">MB sent / received</th></tr>\n",
    );
    for v in rows {
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td>\
             <td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td></tr>",
            v.index,
            identity(&v.identity),
            escape(v.region.as_deref().unwrap_or("")),
            percent(v.stake_share),
            ms(v.finalization_latency_ms.p50),
            ms(v.finalization_latency_ms.p99),
            ms(v.notarization_latency_ms.p50),
            ms(v.notarization_latency_ms.p99),
            percent(v.fast_path_ratio),
            group(v.slots_finalized),
            group(v.slots_proposed),
            group(v.messages_sent),
            group(v.messages_received),
            ms(v.bytes_sent as f64 / 1e6),
            ms(v.bytes_received as f64 / 1e6)
        );
    }
    h.push_str("</table></div>\n");
}

/// An identity as code; one longer than 16 characters (a base58 key) is
/// shortened to 12 and an ellipsis, with the full one as a tooltip.
fn identity(id: &str) -> String {
    if id.chars().count() <= 16 {
        return format!("<code>{}</code>", escape(id));
    }
    let short: String = id.chars().take(12).collect();
    format!("<code title=\"{}\">{}…</code>", escape(id), escape(&short))
}

/// A value with one decimal (latencies in ms, sizes in MB).
fn ms(v: f64) -> String {
    format!("{v:.1}")
}

/// A ratio in `[0, 1]` as a percentage with 2 decimals.
fn percent(ratio: f64) -> String {
    format!("{:.2}%", ratio * 100.0)
}

/// An integer with thousands separated by commas.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::render_charts;
    use crate::testdata::{sample_incomplete_report, sample_report};

    fn page(report: &Report) -> String {
        render_html(report, &render_charts(report).unwrap())
    }

    #[test]
    fn complete_report_page() {
        let html = page(&sample_report());
        assert!(!html.contains("INCOMPLETE"));
        assert!(html.contains("Safety: PASS"));
        assert!(html.contains("whiteout run scenarios/sample-partition.toml --seed 42"));
        assert!(html.contains("partition-eu"));
        assert_eq!(html.matches("<svg").count(), 6);
        assert!(html.contains("All 50 validators"));
        // Self-contained: nothing is fetched.
        for needle in ["<script", "<link", "http://", "https://", "@import", "url("] {
            let n = html.matches(needle).count();
            let allowed = if needle == "http://" { 6 } else { 0 }; // SVG xmlns, one per chart
            assert_eq!(n, allowed, "{needle}");
        }
    }

    #[test]
    fn incomplete_report_has_banner_evidence_and_escaping() {
        let html = page(&sample_incomplete_report());
        assert!(html.contains("id=\"incomplete\">INCOMPLETE RUN: only 50 of 60"));
        assert!(html.contains("Safety: FAIL"));
        assert!(html.contains(&"9f2c".repeat(16)));
        assert!(html.contains("crash &lt;b&gt;&amp;&quot;co&quot;&lt;/b&gt;"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn page_is_deterministic() {
        assert_eq!(
            page(&sample_incomplete_report()),
            page(&sample_incomplete_report())
        );
    }

    #[test]
    fn long_identities_are_shortened() {
        assert_eq!(identity("validator-000"), "<code>validator-000</code>");
        let key = "7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2";
        assert_eq!(
            identity(key),
            format!("<code title=\"{key}\">7Np41oeYqPef…</code>")
        );
    }

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(12_345_678), "12,345,678");
    }
}
