//! Timelines and observations as data: dated CSV files an analyst edits in a spreadsheet.
//!
//! A timeline lists what happened, one event a row:
//!
//! ```text
//! date,kind,source,target,strength,note,source_url
//! 2025-04-23,public_rebuke,US,UA,1,"Crimea rebuke of Zelensky",https://...
//! ```
//!
//! `date`, `kind` and `source` are required; `target` may be empty; `strength` defaults to 1;
//! `note` and `source_url` are for people. An observations file lists what was seen of the
//! model's outcomes, one a row: `date,outcome,observed,note,source_url`, where `observed` is a
//! label (`ongoing`, `false`), `up` or `down` (against the run's start), `highest` (of an
//! actor's beliefs) or a range `LOW..HIGH`.
//!
//! Replaying turns the rows into the scenario's own `[[timeline]]` and `[[observed]]` entries
//! and validates the whole as one document, so a row's problems are found by the same checks as
//! a scenario's and reported at the row's cell: `2025.csv:14:12: kind: unknown event kind`.

use crate::error::{Diagnostic, Error, did_you_mean};
use crate::resolved::{ModelKind, Scenario};
use crate::source::{LineIndex, Place, SourceMap, line_col};
use crate::{Resolver, document, to_error, validate};

/// One input file: the name errors show, and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// What `sidelines replay` asks for.
#[derive(Clone, Copy, Debug)]
pub struct ReplaySpec<'a> {
    pub timeline: Input<'a>,
    pub observed: Option<Input<'a>>,
    /// Days simulated after the record's last day.
    pub then_days: u32,
}

/// A validated replay: the scenario to run and the record's rows, as read.
#[derive(Clone, Debug)]
pub struct Replay {
    pub scenario: Scenario,
    pub rows: Vec<Row>,
    /// The last day of the record (its last event or observation).
    pub last_day: u32,
}

/// One row of a timeline, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub date: String,
    pub day: u32,
    pub kind: String,
    pub source: String,
    pub target: String,
    pub strength: f64,
    pub note: String,
    pub source_url: String,
}

/// The longest horizon a scenario may have (`horizon_days`' domain).
const MAX_HORIZON: u32 = 36_500;

/// Rows a record may hold: far more than any record of diplomacy, few enough to stay small.
const MAX_ROWS: usize = 100_000;

const TIMELINE_COLUMNS: [&str; 7] =
    ["date", "kind", "source", "target", "strength", "note", "source_url"];
const TIMELINE_REQUIRED: [&str; 3] = ["date", "kind", "source"];
const OBSERVED_COLUMNS: [&str; 5] = ["date", "outcome", "observed", "note", "source_url"];
const OBSERVED_REQUIRED: [&str; 3] = ["date", "outcome", "observed"];

