//! Charts from a results folder, as PNG and SVG (plotters), into `DIR/charts/`.
//!
//! - Fan charts (batches): per observer, trust in the mediator and each hypothesis belief over
//!   time: the median, the p25–p75 and p05–p95 bands, dates on the axis. For a replay, the
//!   record on top: a tick per event, the record's end, and what was observed.
//! - Outcome shares (batches and replays): how the talks ended, with Wilson 95% intervals; and,
//!   apart, since they do not exclude the talks' ends or one another, who accepted talks.
//! - Dependence (every sweep, whatever its sampler): per headline outcome, small multiples of
//!   its mean (a flag's share) with a 95% interval in bins of each parameter (each level of a
//!   grid or Morris design, else 10 bins of equal width), and the shares of the talks' ends
//!   against each parameter; read from runs.csv (or runs.parquet, read back as its CSV).
//! - Tornado charts (Sobol or Morris sweeps): per headline outcome, total-order indices (or μ*)
//!   with their intervals, largest first.
//! - Branches (`sidelines branches`): how the talks end in each row, as stacked shares, and
//!   each headline outcome per row with its 95% interval.
//! - Scenario discovery (`analyze prim`): the peeling trajectory, coverage against density.
//! - Claims (`sidelines claims`): the share of assumption points where each claim holds.
//! - Calibrations (`sidelines calibrate`): each parameter's posterior marginal (the final
//!   generation's weighted histogram, against the uniform prior), and a pair plot of every
//!   two parameters (the particles, darker by weight) with the marginals on the diagonal.
//! - Evaluations (`sidelines evaluate --out`): the reliability diagram of the model and the
//!   base rate (mean forecast against the share that happened, per tenth of probability, with
//!   Wilson 95% intervals, against the diagonal of a reliable forecaster).
//! - Grid sweeps over one or two parameters: a headline outcome's mean across the grid, as a
//!   line or a heat map (viridis, with a colour bar).
//!
//! Axes and titles are in words (`South Korea: transfer`, "the US walks away"), dates are
//! labelled on the first of each month, and grid lines are light and only at labelled values.
//!
//! Text is drawn with the DejaVu Sans font compiled in, so a machine without fonts draws the
//! same pictures. Every chart goes through one drawing function per kind, generic over the
//! backend, so the PNG and the SVG are the same picture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

use crate::error::{At, Error, Result};
use crate::manifest::{Kind, Manifest, Sampler};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;

fn register_fonts() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

type Rows = Vec<BTreeMap<String, String>>;

fn read_csv(path: &Path) -> Result<Rows> {
    let mut r = csv::Reader::from_path(path).at(path)?;
    let header: Vec<String> = r.headers().at(path)?.iter().map(String::from).collect();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.at(path)?;
        out.push(header.iter().cloned().zip(rec.iter().map(String::from)).collect());
    }
    Ok(out)
}

fn num(row: &BTreeMap<String, String>, key: &str) -> f64 {
    row.get(key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

fn words(variable: &str) -> String {
    match variable {
        v if v.starts_with("trust_") => String::from("trust in the US"),
        v if v.starts_with("belief_") => {
            format!("belief that the US is {}", with_article(&v["belief_".len()..]))
        }
        v if v.starts_with("alliance_") => {
            let lane = match &v["alliance_".len()..] {
                "russia" => "Russia",
                "china" => "China",
                "us_engagement" => "US-engagement",
                "self_reliance" => "self-reliance",
                other => other,
            };
            format!("weight on the {} lane", lane.replace('_', " "))
        }
        v if v.starts_with("fear_") => format!("fear of {}", v["fear_".len()..].replace('_', " ")),
        v => v.replace('_', " "),
    }
}

/// A hypothesis as a predicate: a noun takes an article (`a deal seeker`, `a hard bargainer`),
/// an adjective none (`unserious`, `reliable`).
fn with_article(hypothesis: &str) -> String {
    let phrase = hypothesis.replace('_', " ");
    let last = phrase.rsplit(' ').next().unwrap_or("");
    if last.ends_with("er") || last.ends_with("or") || last.ends_with("ist") {
        let article = if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {phrase}")
    } else {
        phrase
    }
}

/// A parameter path in words for an axis: `actors.KR.transfer` is "South Korea: transfer",
/// `mediator.attention_half_life_days` "US attention half life (days)".
pub fn param_words(path: &str) -> String {
    let field = |f: &str| {
        let f = f.replace('_', " ");
        for (unit, shown) in
            [(" days", " (days)"), (" per day", " (per day)"), (" per round", " (per round)")]
        {
            if let Some(stem) = f.strip_suffix(unit) {
                return format!("{stem}{shown}");
            }
        }
        f
    };
    let segs: Vec<&str> = path.split('.').collect();
    match segs.as_slice() {
        ["actors", code, rest @ ..] => {
            format!(
                "{}: {}",
                actor_name(code),
                rest.iter().map(|r| field(r)).collect::<Vec<_>>().join(" ")
            )
        }
        ["mediator", f] => format!("US {}", field(f)),
        ["negotiation", f] => format!("talks: {}", field(f)),
        ["beliefs", f] | ["alignment", f] => field(f),
        _ => path.to_string(),
    }
}

/// How a folder names its parameters: a sweep or calibration file's `label`, else the path in
/// words.
#[derive(Debug)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub fn of_manifest(manifest: &Manifest) -> Labels {
        let pairs =
            manifest.parameters().iter().filter_map(|p| Some((p.path.clone(), p.label.clone()?)));
        Labels(pairs.collect())
    }

    pub fn of(&self, path: &str) -> String {
        self.0.get(path).cloned().unwrap_or_else(|| param_words(path))
    }
}

/// The mesh every chart uses: light grey lines at the labelled values, none between them.
const GRID_LINE: RGBColor = RGBColor(225, 225, 225);

/// The x axis of a chart over days: labelled and gridded on the first of each month (every
/// second or third month when they do not fit), from the dates of the days.
#[derive(Clone)]
struct DayAxis {
    days: usize,
    /// (day index, "Apr 2025") for each first of a month.
    months: Vec<(usize, String)>,
}

impl DayAxis {
    fn new(dates: &[String]) -> DayAxis {
        const NAMES: [&str; 12] =
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let months = dates
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let mut parts = d.split('-');
                let (y, m, day) = (parts.next()?, parts.next()?, parts.next()?);
                let m: usize = m.parse().ok()?;
                let name = NAMES.get(m.wrapping_sub(1))?;
                (day == "01").then(|| (i, format!("{name} {y}")))
            })
            .collect();
        DayAxis { days: dates.len().max(2), months }
    }

    fn label(&self, day: usize) -> String {
        self.months.iter().find(|(d, _)| *d == day).map(|(_, l)| l.clone()).unwrap_or_default()
    }
}

