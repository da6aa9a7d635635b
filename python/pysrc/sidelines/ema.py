"""sidelines as an EMA Workbench model (https://emaworkbench.readthedocs.io).

    >>> from ema_workbench import perform_experiments
    >>> from sidelines.ema import model
    >>> m = model("ukraine-watch", runs=200)
    >>> experiments, outcomes = perform_experiments(m, scenarios=50)

Each EMA experiment (one design point) is one sidelines batch of ``runs`` seeded runs, not one
run: the uncertainties are scenario parameters with their declared ranges (``describe()``), and
the outcomes are the runs table's outcomes summarised over the batch: a number's mean, a flag's
share of runs where it is true, a day's mean over the runs where it happened. Every experiment
uses the same ``seed``, so experiments differ by their parameters only (common random numbers),
and the same design gives the same outcomes. EMA's PRIM and feature scoring then work on the
result as on any EMA model's.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import polars as pl

from . import Scenario, _sidelines, batch

# The assumptions the shipped sweeps vary (configs/sweeps/key-assumptions-*.toml): how much the
# observers generalise from Kyiv, how hard and how long Washington presses, and how much words
# weigh against deeds.
KEY_ASSUMPTIONS = tuple(_sidelines.KEY_ASSUMPTIONS)


def _identifier(path: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in path)


def model(
    scenario="ukraine-watch",
    *,
    parameters: Optional[Sequence[str]] = None,
    outcomes: Optional[Iterable[str]] = None,
    runs: int = 200,
    seed: int = 1,
    threads: Optional[int] = None,
    name: str = "sidelines",
):
    """An ``ema_workbench.Model`` running ``scenario``.

    ``parameters``: the parameter paths to treat as uncertainties (default: ``KEY_ASSUMPTIONS``),
    each over its declared range (whole-numbered ones as IntegerParameter). ``outcomes``: the
    outcome names to report (default: the headline outcomes). ``runs``: runs per experiment.
    """
    from ema_workbench import IntegerParameter, Model, RealParameter, ScalarOutcome

    base = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    described = base.describe()
    paths = list(parameters or KEY_ASSUMPTIONS)
    known = set(described["path"].to_list())
    missing = [p for p in paths if p not in known]
    if missing:
        raise ValueError(f"{base.name} has no parameter {', '.join(missing)} (see describe())")
    table = base.outcomes()
    if outcomes is None:
        chosen = table.filter(pl.col("headline") & (pl.col("kind") != "category"))
    else:
        wanted = list(outcomes)
        chosen = table.filter(pl.col("name").is_in(wanted))
        unknown = sorted(set(wanted) - set(chosen["name"].to_list()))
        if unknown:
            raise ValueError(f"{base.name} has no outcome {', '.join(unknown)} (see outcomes())")
        if (chosen["kind"] == "category").any():
            raise ValueError("category outcomes have no single number: pick flags or numbers")
    kinds = dict(zip(chosen["name"].to_list(), chosen["kind"].to_list()))
    by_var = {_identifier(p): p for p in paths}

    def run(**values):
        s = base.with_values({by_var[k]: v for k, v in values.items()})
        r = batch(s, runs=runs, seed=seed, threads=threads, progress=False)
        frame = r.runs
        result = {}
        for outcome, kind in kinds.items():
            column = frame[outcome]
            if kind == "flag":
                value = column.fill_null(False).cast(pl.Float64).mean()
            else:
                value = column.cast(pl.Float64).mean()  # a day's mean skips runs without it
            result[outcome] = float("nan") if value is None else float(value)
        return result

    m = Model(name, function=run)
    uncertainties = []
    for p in paths:
        row = described.filter(pl.col("path") == p).row(0, named=True)
        lo, hi = row["min"], row["max"]
        if row["whole"]:
            uncertainties.append(IntegerParameter(p, int(lo), int(hi), variable_name=_identifier(p)))
        else:
            uncertainties.append(RealParameter(p, lo, hi, variable_name=_identifier(p)))
    m.uncertainties = uncertainties
    m.outcomes = [ScalarOutcome(o) for o in kinds]
    return m
