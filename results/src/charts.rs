//! Charts of a report, drawn with plotters as SVG and PNG.
//!
//! Every chart is [`CHART_WIDTH`] x [`CHART_HEIGHT`] pixels and readable on
//! its own: a title naming the scenario, axes with units, a legend, the chaos
//! fault windows shaded and labelled on every time axis, and an
//! `INCOMPLETE` mark (plus a grey "not simulated" band) when the run was cut
//! short. PNG text is rasterized from a font compiled into this crate
//! (`assets/DejaVuSans-subset.ttf`), so it needs no system font; SVG text
//! names the `sans-serif` family and is laid out by the viewer.
//!
//! Output is deterministic: the same report gives byte-identical files.

use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::cdf::LatencyCdf;
use crate::report::{Percentiles, Report};
use crate::ResultsError;

/// Width of every chart, in pixels.
pub const CHART_WIDTH: u32 = 1200;
/// Height of every chart, in pixels.
pub const CHART_HEIGHT: u32 = 600;

/// The embedded font (a subset of DejaVu Sans; see `assets/README.md`).
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";

/// One chart of a report, rendered both ways.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File stem: the chart is written as `<stem>.svg` and `<stem>.png`.
    pub stem: &'static str,
    /// Human title, as drawn on the chart (without the scenario name).
    pub title: &'static str,
    /// The SVG document (no XML declaration, so it can be inlined in HTML).
    pub svg: String,
    /// The PNG file ([`CHART_WIDTH`] x [`CHART_HEIGHT`], 8-bit RGB).
    pub png: Vec<u8>,
}

/// The charts [`render_charts`] draws, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChartKind {
    /// Finalization and notarization latency p50/p99 per simulated second.
    Latency,
    /// Finalized transactions per second, against the offered load.
    Throughput,
    /// Fast-path ratio per simulated second.
    FastPath,
    /// Finalization latency CDF, split into fast and slow path when the
    /// report has the split.
    LatencyCdf,
    /// Per validator: finalization latency p50/p99 against stake share.
    ValidatorLatency,
    /// Per validator: bytes sent.
    ValidatorBytes,
}

impl ChartKind {
    /// All kinds, in rendering order.
    pub const ALL: [ChartKind; 6] = [
        ChartKind::Latency,
        ChartKind::Throughput,
        ChartKind::FastPath,
        ChartKind::LatencyCdf,
        ChartKind::ValidatorLatency,
        ChartKind::ValidatorBytes,
    ];

    /// File stem of the chart.
    pub fn stem(self) -> &'static str {
        match self {
            ChartKind::Latency => "latency",
            ChartKind::Throughput => "throughput",
            ChartKind::FastPath => "fast_path",
            ChartKind::LatencyCdf => "latency_cdf",
            ChartKind::ValidatorLatency => "validator_latency",
            ChartKind::ValidatorBytes => "validator_bytes",
        }
    }

    /// Title drawn on the chart.
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::Latency => "Finalization and notarization latency over time",
            ChartKind::Throughput => "Throughput over time",
            ChartKind::FastPath => "Fast-path finalizations over time",
            ChartKind::LatencyCdf => "Finalization latency distribution (CDF)",
            ChartKind::ValidatorLatency => "Finalization latency per validator against stake",
            ChartKind::ValidatorBytes => "Bytes sent per validator",
        }
    }
}

/// Renders every chart of `report` (see [`ChartKind::ALL`]).
///
/// # Errors
/// [`ResultsError::Chart`] when plotters fails to draw or the PNG cannot be
/// encoded (neither happens for a well-formed report).
pub fn render_charts(report: &Report) -> Result<Vec<Chart>, ResultsError> {
    let cdf = crate::cdf::of_report(report);
    ChartKind::ALL
        .iter()
        .map(|&kind| render_chart(kind, report, cdf))
        .collect()
}