impl plotters::coord::ranged1d::Ranged for DayAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = usize;

    fn map(&self, value: &usize, limit: (i32, i32)) -> i32 {
        let span = (self.days - 1) as f64;
        limit.0 + ((*value as f64 / span) * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<usize> {
        // The months, thinned to what fits; the light (minor) lines are drawn transparent.
        let most = hint.max_num_points().max(1);
        let step = self.months.len().div_ceil(most).max(1);
        self.months.iter().step_by(step).map(|(d, _)| *d).collect()
    }

    fn range(&self) -> std::ops::Range<usize> {
        0..self.days - 1
    }
}

fn actor_name(code: &str) -> &str {
    match code {
        "KP" => "North Korea",
        "KR" => "South Korea",
        "CN" => "China",
        "JP" => "Japan",
        "US" => "United States",
        "UA" => "Ukraine",
        "RU" => "Russia",
        c => c,
    }
}

/// A value of `talks_outcome` in words.
fn talks_words(value: &str) -> String {
    match value {
        "settlement_russian_terms" => String::from("settlement on Russia's terms"),
        "settlement_balanced" => String::from("balanced settlement"),
        "talks_collapse" => String::from("talks collapse"),
        "us_disengaged" => String::from("the US walks away"),
        "ongoing" => String::from("still going at the end"),
        "agreement" => String::from("an agreement signed"),
        v => v.replace('_', " "),
    }
}

/// An outcome's column in words: "North Korea: trust in the US"; one that is no actor's
/// (`talks_outcome`) in plain words.
pub fn outcome_words(o: &str) -> String {
    let (code, rest) = o.split_once('_').unwrap_or(("", o));
    let code = code.to_uppercase();
    match actor_name(&code) {
        name if name != code => format!("{name}: {}", words(rest)),
        _ => o.replace('_', " "),
    }
}

/// A category's value in words (`talks_outcome`'s are spelled out).
pub fn value_words(outcome: &str, value: &str) -> String {
    if outcome == "talks_outcome" { talks_words(value) } else { value.replace('_', " ") }
}

type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// The legend every chart but the stacked bars uses, on a pale box, in the corner of the plot
/// where it covers least of what is drawn (`occupied`: points as fractions of the plot, x from
/// the left, y from the bottom).
fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    rows: usize,
    occupied: &[(f64, f64)],
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    let plot_height = f64::from(chart.plotting_area().dim_in_pixel().1.max(1));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(emptiest_corner(rows, plot_height, occupied))
        .draw()?;
    Ok(())
}

/// The corner whose legend box (about 45% of the plot's width, 19 pixels a row of the plot's
/// height in pixels) holds the fewest occupied points; the upper right on a tie.
fn emptiest_corner(rows: usize, plot_height: f64, occupied: &[(f64, f64)]) -> SeriesLabelPosition {
    let height = ((rows as f64 * 19.0 + 14.0) / plot_height).min(1.0);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let covered = |right: bool, upper: bool| {
        occupied
            .iter()
            .filter(|(x, y)| {
                (if right { *x >= 0.55 } else { *x <= 0.45 })
                    && (if upper { *y >= 1.0 - height } else { *y <= height })
            })
            .count()
    };
    corners
        .into_iter()
        .min_by_key(|(_, right, upper)| covered(*right, *upper))
        .map_or(SeriesLabelPosition::UpperRight, |c| c.0)
}

/// How charts are drawn: the SVG's size in pixels, and the PNG's resolution (dots per inch, at
/// 96 the SVG's pixels; 192 draws every chart at twice the pixels, for print or slides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChartSize {
    pub width: u32,
    pub height: u32,
    pub dpi: u32,
}

impl Default for ChartSize {
    fn default() -> ChartSize {
        ChartSize { width: WIDTH, height: HEIGHT, dpi: 96 }
    }
}

/// Where a folder's charts record the size they were drawn at, so that a later redraw (an
/// `analyze --force` into the folder) keeps it.
const SIZE_FILE: &str = "size.json";

impl ChartSize {
    /// The size the folder's charts were last drawn at; the default when they never were or
    /// the record is unreadable or impossible (the file is ours, but a hand edit is input).
    pub fn of_folder(dir: &Path) -> ChartSize {
        std::fs::read(dir.join("charts").join(SIZE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<ChartSize>(&b).ok())
            .filter(|s| s.check().is_ok())
            .unwrap_or_default()
    }

    /// The smallest and largest sizes a chart may have: room for its labels, and no bitmap
    /// larger than about 100 megapixels.
    pub const MIN: (u32, u32) = (480, 270);
    pub const MAX_PIXELS: u64 = 100_000_000;

    /// Why this size cannot be drawn, if it cannot.
    pub fn check(&self) -> std::result::Result<(), String> {
        let (w, h) = Self::MIN;
        if self.width < w || self.height < h || self.width > 20_000 || self.height > 20_000 {
            return Err(format!(
                "a chart of {}x{} pixels: each side must be from {w}x{h} to 20000",
                self.width, self.height
            ));
        }
        if !(48..=1200).contains(&self.dpi) {
            return Err(format!("--dpi {}: from 48 to 1200", self.dpi));
        }
        let scale = f64::from(self.dpi) / 96.0;
        let pixels = (f64::from(self.width) * scale) * (f64::from(self.height) * scale);
        if pixels > Self::MAX_PIXELS as f64 {
            return Err(format!(
                "a {}x{} chart at {} dpi is {:.0} megapixels, more than {}",
                self.width,
                self.height,
                self.dpi,
                pixels / 1e6,
                Self::MAX_PIXELS / 1_000_000
            ));
        }
        Ok(())
    }
}

/// Where charts go and at what size.
struct Canvas {
    dir: PathBuf,
    size: ChartSize,
}

/// Draws with `draw` into `name.svg`, and rasterises that SVG into `name.png` at the canvas's
/// resolution (resvg), so the two are the same picture; each is written whole or not at all.
fn both(
    out: &Canvas,
    name: &str,
    draw: &dyn Fn(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> Result<Vec<PathBuf>> {
    let png = out.dir.join(format!("{name}.png"));
    let svg = out.dir.join(format!("{name}.svg"));
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |e: Box<dyn std::error::Error>| Error::Chart { path, message: e.to_string() }
    };
    let mut text = String::new();
    {
        let size = (out.size.width, out.size.height);
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(&svg)(e.into()))?;
        draw(&root).map_err(failed(&svg))?;
        root.present().map_err(|e| failed(&svg)(e.into()))?;
    }
    // The text was measured with the bundled DejaVu Sans, so a viewer should draw it with that
    // font where it has it; plotters names only the family it was registered under.
    let text =
        text.replace("font-family=\"sans-serif\"", "font-family=\"DejaVu Sans, sans-serif\"");
    let encoded = rasterise(&text, out.size.dpi as f32 / 96.0).map_err(failed(&png))?;
    // Both are written by `write_atomic`, so a full disk is reported by the one writer that
    // names the path and the cause, and leaves no partial file.
    crate::write_atomic(&png, &encoded)?;
    if let Err(e) = crate::write_atomic(&svg, text.as_bytes()) {
        // The pair is written whole or not at all.
        let _ = std::fs::remove_file(&png);
        return Err(e);
    }
    Ok(vec![png, svg])
}

/// An SVG drawn as PNG bytes at `scale` times its size, on white, with the bundled DejaVu Sans
/// (the font plotters measured the text with): no system font is needed or used.
fn rasterise(svg: &str, scale: f32) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error>> {
    use resvg::{tiny_skia, usvg};
    static FONTS: std::sync::OnceLock<std::sync::Arc<usvg::fontdb::Database>> =
        std::sync::OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        std::sync::Arc::new(db)
    });
    let options = usvg::Options { fontdb: fonts.clone(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options)?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or("a chart of no size")?;
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("a chart of no size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    Ok(pixmap.encode_png()?)
}

/// One fan chart's data: dates, and per day median, p25, p75, p05, p95; for a replay, the
/// record drawn on it.
struct Fan {
    title: String,
    dates: Vec<String>,
    bands: Vec<[f64; 5]>,
    record: Marks,
}

/// A replay's record on a fan chart, as indices into its dates: a tick per event (`own`: the
/// actor is its source or target), the record's last day, and each observation of the charted
/// variable with what was observed.
#[derive(Default)]
struct Marks {
    events: Vec<(usize, bool)>,
    end: Option<usize>,
    observed: Vec<(usize, String)>,
}

impl Marks {
    /// The marks for `actor`'s `variable` from a replay folder's record.csv and
    /// record_check.csv rows (empty for other folders).
    fn of(record: &Rows, checks: &Rows, actor: &str, variable: &str, dates: &[String]) -> Marks {
        let at = |d: &str| dates.iter().position(|x| x == d);
        let events: Vec<(usize, bool)> = record
            .iter()
            .filter_map(|r| {
                let own = r["source"] == actor || r["target"] == actor;
                Some((at(&r["date"])?, own))
            })
            .collect();
        let last = record.iter().filter_map(|r| at(&r["date"])).max();
        let outcome = format!("{}_{variable}", actor.to_lowercase());
        let observed = checks
            .iter()
            .filter(|c| c["outcome"] == outcome)
            .filter_map(|c| Some((at(&c["date"])?, c["observed"].clone())))
            .collect();
        Marks { events, end: last, observed }
    }
}

fn draw_fan<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fan: &Fan) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = fan.bands.len().max(2);
    let lo = fan.bands.iter().map(|b| b[3]).fold(f64::INFINITY, f64::min).min(1.0);
    let hi = fan.bands.iter().map(|b| b[4]).fold(f64::NEG_INFINITY, f64::max).max(0.0);
    let (lo, hi) = ((lo - 0.05).max(0.0), (hi + 0.05).min(1.0));
    let axis = DayAxis::new(&fan.dates);
    let _ = n;
    let mut chart = ChartBuilder::on(area)
        .caption(&fan.title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(axis.clone(), lo..hi)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_LINE)
        .light_line_style(TRANSPARENT)
        .y_desc(if fan.title.contains("trust") { "trust (0 to 1)" } else { "probability (0 to 1)" })
        .x_labels(13)
        .x_label_formatter(&|d| axis.label(*d))
        .label_style(("sans-serif", 14))
        .draw()?;
    let band = |i: usize, j: usize| -> Vec<(usize, f64)> {
        let up: Vec<(usize, f64)> = fan.bands.iter().enumerate().map(|(d, b)| (d, b[j])).collect();
        let down: Vec<(usize, f64)> =
            fan.bands.iter().enumerate().rev().map(|(d, b)| (d, b[i])).collect();
        up.into_iter().chain(down).collect()
    };
    chart
        .draw_series(std::iter::once(Polygon::new(band(3, 4), BLUE.mix(0.15).filled())))?
        .label("5th to 95th percentile")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.15).filled()));
    chart
        .draw_series(std::iter::once(Polygon::new(band(1, 2), BLUE.mix(0.35).filled())))?
        .label("25th to 75th percentile")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.35).filled()));
    chart
        .draw_series(LineSeries::new(
            fan.bands.iter().enumerate().map(|(d, b)| (d, b[0])),
            BLUE.stroke_width(2),
        ))?
        .label("median")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    draw_record(&mut chart, &fan.record, lo, hi)?;
    // What the legend should not hide: the band at every day (five heights from p05 to
    // p95), the record's ticks along the bottom and its observations' lines top to bottom.
    let last = (fan.bands.len().max(2) - 1) as f64;
    let y = |v: f64| (v - lo) / (hi - lo);
    let mut occupied: Vec<(f64, f64)> = Vec::new();
    for (d, b) in fan.bands.iter().enumerate() {
        let x = d as f64 / last;
        occupied.extend((0..=4).map(|k| (x, y(b[3] + (b[4] - b[3]) * f64::from(k) / 4.0))));
    }
    occupied.extend(fan.record.events.iter().map(|(d, _)| (*d as f64 / last, 0.02)));
    for (d, _) in &fan.record.observed {
        occupied.extend((0..=10).map(|k| (*d as f64 / last, f64::from(k) / 10.0)));
    }
    let rows = 3
        + usize::from(!fan.record.events.is_empty()) * 2
        + usize::from(!fan.record.observed.is_empty());
    legend(&mut chart, rows, &occupied)?;
    Ok(())
}

