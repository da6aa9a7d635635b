"""Cross-check sidelines' sensitivity estimators against SALib on the same tables.

For a Sobol (with and without second order) and a Morris design of the Ishigami function, and
for the Sobol sweep folder given on the command line (our own model), the script computes the
indices with SALib and with `sidelines analyze`, and fails unless first- and total-order Sobol
indices (and Morris mu, mu*, sigma) agree to 1e-9. Bootstrap intervals use different random
generators and are not compared.

usage: python3 scripts/salib_crosscheck.py SIDELINES_BINARY [SOBOL_SWEEP_DIR]
"""
import csv
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_sobol

TOL = 1e-9


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ours(binary, method, args, tmp):
    # A fresh file per call: analyze does not replace a table that exists.
    out = Path(tempfile.mkdtemp(dir=tmp)) / f"ours-{method}.csv"
    subprocess.run([binary, "analyze", method, *args, "--out", str(out), "--resamples", "10"], check=True)
    ours.last = out
    return read(out)


def compare(label, ours_rows, theirs, keys):
    worst = 0.0
    for row in ours_rows:
        i = theirs["names"].index(row["parameter"])
        for ours_key, their_key in keys:
            a, b = float(row[ours_key]), float(theirs[their_key][i])
            worst = max(worst, abs(a - b))
            if not abs(a - b) <= TOL:
                sys.exit(f"{label}: {row['parameter']} {ours_key} {a} vs SALib {b}")
    print(f"{label}: {len(ours_rows)} parameters, largest difference {worst:.2e}")


def table(path, x, y, names):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*names, "y"])
        for xi, yi in zip(x, y):
            w.writerow([*(repr(float(v)) for v in xi), repr(float(yi))])


def main():
    binary = sys.argv[1]
    names = ["a", "b", "c"]
    problem = {"num_vars": 3, "names": names, "bounds": [[-math.pi, math.pi]] * 3}
    with tempfile.TemporaryDirectory() as tmp:
        design = Path(tmp) / "design.csv"
        for second in (False, True):
            # Our Saltelli design, written by a tiny sweep-free route: the analyze command only
            # needs the rows, so use numpy's own random rows in Saltelli block order.
            rng = np.random.default_rng(1)
            n, k = 512, 3
            a, b = rng.uniform(-math.pi, math.pi, (n, k)), rng.uniform(-math.pi, math.pi, (n, k))
            rows = []
            for j in range(n):
                rows.append(a[j])
                for i in range(k):
                    ab = a[j].copy(); ab[i] = b[j, i]; rows.append(ab)
                if second:
                    for i in range(k):
                        ba = b[j].copy(); ba[i] = a[j, i]; rows.append(ba)
                rows.append(b[j])
            x = np.array(rows)
            y = ishigami(x)
            table(design, x, y, names)
            theirs = salib_sobol.analyze(problem, y, calc_second_order=second, num_resamples=10, seed=1)
            theirs["names"] = names
            args = ["--table", str(design), "--params", "a,b,c", "--outcome", "y"] + (["--second-order"] if second else [])
            compare(f"ishigami sobol second_order={second}", ours(binary, "sobol", args, tmp), theirs, [("S1", "S1"), ("ST", "ST")])
            if second:
                worst = 0.0
                for row in read(ours.last.with_name("ours-sobol_s2.csv")):
                    i, j = names.index(row["parameter_1"]), names.index(row["parameter_2"])
                    a, b = float(row["S2"]), float(theirs["S2"][i][j])
                    worst = max(worst, abs(a - b))
                    if not abs(a - b) <= TOL:
                        sys.exit(f"S2 {i},{j}: {a} vs SALib {b}")
                print(f"ishigami sobol second order: largest S2 difference {worst:.2e}")

        # Morris: SALib's own sample, analysed by both.
        from SALib.sample import morris as morris_sample
        x = morris_sample.sample(problem, 50, num_levels=4, seed=2)
        y = ishigami(x)
        table(design, x, y, names)
        theirs = salib_morris.analyze(problem, x, y, num_levels=4, num_resamples=10, seed=1)
        theirs["names"] = names
        args = ["--table", str(design), "--params", "a,b,c", "--outcome", "y", "--levels", "4"]
        compare("ishigami morris", ours(binary, "morris", args, tmp), theirs, [("mu", "mu"), ("mu_star", "mu_star"), ("sigma", "sigma")])

        # Our model: a Sobol sweep folder, per-point means of one outcome, analysed by both.
        if len(sys.argv) > 2:
            folder = Path(sys.argv[2])
            manifest = json.loads((folder / "manifest.json").read_text())
            params = [p["path"] for p in manifest["parameters"]]
            second = manifest["sampler"].get("second_order", False)
            summary = [r for r in read(folder / "summary.csv") if r["outcome"] == "kr_trust_us"]
            y = np.array([float(r["mean"]) for r in sorted(summary, key=lambda r: int(r["point"]))])
            prob = {"num_vars": len(params), "names": params, "bounds": [[0, 1]] * len(params)}
            theirs = salib_sobol.analyze(prob, y, calc_second_order=second, num_resamples=10, seed=1)
            theirs["names"] = params
            rows = ours(binary, "sobol", [str(folder), "--outcome", "kr_trust_us"], tmp)
            compare("sidelines sweep kr_trust_us", rows, theirs, [("S1", "S1"), ("ST", "ST")])
            # A yes/no outcome: the share of each point's runs where Pyongyang accepts talks.
            shares = [r for r in read(folder / "outcomes.csv")
                      if r["outcome"] == "kp_accepts_talks" and r["value"] == "true"]
            y = np.array([float(r["share"]) for r in sorted(shares, key=lambda r: int(r["point"]))])
            theirs = salib_sobol.analyze(prob, y, calc_second_order=second, num_resamples=10, seed=1)
            theirs["names"] = params
            rows = ours(binary, "sobol", [str(folder), "--outcome", "kp_accepts_talks"], tmp)
            compare("sidelines sweep kp_accepts_talks share", rows, theirs, [("S1", "S1"), ("ST", "ST")])


main()
