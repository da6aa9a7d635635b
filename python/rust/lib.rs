//! The native half of the `sidelines` Python package: scenarios, the workflows run with the GIL
//! released (Ctrl-C stops them at their next checkpoint), and a folder's tables handed over
//! through the Arrow C stream interface. The Python half (`pysrc/sidelines`) wraps these in
//! documented functions that return polars DataFrames.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrow_array::builder::{BooleanBuilder, Float64Builder, StringBuilder};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList};
use sidelines_report::TableFormat;
use sidelines_workflows::{
    BatchSpec, Error, Exec, Hooks, Progress, ReplaySpec, Result as WorkflowResult,
};

create_exception!(
    _sidelines,
    SidelinesError,
    PyException,
    "A workflow failed for a reason that is not the input's (a full disk, a damaged folder)."
);
create_exception!(
    _sidelines,
    InputError,
    PyValueError,
    "Bad input: a scenario, record or value that does not validate. `diagnostics` lists each \
problem with its file, line, column and field."
);

/// A workflow error as a Python exception: input problems as `InputError` (with their places),
/// a stop request as `KeyboardInterrupt`, anything else as `SidelinesError`.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = e.to_string();
    match e.root() {
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(message),
        _ if e.is_input() => {
            let err = InputError::new_err(message);
            let diagnostics = PyList::empty(py);
            if let Error::Scenario(s) = e.root() {
                for d in &s.diagnostics {
                    let item = PyDict::new(py);
                    let _ = item.set_item("file", &d.file);
                    let _ = item.set_item("line", d.line);
                    let _ = item.set_item("column", d.column);
                    let _ = item.set_item("field", &d.field);
                    let _ = item.set_item("message", &d.message);
                    let _ = diagnostics.append(item);
                }
            }
            let _ = err.value(py).setattr("diagnostics", diagnostics);
            err
        }
        _ => SidelinesError::new_err(message),
    }
}

/// A scenario: an embedded one, a file, or either with values changed.
#[pyclass(frozen, module = "sidelines._sidelines")]
struct Scenario {
    inner: Arc<sidelines_scenario::Scenario>,
    /// How the command line would name it: the embedded name or the file's path.
    source: String,
}