/// A replay's record on a fan chart: a rug of ticks at the bottom (dark where the charted actor
/// is party to the event), a dashed line where the record ends and the forecast begins, and a
/// red line with what was observed at each observation of the charted variable.
fn draw_record<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<DayAxis, RangedCoordf64>>,
    marks: &Marks,
    lo: f64,
    hi: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if marks.events.is_empty() && marks.observed.is_empty() {
        return Ok(());
    }
    let tick = (hi - lo) * 0.04;
    let grey = RGBColor(150, 150, 150);
    let dark = RGBColor(60, 60, 60);
    for own in [false, true] {
        let colour = if own { dark } else { grey };
        let series =
            marks.events.iter().filter(|(_, o)| *o == own).map(|&(d, _)| {
                PathElement::new(vec![(d, lo), (d, lo + tick)], colour.stroke_width(2))
            });
        let label = if own { "record: an event it is party to" } else { "record: another event" };
        chart.draw_series(series)?.label(label).legend(move |(x, y)| {
            PathElement::new(vec![(x + 8, y - 6), (x + 8, y + 6)], colour.stroke_width(2))
        });
    }
    if let Some(end) = marks.end {
        let dashes = (0..20).map(|k| {
            let a = lo + (hi - lo) * f64::from(k) / 20.0;
            PathElement::new(vec![(end, a), (end, a + (hi - lo) / 40.0)], BLACK.stroke_width(1))
        });
        chart.draw_series(dashes)?;
    }
    if marks.observed.is_empty() {
        return Ok(());
    }
    let red = RGBColor(200, 30, 30);
    chart
        .draw_series(
            marks.observed.iter().map(|&(d, _)| {
                PathElement::new(vec![(d, lo), (d, hi)], red.mix(0.7).stroke_width(2))
            }),
        )?
        .label("observed in the record (record_check.csv)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], red.stroke_width(2)));
    chart.draw_series(marks.observed.iter().map(|(d, what)| {
        Text::new(format!("observed: {what}"), (*d, hi - tick), ("sans-serif", 13).into_font())
    }))?;
    Ok(())
}

/// Bars with interval whiskers: (label, value, low, high).
struct Bars {
    title: String,
    axis: String,
    bars: Vec<(String, f64, f64, f64)>,
}