/// Renders one chart. `cdf` is the per-path latency distribution used by
/// [`ChartKind::LatencyCdf`] (ignored by the others); without it, that chart
/// shows the summary percentiles over all finalizations.
///
/// # Errors
/// As [`render_charts`].
pub fn render_chart(
    kind: ChartKind,
    report: &Report,
    cdf: Option<&LatencyCdf>,
) -> Result<Chart, ResultsError> {
    register_font()?;
    let fail = |message: String| ResultsError::Chart {
        chart: kind.stem().to_string(),
        message,
    };
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
        draw(kind, report, cdf, &root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut rgb = vec![0u8; (CHART_WIDTH * CHART_HEIGHT * 3) as usize];
    {
        let root =
            BitMapBackend::with_buffer(&mut rgb, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
        draw(kind, report, cdf, &root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let png = encode_png(&rgb).map_err(|e| fail(format!("PNG encoding: {e}")))?;
    Ok(Chart {
        stem: kind.stem(),
        title: kind.title(),
        svg,
        png,
    })
}

fn register_font() -> Result<(), ResultsError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    if *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok())
    {
        Ok(())
    } else {
        Err(ResultsError::Chart {
            chart: "(all)".into(),
            message: "the embedded font does not parse".into(),
        })
    }
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, CHART_WIDTH, CHART_HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
type Area<DB> = DrawingArea<DB, Shift>;
type XyChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

const FIN: RGBColor = RGBColor(31, 119, 180);
const NOTAR: RGBColor = RGBColor(255, 127, 14);
const TPS: RGBColor = RGBColor(44, 160, 44);
const FAST: RGBColor = RGBColor(44, 160, 44);
const SLOW: RGBColor = RGBColor(148, 103, 189);
const P99: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(120, 120, 120);
const INCOMPLETE_RED: RGBColor = RGBColor(200, 0, 0);
const FAULT_COLORS: [RGBColor; 5] = [
    RGBColor(228, 26, 28),
    RGBColor(152, 78, 163),
    RGBColor(166, 86, 40),
    RGBColor(231, 41, 138),
    RGBColor(77, 175, 74),
];

// Layout, in pixels.
const HEADER_H: u32 = 64;
const BAND_ROW_H: u32 = 18;
const MAX_BAND_ROWS: usize = 4;
const MARGIN_LEFT: u32 = 10;
const MARGIN_RIGHT: u32 = 30;
const Y_LABEL_W: u32 = 90;
const X_LABEL_H: u32 = 50;

fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// A chart builder on `area` with the house margins and label areas.
fn builder<'a, 'b, DB: DrawingBackend>(area: &'a Area<DB>) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_left(MARGIN_LEFT)
        .margin_right(MARGIN_RIGHT)
        .margin_top(6)
        .margin_bottom(10)
        .x_label_area_size(X_LABEL_H)
        .y_label_area_size(Y_LABEL_W);
    builder
}

/// The house style of a chart's mesh: fonts of axis descriptions and
/// labels, and faint grid lines.
fn house_style<'m, 'a, 'b, X, Y, XT, YT, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    DB: DrawingBackend,
{
    mesh.axis_desc_style(font(16.0))
        .label_style(font(13.0))
        .light_line_style(BLACK.mix(0.04))
        .bold_line_style(BLACK.mix(0.12))
}

fn draw<DB: DrawingBackend>(
    kind: ChartKind,
    report: &Report,
    cdf: Option<&LatencyCdf>,
    root: &Area<DB>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER_H);
    draw_title(&header, kind, report)?;
    let legend = header.margin(36, 0, MARGIN_LEFT + Y_LABEL_W, 0);
    match kind {
        ChartKind::Latency => latency_chart(report, &legend, &body),
        ChartKind::Throughput => throughput_chart(report, &legend, &body),
        ChartKind::FastPath => fast_path_chart(report, &legend, &body),
        ChartKind::LatencyCdf => cdf_chart(report, cdf, &legend, &body),
        ChartKind::ValidatorLatency => validator_latency_chart(report, &legend, &body),
        ChartKind::ValidatorBytes => validator_bytes_chart(report, &legend, &body),
    }
}

/// Title (left) and, for an incomplete run, a red mark (right).
fn draw_title<DB: DrawingBackend>(
    header: &Area<DB>,
    kind: ChartKind,
    report: &Report,
) -> DrawResult<DB> {
    let title = format!("{} – {}", kind.title(), report.scenario.name);
    header.draw_text(&title, &font(22.0), (MARGIN_LEFT as i32, 8))?;
    if !report.complete {
        let mark = format!(
            "INCOMPLETE RUN: {:.1} of {:.1} s simulated",
            report.scenario.simulated_s, report.scenario.duration_s
        );
        let style = font(18.0)
            .color(&INCOMPLETE_RED)
            .pos(Pos::new(HPos::Right, VPos::Top));
        header.draw_text(&mark, &style, ((CHART_WIDTH - MARGIN_RIGHT) as i32, 11))?;
    }
    Ok(())
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Mark {
    Line,
    Dashed,
    Dot,
    Triangle,
    Block,
    /// No mark: the entry is a note.
    Note,
}

/// Draws legend entries left to right in `area` (one row).
fn draw_legend<DB: DrawingBackend>(
    area: &Area<DB>,
    items: &[(&str, RGBColor, Mark)],
) -> DrawResult<DB> {
    let style = font(15.0).pos(Pos::new(HPos::Left, VPos::Center));
    let y = 12;
    let mut x = 0i32;
    for &(label, color, mark) in items {
        match mark {
            Mark::Line => area.draw(&PathElement::new(
                vec![(x, y), (x + 28, y)],
                color.stroke_width(3),
            ))?,
            Mark::Dashed => {
                for dx in [0, 11, 22] {
                    area.draw(&PathElement::new(
                        vec![(x + dx, y), (x + dx + 6, y)],
                        color.stroke_width(3),
                    ))?;
                }
            }
            Mark::Dot => area.draw(&Circle::new((x + 14, y), 5, color.filled()))?,
            Mark::Triangle => {
                area.draw(&TriangleMarker::new((x + 14, y), 6, color.stroke_width(2)))?
            }
            Mark::Block => area.draw(&Rectangle::new(
                [(x + 4, y - 7), (x + 24, y + 7)],
                color.filled(),
            ))?,
            Mark::Note => {}
        }
        let text_x = if matches!(mark, Mark::Note) {
            x
        } else {
            x + 36
        };
        area.draw_text(
            label,
            &style.color(&color_of_text(color, mark)),
            (text_x, y),
        )?;
        let width = area.estimate_text_size(label, &style)?.0 as i32;
        x = text_x + width + 30;
    }
    Ok(())
}

fn color_of_text(color: RGBColor, mark: Mark) -> RGBColor {
    if matches!(mark, Mark::Note) {
        color
    } else {
        BLACK
    }
}

/// A labelled window on a time axis: a chaos fault, or the part of an
/// incomplete run that was not simulated.
struct Window {
    label: String,
    start_s: f64,
    end_s: f64,
    color: RGBColor,
    /// Label row in the band above the plot (0 = top).
    row: usize,
    /// Whether the label goes left of its marker (near the right edge).
    label_left: bool,
}

/// The report's fault windows (plus the not-simulated tail of an
/// incomplete run), with a label row each so that labels do not overlap.
fn windows<DB: DrawingBackend>(report: &Report, x_max: f64, root: &Area<DB>) -> Vec<Window> {
    let end_of_run = report.scenario.simulated_s.max(0.0);
    let mut windows: Vec<Window> = report
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| Window {
            label: f.name.clone(),
            start_s: f.start_s,
            end_s: f.end_s.unwrap_or(end_of_run).max(f.start_s),
            color: FAULT_COLORS[i % FAULT_COLORS.len()],
            row: 0,
            label_left: false,
        })
        .collect();
    if !report.complete && end_of_run < x_max {
        windows.push(Window {
            label: "not simulated (run incomplete)".into(),
            start_s: end_of_run,
            end_s: x_max,
            color: GREY,
            row: 0,
            label_left: false,
        });
    }
    // Greedy row assignment on the pixel positions the plot will have.
    let plot_left = f64::from(MARGIN_LEFT + Y_LABEL_W);
    let plot_width = f64::from(CHART_WIDTH - MARGIN_LEFT - Y_LABEL_W - MARGIN_RIGHT);
    let style = font(14.0);
    let mut row_ends: Vec<f64> = Vec::new();
    for w in &mut windows {
        let x = plot_left + w.start_s / x_max * plot_width;
        let width = root
            .estimate_text_size(&w.label, &style)
            .map_or(8.0 * w.label.len() as f64, |(w, _)| f64::from(w));
        w.label_left = x + 8.0 + width > f64::from(CHART_WIDTH) - 4.0;
        let (left, right) = if w.label_left {
            (x - 8.0 - width, x + 6.0)
        } else {
            (x - 6.0, x + 8.0 + width)
        };
        let free = row_ends.iter().position(|&end| end + 12.0 <= left);
        w.row = match free {
            Some(row) => row,
            None if row_ends.len() < MAX_BAND_ROWS => {
                row_ends.push(f64::NEG_INFINITY);
                row_ends.len() - 1
            }
            None => windows_min_row(&row_ends),
        };
        row_ends[w.row] = right;
    }
    windows
}

fn windows_min_row(row_ends: &[f64]) -> usize {
    (0..row_ends.len())
        .min_by(|&a, &b| row_ends[a].total_cmp(&row_ends[b]))
        .unwrap_or(0)
}

/// Splits `body` into the fault-label band and the plot area.
fn split_band<DB: DrawingBackend>(body: &Area<DB>, windows: &[Window]) -> (Area<DB>, Area<DB>) {
    let rows = windows.iter().map(|w| w.row + 1).max().unwrap_or(0) as u32;
    let band_h = if rows == 0 { 0 } else { rows * BAND_ROW_H + 4 };
    body.split_vertically(band_h)
}

/// The layout every chart over simulated time shares: the time axis
/// `[0, x_max]` s, the fault windows, their label band and the plot area.
struct TimeFrame<DB: DrawingBackend> {
    x_max: f64,
    windows: Vec<Window>,
    band: Area<DB>,
    plot: Area<DB>,
}

impl<DB: DrawingBackend> TimeFrame<DB> {
    fn new(report: &Report, body: &Area<DB>) -> Self {
        let x_max = time_axis_end(report);
        let windows = windows(report, x_max, body);
        let (band, plot) = split_band(body, &windows);
        Self {
            x_max,
            windows,
            band,
            plot,
        }
    }

    /// A chart over `[0, x_max]` s and `[0, y_max]` in this frame, with
    /// mesh and axis descriptions, and the fault windows shaded and labelled.
    fn chart<'a>(
        &'a self,
        y_max: f64,
        y_desc: &str,
        y_fmt: &dyn Fn(&f64) -> String,
    ) -> Result<XyChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
        let (band, plot, windows, x_max) = (&self.band, &self.plot, &self.windows, self.x_max);
        let mut chart = builder(plot).build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        for w in windows {
            chart.draw_series([
                Rectangle::new(
                    [(w.start_s, 0.0), (w.end_s, y_max)],
                    w.color.mix(0.13).filled(),
                ),
                Rectangle::new(
                    [(w.start_s, 0.0), (w.start_s, y_max)],
                    w.color.mix(0.7).stroke_width(1),
                ),
            ])?;
        }
        house_style(
            chart
                .configure_mesh()
                .x_desc("simulated time [s]")
                .y_desc(y_desc)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(y_fmt),
        )
        .draw()?;
        for w in windows {
            let x = chart.backend_coord(&(w.start_s, 0.0)).0;
            let y = (w.row as u32 * BAND_ROW_H + BAND_ROW_H / 2 + 2) as i32;
            band.draw(&Polygon::new(
                vec![(x - 5, y - 6), (x + 5, y - 6), (x, y + 3)],
                w.color.filled(),
            ))?;
            let (h_pos, text_x) = if w.label_left {
                (HPos::Right, x - 8)
            } else {
                (HPos::Left, x + 8)
            };
            let style = font(14.0)
                .color(&w.color)
                .pos(Pos::new(h_pos, VPos::Center));
            band.draw_text(&w.label, &style, (text_x, y))?;
        }
        Ok(chart)
    }
}