#[pymethods]
impl Scenario {
    /// Loads an embedded scenario by name, or a scenario file by path.
    #[staticmethod]
    fn load(py: Python<'_>, name_or_path: &str) -> PyResult<Scenario> {
        let inner =
            sidelines_workflows::inputs::load_scenario(name_or_path).map_err(|e| to_py(py, e))?;
        Ok(Scenario { inner: Arc::new(inner), source: name_or_path.to_string() })
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    #[getter]
    fn source(&self) -> String {
        self.source.clone()
    }

    /// Every parameter path with its value, declared range and meaning, as an Arrow table.
    fn _describe(&self) -> PyResult<ArrowTable> {
        let params = self.inner.parameters();
        let mut path = StringBuilder::new();
        let mut value = Float64Builder::new();
        let mut min = Float64Builder::new();
        let mut max = Float64Builder::new();
        let mut whole = BooleanBuilder::new();
        let mut meaning = StringBuilder::new();
        for (p, v, declared) in &params {
            path.append_value(p);
            value.append_value(*v);
            min.append_option(declared.map(|d| d.domain.min));
            max.append_option(declared.map(|d| d.domain.max));
            whole.append_option(declared.map(|d| d.domain.integer));
            meaning.append_option(declared.map(|d| d.doc));
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("path", DataType::Utf8, false),
            Field::new("value", DataType::Float64, false),
            Field::new("min", DataType::Float64, true),
            Field::new("max", DataType::Float64, true),
            Field::new("whole", DataType::Boolean, true),
            Field::new("meaning", DataType::Utf8, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(path.finish()),
            Arc::new(value.finish()),
            Arc::new(min.finish()),
            Arc::new(max.finish()),
            Arc::new(whole.finish()),
            Arc::new(meaning.finish()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| SidelinesError::new_err(e.to_string()))?;
        Ok(ArrowTable { schema, batches: vec![batch] })
    }

    /// A new scenario with the parameters set: `{path: value}`.
    fn with_values(&self, py: Python<'_>, values: Vec<(String, f64)>) -> PyResult<Scenario> {
        let sets: Vec<(&str, f64)> = values.iter().map(|(p, v)| (p.as_str(), *v)).collect();
        let inner = self.inner.with_parameters(&sets).map_err(|e| to_py(py, Error::Scenario(e)))?;
        Ok(Scenario { inner: Arc::new(inner), source: self.source.clone() })
    }

    /// Its outcomes (the columns of a batch's runs table after the keys): name, kind
    /// (`number`, `day`, `flag` or `category`), whether it is a headline outcome, meaning.
    fn _outcomes(&self, py: Python<'_>) -> PyResult<Vec<(String, String, bool, String)>> {
        let sim = sidelines_model::Simulation::new(self.inner.clone())
            .map_err(|e| to_py(py, e.into()))?;
        Ok(sim
            .outcomes()
            .iter()
            .map(|o| {
                let kind = match &o.kind {
                    sidelines_model::OutcomeKind::Unit => "number",
                    sidelines_model::OutcomeKind::Day => "day",
                    sidelines_model::OutcomeKind::Category(l) if *l == ["false", "true"] => "flag",
                    sidelines_model::OutcomeKind::Category(_) => "category",
                };
                (o.name.clone(), kind.to_string(), o.headline, o.meaning.clone())
            })
            .collect())
    }

    /// The scenario as a complete TOML file (every value resolved).
    fn to_toml(&self) -> String {
        sidelines_report::resolved_toml(&self.inner)
    }

    fn __repr__(&self) -> String {
        format!("Scenario({:?})", self.inner.name)
    }
}

/// A table handed to Python through the Arrow C stream interface (`__arrow_c_stream__`).
#[pyclass(frozen, module = "sidelines._sidelines")]
struct ArrowTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

#[pymethods]
impl ArrowTable {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is the folder's own; a consumer that asks for another casts itself.
        let _ = requested_schema;
        let reader =
            RecordBatchIterator::new(self.batches.clone().into_iter().map(Ok), self.schema.clone());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The ordinal columns and their labels in order, `{name: [label, ...]}`: Arrow marks the
    /// dictionary ordered, which polars does not keep, so `_frame` casts them to `pl.Enum`.
    #[getter]
    fn ordered(&self) -> Vec<(String, Vec<String>)> {
        use arrow_array::cast::AsArray;
        let first = self.batches.first();
        self.schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.dict_is_ordered() == Some(true))
            .filter_map(|(c, f)| {
                let dict = first?.column(c).as_any_dictionary_opt()?;
                let labels = dict.values().as_string_opt::<i32>()?;
                Some((f.name().clone(), labels.iter().flatten().map(String::from).collect()))
            })
            .collect()
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The table `name` of a finished folder.
#[pyfunction]
fn _table(py: Python<'_>, folder: PathBuf, name: &str) -> PyResult<ArrowTable> {
    let t =
        py.detach(|| sidelines_workflows::tables::read(&folder, name)).map_err(|e| to_py(py, e))?;
    Ok(ArrowTable { schema: t.schema, batches: t.batches })
}

/// A CSV table the tool wrote, typed by its cells.
#[pyfunction]
fn _csv(py: Python<'_>, path: PathBuf) -> PyResult<ArrowTable> {
    let t = py.detach(|| sidelines_workflows::tables::read_csv(&path)).map_err(|e| to_py(py, e))?;
    Ok(ArrowTable { schema: t.schema, batches: t.batches })
}

/// The names of a finished folder's tables.
#[pyfunction]
fn _tables(py: Python<'_>, folder: PathBuf) -> PyResult<Vec<String>> {
    sidelines_workflows::tables::names(&folder).map_err(|e| to_py(py, e))
}

/// A finished folder's manifest, as JSON text.
#[pyfunction]
fn _manifest(py: Python<'_>, folder: PathBuf) -> PyResult<String> {
    let checked = sidelines_report::folder::check(&folder).map_err(|e| to_py(py, e.into()))?;
    Ok(checked.manifest.to_json().to_string())
}

/// The embedded scenarios: (name, description, is the default).
#[pyfunction]
fn _scenarios() -> Vec<(String, String, bool)> {
    sidelines_scenario::EMBEDDED
        .iter()
        .map(|(name, description, _)| {
            (
                name.to_string(),
                description.to_string(),
                *name == sidelines_scenario::DEFAULT_SCENARIO,
            )
        })
        .collect()
}

/// Progress shared between the worker thread and the Python thread that reports it.
#[derive(Default)]
struct Shared {
    done: AtomicU64,
    total: AtomicU64,
}

struct SharedProgress<'a>(&'a Shared);

impl Progress for SharedProgress<'_> {
    fn begin(&mut self, done: u64, total: u64) {
        self.0.total.store(total, Ordering::Relaxed);
        self.0.done.store(done, Ordering::Relaxed);
    }
    fn update(&mut self, done: u64) {
        self.0.done.store(done, Ordering::Relaxed);
    }
}

/// Runs `work` on its own thread with the GIL released. Every 100 ms this thread calls
/// `progress(done, total)` and checks for signals: Ctrl-C sets the stop flag, the work stops at
/// its next block (after a checkpoint) and KeyboardInterrupt is raised.
fn run_detached<T: Send>(
    py: Python<'_>,
    progress: Option<Bound<'_, PyAny>>,
    work: impl FnOnce(Hooks<'_>) -> WorkflowResult<T> + Send,
) -> PyResult<T> {
    let stop = AtomicBool::new(false);
    let shared = Shared::default();
    std::thread::scope(|s| {
        let handle = s.spawn(|| {
            let mut p = SharedProgress(&shared);
            work(Hooks { progress: &mut p, stop: &stop })
        });
        let mut raised: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| {
                let t = Instant::now();
                while !handle.is_finished() && t.elapsed() < Duration::from_millis(100) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                handle.is_finished()
            });
            if let Some(cb) = &progress {
                let call = cb.call1((
                    shared.done.load(Ordering::Relaxed),
                    shared.total.load(Ordering::Relaxed),
                ));
                if let Err(e) = call {
                    stop.store(true, Ordering::SeqCst);
                    raised.get_or_insert(e);
                }
            }
            if finished {
                break;
            }
            if raised.is_none()
                && let Err(e) = py.check_signals()
            {
                stop.store(true, Ordering::SeqCst);
                raised = Some(e);
            }
        }
        let result =
            handle.join().map_err(|_| SidelinesError::new_err("the workflow's thread panicked"))?;
        match (result, raised) {
            (Err(Error::Interrupted { .. }), Some(e)) | (Ok(_), Some(e)) => Err(e),
            (Err(e), Some(raised)) => {
                let err = to_py(py, e);
                err.set_cause(py, Some(raised));
                Err(err)
            }
            (r, None) => r.map_err(|e| to_py(py, e)),
        }
    })
}

/// The settings shared by every workflow that writes a folder.
fn exec(
    threads: Option<u64>,
    out: PathBuf,
    format: &str,
    resume: bool,
    force: bool,
    command_line: Vec<String>,
) -> PyResult<Exec> {
    let Some(format) = TableFormat::from_name(format) else {
        return Err(InputError::new_err(format!(
            "format={format:?}: write \"csv\" or \"parquet\""
        )));
    };
    if threads == Some(0) {
        return Err(InputError::new_err("threads=0: give at least 1 (or None for every core)"));
    }
    Ok(Exec { threads, out: Some(out), resume, force, format, command_line, ..Exec::default() })
}

fn check_runs(runs: u64) -> PyResult<()> {
    if runs == 0 || runs > sidelines_scenario::sweep::MAX_RUNS {
        return Err(InputError::new_err(format!(
            "runs={runs}: give between 1 and {}",
            sidelines_scenario::sweep::MAX_RUNS
        )));
    }
    Ok(())
}

/// A finished batch's folder and counts, for the Python side.
fn summary(py: Python<'_>, b: &sidelines_workflows::Batch) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("folder", b.dir.display().to_string())?;
    d.set_item("runs", b.runs)?;
    d.set_item("done_here", b.done_here)?;
    d.set_item("elapsed_seconds", b.elapsed_seconds)?;
    Ok(d.unbind())
}

#[pyfunction]
#[pyo3(signature = (scenario, runs, seed, trajectories, threads, out, format, resume, force, command_line, progress=None))]
fn _batch(
    py: Python<'_>,
    scenario: &Scenario,
    runs: u64,
    seed: u64,
    trajectories: u64,
    threads: Option<u64>,
    out: PathBuf,
    format: &str,
    resume: bool,
    force: bool,
    command_line: Vec<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyDict>> {
    check_runs(runs)?;
    let spec = BatchSpec {
        scenario_arg: scenario.source.clone(),
        scenario: scenario.inner.clone(),
        runs,
        seed,
        trajectories,
        exec: exec(threads, out, format, resume, force, command_line)?,
    };
    let b = run_detached(py, progress, |hooks| sidelines_workflows::batch(&spec, hooks))?;
    summary(py, &b)
}

#[pyfunction]
#[pyo3(signature = (scenario, timeline, observed, then, runs, seed, trajectories, posterior, threads, out, format, resume, force, command_line, progress=None))]
fn _replay(
    py: Python<'_>,
    scenario: &str,
    timeline: PathBuf,
    observed: Option<PathBuf>,
    then: u32,
    runs: u64,
    seed: u64,
    trajectories: u64,
    posterior: Option<PathBuf>,
    threads: Option<u64>,
    out: PathBuf,
    format: &str,
    resume: bool,
    force: bool,
    command_line: Vec<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyDict>> {
    check_runs(runs)?;
    let spec = ReplaySpec {
        scenario_arg: scenario.to_string(),
        timeline,
        observed,
        then,
        runs,
        seed,
        trajectories,
        posterior,
        exec: exec(threads, out, format, resume, force, command_line)?,
    };
    let r = run_detached(py, progress, |hooks| sidelines_workflows::replay(&spec, hooks))?;
    summary(py, &r.batch)
}

/// The folder of a finished job and its text, for the Python side.
fn folder_text(py: Python<'_>, dir: &std::path::Path, text: &str) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("folder", dir.display().to_string())?;
    d.set_item("text", text)?;
    Ok(d.unbind())
}

#[pyfunction]
#[pyo3(signature = (file, threads, out, format, resume, force, command_line, progress=None))]
fn _sweep(
    py: Python<'_>,
    file: PathBuf,
    threads: Option<u64>,
    out: PathBuf,
    format: &str,
    resume: bool,
    force: bool,
    command_line: Vec<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyDict>> {
    let spec = sidelines_workflows::sweep::SweepSpec {
        file,
        exec: exec(threads, out, format, resume, force, command_line)?,
    };
    let done = run_detached(py, progress, |hooks| sidelines_workflows::sweep::sweep(&spec, hooks))?;
    let d = folder_text(py, &done.dir, "")?;
    d.bind(py).set_item("runs", done.runs)?;
    d.bind(py).set_item("points", done.points)?;
    d.bind(py).set_item("elapsed_seconds", done.elapsed_seconds)?;
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (scenario, branches, timeline, no_replay, posterior, then, runs, seed, threads, out, force, command_line))]
fn _branches(
    py: Python<'_>,
    scenario: String,
    branches: Vec<String>,
    timeline: Option<PathBuf>,
    no_replay: bool,
    posterior: Option<PathBuf>,
    then: u32,
    runs: u64,
    seed: u64,
    threads: Option<u64>,
    out: PathBuf,
    force: bool,
    command_line: Vec<String>,
) -> PyResult<Py<PyDict>> {
    if !(2..=1_000_000).contains(&runs) {
        return Err(InputError::new_err(format!("runs={runs}: give between 2 and 1,000,000")));
    }
    let spec = sidelines_workflows::branches::BranchesSpec {
        command_line,
        scenario,
        branches,
        timeline,
        no_replay,
        posterior,
        then,
        runs,
        seed,
        threads,
        out: Some(out),
        force,
    };
    let done = run_detached(py, None, |_| sidelines_workflows::branches::branches(&spec))?;
    folder_text(py, &done.dir, &done.text)
}

#[pyfunction]
#[pyo3(signature = (file, threads, out, resume, force, command_line, progress=None))]
fn _calibrate(
    py: Python<'_>,
    file: PathBuf,
    threads: Option<u64>,
    out: PathBuf,
    resume: bool,
    force: bool,
    command_line: Vec<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyDict>> {
    let spec = sidelines_workflows::calibrate::CalibrateSpec {
        command_line,
        file,
        threads,
        out: Some(out),
        resume,
        force,
        shard: None,
        batches_per_shard: 1,
    };
    let done = run_detached(py, progress, |hooks| {
        sidelines_workflows::calibrate::calibrate(&spec, hooks)
    })?;
    folder_text(py, &done.dir, &done.text)
}

/// Model choice: the folder (models, confusion, parameters), the text and the JSON.
#[pyfunction]
#[pyo3(signature = (file, threads, out, force, command_line, progress=None))]
fn _choose(
    py: Python<'_>,
    file: PathBuf,
    threads: Option<u64>,
    out: PathBuf,
    force: bool,
    command_line: Vec<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyDict>> {
    let spec = sidelines_workflows::choose::ChooseSpec {
        command_line,
        file,
        threads,
        out: Some(out),
        force,
    };
    let done =
        run_detached(py, progress, |hooks| sidelines_workflows::choose::choose(&spec, hooks))?;
    let d = folder_text(py, &done.dir, &done.text())?;
    d.bind(py).set_item("json", done.json().to_string())?;
    Ok(d)
}

/// Cross-validation: the folder (its tables and manifest), the text and the JSON.
#[pyfunction]
#[pyo3(signature = (calibration, leave, runs, seed, resamples, threads, out, force, command_line, progress=None))]
fn _cross_validate(
    py: Python<'_>,
    calibration: PathBuf,
    leave: &str,
    runs: u64,
    seed: u64,
    resamples: usize,
    threads: Option<u64>,
    out: PathBuf,
    force: bool,
    command_line: Vec<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Py<PyDict>> {
    use sidelines_workflows::cv::{CvSpec, LeaveOut, cross_validate};
    let leave = LeaveOut::from_name(leave).map_err(|e| to_py(py, e))?;
    let spec =
        CvSpec { calibration, out: out.clone(), runs, seed, resamples, threads, force, leave };
    let done = run_detached(py, progress, |hooks| {
        let done = cross_validate(&spec, hooks)?;
        done.write_folder(&spec, &command_line)?;
        Ok(done)
    })?;
    let d = folder_text(py, &out, &done.text())?;
    d.bind(py).set_item("json", done.json().to_string())?;
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (points, runs, spread, posterior, seed, threads, out, force, command_line))]
fn _claims(
    py: Python<'_>,
    points: u64,
    runs: u64,
    spread: f64,
    posterior: Option<PathBuf>,
    seed: u64,
    threads: Option<u64>,
    out: PathBuf,
    force: bool,
    command_line: Vec<String>,
) -> PyResult<Py<PyDict>> {
    if !(2..=100_000).contains(&points) || !(10..=100_000).contains(&runs) {
        return Err(InputError::new_err("points takes 2 to 100,000 and runs 10 to 100,000"));
    }
    let spec = sidelines_workflows::claims::ClaimsSpec {
        command_line,
        points,
        runs,
        spread,
        posterior,
        seed,
        threads,
        out: Some(out),
        force,
    };
    let done = run_detached(py, None, |_| sidelines_workflows::claims::claims(&spec))?;
    folder_text(py, &done.dir, &done.text)
}

/// Evaluation: (the scores as JSON text, every observation's forecasts and scores as a table).
#[pyfunction]
#[pyo3(signature = (episodes, runs, seed, resamples, posterior))]
fn _evaluate(
    py: Python<'_>,
    episodes: Option<Vec<(String, PathBuf)>>,
    runs: u64,
    seed: u64,
    resamples: usize,
    posterior: Option<PathBuf>,
) -> PyResult<(String, ArrowTable)> {
    use sidelines_workflows::evaluate::EvaluateSpec;
    let spec = EvaluateSpec {
        episodes: episodes.unwrap_or_else(EvaluateSpec::shipped),
        runs,
        seed,
        resamples,
        posterior,
    };
    let (json, table) = run_detached(py, None, |_| {
        let e = sidelines_workflows::evaluate::evaluate(&spec)?;
        let bytes = e.rows_csv()?;
        let kinds: Vec<_> =
            sidelines_workflows::evaluate::row_columns().into_iter().map(|c| c.1).collect();
        let table = sidelines_workflows::tables::from_csv("evaluation rows", &bytes, &kinds)?;
        Ok((e.json().to_string(), table))
    })?;
    Ok((json, ArrowTable { schema: table.schema, batches: table.batches }))
}

#[pyfunction]
#[pyo3(signature = (method, dir, outcome, out, table, params, second_order, levels, resamples, seed, condition, alpha, min_support, min_coverage, chosen, assumptions, force))]
fn _analyze(
    py: Python<'_>,
    method: String,
    dir: Option<PathBuf>,
    outcome: Option<String>,
    out: Option<PathBuf>,
    table: Option<PathBuf>,
    params: Vec<String>,
    second_order: bool,
    levels: u64,
    resamples: u64,
    seed: u64,
    condition: Option<String>,
    alpha: f64,
    min_support: f64,
    min_coverage: f64,
    chosen: Option<usize>,
    assumptions: Option<String>,
    force: bool,
) -> PyResult<(String, Vec<String>)> {
    let spec = sidelines_workflows::analyze::AnalyzeSpec {
        method,
        dir,
        outcome,
        out,
        table,
        params,
        second_order,
        levels,
        resamples,
        seed,
        condition,
        alpha,
        min_support,
        min_coverage,
        chosen,
        assumptions,
        force,
    };
    let done = run_detached(py, None, |_| sidelines_workflows::analyze::analyze(&spec))?;
    Ok((done.text, done.written.iter().map(|p| p.display().to_string()).collect()))
}

#[pymodule]
fn _sidelines(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SidelinesError", m.py().get_type::<SidelinesError>())?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("MAX_SEED", sidelines_workflows::MAX_SEED)?;
    m.add("KEY_ASSUMPTIONS", sidelines_scenario::KEY_ASSUMPTIONS.to_vec())?;
    m.add_class::<Scenario>()?;
    m.add_class::<ArrowTable>()?;
    m.add_function(wrap_pyfunction!(_scenarios, m)?)?;
    m.add_function(wrap_pyfunction!(_table, m)?)?;
    m.add_function(wrap_pyfunction!(_tables, m)?)?;
    m.add_function(wrap_pyfunction!(_csv, m)?)?;
    m.add_function(wrap_pyfunction!(_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(_batch, m)?)?;
    m.add_function(wrap_pyfunction!(_replay, m)?)?;
    m.add_function(wrap_pyfunction!(_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(_branches, m)?)?;
    m.add_function(wrap_pyfunction!(_calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(_claims, m)?)?;
    m.add_function(wrap_pyfunction!(_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(_cross_validate, m)?)?;
    m.add_function(wrap_pyfunction!(_choose, m)?)?;
    m.add_function(wrap_pyfunction!(_analyze, m)?)?;
    Ok(())
}
