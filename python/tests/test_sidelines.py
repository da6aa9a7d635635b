"""The Python package against the command line: same seed, same numbers; errors as exceptions
that name their place; Ctrl-C leaves a folder that resumes to the same bytes."""

import math
import os
import signal
import threading
import time
from pathlib import Path

import polars as pl
import pytest

import sidelines
from conftest import run_cli


def cli_cell_equals(py_value, text: str) -> bool:
    """A value from the DataFrame against the CLI's CSV cell, parsed independently."""
    if py_value is None:
        return text == ""
    if isinstance(py_value, bool):
        return text.lower() == str(py_value).lower()
    if isinstance(py_value, float):
        return float(text) == py_value or (math.isnan(py_value) and text.lower() == "nan")
    if isinstance(py_value, int):
        return int(text) == py_value
    return str(py_value) == text


def test_batch_equals_the_command_line_column_by_column(cli, tmp_path):
    # 2,000 runs, seed 7: the check. Every column of runs.csv, every row.
    r = run_cli(cli, "batch", "ukraine-watch", "--runs", "2000", "--seed", "7", "--out",
                str(tmp_path / "cli"), "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    b = sidelines.batch("ukraine-watch", runs=2000, seed=7, threads=2, progress=False)
    cli_runs = pl.read_csv(tmp_path / "cli" / "runs.csv", infer_schema_length=0)
    assert b.runs.columns == cli_runs.columns
    assert b.runs.height == cli_runs.height == 2000
    for name in b.runs.columns:
        ours = b.runs[name].to_list()
        theirs = cli_runs[name].to_list()
        bad = [i for i, (a, t) in enumerate(zip(ours, theirs)) if not cli_cell_equals(a, t or "")]
        assert not bad, f"column {name}: rows {bad[:5]} differ ({ours[bad[0]]!r} vs {theirs[bad[0]]!r})"
    # The files themselves are the same bytes.
    assert (b.folder / "runs.csv").read_bytes() == (tmp_path / "cli" / "runs.csv").read_bytes()
    assert (b.folder / "summary.csv").read_bytes() == (tmp_path / "cli" / "summary.csv").read_bytes()


def test_types_come_through_arrow(tmp_path):
    b = sidelines.batch(runs=300, seed=3, out=tmp_path / "b", progress=False)
    schema = b.runs.schema
    assert schema["seed"] == pl.UInt64
    assert schema["kp_accepts_talks"] == pl.Boolean
    assert schema["talks_end_day"] == pl.Int32
    assert schema["kp_trust_us"] == pl.Float64
    assert schema["talks_outcome"] == pl.Categorical
    # An answer is ordinal: every label, in order, whichever occurred; pandas gets it ordered.
    answers = ["none", "refused", "conditional_offer", "accepted"]
    assert schema["kp_answer"] == pl.Enum(answers)
    assert b.runs.sort("kp_answer")["kp_answer"].drop_nulls().to_list() == sorted(
        b.runs["kp_answer"].drop_nulls().to_list(), key=answers.index)
    assert b.timeseries.schema["date"] == pl.Date
    pdf = b.runs.to_pandas()
    assert len(pdf) == 300 and str(pdf["kp_trust_us"].dtype) == "float64"
    assert pdf["kp_answer"].cat.ordered and list(pdf["kp_answer"].cat.categories) == answers
    # Parquet folders give the same frame.
    p = sidelines.batch(runs=300, seed=3, out=tmp_path / "p", format="parquet", progress=False)
    assert p.runs.equals(b.runs)


def test_missing_scenario_raises_an_error_that_names_it():
    with pytest.raises(sidelines.InputError) as e:
        sidelines.Scenario.load("ukraine-wacth")
    assert "ukraine-wacth" in str(e.value)
    assert "ukraine-watch" in str(e.value), "suggests the close name"


def test_bad_scenario_file_names_file_line_column_and_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "ukraine-watch"\nname = "bad"\n[set]\n"mediator.resume_above" = 7.5\n')
    with pytest.raises(sidelines.InputError) as e:
        sidelines.Scenario.load(bad)
    d = e.value.diagnostics
    assert d, "diagnostics listed"
    assert d[0]["file"].endswith("bad.toml") and d[0]["line"] == 4 and d[0]["column"] > 0
    assert d[0]["field"] == "mediator.resume_above" and "outside its range" in d[0]["message"]
    assert f"{bad}:4:{d[0]['column']}" in str(e.value)


def test_with_values_changes_the_runs_and_refuses_out_of_range():
    s = sidelines.Scenario.load("ukraine-watch")
    paths = s.describe()["path"].to_list()
    assert "mediator.resume_above" in paths
    t = s.with_values({"mediator.resume_above": 0.9})
    assert s.describe().filter(pl.col("path") == "mediator.resume_above")["value"][0] != 0.9
    assert t.describe().filter(pl.col("path") == "mediator.resume_above")["value"][0] == 0.9
    with pytest.raises(sidelines.InputError):
        s.with_values({"mediator.resume_above": 7.0})
    with pytest.raises(sidelines.InputError):
        s.with_values({"no.such.path": 0.1})


def test_replay_has_its_record_check(root, cli, tmp_path):
    timeline = root / "configs" / "timelines" / "2025.csv"
    r = sidelines.replay(timeline=timeline, runs=400, seed=2, out=tmp_path / "py",
                         progress=False)
    check = r.record_check
    observed = pl.read_csv(root / "configs" / "timelines" / "2025-observed.csv")
    assert check.height == observed.height
    assert check.schema["inside_90"] == pl.Boolean
    c = run_cli(cli, "replay", "--timeline", str(timeline), "--runs", "400", "--seed", "2",
                "--out", str(tmp_path / "cli"), "--quiet", cwd=root)
    assert c.returncode == 0, c.stderr
    for f in ("runs.csv", "record_check.csv", "record.csv"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f


def test_progress_reports_up_to_the_total(tmp_path):
    seen = []
    sidelines.batch(runs=20_000, seed=1, out=tmp_path / "b", threads=1,
                    progress=lambda done, total: seen.append((done, total)))
    assert seen, "called at least once"
    assert seen[-1] == (20_000, 20_000)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:])), "never goes back"