/// Runs of consecutive `Some` points, so that missing values break a line
/// instead of dropping it to zero.
fn runs(points: impl IntoIterator<Item = Option<(f64, f64)>>) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for p in points {
        match p {
            Some(p) => runs.last_mut().expect("never empty").push(p),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Draws a possibly gappy series: lines for runs, a dot for isolated points.
fn draw_runs<DB: DrawingBackend>(
    chart: &mut XyChart<'_, DB>,
    runs: &[Vec<(f64, f64)>],
    color: RGBColor,
    dashed: bool,
) -> DrawResult<DB> {
    for run in runs {
        if run.len() == 1 {
            chart.draw_series([Circle::new(run[0], 3, color.filled())])?;
        } else if dashed {
            chart.draw_series(DashedLineSeries::new(
                run.iter().copied(),
                7,
                5,
                color.stroke_width(2),
            ))?;
        } else {
            chart.draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(2)))?;
        }
    }
    Ok(())
}

/// Draws a centred grey note in the plot area (for charts without data).
fn no_data<DB: DrawingBackend>(plot: &Area<DB>, text: &str) -> DrawResult<DB> {
    let (w, h) = plot.dim_in_pixel();
    let style = font(18.0)
        .color(&GREY)
        .pos(Pos::new(HPos::Center, VPos::Center));
    plot.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))
}