/// Loads a scenario (or variant) and a record into one validated replay.
pub fn load_replay(
    file: &str,
    bytes: &[u8],
    resolve: Resolver<'_>,
    spec: ReplaySpec<'_>,
) -> Result<Replay, Error> {
    let (mut doc, mut map) = document(file, bytes, resolve, 0)?;
    let base = validate::validate(&doc).map_err(|p| to_error(&map, p))?;
    let timeline = Table::read(spec.timeline, &TIMELINE_COLUMNS, &TIMELINE_REQUIRED);
    let observed = spec.observed.map(|i| Table::read(i, &OBSERVED_COLUMNS, &OBSERVED_REQUIRED));
    let (timeline, observed) = match (timeline, observed.transpose()) {
        (Ok(t), Ok(o)) => (t, o),
        (t, o) => {
            let problems = t.err().into_iter().chain(o.err()).flatten().collect();
            return Err(sorted(problems));
        }
    };
    let mut problems = Vec::new();

    // Dates to days, and the rows the model itself decides.
    let decided = [
        (ModelKind::TalksAccepted, "an observer's own decision"),
        (ModelKind::ConditionalOffer, "an observer's own decision"),
        (ModelKind::OvertureRefused, "an observer's own decision"),
        (ModelKind::TalksProposed, "an observer's own decision"),
        (ModelKind::ChinaCourtship, "a courting observer's own decision"),
    ];
    let mut rows = Vec::new();
    for r in &timeline.rows {
        let day = day_of(&base, &timeline, r, "date", &mut problems);
        let kind = r.get("kind").trim().to_string();
        if let Some(k) = base.event_index(&kind)
            && let Some((_, why)) = decided.iter().find(|(m, _)| base.kinds[*m] == k)
        {
            problems.push(timeline.at(
                r,
                "kind",
                format!(
                    "`{kind}` is {why}, which a replay compares with the record rather than \
                     scripts: put it in the observations file"
                ),
            ));
        }
        let strength = match r.get("strength").trim() {
            "" => Some(1.0),
            t => match t.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    problems.push(timeline.at(r, "strength", format!("`{t}` is not a number")));
                    None
                }
            },
        };
        if let (Some(day), Some(strength)) = (day, strength) {
            rows.push(Row {
                date: r.get("date").trim().to_string(),
                day,
                kind,
                source: r.get("source").trim().to_string(),
                target: r.get("target").trim().to_string(),
                strength,
                note: r.get("note").to_string(),
                source_url: r.get("source_url").trim().to_string(),
            });
        }
    }
    let mut observations = Vec::new();
    if let Some(obs) = &observed {
        for r in &obs.rows {
            if let Some(day) = day_of(&base, obs, r, "date", &mut problems) {
                observations.push((day, r));
            }
        }
    }
    if timeline.rows.is_empty() {
        problems.push(Diagnostic {
            file: spec.timeline.name.to_string(),
            line: 1,
            column: 1,
            field: String::new(),
            message: String::from("has a header but no events"),
        });
    }
    if !problems.is_empty() {
        return Err(sorted(problems));
    }

    let last_day = rows.iter().map(|r| r.day).chain(observations.iter().map(|(d, _)| *d)).max();
    let last_day = last_day.unwrap_or(0);
    let horizon = u64::from(last_day) + 1 + u64::from(spec.then_days);
    if horizon > u64::from(MAX_HORIZON) {
        let most = MAX_HORIZON - last_day - 1;
        return Err(Error::single(Diagnostic {
            file: String::from("<command line>"),
            line: 0,
            column: 0,
            field: String::from("--then"),
            message: format!(
                "{} days after the record's last day ({}) pass the longest horizon, {MAX_HORIZON} \
                 days; at most {most}",
                spec.then_days,
                base.date(last_day)
            ),
        }));
    }

    // Rows in date order, stable within a day: the day's events fire in file order, and a
    // file written out of order gives the same replay as the same file sorted (an event's
    // identity, which seeds how observers perceive it, is its place in the timeline).
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].day);
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    let rows: Vec<Row> = order.iter().filter_map(|&i| slots[i].take()).collect();
    let csv_rows: Vec<&CsvRow> = order.iter().map(|&i| &timeline.rows[i]).collect();

    // The record becomes the document's own timeline and observations.
    let name = format!("{}-replay", base.name);
    let name: String = name.chars().take(64).collect();
    doc.insert("name".into(), toml::Value::String(name));
    let description = format!(
        "{}, replayed through the record in {} to {}{}",
        base.name,
        spec.timeline.name,
        base.date(last_day),
        if spec.then_days > 0 { format!(", then {} days", spec.then_days) } else { String::new() }
    );
    doc.insert("description".into(), toml::Value::String(description));
    doc.insert("horizon_days".into(), toml::Value::Integer(horizon as i64));
    doc.insert("record_until_day".into(), toml::Value::Integer(i64::from(last_day)));
    let entry = doc.entry("timeline").or_insert_with(|| toml::Value::Array(Vec::new()));
    let offset = match entry.as_array_mut() {
        Some(t) => {
            let offset = t.len();
            for (row, r) in rows.iter().zip(csv_rows.iter().copied()) {
                let mut e = toml::Table::new();
                e.insert("day".into(), toml::Value::Integer(i64::from(row.day)));
                e.insert("kind".into(), toml::Value::String(row.kind.clone()));
                e.insert("source".into(), toml::Value::String(row.source.clone()));
                if !row.target.is_empty() {
                    e.insert("target".into(), toml::Value::String(row.target.clone()));
                }
                e.insert("magnitude".into(), toml::Value::Float(row.strength));
                let k = t.len();
                for (field, column) in [
                    ("", "date"),
                    (".day", "date"),
                    (".kind", "kind"),
                    (".source", "source"),
                    (".target", "target"),
                    (".magnitude", "strength"),
                ] {
                    map.insert(format!("timeline[{k}]{field}"), timeline.place(r, column));
                }
                t.push(toml::Value::Table(e));
            }
            offset
        }
        None => return Err(Error::plain("timeline", "the scenario's timeline is not an array")),
    };
    if let Some(obs) = &observed {
        let mut list = Vec::new();
        for (k, (day, r)) in observations.iter().enumerate() {
            let mut e = toml::Table::new();
            e.insert("day".into(), toml::Value::Integer(i64::from(*day)));
            e.insert("outcome".into(), toml::Value::String(r.get("outcome").trim().into()));
            e.insert("observed".into(), toml::Value::String(r.get("observed").trim().into()));
            e.insert("note".into(), toml::Value::String(r.get("note").into()));
            for (field, column) in
                [("", "date"), (".day", "date"), (".outcome", "outcome"), (".observed", "observed")]
            {
                map.insert(format!("observed[{k}]{field}"), obs.place(r, column));
            }
            list.push(toml::Value::Table(e));
        }
        doc.insert("observed".into(), toml::Value::Array(list));
    }

    let mut scenario = validate::validate(&doc).map_err(|problems| {
        let mut e = to_error(&map, problems);
        for d in &mut e.diagnostics {
            d.field = column_name(&d.field, offset);
        }
        e
    })?;
    attach_places(&mut scenario, &map);
    Ok(Replay { scenario, rows, last_day })
}

