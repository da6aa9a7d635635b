"""Cross-checks `sidelines evaluate`'s scores against scoringrules (PyPI), as the Sobol indices
are checked against SALib: every forecast of every observation (the model's and the three
baselines') is re-scored and must agree to 1e-12.

- Brier: ours is half the sum over categories of (p_c - o_c)^2, so that a yes/no scores the
  usual (p - o)^2; scoringrules' brier_score is the yes/no one, applied per category.
- Log: ours is -ln p_observed; scoringrules' log_score of the yes/no event "the observed
  category happened", forecast with p_observed.
- RPS: ours divides the sum over cumulative categories by K - 1; scoringrules' rps_score
  (one-hot observations) does not divide.

Usage: python scoring_crosscheck.py SIDELINES_BINARY   (from the repository's folder)
"""

import json
import subprocess
import sys

import numpy as np
import scoringrules as sr

binary = sys.argv[1]
out = subprocess.run(
    [binary, "evaluate", "--runs", "300", "--resamples", "200", "--json"],
    check=True,
    capture_output=True,
    text=True,
).stdout
report = json.loads(out)
worst = 0.0
checked = 0
for obs in report["observations"]:
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
print(f"scoring cross-check: {checked} forecasts of {len(report['observations'])} observations, "
      f"largest difference from scoringrules {sr.__version__}: {worst:.2e}")