/// End of the time axis: the configured duration, or further if buckets go
/// beyond it.
fn time_axis_end(report: &Report) -> f64 {
    let last = report.time_series.last().map_or(0.0, |b| b.t_s + 1.0);
    report.scenario.duration_s.max(last).max(1.0)
}

/// Upper end of a value axis: 15% headroom over `max`, at least `floor`.
fn headroom(max: f64, floor: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        (max * 1.15).max(floor)
    } else {
        floor
    }
}

fn max_of(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, f64::max)
}

fn fmt_int(v: &f64) -> String {
    format!("{v:.0}")
}

fn latency_chart<DB: DrawingBackend>(
    report: &Report,
    legend: &Area<DB>,
    body: &Area<DB>,
) -> DrawResult<DB> {
    draw_legend(
        legend,
        &[
            ("finalization p50", FIN, Mark::Line),
            ("finalization p99", FIN, Mark::Dashed),
            ("notarization p50", NOTAR, Mark::Line),
            ("notarization p99", NOTAR, Mark::Dashed),
        ],
    )?;
    let frame = TimeFrame::new(report, body);
    let ts = &report.time_series;
    // A zero latency means "no sample in this second"; such points are gaps.
    let series = |f: fn(&crate::TimeBucket) -> f64| {
        runs(ts.iter().map(|b| {
            let v = f(b);
            (v > 0.0).then_some((b.t_s + 0.5, v))
        }))
    };
    let fin50 = series(|b| b.finalization_latency_ms_p50);
    let fin99 = series(|b| b.finalization_latency_ms_p99);
    let not50 = series(|b| b.notarization_latency_ms_p50);
    let not99 = series(|b| b.notarization_latency_ms_p99);
    let y_max = headroom(
        max_of(
            [&fin50, &fin99, &not50, &not99]
                .into_iter()
                .flat_map(|r| r.iter().flatten().map(|p| p.1)),
        ),
        10.0,
    );
    let mut chart = frame.chart(y_max, "latency [ms]", &fmt_int)?;
    draw_runs(&mut chart, &not99, NOTAR, true)?;
    draw_runs(&mut chart, &not50, NOTAR, false)?;
    draw_runs(&mut chart, &fin99, FIN, true)?;
    draw_runs(&mut chart, &fin50, FIN, false)?;
    if fin50.is_empty() && not50.is_empty() {
        no_data(&frame.plot, "no finalization or notarization in this run")?;
    }
    Ok(())
}

