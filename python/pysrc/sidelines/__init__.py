"""sidelines from Python: how states read a great power's diplomacy.

The same model and workflows as the ``sidelines`` command line, called as functions. Every
workflow writes the same results folder the command line writes (so a folder made here can be
resumed, merged or exported there) and returns a result whose tables are polars DataFrames,
handed over as Arrow (no CSV text on the way); ``.to_pandas()`` gives pandas.

    >>> import sidelines
    >>> s = sidelines.Scenario.load("ukraine-watch")
    >>> b = sidelines.batch(s, runs=2000, seed=7)
    >>> b.runs.select("kp_accepts_talks").mean()

Same seed, same numbers as ``sidelines batch ukraine-watch --runs 2000 --seed 7``.

The work runs with the GIL released; Ctrl-C stops it within a second at its next checkpoint
and raises KeyboardInterrupt (with ``out=`` given, ``resume=True`` continues it). A progress
bar is drawn when tqdm is installed (``progress=False`` turns it off).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import weakref
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

import polars as pl

from . import _sidelines
from ._sidelines import InputError, SidelinesError

__all__ = [
    "InputError",
    "SidelinesError",
    "Scenario",
    "Results",
    "Replayed",
    "scenarios",
    "batch",
    "replay",
    "sweep",
    "branches",
    "calibrate",
    "claims",
    "evaluate",
    "cross_validate",
    "choose",
    "ModelChoice",
    "CrossValidation",
    "analyze",
    "Evaluation",
    "open_folder",
]

MAX_SEED: int = _sidelines.MAX_SEED

ScenarioLike = Union["Scenario", str, os.PathLike]


def _frame(table: Any) -> pl.DataFrame:
    """An Arrow C stream (``__arrow_c_stream__``) as a polars DataFrame, without a copy through
    text. An ordinal column (an observer's answer to an overture: none < refused <
    conditional_offer < accepted) becomes a ``pl.Enum`` of its labels in order, which sorts and
    compares by that order and gives pandas an ordered categorical."""
    df = pl.DataFrame(table)
    ordered = getattr(table, "ordered", [])
    if ordered:
        df = df.with_columns(pl.col(name).cast(pl.Enum(labels)) for name, labels in ordered)
    return df


class Scenario:
    """A scenario: an embedded one (``sidelines.scenarios()`` lists them) or a TOML file.

    ``Scenario.load(name_or_path)`` loads one; a file that does not validate raises
    ``InputError`` whose message and ``diagnostics`` name each problem's file, line, column and
    field. ``with_values({path: value})`` returns a new scenario with parameters changed
    (``describe()`` lists the paths).
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: "_sidelines.Scenario"):
        self._inner = inner

    @staticmethod
    def load(name_or_path: Union[str, os.PathLike]) -> "Scenario":
        """Loads an embedded scenario by name, or a scenario file by path."""
        return Scenario(_sidelines.Scenario.load(os.fspath(name_or_path)))

    @property
    def name(self) -> str:
        """The scenario's name (its results go under outputs/<name>/ on the command line)."""
        return self._inner.name

    @property
    def source(self) -> str:
        """How the command line names it: the embedded name or the file's path."""
        return self._inner.source

    def describe(self) -> pl.DataFrame:
        """Every parameter path with its value, declared range (min, max, whether whole) and
        meaning: the paths ``with_values`` and sweeps take."""
        return _frame(self._inner._describe())

    def with_values(self, values: Mapping[str, float]) -> "Scenario":
        """A new scenario with the parameters at ``values`` ({path: value}); an unknown path or
        a value outside its range raises InputError naming it."""
        return Scenario(self._inner.with_values([(str(k), float(v)) for k, v in values.items()]))

    def outcomes(self) -> pl.DataFrame:
        """Its outcomes, the columns of a batch's ``runs`` after the keys: name, kind
        (number, day, flag, category), whether it is a headline outcome, and meaning."""
        rows = self._inner._outcomes()
        return pl.DataFrame(
            {
                "name": [r[0] for r in rows],
                "kind": [r[1] for r in rows],
                "headline": [r[2] for r in rows],
                "meaning": [r[3] for r in rows],
            }
        )

    def to_toml(self) -> str:
        """The scenario as one complete TOML file, every value resolved."""
        return self._inner.to_toml()

    def __repr__(self) -> str:
        return f"Scenario({self.name!r})"