fn draw_bars<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, bars: &Bars) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = bars.bars.len().max(1);
    let top =
        bars.bars.iter().map(|b| b.3.max(b.1)).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    // Shares and indices (every value at most 1) get an axis that stops at 1: a share axis
    // running on to 1.1 shows values that cannot be.
    let top = match top {
        t if t <= 0.0 => 1.0,
        t if t <= 1.0 => (t * 1.1).min(1.0),
        t => t * 1.1,
    };
    let labels: Vec<String> = bars.bars.iter().map(|b| b.0.clone()).collect();
    // Room for the longest label at about 7.5 pixels a character (14-pixel DejaVu Sans), at
    // most half the width.
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let label_area =
        (longest * 7.5 + 16.0).clamp(120.0, f64::from(area.dim_in_pixel().0) / 2.0) as u32;
    // Bar i is centred on y = i on an axis from -0.5 to n - 0.5: asked for n labels, the axis
    // puts them at the whole numbers, the centres. One bar fills the chart rather than leaving
    // an empty slot with a stray tick above it.
    let mut chart = ChartBuilder::on(area)
        .caption(&bars.title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(label_area)
        .build_cartesian_2d(0.0..top, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_LINE)
        .light_line_style(TRANSPARENT)
        .x_desc(bars.axis.as_str())
        .y_labels(n)
        .y_label_formatter(&|v| match v.round() {
            r if (v - r).abs() < 1e-9 && r >= 0.0 => {
                labels.get(r as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .label_style(("sans-serif", 14))
        .disable_y_mesh()
        .draw()?;
    let half = if n == 1 { 0.3 } else { 0.4 };
    chart.draw_series(bars.bars.iter().enumerate().map(|(i, b)| {
        let v = if b.1.is_finite() { b.1.clamp(0.0, top) } else { 0.0 };
        let y = i as f64;
        Rectangle::new([(0.0, y - half), (v, y + half)], BLUE.mix(0.6).filled())
    }))?;
    chart.draw_series(
        bars.bars.iter().enumerate().filter(|(_, b)| b.2.is_finite() && b.3.is_finite()).map(
            |(i, b)| {
                PathElement::new(
                    vec![(b.2.clamp(0.0, top), i as f64), (b.3.clamp(0.0, top), i as f64)],
                    BLACK.stroke_width(2),
                )
            },
        ),
    )?;
    Ok(())
}

/// Stacked shares per row: (row label, shares in `labels` order).
struct Stacked {
    title: String,
    labels: Vec<String>,
    rows: Vec<(String, Vec<f64>)>,
}

/// Colours of the talks' outcomes, in `TALKS_OUTCOMES` order, then any further label.
const STACK_COLOURS: [RGBColor; 6] = [
    RGBColor(200, 60, 50),
    RGBColor(60, 150, 80),
    RGBColor(60, 60, 60),
    RGBColor(230, 150, 40),
    RGBColor(170, 170, 170),
    RGBColor(90, 120, 200),
];

fn draw_stacked<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, st: &Stacked) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = st.rows.len().max(1);
    let names: Vec<String> = st.rows.iter().map(|r| r.0.clone()).collect();
    // The key goes right of the plot, never over a bar; the share axis stops at 1.
    let inner = area.titled(&st.title, ("sans-serif", 22))?;
    let (plot, key) = inner.split_horizontally(inner.dim_in_pixel().0.saturating_sub(240));
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(180)
        .build_cartesian_2d(0.0..1.0, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_LINE)
        .light_line_style(TRANSPARENT)
        .x_desc("share of runs")
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_labels(n)
        .y_label_formatter(&|v| match v.round() {
            r if (v - r).abs() < 1e-9 && r >= 0.0 => {
                names.get(r as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .label_style(("sans-serif", 14))
        .disable_y_mesh()
        .draw()?;
    for (k, _) in st.labels.iter().enumerate() {
        let colour = STACK_COLOURS[k.min(STACK_COLOURS.len() - 1)];
        chart.draw_series(st.rows.iter().enumerate().map(|(i, (_, shares))| {
            let from: f64 = shares[..k].iter().filter(|x| x.is_finite()).sum();
            let to = (from + shares[k].max(0.0)).min(1.0);
            let y = i as f64;
            Rectangle::new([(from.min(1.0), y - 0.4), (to, y + 0.4)], colour.filled())
        }))?;
    }
    for (k, label) in st.labels.iter().enumerate() {
        let colour = STACK_COLOURS[k.min(STACK_COLOURS.len() - 1)];
        let y = 24 + 24 * k as i32;
        key.draw(&Rectangle::new([(8, y - 7), (24, y + 7)], colour.filled()))?;
        key.draw(&Text::new(label.clone(), (32, y - 8), ("sans-serif", 14).into_font()))?;
    }
    Ok(())
}

/// A branches folder's charts: the talks' ends per row, and each headline outcome per row.
fn branch_charts(out: &Canvas, rows: &Rows, headline: &[String]) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut branches: Vec<String> = Vec::new();
    for r in rows {
        if !branches.contains(&r["branch"]) {
            branches.push(r["branch"].clone());
        }
    }
    // The y axis counts upward: the baseline goes on top.
    branches.reverse();
    let talks: Vec<&BTreeMap<String, String>> =
        rows.iter().filter(|r| r["outcome"] == "talks_outcome").collect();
    let mut labels: Vec<String> = Vec::new();
    for r in &talks {
        if !labels.contains(&r["value"]) {
            labels.push(r["value"].clone());
        }
    }
    if !talks.is_empty() {
        let st = Stacked {
            title: String::from("How the talks end, by branch (share of runs)"),
            labels: labels.iter().map(|l| talks_words(l)).collect(),
            rows: branches
                .iter()
                .map(|b| {
                    let shares = labels
                        .iter()
                        .map(|l| {
                            talks
                                .iter()
                                .find(|r| r["branch"] == *b && r["value"] == *l)
                                .map_or(0.0, |r| num(r, "estimate"))
                        })
                        .collect();
                    (b.clone(), shares)
                })
                .collect(),
        };
        written.extend(both(out, "branches_talks", &|a| draw_stacked(a, &st))?);
    }
    let accepts: Vec<String> = rows
        .iter()
        .filter(|r| r["outcome"].ends_with("_accepts_talks") && r["value"] == "true")
        .map(|r| r["outcome"].clone())
        .collect();
    let mut measures: Vec<String> = Vec::new();
    for m in accepts.iter().chain(headline) {
        if !measures.contains(m) {
            measures.push(m.clone());
        }
    }
    for outcome in &measures {
        let bars: Vec<(String, f64, f64, f64)> = branches
            .iter()
            .filter_map(|b| {
                let r = rows.iter().find(|r| r["branch"] == *b && r["outcome"] == *outcome)?;
                Some((b.clone(), num(r, "estimate"), num(r, "ci95_low"), num(r, "ci95_high")))
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let share = outcome.ends_with("_accepts_talks");
        let b = Bars {
            title: format!(
                "{}, by branch ({}, 95% interval)",
                outcome_words(outcome),
                if share { "share of runs" } else { "mean" }
            ),
            axis: String::from(if share { "share of runs" } else { "mean at the row's last date" }),
            bars,
        };
        written.extend(both(out, &format!("branches_{outcome}"), &|a| draw_bars(a, &b))?);
    }
    Ok(written)
}

/// PRIM's peeling trajectory: each box's coverage against its density, the chosen one in red.
fn draw_tradeoff<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[(f64, f64, bool)],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let lo = points.iter().map(|p| p.1).fold(1.0, f64::min);
    let mut chart = ChartBuilder::on(area)
        .caption("Scenario discovery: the peeling trajectory (PRIM)", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.05, (lo - 0.05).max(0.0)..1.05)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_LINE)
        .light_line_style(TRANSPARENT)
        .x_desc("coverage (share of the cases inside the box)")
        .y_desc("density (share of the box that are cases)")
        .label_style(("sans-serif", 14))
        .draw()?;
    chart.draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), BLUE.mix(0.5)))?;
    chart
        .draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, BLUE.filled())))?
        .label("a box of the trajectory")
        .legend(|(x, y)| Circle::new((x + 8, y), 4, BLUE.filled()));
    let red = RGBColor(200, 30, 30);
    chart
        .draw_series(
            points.iter().filter(|p| p.2).map(|p| Circle::new((p.0, p.1), 7, red.filled())),
        )?
        .label("the chosen box")
        .legend(move |(x, y)| Circle::new((x + 8, y), 6, red.filled()));
    let (y0, y1) = ((lo - 0.05).max(0.0), 1.05);
    let occupied: Vec<(f64, f64)> =
        points.iter().map(|p| (p.0 / 1.05, (p.1 - y0) / (y1 - y0))).collect();
    legend(&mut chart, 2, &occupied)?;
    Ok(())
}

/// A calibration's final population: parameter names and ranges, particles and weights.
struct Posterior {
    names: Vec<String>,
    ranges: Vec<(f64, f64)>,
    /// Each parameter's value in the scenario before calibration, where known.
    baselines: Vec<Option<f64>>,
    /// (values in parameter order, weight)
    particles: Vec<(Vec<f64>, f64)>,
}

const HIST_BINS: usize = 20;

impl Posterior {
    /// Weighted histogram of parameter `d` as densities over `HIST_BINS` bins of its range.
    fn density(&self, d: usize) -> Vec<f64> {
        let (lo, hi) = self.ranges[d];
        let width = (hi - lo) / HIST_BINS as f64;
        let mut bins = [0.0; HIST_BINS];
        for (v, w) in &self.particles {
            let k = (((v[d] - lo) / width).floor().max(0.0) as usize).min(HIST_BINS - 1);
            bins[k] += w;
        }
        let total: f64 = bins.iter().sum();
        bins.iter().map(|b| if total > 0.0 { b / total / width } else { 0.0 }).collect()
    }
}