fn throughput_chart<DB: DrawingBackend>(
    report: &Report,
    legend: &Area<DB>,
    body: &Area<DB>,
) -> DrawResult<DB> {
    let load = report.scenario.load_tx_per_s;
    let load_label = format!("offered load ({} tx/s)", fmt_number(load));
    draw_legend(
        legend,
        &[
            ("finalized transactions", TPS, Mark::Line),
            (&load_label, GREY, Mark::Dashed),
        ],
    )?;
    let frame = TimeFrame::new(report, body);
    let points: Vec<(f64, f64)> = report
        .time_series
        .iter()
        .map(|b| (b.t_s + 0.5, b.throughput_tps))
        .collect();
    let y_max = headroom(max_of(points.iter().map(|p| p.1)).max(load), 10.0);
    let mut chart = frame.chart(y_max, "throughput [tx/s]", &fmt_int)?;
    if load > 0.0 {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, load), (frame.x_max, load)],
            8,
            6,
            GREY.stroke_width(2),
        ))?;
    }
    chart.draw_series(
        AreaSeries::new(points.iter().copied(), 0.0, TPS.mix(0.15))
            .border_style(TPS.stroke_width(2)),
    )?;
    if points.is_empty() {
        no_data(&frame.plot, "no time series in this report")?;
    }
    Ok(())
}

fn fast_path_chart<DB: DrawingBackend>(
    report: &Report,
    legend: &Area<DB>,
    body: &Area<DB>,
) -> DrawResult<DB> {
    let overall = format!(
        "whole run: {:.1}% fast certificate obtained, {:.1}% finalized by it",
        report.summary.fast_path_ratio * 100.0,
        report.summary.fast_path_first_ratio * 100.0
    );
    draw_legend(
        legend,
        &[
            (
                "fast-path ratio of the slots proposed in each second",
                FAST,
                Mark::Line,
            ),
            (&overall, GREY, Mark::Dashed),
        ],
    )?;
    let frame = TimeFrame::new(report, body);
    let runs = runs(
        report
            .time_series
            .iter()
            .map(|b| b.fast_path_ratio.map(|r| (b.t_s + 0.5, r * 100.0))),
    );
    let mut chart = frame.chart(105.0, "fast-path finalizations [% of stake]", &|v| {
        format!("{v:.0}%")
    })?;
    let overall = report.summary.fast_path_ratio * 100.0;
    chart.draw_series(DashedLineSeries::new(
        [(0.0, overall), (frame.x_max, overall)],
        8,
        6,
        GREY.stroke_width(2),
    ))?;
    draw_runs(&mut chart, &runs, FAST, false)?;
    if runs.is_empty() {
        no_data(&frame.plot, "no slot was proposed in this run")?;
    }
    Ok(())
}

