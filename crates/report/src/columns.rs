//! The column dictionary: every column of every table a folder holds, with its type, its unit
//! or range, and what it means. Built from the model's outcome table and the parameters'
//! declarations, so a scenario with other actors, or a sweep of other parameters, documents its
//! own columns. It goes into `manifest.json` (`columns`), the workbook's README sheet and
//! `sidelines describe --outputs`.

use std::collections::BTreeMap;

use sidelines_model::{OutcomeKind, Simulation};

/// One column, as the manifest's dictionary records it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Column {
    pub name: String,
    /// `integer`, `number`, `flag` (`TRUE`/`FALSE`), `text`, `date` (ISO) or `day` (an integer
    /// day after the start date, empty when it did not happen).
    #[serde(rename = "type")]
    pub kind: String,
    /// The unit or the range of values (`0 to 1`, the labels, `days`).
    pub unit: String,
    pub meaning: String,
}

fn col(name: &str, kind: &'static str, unit: &str, meaning: &str) -> Column {
    Column { name: name.into(), kind: kind.into(), unit: unit.into(), meaning: meaning.into() }
}

/// Which folder the dictionary is for: its tables depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    Batch,
    Replay,
    /// A sweep, and the sensitivity analysis its design calls for: `sobol` (with `true` for
    /// second-order indices), `morris`, or none.
    Sweep(Option<(&'static str, bool)>),
}

/// A parameter column: its path and its declaration's line, when it has one.
fn parameter(path: &str) -> Column {
    let decl = sidelines_scenario::params::declaration(path);
    let unit = decl.map_or(String::new(), |p| {
        let d = p.domain;
        format!(
            "{} to {}",
            sidelines_scenario::params::show(d.min),
            sidelines_scenario::params::show(d.max)
        )
    });
    let doc = decl.map_or("a swept assumption", |p| p.doc);
    Column {
        name: path.to_string(),
        kind: String::from("number"),
        unit,
        meaning: format!("the value of the assumption at this point: {doc}"),
    }
}

/// The outcome columns of runs.csv.
fn outcome_columns(sim: &Simulation) -> Vec<Column> {
    sim.outcomes()
        .iter()
        .map(|o| {
            let (kind, unit) = match o.kind {
                OutcomeKind::Category(labels) if labels == sidelines_model::FLAG_VALUES => {
                    ("flag", String::from("TRUE or FALSE"))
                }
                OutcomeKind::Category(labels) => ("text", labels.join(", ")),
                OutcomeKind::Unit => ("number", String::from("0 to 1")),
                OutcomeKind::Day => ("day", String::from("days after the start date")),
            };
            Column { name: o.name.clone(), kind: kind.into(), unit, meaning: o.meaning.clone() }
        })
        .collect()
}

/// p05 to p95, one column per quantile the aggregators keep (`QUANTILES`).
fn percentiles(unit: &str, how: &str) -> Vec<Column> {
    sidelines_experiment::QUANTILES
        .iter()
        .map(|q| {
            let pct = (q * 100.0).round() as u32;
            col(&format!("p{pct:02}"), "number", unit, &format!("the {pct}th percentile {how}"))
        })
        .collect()
}

/// The key columns of summary.csv and outcomes.csv (see `keyed_header`).
fn keys(sim: &Simulation, parameters: &[String]) -> Vec<Column> {
    let mut v = vec![
        col(
            "scenario",
            "text",
            &sim.scenario().name,
            "the scenario's name: stack several folders' tables on it",
        ),
        col(
            "point",
            "integer",
            "0 for a batch",
            "the design point (a row of points.csv in a sweep)",
        ),
    ];
    v.extend(parameters.iter().map(|p| parameter(p)));
    v
}

/// Every table of a folder of `kind` and its columns, in file order: `(file, columns)`.
pub fn dictionary(
    sim: &Simulation,
    kind: FolderKind,
    parameters: &[String],
    trajectories: bool,
) -> Vec<(&'static str, Vec<Column>)> {
    let mut runs = vec![
        col("run", "integer", "0, 1, ...", "the run's index in the folder"),
        col("point", "integer", "0 for a batch", "the design point the run belongs to"),
        col("replicate", "integer", "0, 1, ...", "the run's index within its point"),
        col(
            "seed",
            "integer",
            "at most 15 digits",
            "the run's seed: `sidelines run SCENARIO --seed SEED` re-runs this row alone",
        ),
    ];
    runs.extend(parameters.iter().map(|p| parameter(p)));
    runs.extend(outcome_columns(sim));

    let mut summary = keys(sim, parameters);
    summary.extend([
        col("outcome", "text", "a numeric column of runs.csv", "the outcome summarised"),
        col(
            "n",
            "integer",
            "runs",
            "runs in which the outcome has a value (a day outcome is empty when it did not happen)",
        ),
        col("mean", "number", "the outcome's unit", "the mean over those runs"),
        col(
            "sd",
            "number",
            "the outcome's unit",
            "the sample standard deviation (n - 1 denominator)",
        ),
        col(
            "ci95_low",
            "number",
            "the outcome's unit",
            "the mean's 95% interval, low end (mean - 1.96 sd / sqrt(n))",
        ),
        col("ci95_high", "number", "the outcome's unit", "the mean's 95% interval, high end"),
    ]);
    summary.extend(percentiles("the outcome's unit", "(nearest rank)"));

    let mut outcomes = keys(sim, parameters);
    outcomes.extend([
        col("outcome", "text", "a text or flag column of runs.csv", "the outcome counted"),
        col(
            "value",
            "text",
            "its labels (a flag's are true and false)",
            "one value the outcome can take; every value is listed",
        ),
        col("count", "integer", "runs", "runs in which the outcome took this value"),
        col("share", "number", "0 to 1", "count / runs"),
        col("ci95_low", "number", "0 to 1", "the share's 95% Wilson interval, low end"),
        col("ci95_high", "number", "0 to 1", "the share's 95% Wilson interval, high end"),
    ]);

    let mut tables = vec![("runs.csv", runs), ("summary.csv", summary), ("outcomes.csv", outcomes)];
    if let FolderKind::Sweep(method) = kind {
        let mut points = vec![col("point", "integer", "0, 1, ...", "the design point")];
        points.extend(parameters.iter().map(|p| parameter(p)));
        tables.insert(0, ("points.csv", points));
        let head = |what: &str| {
            vec![
                col(
                    "outcome",
                    "text",
                    "a numeric column of runs.csv (its mean per point), or OUTCOME=VALUE",
                    &format!(
                        "the outcome {what}; OUTCOME=VALUE is the share of a point's runs with \
                         that value (yes/no outcomes: only =true, whose indices =false shares)"
                    ),
                ),
                col("parameter", "text", "a swept parameter's path", "the assumption"),
            ]
        };
        let half =
            "the half-width of its 95% bootstrap interval (1.96 sd of the resampled estimates)";
        match method {
            Some(("sobol", second_order)) => {
                let mut s = head("whose variance is apportioned");
                s.extend([
                    col("S1", "number", "0 to 1 (estimates may stray below 0)", "first-order index: the share of the outcome's variance due to the assumption alone"),
                    col("S1_conf", "number", "S1's unit", half),
                    col("ST", "number", "0 to 1 (estimates may stray below 0)", "total-order index: the share that involves the assumption, alone or with others"),
                    col("ST_conf", "number", "ST's unit", half),
                ]);
                tables.push(("sensitivity.csv", s));
                if second_order {
                    tables.push((
                        "sensitivity_s2.csv",
                        vec![
                            col("outcome", "text", "as in sensitivity.csv", "the outcome"),
                            col("parameter_1", "text", "a swept parameter's path", "the first assumption"),
                            col("parameter_2", "text", "a swept parameter's path", "the second assumption"),
                            col("S2", "number", "0 to 1 (estimates may stray below 0)", "second-order index: the share due to the two assumptions together, beyond each alone"),
                            col("S2_conf", "number", "S2's unit", half),
                        ],
                    ));
                }
            }
            Some(("morris", _)) => {
                let mut s = head("whose elementary effects are summarised");
                s.extend([
                    col(
                        "mu",
                        "number",
                        "the outcome's unit per unit of the assumption's range",
                        "the mean elementary effect (signed)",
                    ),
                    col(
                        "mu_star",
                        "number",
                        "as mu",
                        "the mean absolute elementary effect: the assumption's importance",
                    ),
                    col(
                        "sigma",
                        "number",
                        "as mu",
                        "the spread of the effects: interactions or non-linearity",
                    ),
                    col("mu_star_conf", "number", "as mu", half),
                ]);
                tables.push(("sensitivity.csv", s));
            }
            _ => {}
        }
    } else {
        // timeseries.csv and trajectories.csv share the day, date, actor and variable columns.
        let day_actor_variable = || {
            [
                col("day", "integer", "days after the start date", "the day"),
                col("date", "date", "ISO 8601", "the day's date"),
                col("actor", "text", "an actor's code, or WAR", "whose variable"),
                col(
                    "variable",
                    "text",
                    "belief_*, trust_*, fear_*, leverage, alliance_*, ...",
                    "which variable",
                ),
            ]
        };
        let mut series = vec![col("point", "integer", "0", "the design point")];
        series.extend(day_actor_variable());
        series.push(col(
            "mean",
            "number",
            "the variable's unit",
            "the mean across runs at the end of the day",
        ));
        series.extend(percentiles("the variable's unit", "across runs (bins of 1/256)"));
        tables.push(("timeseries.csv", series));
        if trajectories {
            let mut runs = vec![col(
                "run",
                "integer",
                "0, 1, ...",
                "the run (the first K runs of the folder)",
            )];
            runs.extend(day_actor_variable());
            runs.push(col(
                "value",
                "number",
                "the variable's unit",
                "its value at the end of the day",
            ));
            tables.push(("trajectories.csv", runs));
        }
    }
    if kind == FolderKind::Replay {
        tables.push((
            "record_check.csv",
            vec![
                col("date", "date", "ISO 8601", "the day of the observation"),
                col("outcome", "text", "a column of runs.csv", "what was observed"),
                col("observed", "text", "a label, up, down, highest or LOW..HIGH", "what the record says it was"),
                col("runs", "integer", "runs", "runs checked"),
                col("share_as_observed", "number", "0 to 1", "the share of runs in which it was as observed"),
                col("share_ci95_low", "number", "0 to 1", "the share's 95% Wilson interval, low end"),
                col("share_ci95_high", "number", "0 to 1", "the share's 95% Wilson interval, high end"),
                col("inside_90", "flag", "TRUE or FALSE", "TRUE if the share is at least 0.05: the record lies inside the runs' 90% range"),
                col("mean", "number", "the outcome's unit", "for a numeric outcome, its mean across runs on that day; empty otherwise"),
                col("mean_ci95_low", "number", "the outcome's unit", "the mean's 95% interval, low end"),
                col("mean_ci95_high", "number", "the outcome's unit", "the mean's 95% interval, high end"),
                col("p05", "number", "the outcome's unit", "its 5th percentile across runs"),
                col("p95", "number", "the outcome's unit", "its 95th percentile across runs"),
                col("note", "text", "", "the record's note on the observation"),
            ],
        ));
    }
    tables
}

/// The dictionary as `manifest.json` holds it: `{ "runs.csv": [ {name, type, unit, meaning} ] }`
/// (`runs.parquet` and `trajectories.parquet` when `parquet`).
pub fn dictionary_json(
    tables: &[(&'static str, Vec<Column>)],
    parquet: bool,
) -> BTreeMap<String, Vec<Column>> {
    tables
        .iter()
        .map(|(file, columns)| {
            let file = match *file {
                "runs.csv" if parquet => "runs.parquet",
                "trajectories.csv" if parquet => "trajectories.parquet",
                other => other,
            };
            (file.to_string(), columns.clone())
        })
        .collect()
}