fn draw_marginal<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    post: &Posterior,
    d: usize,
    caption: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = post.ranges[d];
    let dens = post.density(d);
    let prior = 1.0 / (hi - lo);
    // Headroom above the tallest bar for the legend.
    let top = dens.iter().copied().fold(prior, f64::max) * 1.35;
    let mut b = ChartBuilder::on(area);
    if caption {
        b.caption(
            format!("Posterior of {} (weighted particles)", post.names[d]),
            ("sans-serif", 20),
        );
    }
    let mut chart = b
        .margin(if caption { 16 } else { 4 })
        .x_label_area_size(if caption { 40 } else { 18 })
        .y_label_area_size(if caption { 60 } else { 0 })
        .build_cartesian_2d(lo..hi, 0.0..top)?;
    let mut mesh = chart.configure_mesh();
    mesh.label_style(("sans-serif", if caption { 14 } else { 9 })).disable_mesh();
    if caption {
        mesh.x_desc(post.names[d].as_str()).y_desc("density");
    } else {
        mesh.x_labels(3).y_labels(0);
    }
    mesh.draw()?;
    let width = (hi - lo) / HIST_BINS as f64;
    chart
        .draw_series(dens.iter().enumerate().map(|(k, y)| {
            let x0 = lo + k as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width, *y)], BLUE.mix(0.5).filled())
        }))?
        .label("posterior")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.5).filled()));
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(lo, prior), (hi, prior)],
            BLACK.stroke_width(2),
        )))?
        .label("prior (uniform)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2)));
    let mut rows = 2;
    let baseline = post.baselines.get(d).copied().flatten().filter(|b| (lo..=hi).contains(b));
    if let Some(b) = baseline {
        let orange = RGBColor(220, 110, 20);
        let dashes = (0..24).map(move |k| {
            let y0 = top * f64::from(k) / 24.0;
            PathElement::new(vec![(b, y0), (b, y0 + top / 48.0)], orange.stroke_width(2))
        });
        chart.draw_series(dashes)?.label("the scenario's value").legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 6, y)], orange.stroke_width(2))
        });
        rows += 1;
    }
    if caption {
        // The histogram's bars, each as a column of points up to its height.
        let n = dens.len().max(1) as f64;
        let occupied: Vec<(f64, f64)> =
            dens.iter()
                .enumerate()
                .flat_map(|(k, h)| {
                    let x = (k as f64 + 0.5) / n;
                    (0..=10).map(move |j| (x, h / top * f64::from(j) / 10.0))
                })
                .chain(baseline.into_iter().flat_map(|b| {
                    (0..=10).map(move |j| ((b - lo) / (hi - lo), f64::from(j) / 10.0))
                }))
                .collect();
        legend(&mut chart, rows, &occupied)?;
    }
    Ok(())
}

/// Every two parameters: particles below the diagonal (darker by weight), marginals on it,
/// names above it.
fn draw_pairs<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, post: &Posterior) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = post.names.len();
    let area = area.titled("Posterior pairs (particles darker by weight)", ("sans-serif", 20))?;
    let cells = area.split_evenly((n, n));
    let top = post.particles.iter().map(|p| p.1).fold(0.0, f64::max);
    for (k, cell) in cells.iter().enumerate() {
        let (i, j) = (k / n, k % n);
        if i == j {
            draw_marginal(cell, post, i, false)?;
        } else if i > j {
            let (xl, xh) = post.ranges[j];
            let (yl, yh) = post.ranges[i];
            let mut chart = ChartBuilder::on(cell)
                .margin(4)
                .x_label_area_size(18)
                .y_label_area_size(30)
                .build_cartesian_2d(xl..xh, yl..yh)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(3)
                .y_labels(3)
                .label_style(("sans-serif", 9))
                .draw()?;
            chart.draw_series(post.particles.iter().map(|(v, w)| {
                let alpha = if top > 0.0 { 0.15 + 0.85 * w / top } else { 0.5 };
                Circle::new((v[j], v[i]), 2, BLUE.mix(alpha).filled())
            }))?;
        } else {
            // Above the diagonal: which pair the mirrored cell below shows.
            let short = |s: &str| {
                let parts: Vec<&str> = s.split('.').collect();
                let keep = if parts.len() > 2 { &parts[parts.len() - 2..] } else { &parts[..] };
                keep.join(".")
            };
            let style = ("sans-serif", 10).into_font();
            cell.draw(&Text::new(format!("y: {}", short(&post.names[j])), (4, 12), style.clone()))?;
            cell.draw(&Text::new(format!("x: {}", short(&post.names[i])), (4, 26), style))?;
        }
    }
    Ok(())
}

/// A calibration folder's charts: one marginal per parameter and the pair plot.
fn calibration_charts(dir: &Path, out: &Canvas, manifest: &Manifest) -> Result<Vec<PathBuf>> {
    let rows = read_csv(&dir.join("particles.csv"))?;
    let labels = Labels::of_manifest(manifest);
    let params: Vec<(String, f64, f64)> =
        manifest.parameters().iter().map(|p| (p.path.clone(), p.low, p.high)).collect();
    let baselines = manifest.parameters().iter().map(|p| p.baseline).collect();
    let last =
        rows.iter().map(|r| r["generation"].clone()).max_by_key(|g| g.parse::<u64>().unwrap_or(0));
    let post = Posterior {
        names: params.iter().map(|p| labels.of(&p.0)).collect(),
        ranges: params.iter().map(|p| (p.1, p.2)).collect(),
        baselines,
        particles: rows
            .iter()
            .filter(|r| Some(&r["generation"]) == last.as_ref())
            .map(|r| (params.iter().map(|p| num(r, &p.0)).collect(), num(r, "weight")))
            .collect(),
    };
    let mut written = Vec::new();
    if post.names.is_empty() || post.particles.is_empty() {
        return Ok(written);
    }
    for (d, (path, _, _)) in params.iter().enumerate() {
        // Files are named by the parameter's path, charts by its label.
        let name = format!("posterior_{}", path.replace('.', "_"));
        written.extend(both(out, &name, &|a| draw_marginal(a, &post, d, true))?);
    }
    written.extend(both(out, "posterior_pairs", &|a| draw_pairs(a, &post))?);
    Ok(written)
}

/// One bin of a reliability diagram: (mean forecast, share that happened, interval low, high,
/// forecasts in the bin).
type Bin = (f64, f64, f64, f64, u64);

/// A reliability diagram: per forecaster, its bins.
struct Reliability {
    forecasters: Vec<(String, Vec<Bin>)>,
}

/// Colours of the forecasters of a reliability diagram, in order.
const FORECASTER_COLOURS: [RGBColor; 2] = [RGBColor(40, 90, 190), RGBColor(220, 120, 30)];

fn draw_reliability<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &Reliability,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption("Reliability: forecast probability against what happened", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_LINE)
        .light_line_style(TRANSPARENT)
        .x_desc("forecast probability (mean in each tenth)")
        .y_desc("share that happened (Wilson 95%)")
        .x_labels(6)
        .y_labels(6)
        .label_style(("sans-serif", 14))
        .draw()?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.5)))?
        .label("a reliable forecaster")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.5)));
    for (k, (name, bins)) in r.forecasters.iter().enumerate() {
        let colour = FORECASTER_COLOURS[k % FORECASTER_COLOURS.len()];
        // Bars of the intervals, a little apart per forecaster so they do not hide each other.
        let dx = 0.006 * k as f64;
        chart.draw_series(bins.iter().filter(|b| b.2.is_finite() && b.3.is_finite()).map(|b| {
            PathElement::new([(b.0 + dx, b.2), (b.0 + dx, b.3)], colour.stroke_width(2))
        }))?;
        chart
            .draw_series(LineSeries::new(
                bins.iter().map(|b| (b.0 + dx, b.1)),
                colour.stroke_width(2),
            ))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        // A dot per bin, larger where the bin holds more forecasts.
        chart.draw_series(bins.iter().map(|b| {
            let size = 3 + ((b.4 as f64).sqrt() as i32).min(9);
            Circle::new((b.0 + dx, b.1), size, colour.filled())
        }))?;
    }
    // Upper left: a forecaster below the diagonal is over-confident at high probabilities,
    // so the upper left corner is the one most often empty.
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