fn cdf_chart<DB: DrawingBackend>(
    report: &Report,
    cdf: Option<&LatencyCdf>,
    legend: &Area<DB>,
    body: &Area<DB>,
) -> DrawResult<DB> {
    // Each curve: label, colour, points (latency_ms, percent). With the
    // split: one line per path. Without: the four summary percentiles of all
    // finalizations, drawn as labelled dots.
    let quantile =
        |points: &[[f64; 2]], q: f64| points.iter().find(|p| p[1] >= q).map_or(0.0, |p| p[0]);
    type Curve = (String, RGBColor, Vec<(f64, f64)>);
    let (curves, split): (Vec<Curve>, bool) = match cdf {
        Some(cdf) => {
            let curves = [
                ("fast path", FAST, &cdf.fast_path_ms),
                ("slow path", SLOW, &cdf.slow_path_ms),
            ]
            .into_iter()
            .map(|(name, color, points)| {
                let label = if points.is_empty() {
                    format!("{name}: none")
                } else {
                    format!(
                        "{name}: p50 {} ms, p99 {} ms",
                        fmt_number(quantile(points, 0.5)),
                        fmt_number(quantile(points, 0.99))
                    )
                };
                let start = points.first().map(|p| (p[0], 0.0));
                let line = start
                    .into_iter()
                    .chain(points.iter().map(|p| (p[0], p[1] * 100.0)));
                (label, color, line.collect())
            })
            .collect();
            (curves, true)
        }
        None => {
            let p = &report.summary.finalization_latency_ms;
            let points = if p.count == 0 {
                Vec::new()
            } else {
                vec![(p.p50, 50.0), (p.p90, 90.0), (p.p99, 99.0), (p.max, 100.0)]
            };
            let label = "all finalizations: summary p50, p90, p99, max (this report has no fast/slow split)";
            (vec![(label.to_string(), FIN, points)], false)
        }
    };
    let mark = if split { Mark::Line } else { Mark::Dot };
    let items: Vec<(&str, RGBColor, Mark)> = curves
        .iter()
        .map(|(l, c, _)| (l.as_str(), *c, mark))
        .collect();
    draw_legend(legend, &items)?;
    let x_max = headroom(
        max_of(curves.iter().flat_map(|c| c.2.iter().map(|p| p.0))),
        10.0,
    );
    let mut chart = builder(body).build_cartesian_2d(0.0..x_max, 0.0..105.0)?;
    house_style(
        chart
            .configure_mesh()
            .x_desc("finalization latency [ms]")
            .y_desc("cumulative share of finalizations [%]")
            .x_label_formatter(&fmt_int)
            .y_label_formatter(&|v| format!("{v:.0}%")),
    )
    .draw()?;
    for (_, color, points) in &curves {
        if split {
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?;
            continue;
        }
        chart.draw_series(DashedLineSeries::new(
            points.iter().copied(),
            7,
            5,
            color.stroke_width(2),
        ))?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, color.filled())))?;
        // Labels right of and below their dot; the max (top right) goes left.
        let right = font(14.0).color(color).pos(Pos::new(HPos::Left, VPos::Top));
        let left = font(14.0)
            .color(color)
            .pos(Pos::new(HPos::Right, VPos::Top));
        for (&(x, y), name) in points.iter().zip(["p50", "p90", "p99", "max"]) {
            let text = format!("{name} {} ms", fmt_number(x));
            let label = if name == "max" {
                EmptyElement::at((x, y)) + Text::new(text, (-10, 6), left.clone())
            } else {
                EmptyElement::at((x, y)) + Text::new(text, (10, 6), right.clone())
            };
            chart.draw_series([label])?;
        }
    }
    if curves.iter().all(|c| c.2.is_empty()) {
        no_data(body, "no finalization in this run")?;
    }
    Ok(())
}