/// Gives each observation the place it was written, for problems found later by the model.
pub(crate) fn attach_places(s: &mut Scenario, map: &SourceMap) {
    for (k, o) in s.observed.iter_mut().enumerate() {
        o.place = map.locate(&format!("observed[{k}].outcome")).cloned();
    }
}

/// A document path of a record's row, renamed for the CSV reader: `timeline[52].magnitude`
/// is the `strength` column.
fn column_name(path: &str, offset: usize) -> String {
    let row = path
        .strip_prefix("timeline[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(i, tail)| Some((i.parse::<usize>().ok()?, tail)));
    if let Some((i, tail)) = row
        && i >= offset
    {
        return match tail.trim_start_matches('.') {
            "day" | "" => "date",
            "magnitude" => "strength",
            other => other,
        }
        .to_string();
    }
    if let Some(rest) = path.strip_prefix("observed[")
        && let Some((_, tail)) = rest.split_once(']')
    {
        return match tail.trim_start_matches('.') {
            "day" | "" => "date",
            other => other,
        }
        .to_string();
    }
    path.to_string()
}

fn sorted(mut d: Vec<Diagnostic>) -> Error {
    d.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    d.dedup();
    Error { diagnostics: d }
}

/// A row's date as a day of the scenario.
fn day_of(
    base: &Scenario,
    table: &Table,
    r: &CsvRow,
    column: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<u32> {
    let text = r.get(column).trim();
    let date: jiff::civil::Date = match text.parse() {
        Ok(d) if text.len() == 10 => d,
        _ => {
            let m = if text.is_empty() {
                String::from("is empty: give a date as YYYY-MM-DD")
            } else {
                format!("`{text}` is not a date as YYYY-MM-DD")
            };
            problems.push(table.at(r, column, m));
            return None;
        }
    };
    let days = base
        .start_date
        .until((jiff::Unit::Day, date))
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(-1);
    if days < 0 {
        problems.push(table.at(
            r,
            column,
            format!("{text} is before the scenario's start, {}", base.start_date),
        ));
        return None;
    }
    if days >= i64::from(MAX_HORIZON) {
        problems.push(table.at(
            r,
            column,
            format!("{text} is {MAX_HORIZON} days or more after the scenario's start"),
        ));
        return None;
    }
    Some(days as u32)
}

/// A CSV table read with the place of every cell.
struct Table<'a> {
    file: &'a str,
    /// Line starts of the file's text: a cell's place is a binary search, not a scan from the
    /// top (which made a 20,000-row timeline take 20 s to load).
    lines: LineIndex<'a>,
    rows: Vec<CsvRow>,
}

/// One record: each field's text and the byte offset where it starts.
struct CsvRow {
    fields: Vec<(String, usize)>,
    /// Column name -> field index, shared with the table (copied, it is small).
    columns: Vec<(&'static str, usize)>,
    start: usize,
}

impl CsvRow {
    fn get(&self, column: &str) -> &str {
        self.columns
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, i)| self.fields.get(*i))
            .map_or("", |(t, _)| t.as_str())
    }
}