/// The reliability diagram of an evaluation folder: the model's and the base rate's.
fn reliability_charts(dir: &Path, out: &Canvas) -> Result<Vec<PathBuf>> {
    let rows = read_csv(&dir.join("reliability.csv"))?;
    let mut forecasters: Vec<(String, Vec<Bin>)> = Vec::new();
    for who in ["model", "base rate"] {
        let bins: Vec<Bin> = rows
            .iter()
            .filter(|r| r["forecaster"] == who)
            .map(|r| {
                let n = r["forecasts"].parse::<u64>().unwrap_or(0);
                (
                    num(r, "mean_forecast"),
                    num(r, "observed_share"),
                    num(r, "ci95_low"),
                    num(r, "ci95_high"),
                    n,
                )
            })
            .collect();
        if !bins.is_empty() {
            let label = if who == "model" { "the model" } else { "the other episodes' base rate" };
            forecasters.push((label.to_string(), bins));
        }
    }
    if forecasters.is_empty() {
        return Ok(Vec::new());
    }
    let r = Reliability { forecasters };
    both(out, "reliability", &|a| draw_reliability(a, &r))
}

/// A grid sweep's headline outcome: a line over one parameter or a heat map over two.
struct Grid {
    title: String,
    params: Vec<String>,
    /// (x, y (0 for 1-D), mean)
    cells: Vec<(f64, f64, f64)>,
}

fn draw_grid<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, g: &Grid) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let xs: Vec<f64> = dedup(g.cells.iter().map(|c| c.0).collect());
    let vmin = g.cells.iter().map(|c| c.2).fold(f64::INFINITY, f64::min);
    let vmax = g.cells.iter().map(|c| c.2).fold(f64::NEG_INFINITY, f64::max);
    if g.params.len() == 1 {
        let pad = ((vmax - vmin) * 0.1).max(0.01);
        let mut chart = ChartBuilder::on(area)
            .caption(&g.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(xs[0]..*xs.last().unwrap_or(&1.0), (vmin - pad)..(vmax + pad))?;
        chart
            .configure_mesh()
            .bold_line_style(GRID_LINE)
            .light_line_style(TRANSPARENT)
            .x_desc(g.params[0].as_str())
            .y_desc("mean across replicates")
            .label_style(("sans-serif", 14))
            .draw()?;
        chart.draw_series(LineSeries::new(
            g.cells.iter().map(|c| (c.0, c.2)),
            BLUE.stroke_width(2),
        ))?;
        chart.draw_series(g.cells.iter().map(|c| Circle::new((c.0, c.2), 4, BLUE.filled())))?;
        return Ok(());
    }
    let ys: Vec<f64> = dedup(g.cells.iter().map(|c| c.1).collect());
    let (nx, ny) = (xs.len(), ys.len());
    // The map on the left, its colour bar on the right; both under the one title.
    let area = area.titled(&g.title, ("sans-serif", 22))?;
    let (width, _) = area.dim_in_pixel();
    let (area, bar_area) = area.split_horizontally(width.saturating_sub(120));
    let span = (vmax - vmin).max(1e-12);
    let colour = |v: f64| ViridisRGB.get_color(((v - vmin) / span) as f32);
    let mut bar = ChartBuilder::on(&bar_area)
        .margin_top(16)
        .margin_bottom(56)
        .margin_right(16)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, vmin..vmin + span)?;
    bar.configure_mesh()
        .disable_x_mesh()
        .disable_y_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .label_style(("sans-serif", 13))
        .draw()?;
    bar.draw_series((0..100).map(|k| {
        let (a, b) = (vmin + span * f64::from(k) / 100.0, vmin + span * f64::from(k + 1) / 100.0);
        Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0).filled())
    }))?;
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        // A segmented range a..b has a segment for every value up to b inclusive.
        .build_cartesian_2d(
            (0..nx.saturating_sub(1)).into_segmented(),
            (0..ny.saturating_sub(1)).into_segmented(),
        )?;
    let (xl, yl) = (xs.clone(), ys.clone());
    let label = |v: &[f64], s: &SegmentValue<usize>| match s {
        SegmentValue::CenterOf(i) => v.get(*i).map(|x| short(*x)).unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(g.params[0].as_str())
        .y_desc(g.params[1].as_str())
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&|s| label(&xl, s))
        .y_label_formatter(&|s| label(&yl, s))
        .label_style(("sans-serif", 14))
        .disable_mesh()
        .draw()?;
    chart.draw_series(g.cells.iter().map(|c| {
        let i = xs.iter().position(|x| *x == c.0).unwrap_or(0);
        let j = ys.iter().position(|y| *y == c.1).unwrap_or(0);
        let color = colour(c.2);
        Rectangle::new(
            [
                (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
            ],
            color.filled(),
        )
    }))?;
    chart.draw_series(g.cells.iter().map(|c| {
        let i = xs.iter().position(|x| *x == c.0).unwrap_or(0);
        let j = ys.iter().position(|y| *y == c.1).unwrap_or(0);
        // Dark text on the light (yellow) end of viridis, white on the dark end.
        let light = (c.2 - vmin) / span > 0.6;
        Text::new(
            format!("{:.3}", c.2),
            (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
            ("sans-serif", 16).into_font().color(if light { &BLACK } else { &WHITE }),
        )
    }))?;
    Ok(())
}

/// A value with its 95% interval: (value, low, high).
type Estimate = (f64, f64, f64);

/// One panel of a dependence chart: an outcome against one parameter, binned.
struct Panel {
    param: String,
    /// Per bin: the mean parameter value, then per line its estimate.
    bins: Vec<(f64, Vec<Estimate>)>,
}

/// One parameter's bins, the same for every outcome drawn against it: per non-empty bin, the
/// mean parameter value and the runs in it.
struct Binned {
    bins: Vec<(f64, Vec<usize>)>,
}

/// Small multiples, one panel per parameter, on a shared y axis: how an outcome (one line) or
/// the shares of the talks' ends (a line each) depend on each parameter.
struct Dependence {
    title: String,
    y_desc: String,
    /// The lines' names (one for an outcome's mean, one per label for shares).
    lines: Vec<String>,
    panels: Vec<Panel>,
}

/// The bins of one parameter's values: each distinct value when there are at most 12 (a
/// grid's or a Morris design's levels), else 10 bins of equal width. Returns per run its bin.
fn bins_of(values: &[f64]) -> (usize, Vec<usize>) {
    let levels = dedup(values.to_vec());
    if levels.len() <= 12 {
        let at = values.iter().map(|v| levels.iter().position(|l| l == v).unwrap_or(0)).collect();
        return (levels.len(), at);
    }
    let (lo, hi) = (levels[0], levels[levels.len() - 1]);
    let width = (hi - lo).max(1e-12) / 10.0;
    (10, values.iter().map(|v| (((v - lo) / width) as usize).min(9)).collect())
}

/// Dependence charts of a sweep from its runs.csv: per headline outcome, its mean with a 95%
/// interval in bins of each parameter (a flag's share with its Wilson interval); and the shares
/// of the talks' ends against each parameter.
fn dependence_charts(
    dir: &Path,
    out: &Canvas,
    params: &[String],
    labels: &Labels,
    headline: &[String],
    flags: &[String],
) -> Result<Vec<PathBuf>> {
    if params.is_empty() {
        return Ok(Vec::new());
    }
    // A Parquet sweep's runs are read back as the CSV they were converted from.
    let runs = crate::parquet::csv_of(dir, "runs")?;
    if !runs.path.is_file() {
        return Ok(Vec::new());
    }
    let rows = read_csv(&runs.path)?;
    let columns: Vec<Binned> = params
        .iter()
        .map(|p| {
            let values: Vec<f64> = rows.iter().map(|r| num(r, p)).collect();
            let (count, at) = bins_of(&values);
            let mut members = vec![Vec::new(); count];
            for (i, b) in at.iter().enumerate() {
                members[*b].push(i);
            }
            let bins = members
                .into_iter()
                .filter(|m| !m.is_empty())
                .map(|m| (m.iter().map(|&i| values[i]).sum::<f64>() / m.len() as f64, m))
                .collect();
            Binned { bins }
        })
        .collect();
    let panels_of = |line_values: &dyn Fn(&[usize]) -> Vec<Estimate>| -> Vec<Panel> {
        params
            .iter()
            .zip(&columns)
            .map(|(p, binned)| Panel {
                param: labels.of(p),
                bins: binned.bins.iter().map(|(x, m)| (*x, line_values(m))).collect(),
            })
            .collect()
    };
    let mut written = Vec::new();
    let mut draw = |name: String, d: Dependence| -> Result<()> {
        written.extend(both(out, &name, &|a| draw_dependence(a, &d))?);
        Ok(())
    };
    for outcome in headline {
        let mean_ci = |members: &[usize]| {
            let xs: Vec<f64> =
                members.iter().map(|&i| num(&rows[i], outcome)).filter(|x| x.is_finite()).collect();
            if xs.is_empty() {
                return vec![(f64::NAN, f64::NAN, f64::NAN)];
            }
            let m = sidelines_experiment::stats::mean(&xs);
            let half = if xs.len() > 1 {
                sidelines_experiment::stats::half_width(
                    sidelines_experiment::stats::sample_sd(&xs),
                    xs.len() as u64,
                )
            } else {
                0.0
            };
            vec![(m, m - half, m + half)]
        };
        let d = Dependence {
            title: format!("{} against each assumption", outcome_words(outcome)),
            y_desc: String::from("mean, 95% interval"),
            lines: vec![String::from("mean")],
            panels: panels_of(&mean_ci),
        };
        draw(format!("depends_{outcome}"), d)?;
    }
    for flag in flags {
        let share = |members: &[usize]| {
            let yes = members
                .iter()
                .filter(|&&i| crate::parse_flag(&rows[i][flag]) == Some(true))
                .count();
            let (s, lo, hi) = sidelines_experiment::stats::wilson(yes as u64, members.len() as u64);
            vec![(s, lo, hi)]
        };
        let code = flag.split('_').next().unwrap_or("").to_uppercase();
        let d = Dependence {
            title: format!("{} accepts talks, against each assumption", actor_name(&code)),
            y_desc: String::from("share of runs, 95% interval"),
            lines: vec![String::from("share")],
            panels: panels_of(&share),
        };
        draw(format!("depends_{flag}"), d)?;
    }
    if rows.first().is_some_and(|r| r.contains_key("talks_outcome")) {
        let labels = sidelines_model::TALKS_OUTCOMES;
        let shares = |members: &[usize]| {
            labels
                .iter()
                .map(|l| {
                    let k = members.iter().filter(|&&i| rows[i]["talks_outcome"] == *l).count();
                    sidelines_experiment::stats::wilson(k as u64, members.len() as u64)
                })
                .collect()
        };
        let d = Dependence {
            title: String::from("How the talks end, against each assumption"),
            y_desc: String::from("share of runs"),
            lines: labels.iter().map(|l| talks_words(l)).collect(),
            panels: panels_of(&shares),
        };
        draw(String::from("depends_talks_outcome"), d)?;
    }
    Ok(written)
}

fn draw_dependence<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Dependence) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let area = area.titled(&d.title, ("sans-serif", 22))?;
    let k = d.panels.len().max(1);
    let cols = k.min(3);
    let rows = k.div_ceil(cols);
    let values = || d.panels.iter().flat_map(|p| p.bins.iter().flat_map(|(_, v)| v.iter()));
    let lo = values().map(|v| v.1).filter(|x| x.is_finite()).fold(f64::INFINITY, f64::min);
    let hi = values().map(|v| v.2).filter(|x| x.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo, hi) } else { (0.0, 1.0) };
    let pad = (hi - lo) * 0.05;
    let (lo, hi) = (lo - pad, hi + pad);
    let several = d.lines.len() > 1;
    for (n, (cell, panel)) in area.split_evenly((rows, cols)).iter().zip(&d.panels).enumerate() {
        let xs: Vec<f64> = panel.bins.iter().map(|b| b.0).collect();
        let (x0, x1) = (
            xs.iter().copied().fold(f64::INFINITY, f64::min),
            xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let xpad = ((x1 - x0) * 0.05).max(1e-9);
        let mut chart = ChartBuilder::on(cell)
            .caption(&panel.param, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(if n % cols == 0 { 56 } else { 36 })
            .build_cartesian_2d((x0 - xpad)..(x1 + xpad), lo..hi)?;
        let mut mesh = chart.configure_mesh();
        mesh.bold_line_style(GRID_LINE)
            .light_line_style(TRANSPARENT)
            .x_labels(4)
            .y_labels(5)
            .x_label_formatter(&|x| short_axis(*x))
            .y_label_formatter(&|y| format!("{y:.2}"))
            .label_style(("sans-serif", 11));
        if n % cols == 0 {
            mesh.y_desc(d.y_desc.as_str());
        }
        mesh.draw()?;
        for (j, name) in d.lines.iter().enumerate() {
            let colour = if several { STACK_COLOURS[j.min(STACK_COLOURS.len() - 1)] } else { BLUE };
            let points: Vec<(f64, f64, f64, f64)> = panel
                .bins
                .iter()
                .filter_map(|(x, v)| v.get(j).map(|&(m, l, h)| (*x, m, l, h)))
                .filter(|p| p.1.is_finite())
                .collect();
            let series = chart.draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1)),
                colour.stroke_width(2),
            ))?;
            if several && n == 0 {
                series.label(name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                });
            }
            if !several {
                chart.draw_series(points.iter().map(|p| {
                    PathElement::new(vec![(p.0, p.2), (p.0, p.3)], colour.mix(0.6).stroke_width(2))
                }))?;
                chart.draw_series(
                    points.iter().map(|p| Circle::new((p.0, p.1), 3, colour.filled())),
                )?;
            }
        }
        if several && n == 0 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 11))
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
        }
    }
    Ok(())
}

