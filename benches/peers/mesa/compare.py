"""Compare the headline outcomes of two runs.csv files (Rust `sidelines batch`, Mesa port).

For each quantity: both values, their difference, the combined standard error
sqrt(se_rust^2 + se_mesa^2) (a share's se is sqrt(p(1-p)/n), a mean's is sd/sqrt(n)) and
whether |difference| <= K * se (K = 3 unless --k). Exits 1 if any quantity disagrees.

Usage: python compare.py RUST_RUNS_CSV MESA_RUNS_CSV [--k 3]
"""

import argparse
import csv
import math
import sys

TALKS_OUTCOMES = (
    "settlement_russian_terms", "settlement_balanced", "talks_collapse", "us_disengaged",
    "ongoing",
)
HYPOTHESES = ("deal_seeker", "hard_bargainer", "unserious", "reliable")
MEANS = (
    [f"kp_belief_{h}" for h in HYPOTHESES]
    + [f"kr_belief_{h}" for h in HYPOTHESES]
    + ["kr_trust_us", "kp_alliance_us_engagement"]
)


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def share(xs):
    n = len(xs)
    p = sum(xs) / n
    return p, math.sqrt(p * (1.0 - p) / n)


def mean(xs):
    n = len(xs)
    m = sum(xs) / n
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    return m, math.sqrt(var / n)


def quantities(rows):
    out = {}
    for o in TALKS_OUTCOMES:
        out[f"talks_outcome={o}"] = share([r["talks_outcome"] == o for r in rows])
    out["kp_accepts_talks"] = share([r["kp_accepts_talks"] == "true" for r in rows])
    for name in MEANS:
        out[name] = mean([float(r[name]) for r in rows])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rust")
    p.add_argument("mesa")
    p.add_argument("--k", type=float, default=3.0)
    args = p.parse_args()
    rust, mesa = read(args.rust), read(args.mesa)
    qr, qm = quantities(rust), quantities(mesa)
    print(f"agreement: Rust n={len(rust)}, Mesa n={len(mesa)}; agree when |diff| <= {args.k:g} SE")
    print(f"{'quantity':<40} {'rust':>8} {'mesa':>8} {'diff':>8} {'SE':>7} {'|d|/SE':>7}  ok")
    bad = []
    for name in qr:
        (a, sa), (b, sb) = qr[name], qm[name]
        d = b - a
        se = math.sqrt(sa * sa + sb * sb)
        z = abs(d) / se if se > 0 else (0.0 if d == 0 else math.inf)
        ok = z <= args.k
        if not ok:
            bad.append(name)
        print(f"{name:<40} {a:8.4f} {b:8.4f} {d:+8.4f} {se:7.4f} {z:7.2f}  {'yes' if ok else 'NO'}")
    if bad:
        print(f"DISAGREE ({len(bad)}): {', '.join(bad)}")
        return 1
    print(f"all {len(qr)} quantities agree within {args.k:g} SE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
