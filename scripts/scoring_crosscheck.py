"""Cross-checks `sidelines evaluate`'s scores against scoringrules (PyPI), as the Sobol indices
are checked against SALib: every forecast of every observation (the model's and the three
baselines') is re-scored and must agree to 1e-12.

- Brier: ours is half the sum over categories of (p_c - o_c)^2, so that a yes/no scores the
  usual (p - o)^2; scoringrules' brier_score is the yes/no one, applied per category.
- Log: ours is -ln p_observed; scoringrules' log_score of the yes/no event "the observed
  category happened", forecast with p_observed.
- RPS: ours divides the sum over cumulative categories by K - 1; scoringrules' rps_score
  (one-hot observations) does not divide.
- CRPS: the shipped records observe no numbers, so a copy of the 2025 record with numeric
  observations (a point and an interval, scored at its midpoint) is evaluated too; the model's
  CRPS is scoringrules' crps_ensemble of the runs' values (estimator "nrg": the empirical
  distribution's CRPS), persistence's that of its day-0 value (a point: the absolute error).

Usage: python scoring_crosscheck.py SIDELINES_BINARY   (from the repository's folder)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import scoringrules as sr

binary = sys.argv[1]
numbers = tempfile.mkdtemp()
shutil.copy("configs/timelines/2025.csv", os.path.join(numbers, "numbers.csv"))
with open(os.path.join(numbers, "numbers-observed.csv"), "w") as f:
    f.write("date,outcome,observed,note,source_url\n"
            "2025-12-31,kr_trust_us,0.42,a point for the cross-check,\n"
            "2025-06-30,kp_belief_hard_bargainer,0.3..0.5,an interval for the cross-check,\n")


def evaluate(*episodes):
    out = subprocess.run(
        [binary, "evaluate", "--runs", "300", "--resamples", "200", "--json", *episodes],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)["observations"]


# The shipped episodes, then the copy of 2025 with numbers.
observations = evaluate() + evaluate("--episode", f"ukraine-watch={numbers}/numbers.csv")
shutil.rmtree(numbers)
worst = 0.0
checked = 0
for obs in observations:
    hit = obs["observed_category"]
    k = len(obs["categories"])
    onehot = np.zeros(k)
    onehot[hit] = 1.0
    for who, f in obs["forecasts"].items():
        p = np.array(f["p"], dtype=float)
        brier = 0.5 * float(np.sum(sr.brier_score(onehot, p)))
        log = float(sr.log_score(np.array([1.0]), np.array([p[hit]]))[0])
        diffs = [abs(brier - f["brier"]), abs(log - f["log"])]
        if f["rps"] is not None:
            rps = float(sr.rps_score(onehot[None, :], p[None, :], onehot=True)[0]) / (k - 1)
            diffs.append(abs(rps - f["rps"]))
        d = max(diffs)
        if d > 1e-12:
            sys.exit(f"{obs['episode']} {obs['date']} {obs['outcome']} ({who}): differs by {d:.3e}")
        worst = max(worst, d)
        checked += 1
crps_checked = 0
for obs in observations:
    number = obs["number"]
    if number is None:
        continue
    y = number["observed"]
    model = float(sr.crps_ensemble(y, np.array(number["runs"], dtype=float), estimator="nrg"))
    d = abs(model - number["model_crps"])
    if number["day0"] is not None:
        d = max(d, abs(abs(number["day0"] - y) - number["persistence_crps"]))
    if d > 1e-12:
        sys.exit(f"{obs['episode']} {obs['date']} {obs['outcome']} (CRPS): differs by {d:.3e}")
    worst = max(worst, d)
    crps_checked += 1
if crps_checked != 2:
    sys.exit(f"expected the 2 numeric observations of the copied record, found {crps_checked}")
print(f"scoring cross-check: {crps_checked} CRPS and {checked} forecasts of {len(observations)} observations, "
      f"largest difference from scoringrules {sr.__version__}: {worst:.2e}")