impl<'a> Table<'a> {
    /// Reads `input`: a header naming some of `known` (all of `required`), then rows of as
    /// many fields.
    fn read(
        input: Input<'a>,
        known: &[&'static str],
        required: &[&'static str],
    ) -> Result<Table<'a>, Vec<Diagnostic>> {
        let file = input.name;
        let fail = |line, column, field: &str, message: String| Diagnostic {
            file: file.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        };
        let Ok(text) = std::str::from_utf8(input.bytes) else {
            return Err(vec![fail(
                0,
                0,
                "",
                String::from("is not UTF-8 text (save it as CSV UTF-8)"),
            )]);
        };
        let skip = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let records = split_records(text, skip).map_err(|(at, m)| {
            let (l, c) = line_col(text, at);
            vec![fail(l, c, "", m)]
        })?;
        let Some((header, data)) = records.split_first() else {
            let cols = known.join(",");
            return Err(vec![fail(
                0,
                0,
                "",
                format!("is empty: the first line names the columns ({cols})"),
            )]);
        };
        let mut problems = Vec::new();
        let mut columns: Vec<(&'static str, usize)> = Vec::new();
        for (i, (name, at)) in header.iter().enumerate() {
            let name = name.trim();
            let (l, c) = line_col(text, *at);
            match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
                Some(k) if columns.iter().any(|(c, _)| c == k) => {
                    problems.push(fail(l, c, name, String::from("is named twice")));
                }
                Some(k) => columns.push((k, i)),
                None => {
                    let hint = did_you_mean(name, known.iter().copied());
                    problems.push(fail(
                        l,
                        c,
                        name,
                        format!(
                            "is not a column of this file{hint}; columns: {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        for r in required {
            if !columns.iter().any(|(c, _)| c == r) {
                problems.push(fail(
                    1,
                    1,
                    r,
                    String::from("the header has no such column, which is required"),
                ));
            }
        }
        if data.len() > MAX_ROWS {
            problems.push(fail(1, 1, "", format!("has {} rows; at most {MAX_ROWS}", data.len())));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let lines = LineIndex::new(text);
        let line_col = |_: &str, at: usize| lines.line_col(at);
        let mut rows = Vec::new();
        for fields in data {
            let start = fields.first().map_or(0, |(_, at)| *at);
            if fields.len() == 1 && fields[0].0.trim().is_empty() {
                continue; // a blank line
            }
            if fields.len() != header.len() {
                let (l, c) = line_col(text, start);
                problems.push(fail(
                    l,
                    c,
                    "",
                    format!(
                        "has {} fields, the header {} (a comma inside a note needs quotes)",
                        fields.len(),
                        header.len()
                    ),
                ));
                continue;
            }
            rows.push(CsvRow { fields: fields.clone(), columns: columns.clone(), start });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        for r in &rows {
            for req in required {
                if r.get(req).trim().is_empty() {
                    let (l, c) = line_col(text, cell_offset(r, req));
                    problems.push(fail(l, c, req, String::from("is empty; it is required")));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Table { file, lines: LineIndex::new(text), rows })
    }

    fn place(&self, r: &CsvRow, column: &str) -> Place {
        let (line, column) = self.lines.line_col(cell_offset(r, column));
        Place { file: self.file.to_string(), line, column }
    }

    fn at(&self, r: &CsvRow, column: &str, message: String) -> Diagnostic {
        let p = self.place(r, column);
        Diagnostic {
            file: p.file,
            line: p.line,
            column: p.column,
            field: column.to_string(),
            message,
        }
    }
}

/// Where a cell starts; a missing optional column points at the row.
fn cell_offset(r: &CsvRow, column: &str) -> usize {
    r.columns
        .iter()
        .find(|(c, _)| *c == column)
        .and_then(|(_, i)| r.fields.get(*i))
        .map_or(r.start, |(_, at)| *at)
}

type Fields = Vec<(String, usize)>;

/// RFC 4180 records: fields split at commas, records at LF or CRLF, `"` quotes a field and
/// `""` is a quote inside one. Each field comes with the byte offset where it starts.
fn split_records(text: &str, start: usize) -> Result<Vec<Fields>, (usize, String)> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut fields: Fields = Vec::new();
    let mut i = start;
    let n = bytes.len();
    if i >= n {
        return Ok(records);
    }
    loop {
        // One field from `i`.
        let at = i;
        let mut value = String::new();
        if i < n && bytes[i] == b'"' {
            i += 1;
            loop {
                let Some(q) = text[i..].find('"') else {
                    return Err((at, String::from("a quoted field is never closed")));
                };
                value.push_str(&text[i..i + q]);
                i += q + 1;
                if i < n && bytes[i] == b'"' {
                    value.push('"');
                    i += 1;
                } else {
                    break;
                }
            }
            // Only a separator may follow a closing quote.
            if i < n && !matches!(bytes[i], b',' | b'\n' | b'\r') {
                return Err((
                    i,
                    String::from(
                        "text after a closing quote (a quote inside a field is written \"\")",
                    ),
                ));
            }
        } else {
            let end = text[i..].find([',', '\n', '\r']).map_or(n, |e| i + e);
            value.push_str(&text[i..end]);
            i = end;
        }
        fields.push((value, at));
        if i >= n {
            records.push(std::mem::take(&mut fields));
            return Ok(records);
        }
        match bytes[i] {
            b',' => i += 1,
            b'\r' | b'\n' => {
                if bytes[i] == b'\r' && i + 1 < n && bytes[i + 1] == b'\n' {
                    i += 1;
                }
                i += 1;
                records.push(std::mem::take(&mut fields));
                if i >= n {
                    return Ok(records);
                }
            }
            _ => return Err((i, String::from("unexpected character after a field"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_with_quotes_and_places() {
        let t = "a,b\n1,\"x, \"\"y\"\"\"\r\n2,\n";
        let r = split_records(t, 0).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1][1].0, "x, \"y\"");
        assert_eq!(r[1][1].1, 6);
        assert_eq!(r[2][1].0, "");
        assert!(split_records("a,\"b\n", 0).is_err());
        assert!(split_records("a,\"b\"c\n", 0).is_err());
    }

    #[test]
    fn column_names_of_record_paths() {
        assert_eq!(column_name("timeline[5].magnitude", 3), "strength");
        assert_eq!(column_name("timeline[5].day", 3), "date");
        assert_eq!(column_name("timeline[1].kind", 3), "timeline[1].kind");
        assert_eq!(column_name("observed[0].outcome", 0), "outcome");
    }
}