def scenarios() -> pl.DataFrame:
    """The embedded scenarios: name, description, and whether it is the default."""
    rows = _sidelines._scenarios()
    return pl.DataFrame(
        {
            "name": [r[0] for r in rows],
            "description": [r[1] for r in rows],
            "default": [r[2] for r in rows],
        }
    )


def _scenario(s: ScenarioLike) -> Scenario:
    if isinstance(s, Scenario):
        return s
    return Scenario.load(s)


class Results:
    """A finished results folder: its tables as polars DataFrames, read on first use.

    ``runs`` (one row per run), ``summary`` (numeric outcomes: mean, interval, quantiles),
    ``outcomes`` (shares of each label with Wilson intervals), ``timeseries`` (daily quantiles
    of every series: the fan charts), ``trajectories`` (when asked for), and any other table by
    ``table(name)``; ``tables()`` lists them; ``manifest`` is the folder's manifest.json.
    """

    def __init__(self, folder: Union[str, os.PathLike], info: Optional[Mapping[str, Any]] = None):
        self.folder = Path(folder)
        self._info = dict(info or {})
        self._cache: dict = {}

    def table(self, name: str) -> pl.DataFrame:
        """The table ``name`` (``runs``, ``summary``, ``outcomes``, ``timeseries``, ...), typed
        by the folder's column dictionary."""
        if name not in self._cache:
            self._cache[name] = _frame(_sidelines._table(str(self.folder), name))
        return self._cache[name]

    def tables(self) -> list:
        """The names of the tables this folder holds."""
        return _sidelines._tables(str(self.folder))

    @property
    def manifest(self) -> dict:
        """The folder's manifest.json: the command, seed, runs, versions, column dictionary."""
        return json.loads(_sidelines._manifest(str(self.folder)))

    @property
    def runs(self) -> pl.DataFrame:
        return self.table("runs")

    @property
    def summary(self) -> pl.DataFrame:
        return self.table("summary")

    @property
    def outcomes(self) -> pl.DataFrame:
        return self.table("outcomes")

    @property
    def timeseries(self) -> pl.DataFrame:
        return self.table("timeseries")

    @property
    def elapsed_seconds(self) -> Optional[float]:
        return self._info.get("elapsed_seconds")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.folder)!r})"


class Replayed(Results):
    """A replay's folder: the batch tables plus ``record_check`` (one row per observation: the
    share of runs as observed, its interval, and whether it lies inside the model's 90%)."""

    @property
    def record_check(self) -> pl.DataFrame:
        return self.table("record_check")


def open_folder(folder: Union[str, os.PathLike]) -> Results:
    """A finished results folder written by Python or by the command line."""
    return Results(folder)