def test_ctrl_c_raises_within_a_second_and_resumes_to_the_same_bytes(tmp_path):
    out = tmp_path / "big"
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        sidelines.batch(runs=2_000_000, seed=5, out=out, threads=2, progress=False)
    waited = time.monotonic() - started - 1.0
    assert waited < 1.0, f"KeyboardInterrupt {waited:.2f} s after Ctrl-C"
    assert (out / ".checkpoint").is_file(), "left resumable"
    # Finishing 2,000,000 runs would take minutes, so a second, smaller job, stopped the same
    # way (an exception raised in the progress callback) checks that a resume gives the bytes.
    small = tmp_path / "small"
    stop_after = {"n": 0}

    def interrupt_once(done, total):
        stop_after["n"] += 1
        if stop_after["n"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sidelines.batch(runs=60_000, seed=5, out=small, threads=1, progress=interrupt_once)
    assert (small / ".checkpoint").is_file()
    resumed = sidelines.batch(runs=60_000, seed=5, out=small, resume=True, progress=False)
    whole = sidelines.batch(runs=60_000, seed=5, out=tmp_path / "whole", progress=False)
    assert resumed.manifest["resumed_from_run"] > 0
    assert (small / "runs.csv").read_bytes() == (tmp_path / "whole" / "runs.csv").read_bytes()


def test_scenarios_lists_the_default():
    s = sidelines.scenarios()
    assert s.filter(pl.col("default"))["name"].to_list() == ["ukraine-watch"]
    assert "iran-talks-2025" in s["name"].to_list()


def test_help_is_useful():
    doc = sidelines.batch.__doc__
    for word in ("runs", "seed", "threads", "out", "KeyboardInterrupt", "InputError"):
        assert word in doc


def test_a_tqdm_bar_is_drawn_when_tqdm_is_installed(capsys, tmp_path):
    pytest.importorskip("tqdm")  # CI installs it; the package does not require it
    sidelines.batch(runs=3000, seed=1, threads=1, out=tmp_path / "b")
    err = capsys.readouterr().err
    assert "batch" in err and "runs" in err, err[-300:]
