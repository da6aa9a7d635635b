"""The other workflows from Python: each one's folder equals the command line's (same seed,
same bytes), and the EMA Workbench runs sidelines as a model."""

import json

import polars as pl
import pytest

import sidelines
from conftest import run_cli


def same_files(a, b, names):
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


def test_sweep_equals_the_command_line(root, cli, tmp_path):
    f = root / "configs" / "sweeps" / "pressure-attention-grid.toml"
    s = sidelines.sweep(f, out=tmp_path / "py", progress=False)
    r = run_cli(cli, "sweep", str(f), "--out", str(tmp_path / "cli"), "--quiet", cwd=root)
    assert r.returncode == 0, r.stderr
    same_files(tmp_path / "py", tmp_path / "cli", ["runs.csv", "points.csv", "summary.csv"])
    assert s.table("points").height == 25
    assert s.runs.schema["actors.KP.transfer" if "actors.KP.transfer" in s.runs.columns
                          else s.runs.columns[4]] == pl.Float64


def test_evaluate_equals_the_command_line(root, cli, monkeypatch):
    monkeypatch.chdir(root)  # the shipped episodes' paths are the repository's
    e = sidelines.evaluate(runs=200, resamples=300, seed=4)
    r = run_cli(cli, "evaluate", "--runs", "200", "--resamples", "300", "--seed", "4", "--json",
                cwd=root)
    assert r.returncode == 0, r.stderr
    assert e.scores == json.loads(r.stdout)
    assert e.observations.height == len(e.scores["observations"])
    assert e.observations["model_p_observed"].is_between(0, 1).all()


def test_claims_and_branches_write_their_tables(tmp_path):
    c = sidelines.claims(points=4, runs=20, out=tmp_path / "c")
    claims = c.table("claims")
    assert claims.height > 0 and {"claim", "when", "then", "share"} <= set(claims.columns)
    b = sidelines.branches(runs=40, out=tmp_path / "b", no_replay=True)
    assert b.table("branches")["branch"].n_unique() >= 2


def test_analyze_prim_on_a_sweep(root, tmp_path):
    s = sidelines.sweep(root / "configs" / "sweeps" / "pressure-attention-grid.toml",
                        out=tmp_path / "s", progress=False)
    a = sidelines.analyze("prim", s.folder, outcome="kp_accepts_talks", where="= true",
                          out=tmp_path / "prim")
    assert set(a["tables"]) == {"prim_trajectory", "prim_box"}
    assert "density" in a["text"]


def test_bad_sweep_file_raises_input_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is not toml = = \n")
    with pytest.raises(sidelines.InputError) as e:
        sidelines.sweep(bad, progress=False)
    assert "bad.toml:1:" in str(e.value)


def test_ema_workbench_runs_sidelines_one_batch_per_experiment():
    # CI installs ema-workbench; without it this fails rather than skips.
    import ema_workbench as ema
    import numpy as np
    from ema_workbench.analysis import feature_scoring, prim

    from sidelines.ema import KEY_ASSUMPTIONS, model

    m = model("ukraine-watch", runs=100, seed=3)
    experiments, outcomes = ema.perform_experiments(m, scenarios=20)
    assert len(experiments) == 20
    assert list(KEY_ASSUMPTIONS) == [u.name for u in m.uncertainties]
    share = outcomes["kp_accepts_talks"]
    assert ((share >= 0) & (share <= 1)).all() and share.std() > 0, "the parameters matter"
    x = experiments[list(KEY_ASSUMPTIONS)]
    scores = feature_scoring.get_feature_scores_all(x, outcomes)
    assert set(scores.index) == set(KEY_ASSUMPTIONS)
    box = prim.Prim(x, share > np.median(share), threshold=0.5).find_box()
    assert len(box.peeling_trajectory) > 1
    # The same experiment twice gives the same outcomes (one seed for every experiment).
    again = m.function(**{u.variable_name[0]: experiments[u.name].iloc[0] for u in m.uncertainties})
    assert again["kp_accepts_talks"] == pytest.approx(share[0], abs=0)


def test_cross_validation_equals_the_command_line(root, cli, tmp_path):
    f = tmp_path / "joint.toml"
    joint = (root / "tests" / "fixtures" / "joint-calibration.toml").read_text()
    f.write_text(joint.replace("ROOT", str(root)))
    cv = sidelines.cross_validate(f, runs=40, resamples=100, out=tmp_path / "py")
    r = run_cli(cli, "evaluate", "--cv", str(f), "--runs", "40", "--resamples", "100",
                "--out", str(tmp_path / "cli"), "--json", "--quiet", cwd=root)
    assert r.returncode == 0, r.stderr
    assert cv.scores == json.loads(r.stdout)
    same_files(tmp_path / "py", tmp_path / "cli", ["cv.csv", "scores.csv", "skill.csv"])
    assert cv.table("cv").height == 3  # two episodes and all
    with pytest.raises(sidelines.InputError):
        sidelines.cross_validate(f, leave="sideways", out=tmp_path / "never")


def test_model_choice_equals_the_command_line(root, cli, tmp_path):
    f = tmp_path / "choice.toml"
    f.write_text((root / "tests" / "fixtures" / "model-choice.toml").read_text().replace("ROOT", str(root)))
    chosen = sidelines.choose(f, out=tmp_path / "py")
    r = run_cli(cli, "choose", str(f), "--out", str(tmp_path / "cli"), "--json", "--quiet", cwd=root)
    assert r.returncode == 0, r.stderr
    cli_json = json.loads(r.stdout)
    for key in ["models", "confusion", "groups", "tolerance", "most_probable"]:
        assert chosen.result[key] == cli_json[key], key
    same_files(tmp_path / "py", tmp_path / "cli", ["models.csv", "confusion.csv", "groups.csv", "parameters.csv"])
    models = chosen.table("models")
    assert models["model"].to_list() == ["shipped", "shipped-again", "current-calculus"]
    assert sum(chosen.probabilities.values()) == pytest.approx(1.0, abs=1e-12)
    assert chosen.table("confusion").height == 3 * 4
    with pytest.raises(sidelines.InputError):
        sidelines.choose(root / "configs" / "calibration" / "2025.toml", out=tmp_path / "never")