/// A parameter value on a small axis: two decimals below 10, whole numbers above.
fn short_axis(x: f64) -> String {
    if x.abs() >= 10.0 { format!("{x:.0}") } else { format!("{x:.2}") }
}

/// A grid value for an axis: whole numbers without decimals, others to three places.
fn short(x: f64) -> String {
    if x.fract() == 0.0 { format!("{x:.0}") } else { format!("{x:.3}") }
}

fn dedup(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Draws every chart the folder's tables allow; returns the files written. If one cannot be
/// written (a full disk), the ones this call wrote are removed: no half set of charts remains.
/// Charts of an earlier call that the tables no longer give (an outcome `analyze --force` left
/// out) are removed, so DIR/charts/ always shows the tables as they are.
pub fn write_charts(dir: &Path, size: ChartSize) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    match draw_charts(dir, size, &mut written) {
        Ok(()) => {
            let stale = std::fs::read_dir(dir.join("charts"))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "png" || x == "svg") && !written.contains(p)
                });
            for p in stale {
                std::fs::remove_file(&p).at(&p)?;
            }
            let record = dir.join("charts").join(SIZE_FILE);
            let text =
                serde_json::to_vec(&size).map_err(|e| Error::damaged(&record, e.to_string()))?;
            std::fs::write(&record, text).at(&record)?;
            Ok(written)
        }
        Err(e) => {
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            Err(e)
        }
    }
}