fn validator_latency_chart<DB: DrawingBackend>(
    report: &Report,
    legend: &Area<DB>,
    body: &Area<DB>,
) -> DrawResult<DB> {
    let shown: Vec<(f64, &Percentiles)> = report
        .validators
        .iter()
        .filter(|v| v.finalization_latency_ms.count > 0)
        .map(|v| (v.stake_share * 100.0, &v.finalization_latency_ms))
        .collect();
    let hidden = report.validators.len() - shown.len();
    let note = format!("{hidden} validators without finalizations not shown");
    let mut items = vec![("p50", FIN, Mark::Dot), ("p99", P99, Mark::Triangle)];
    if hidden > 0 {
        items.push((&note, GREY, Mark::Note));
    }
    draw_legend(legend, &items)?;
    let y_max = headroom(max_of(shown.iter().map(|s| s.1.p99)), 10.0);
    let x_min = shown
        .iter()
        .map(|s| s.0)
        .filter(|&x| x > 0.0)
        .fold(f64::INFINITY, f64::min);
    let x_max = max_of(shown.iter().map(|s| s.0));
    // Stake is usually spread over orders of magnitude: use a log axis then.
    if x_min.is_finite() && x_max / x_min >= 20.0 {
        let (lo, hi) = (x_min / 1.5, x_max * 1.5);
        let x_range = (lo..hi).log_scale().with_key_points(log_ticks(lo, hi));
        let chart = builder(body).build_cartesian_2d(x_range, 0.0..y_max)?;
        scatter(chart, &shown, "stake share [%, log scale]", 100)
    } else {
        let chart = builder(body).build_cartesian_2d(0.0..headroom(x_max, 1.0), 0.0..y_max)?;
        scatter(chart, &shown, "stake share [%]", 10)?;
        if shown.is_empty() {
            no_data(body, "no validator finalized a block")?;
        }
        Ok(())
    }
}

/// Tick values 1, 2, 5 x 10^k within `[lo, hi]` (both > 0).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powi(lo.log10().floor() as i32);
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            // Round away the binary noise of 10^-k.
            let v: f64 = format!("{:.0e}", m * decade).parse().unwrap_or(m * decade);
            if v >= lo && v <= hi {
                ticks.push(v);
            }
        }
        decade *= 10.0;
    }
    ticks
}

fn scatter<DB: DrawingBackend, X: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    mut chart: ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    shown: &[(f64, &Percentiles)],
    x_desc: &str,
    x_labels: usize,
) -> DrawResult<DB> {
    house_style(
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .x_labels(x_labels)
            .y_desc("finalization latency [ms]")
            // Shortest exact form for log ticks (0.0002), 3 decimals otherwise.
            .x_label_formatter(&|v| {
                Some(format!("{v}"))
                    .filter(|s| s.len() <= 8)
                    .unwrap_or_else(|| fmt_number(*v))
            })
            .y_label_formatter(&fmt_int),
    )
    .draw()?;
    // Many validators: smaller marks and no p50-p99 whiskers.
    let crowded = shown.len() > 200;
    if !crowded {
        chart.draw_series(shown.iter().map(|&(x, p)| {
            PathElement::new(vec![(x, p.p50), (x, p.p99)], GREY.mix(0.5).stroke_width(1))
        }))?;
    }
    let size = if crowded { 3 } else { 5 };
    chart.draw_series(
        shown
            .iter()
            .map(|&(x, p)| TriangleMarker::new((x, p.p99), size, P99.stroke_width(1))),
    )?;
    chart.draw_series(
        shown
            .iter()
            .map(|&(x, p)| Circle::new((x, p.p50), size - 1, FIN.filled())),
    )?;
    Ok(())
}

fn validator_bytes_chart<DB: DrawingBackend>(
    report: &Report,
    legend: &Area<DB>,
    body: &Area<DB>,
) -> DrawResult<DB> {
    let max = report
        .validators
        .iter()
        .map(|v| v.bytes_sent)
        .max()
        .unwrap_or(0);
    let (unit, scale) = byte_unit(max);
    let total = format!(
        "all validators together: {}",
        fmt_bytes(report.summary.bytes_sent)
    );
    draw_legend(
        legend,
        &[
            ("bytes sent (wire sizes)", FIN, Mark::Block),
            (&total, GREY, Mark::Note),
        ],
    )?;
    let n = report.validators.len().max(1) as f64;
    let y_max = headroom(max as f64 / scale, 1.0);
    let mut chart =
        builder(body).build_cartesian_2d(-0.5 - n * 0.004..n - 0.5 + n * 0.004, 0.0..y_max)?;
    let y_desc = format!("bytes sent [{unit}]");
    house_style(
        chart
            .configure_mesh()
            .x_desc("validator index")
            .y_desc(&y_desc)
            .x_label_formatter(&|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| fmt_number(*v))
            .disable_x_mesh(),
    )
    .draw()?;
    let value = |v: &crate::ValidatorFigures| v.bytes_sent as f64 / scale;
    if n > 300.0 {
        // Bars narrower than a pixel may vanish: draw 1-pixel lines instead.
        chart.draw_series(report.validators.iter().map(|v| {
            let x = f64::from(v.index);
            PathElement::new(vec![(x, 0.0), (x, value(v))], FIN.stroke_width(1))
        }))?;
    } else {
        chart.draw_series(report.validators.iter().map(|v| {
            let x = f64::from(v.index);
            Rectangle::new([(x - 0.35, 0.0), (x + 0.35, value(v))], FIN.filled())
        }))?;
    }
    if report.validators.is_empty() {
        no_data(body, "no validator in this report")?;
    }
    Ok(())
}