def _progress(progress: Union[bool, Callable[[int, int], None], None], what: str):
    """tqdm when installed and asked for (the default), a callable as given, or nothing."""
    if callable(progress):
        return progress, None
    if progress is False:
        return None, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=0, unit=" runs", desc=what, leave=False)

    def update(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
            bar.refresh()
        if done > bar.n:
            bar.update(done - bar.n)

    return update, bar


def _folder(out):
    """The results folder: ``out``, or a temporary one removed with the result."""
    if out is not None:
        return Path(out), None
    tmp = tempfile.mkdtemp(prefix="sidelines-")
    return Path(tmp), tmp


def _command(*parts: Any) -> list:
    return ["sidelines"] + [str(p) for p in parts]


def _run(what: str, call, out, progress, result_type, **kwargs):
    folder, tmp = _folder(out)
    update, bar = _progress(progress, what)
    try:
        info = call(out=str(folder), progress=update, **kwargs)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    result = result_type(info["folder"], info)
    if tmp is not None:
        weakref.finalize(result, shutil.rmtree, tmp, True)
    return result


def _check_seed(seed: int) -> int:
    if not 0 <= int(seed) <= MAX_SEED:
        raise InputError(f"seed={seed}: give a whole number from 0 to {MAX_SEED}")
    return int(seed)


def batch(
    scenario: ScenarioLike = "ukraine-watch",
    *,
    runs: int = 10_000,
    seed: int = 1,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    trajectories: int = 0,
    format: str = "csv",
    resume: bool = False,
    force: bool = False,
    progress: Union[bool, Callable[[int, int], None]] = True,
) -> Results:
    """Runs a Monte Carlo batch: ``runs`` seeded runs of ``scenario``.

    Same as ``sidelines batch SCENARIO --runs RUNS --seed SEED``: run r's seed is a pure
    function of (seed, r), so the same seed gives the same numbers, whatever ``threads``.

    Parameters
    ----------
    scenario : Scenario, embedded name or path to a .toml file
    runs : number of runs (1 to 100,000,000)
    seed : master seed (0 to MAX_SEED)
    threads : worker threads (None: every core)
    out : results folder (None: a temporary folder removed with the result)
    trajectories : also keep the full trajectories of the first K runs
    format : "csv" or "parquet" for the runs and trajectories tables
    resume : continue an interrupted batch in ``out``
    force : write into ``out`` even if it holds results
    progress : True for a tqdm bar when tqdm is installed, False for none, or a callable
        ``progress(done, total)`` called about every 100 ms

    Returns
    -------
    Results, whose ``runs``, ``summary``, ``outcomes`` and ``timeseries`` are DataFrames.

    Raises
    ------
    InputError for a scenario or value that does not validate (with file, line, column and
    field); KeyboardInterrupt on Ctrl-C (the folder is left resumable); SidelinesError for a
    failure of the machine (a full disk).
    """
    s = _scenario(scenario)
    seed = _check_seed(seed)
    line = _command("batch", s.source, "--runs", runs, "--seed", seed)
    if out is not None:
        line += ["--out", os.fspath(out)]
    return _run(
        "batch",
        lambda **kw: _sidelines._batch(
            s._inner, int(runs), seed, int(trajectories), threads, kw["out"], format,
            bool(resume), bool(force), line, kw["progress"],
        ),
        out,
        progress,
        Results,
    )


def replay(
    scenario: Union[str, os.PathLike] = "ukraine-watch",
    *,
    timeline: Union[str, os.PathLike],
    observed: Union[str, os.PathLike, None] = None,
    then: int = 0,
    runs: int = 2_000,
    seed: int = 1,
    posterior: Union[str, os.PathLike, None] = None,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    trajectories: int = 0,
    format: str = "csv",
    resume: bool = False,
    force: bool = False,
    progress: Union[bool, Callable[[int, int], None]] = True,
) -> Replayed:
    """Replays a dated record through the model and checks the runs against what was observed.

    Same as ``sidelines replay SCENARIO --timeline T [--observed O] --then N``. The record's
    events drive the world; ``record_check`` gives, per observation, the share of runs as
    observed with its 95% interval; with ``then`` days the world goes on from the record's end
    (a forecast). ``observed`` defaults to the timeline's ``-observed.csv`` sibling.
    ``posterior`` names a finished calibration folder: each run takes its assumptions from it.
    Other parameters as for ``batch``.
    """
    seed = _check_seed(seed)
    line = _command("replay", os.fspath(scenario), "--timeline", os.fspath(timeline),
                    "--then", then, "--runs", runs, "--seed", seed)
    return _run(
        "replay",
        lambda **kw: _sidelines._replay(
            os.fspath(scenario), os.fspath(timeline),
            None if observed is None else os.fspath(observed), int(then), int(runs), seed,
            int(trajectories), None if posterior is None else os.fspath(posterior), threads,
            kw["out"], format, bool(resume), bool(force), line, kw["progress"],
        ),
        out,
        progress,
        Replayed,
    )


def _opt(p):
    return None if p is None else os.fspath(p)


def sweep(
    file: Union[str, os.PathLike],
    *,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    format: str = "csv",
    resume: bool = False,
    force: bool = False,
    progress: Union[bool, Callable[[int, int], None]] = True,
) -> Results:
    """Runs a parameter sweep from a sweep file (grid, random, lhs, sobol or morris design).

    Same as ``sidelines sweep FILE``. The result's ``runs`` has one row per run with the
    point's parameter values; ``table("points")`` one row per design point with its
    summaries; ``table("sensitivity")`` the Sobol' or Morris indices when the design calls for
    them. Other parameters as for ``batch``.
    """
    line = _command("sweep", os.fspath(file))
    return _run(
        "sweep",
        lambda **kw: _sidelines._sweep(
            os.fspath(file), threads, kw["out"], format, bool(resume), bool(force), line,
            kw["progress"],
        ),
        out,
        progress,
        Results,
    )


def branches(
    scenario: Union[str, os.PathLike] = "ukraine-watch",
    *,
    branches: Optional[list] = None,
    timeline: Union[str, os.PathLike, None] = None,
    no_replay: bool = False,
    posterior: Union[str, os.PathLike, None] = None,
    then: int = 365,
    runs: int = 2_000,
    seed: int = 1,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    force: bool = False,
) -> Results:
    """The article's scenario table: the baseline, each branch and the record replayed with a
    forecast, all with the same seeds; ``table("branches")`` holds each row's outcomes and its
    paired difference from the baseline. Same as ``sidelines branches``."""
    seed = _check_seed(seed)
    line = _command("branches", os.fspath(scenario), "--runs", runs, "--seed", seed)
    return _run(
        "branches",
        lambda **kw: _sidelines._branches(
            os.fspath(scenario), [os.fspath(b) for b in (branches or [])], _opt(timeline),
            bool(no_replay), _opt(posterior), int(then), int(runs), seed, threads, kw["out"],
            bool(force), line,
        ),
        out,
        False,
        Results,
    )


def calibrate(
    file: Union[str, os.PathLike],
    *,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    resume: bool = False,
    force: bool = False,
) -> Results:
    """Fits the assumptions a calibration file names to its record by ABC-SMC.

    Same as ``sidelines calibrate FILE``. ``table("posterior")`` summarises each assumption's
    posterior, ``table("particles")`` holds the last generation's points and weights (the
    posterior as a table), ``table("generations")`` the tolerances. The folder can be passed as
    ``posterior=`` to ``replay``, ``branches`` and ``claims``.
    """
    line = _command("calibrate", os.fspath(file))
    return _run(
        "calibrate",
        lambda **kw: _sidelines._calibrate(
            os.fspath(file), threads, kw["out"], bool(resume), bool(force), line, None,
        ),
        out,
        False,
        Results,
    )


def claims(
    *,
    points: int = 64,
    runs: int = 200,
    spread: float = 2.0,
    posterior: Union[str, os.PathLike, None] = None,
    seed: int = 1,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    force: bool = False,
) -> Results:
    """The article's claims checked over the assumption space (and a posterior): ``table
    ("claims")`` gives each claim's wording and the share of points where it holds, is
    reversed or unclear; ``table("claim_points")`` every point's values and verdicts. Same as
    ``sidelines claims``."""
    seed = _check_seed(seed)
    line = _command("claims", "--points", points, "--runs", runs, "--seed", seed)
    return _run(
        "claims",
        lambda **kw: _sidelines._claims(
            int(points), int(runs), float(spread), _opt(posterior), seed, threads, kw["out"],
            bool(force), line,
        ),
        out,
        False,
        Results,
    )


class Evaluation:
    """Scores of the model's forecasts: ``scores`` (the JSON of ``sidelines evaluate --json``:
    Brier and log scores per episode and overall with bootstrap intervals, against a coin flip,
    the other episodes' base rate and persistence, and skill scores) and ``observations`` (one
    row per observation: each forecaster's probability of what was observed and its scores)."""

    def __init__(self, scores: dict, observations: pl.DataFrame):
        self.scores = scores
        self.observations = observations

    def __repr__(self) -> str:
        return f"Evaluation({self.observations.height} observations)"


def evaluate(
    episodes: Optional[Mapping[str, Union[str, os.PathLike]]] = None,
    *,
    runs: int = 1_000,
    seed: int = 1,
    resamples: int = 2_000,
    posterior: Union[str, os.PathLike, None] = None,
) -> Evaluation:
    """Scores every episode's observations as forecasts with proper scoring rules.

    ``episodes`` maps a scenario (name or file) to its timeline, whose observations file sits
    beside it (``-observed.csv``); None: the six shipped episodes (paths relative to the
    repository's folder). ``posterior``: a finished calibration folder whose posterior every
    run's assumptions are drawn from (the calibrated model is scored). Same as
    ``sidelines evaluate``.
    """
    seed = _check_seed(seed)
    pairs = None if episodes is None else [(os.fspath(k), os.fspath(v)) for k, v in episodes.items()]
    post = None if posterior is None else os.fspath(posterior)
    text, table = _sidelines._evaluate(pairs, int(runs), seed, int(resamples), post)
    return Evaluation(json.loads(text), _frame(table))


class CrossValidation(Results):
    """A cross-validation's folder (``table("cv")``: per episode and over all, the Brier and
    log scores of the model as shipped and as calibrated without what was left out, the paired
    difference and the skill; ``table("scores")``: every held-out observation) and ``scores``,
    the JSON of ``sidelines evaluate --cv ... --json``."""

    def __init__(self, folder: Union[str, os.PathLike], info: Optional[Mapping[str, Any]] = None):
        super().__init__(folder, info)
        self.scores = json.loads((info or {}).get("json", "{}"))


def cross_validate(
    calibration: Union[str, os.PathLike],
    *,
    leave: str = "episodes",
    runs: int = 1_000,
    seed: int = 1,
    resamples: int = 2_000,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    force: bool = False,
    progress: Union[bool, Callable[[int, int], None]] = False,
) -> CrossValidation:
    """Cross-validates a calibration file: ``leave="episodes"`` calibrates on every episode but
    one and scores the one left out (the file needs two episodes or more);
    ``leave="observations"`` does so for each observation. Each fold's calibration file and
    posterior are kept under ``cv/`` in the folder. Same as ``sidelines evaluate --cv FILE
    --leave LEAVE``.
    """
    seed = _check_seed(seed)
    line = _command("evaluate", "--cv", os.fspath(calibration), "--leave", str(leave))
    return _run(
        "cross-validation",
        lambda **kw: _sidelines._cross_validate(
            os.fspath(calibration), str(leave), int(runs), seed, int(resamples), threads,
            kw["out"], bool(force), line, kw["progress"],
        ),
        out,
        progress,
        CrossValidation,
    )


class ModelChoice(Results):
    """A model choice's folder (``table("models")``: each model's posterior probability given
    the record, its Monte Carlo error and how often it won on records simulated from it;
    ``table("confusion")``: which model each model's synthetic records came out as;
    ``table("parameters")``: the kept draws' assumptions per model) and ``result``, the JSON of
    ``sidelines choose FILE --json``."""

    def __init__(self, folder: Union[str, os.PathLike], info: Optional[Mapping[str, Any]] = None):
        super().__init__(folder, info)
        self.result = json.loads((info or {}).get("json", "{}"))

    @property
    def probabilities(self) -> dict:
        """Each model's posterior probability given the record."""
        return {m["model"]: m["probability"] for m in self.result.get("models", [])}


def choose(
    file: Union[str, os.PathLike],
    *,
    threads: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    force: bool = False,
    progress: Union[bool, Callable[[int, int], None]] = False,
) -> ModelChoice:
    """Compares the named model variants of a model-choice file (a calibration file's episodes
    and parameters with ``[[models]]``) on its episodes' records by ABC with a reference table,
    and checks on records simulated from each model whether the records can tell them apart.
    Same as ``sidelines choose FILE``.
    """
    line = _command("choose", os.fspath(file))
    return _run(
        "choose",
        lambda **kw: _sidelines._choose(
            os.fspath(file), threads, kw["out"], bool(force), line, kw["progress"],
        ),
        out,
        progress,
        ModelChoice,
    )


def analyze(
    method: str,
    folder: Union[str, os.PathLike, None] = None,
    *,
    outcome: Optional[str] = None,
    where: Optional[str] = None,
    out: Union[str, os.PathLike, None] = None,
    table: Union[str, os.PathLike, None] = None,
    params: Optional[list] = None,
    second_order: bool = False,
    levels: int = 4,
    resamples: int = 1_000,
    seed: int = 1,
    alpha: float = 0.05,
    min_support: float = 0.05,
    min_coverage: float = 0.5,
    box: Optional[int] = None,
    assumptions: Optional[str] = None,
    force: bool = False,
) -> dict:
    """Sensitivity indices (``"sobol"``, ``"morris"``) of a finished sweep folder or of a
    ``table`` with its ``params`` columns, or scenario discovery (``"prim"``, with ``outcome``
    and ``where``, e.g. ``"= true"``; ``box`` picks a step of the trajectory, ``assumptions``
    a claims folder's set). Same as ``sidelines analyze``: tables that exist are replaced only
    with ``force=True``. Returns ``{"text": ..., "tables": {name: DataFrame}}`` for the files
    written."""
    text, written = _sidelines._analyze(
        method, _opt(folder), outcome, _opt(out), _opt(table), list(params or []),
        bool(second_order), int(levels), int(resamples), _check_seed(seed), where,
        float(alpha), float(min_support), float(min_coverage),
        None if box is None else int(box), assumptions, bool(force),
    )
    tables = {Path(w).stem: _frame(_sidelines._csv(w)) for w in written}
    return {"text": text, "tables": tables}