fn draw_charts(dir: &Path, size: ChartSize, written: &mut Vec<PathBuf>) -> Result<()> {
    let manifest = crate::folder::check(dir)?.manifest;
    register_fonts();
    let out = Canvas { dir: dir.join("charts"), size };
    std::fs::create_dir_all(&out.dir).at(&out.dir)?;
    // The headline outcomes of the model's outcome table (tornados and grids).
    let headline = manifest.headline_numeric();
    let labels = Labels::of_manifest(&manifest);

    if manifest.kind == Kind::Evaluate {
        written.extend(reliability_charts(dir, &out)?);
    }

    if dir.join("timeseries.csv").is_file() {
        let rows = read_csv(&dir.join("timeseries.csv"))?;
        // A replay's record and its check, drawn on the fans.
        let optional = |name: &str| -> Result<Rows> {
            let p = dir.join(name);
            if p.is_file() { read_csv(&p) } else { Ok(Vec::new()) }
        };
        let (record, checks) = (optional("record.csv")?, optional("record_check.csv")?);
        let mut fans: BTreeMap<(String, String), Fan> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.get("point").map(String::as_str) == Some("0")) {
            let (actor, variable) = (r["actor"].clone(), r["variable"].clone());
            if !(variable.starts_with("trust_") || variable.starts_with("belief_")) {
                continue;
            }
            let fan = fans.entry((actor.clone(), variable.clone())).or_insert_with(|| Fan {
                title: format!("{}: {}", actor_name(&actor), words(&variable)),
                dates: Vec::new(),
                bands: Vec::new(),
                record: Marks::default(),
            });
            fan.dates.push(r["date"].clone());
            fan.bands.push([
                num(r, "p50"),
                num(r, "p25"),
                num(r, "p75"),
                num(r, "p05"),
                num(r, "p95"),
            ]);
        }
        for ((actor, variable), fan) in &mut fans {
            fan.record = Marks::of(&record, &checks, actor, variable, &fan.dates);
        }
        for ((actor, variable), fan) in &fans {
            let name = format!("fan_{}_{}", actor.to_lowercase(), variable);
            written.extend(both(&out, &name, &|a| draw_fan(a, fan))?);
        }
    }

    // A batch's (or replay's) shares: the talks' ends, which exclude one another, in one chart;
    // each observer's acceptance of talks, a flag of its own, in another. A sweep's shares
    // depend on the point: they are drawn against each parameter below.
    if matches!(manifest.kind, Kind::Batch | Kind::Replay) && dir.join("outcomes.csv").is_file() {
        let rows = read_csv(&dir.join("outcomes.csv"))?;
        let point0: Vec<&BTreeMap<String, String>> =
            rows.iter().filter(|r| r["point"] == "0").collect();
        // In the table's order, first at the top (the chart's y axis counts upward).
        let bars: Vec<(String, f64, f64, f64)> = point0
            .iter()
            .filter(|r| r["outcome"] == "talks_outcome")
            .rev()
            .map(|r| {
                let label = talks_words(&r["value"]);
                (label, num(r, "share"), num(r, "ci95_low"), num(r, "ci95_high"))
            })
            .collect();
        if !bars.is_empty() {
            let b = Bars {
                title: String::from("How the talks end (share of runs, 95% interval)"),
                axis: String::from("share of runs"),
                bars,
            };
            written.extend(both(&out, "outcome_shares", &|a| draw_bars(a, &b))?);
        }
        let flags: Vec<(String, f64, f64, f64)> = point0
            .iter()
            .filter(|r| {
                r["outcome"].ends_with("_accepts_talks")
                    && r["value"] == sidelines_model::FLAG_VALUES[1]
            })
            .map(|r| {
                let code = r["outcome"].split('_').next().unwrap_or("").to_uppercase();
                let label = format!("{} accepts talks", actor_name(&code));
                (label, num(r, "share"), num(r, "ci95_low"), num(r, "ci95_high"))
            })
            .collect();
        if !flags.is_empty() {
            let b = Bars {
                title: String::from("Who accepts talks with the US (share of runs, 95% interval)"),
                axis: String::from("share of runs"),
                bars: flags,
            };
            written.extend(both(&out, "accepts_talks", &|a| draw_bars(a, &b))?);
        }
    }

    if dir.join("prim_trajectory.csv").is_file() {
        let rows = read_csv(&dir.join("prim_trajectory.csv"))?;
        let points: Vec<(f64, f64, bool)> = rows
            .iter()
            .map(|r| {
                (
                    num(r, "coverage"),
                    num(r, "density"),
                    crate::parse_flag(&r["chosen"]) == Some(true),
                )
            })
            .collect();
        if !points.is_empty() {
            written.extend(both(&out, "prim_trajectory", &|a| draw_tradeoff(a, &points))?);
        }
    }

    if dir.join("claims.csv").is_file() {
        let rows = read_csv(&dir.join("claims.csv"))?;
        // The first claim at the top (the chart's y axis counts upward).
        let bars: Vec<(String, f64, f64, f64)> = rows
            .iter()
            .rev()
            .map(|r| {
                // The claim's few words where the table has them (older folders do not).
                let label = match r.get("wording") {
                    Some(w) => format!("{}: {w} ({})", r["claim"], r["assumptions"]),
                    None => format!("claim {} ({})", r["claim"], r["assumptions"]),
                };
                (label, num(r, "share"), num(r, "ci95_low"), num(r, "ci95_high"))
            })
            .collect();
        if !bars.is_empty() {
            let b = Bars {
                title: String::from("Where each claim holds (share of points, 95% interval)"),
                axis: String::from("share of assumption points where the claim holds"),
                bars,
            };
            written.extend(both(&out, "claims", &|a| draw_bars(a, &b))?);
        }
    }

    if manifest.kind == Kind::Calibrate && dir.join("particles.csv").is_file() {
        written.extend(calibration_charts(dir, &out, &manifest)?);
    }

    if dir.join("branches.csv").is_file() {
        let rows = read_csv(&dir.join("branches.csv"))?;
        written.extend(branch_charts(&out, &rows, &headline)?);
    }

    if dir.join("sensitivity.csv").is_file() {
        let rows = read_csv(&dir.join("sensitivity.csv"))?;
        let sobol = rows.first().is_some_and(|r| r.contains_key("ST"));
        let (value, conf, axis) = if sobol {
            ("ST", "ST_conf", "total-order Sobol index")
        } else {
            ("mu_star", "mu_star_conf", "Morris mu* (mean absolute elementary effect)")
        };
        // The headline numbers, and the share of runs where each headline yes/no holds.
        let charted = headline
            .iter()
            .map(|o| (o.clone(), outcome_words(o), format!("tornado_{o}")))
            .chain(manifest.headline_flags().into_iter().map(|name| {
                (
                    crate::flag_share_column(&name),
                    format!("the share of runs where {}", outcome_words(&name)),
                    format!("tornado_{name}_share"),
                )
            }));
        for (outcome, what, file) in charted {
            let mut bars: Vec<(String, f64, f64, f64)> = rows
                .iter()
                .filter(|r| r["outcome"] == outcome)
                .map(|r| {
                    let (v, c) = (num(r, value), num(r, conf));
                    (labels.of(&r["parameter"]), v, v - c, v + c)
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            // Largest at the top (the chart's y axis counts upward).
            bars.sort_by(|a, b| a.1.total_cmp(&b.1));
            let b = Bars {
                title: format!("What drives {what} ({})", if sobol { "Sobol" } else { "Morris" }),
                axis: axis.to_string(),
                bars,
            };
            written.extend(both(&out, &file, &|a| draw_bars(a, &b))?);
        }
    }

    if manifest.kind == Kind::Sweep {
        let params = manifest.parameter_paths();
        let flags = manifest.headline_flags();
        written.extend(dependence_charts(dir, &out, &params, &labels, &headline, &flags)?);
    }

    if manifest.sampler == Some(Sampler::Grid)
        && dir.join("points.csv").is_file()
        && dir.join("summary.csv").is_file()
    {
        let points = read_csv(&dir.join("points.csv"))?;
        let params = manifest.parameter_paths();
        let summary = read_csv(&dir.join("summary.csv"))?;
        if (1..=2).contains(&params.len()) {
            for outcome in &headline {
                let cells: Vec<(f64, f64, f64)> = summary
                    .iter()
                    .filter(|r| r["outcome"] == *outcome)
                    .filter_map(|r| {
                        let p = points.iter().find(|p| p["point"] == r["point"])?;
                        let x = num(p, &params[0]);
                        let y = params.get(1).map_or(0.0, |q| num(p, q));
                        Some((x, y, num(r, "mean")))
                    })
                    .collect();
                if cells.is_empty() {
                    continue;
                }
                let g = Grid {
                    title: format!("{} across the grid (mean)", outcome_words(outcome)),
                    params: params.iter().map(|p| labels.of(p)).collect(),
                    cells,
                };
                written.extend(both(&out, &format!("grid_{outcome}"), &|a| draw_grid(a, &g))?);
            }
        }
    }
    Ok(())
}