/// A decimal unit for byte counts up to `max`: (name, bytes per unit).
fn byte_unit(max: u64) -> (&'static str, f64) {
    match max {
        0..=999 => ("B", 1.0),
        1_000..=999_999 => ("kB", 1e3),
        1_000_000..=999_999_999 => ("MB", 1e6),
        _ => ("GB", 1e9),
    }
}

/// A byte count in a decimal unit with one decimal, e.g. `5.6 GB`.
fn fmt_bytes(n: u64) -> String {
    let (unit, scale) = byte_unit(n);
    if scale == 1.0 {
        format!("{n} B")
    } else {
        format!("{:.1} {unit}", n as f64 / scale)
    }
}

/// A number with at most 3 decimals, trailing zeros removed.
pub(crate) fn fmt_number(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{sample_incomplete_report, sample_latency_cdf, sample_report};

    #[test]
    fn every_chart_renders_svg_and_png() {
        let charts = render_charts(&sample_report()).unwrap();
        assert_eq!(charts.len(), ChartKind::ALL.len());
        for c in &charts {
            assert!(c.svg.starts_with("<svg"), "{}", c.stem);
            assert!(
                c.svg.contains("sample-partition"),
                "{}: title missing",
                c.stem
            );
            assert_eq!(&c.png[..8], b"\x89PNG\r\n\x1a\n", "{}", c.stem);
        }
    }

    #[test]
    fn time_charts_label_faults_and_units() {
        let chart = render_chart(ChartKind::Latency, &sample_report(), None).unwrap();
        assert!(chart.svg.contains("partition-eu"));
        assert!(chart.svg.contains("crash#1"));
        assert!(chart.svg.contains("simulated time [s]"));
        assert!(chart.svg.contains("latency [ms]"));
        assert!(!chart.svg.contains("INCOMPLETE"));
    }

    #[test]
    fn incomplete_run_is_marked_and_text_is_escaped() {
        let chart = render_chart(ChartKind::Throughput, &sample_incomplete_report(), None).unwrap();
        assert!(chart
            .svg
            .contains("INCOMPLETE RUN: 50.0 of 60.0 s simulated"));
        assert!(chart.svg.contains("not simulated"));
        assert!(
            chart.svg.contains("crash &lt;b&gt;&amp;"),
            "fault name not escaped"
        );
        assert!(!chart.svg.contains("<b>"));
    }

    #[test]
    fn cdf_chart_uses_split_when_present() {
        let report = sample_report();
        let with =
            render_chart(ChartKind::LatencyCdf, &report, Some(&sample_latency_cdf())).unwrap();
        assert!(with.svg.contains("fast path: p50") && with.svg.contains("slow path: p50"));
        let without = render_chart(ChartKind::LatencyCdf, &report, None).unwrap();
        assert!(without.svg.contains("this report has no fast/slow split"));
    }

    #[test]
    fn rendering_is_deterministic() {
        let a = render_charts(&sample_incomplete_report()).unwrap();
        let b = render_charts(&sample_incomplete_report()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn empty_report_still_renders() {
        let mut report = sample_report();
        report.time_series.clear();
        report.validators.clear();
        report.faults.clear();
        report.latency_cdf = None;
        report.summary.finalization_latency_ms = Percentiles::default();
        report.summary.notarization_latency_ms = Percentiles::default();
        for c in render_charts(&report).unwrap() {
            assert!(c.svg.contains("no "), "{} has no empty-data note", c.stem);
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(fmt_number(812.5), "812.5");
        assert_eq!(fmt_number(0.87345), "0.873");
        assert_eq!(fmt_number(1200.0), "1200");
        assert_eq!(fmt_number(-0.0001), "0");
    }
}
