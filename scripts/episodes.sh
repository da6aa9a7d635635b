#!/usr/bin/env bash
# Replays every shipped episode under the current model and under the 2025 model (every
# `mechanisms.*` weight at 0), and prints, per episode, the Brier score of the observations
# (each observation's forecast probability is the share of runs in which it came out as
# observed, so its Brier term is (1 - share)^2) beside a coin flip's 0.25.
# Usage: scripts/episodes.sh [RUNS] [SEED]  (needs target/release/sidelines)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2000}
seed=${2:-1}
bin=target/release/sidelines
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
episodes=(
    "configs/scenarios/ukraine-watch.toml configs/timelines/2025.csv"
    "configs/scenarios/iran-talks-2025.toml configs/timelines/iran-2025.csv"
    "configs/scenarios/agreed-framework-1994.toml configs/timelines/agreed-framework-1994.csv"
    "configs/scenarios/libya-2003.toml configs/timelines/libya-2003.csv"
    "configs/scenarios/six-party-2005.toml configs/timelines/six-party-2005.csv"
    "configs/scenarios/jcpoa-2015.toml configs/timelines/jcpoa-2015.csv"
)
printf '%-26s %-11s %5s %7s %9s\n' episode model obs brier inside90
for e in "${episodes[@]}"; do
    set -- $e
    scenario=$1 timeline=$2
    name=$(basename "$scenario" .toml)
    for model in current model-2025; do
        file=$scenario
        if [ "$model" = model-2025 ]; then
            file=$work/$name-2025.toml
            {
                echo "base = \"$PWD/$scenario\""
                echo "name = \"$name-model-2025\""
                echo "[set]"
                for m in initiative resumption standing own_moves offers leader rest quantal; do
                    echo "\"mechanisms.$m\" = 0.0"
                done
            } > "$file"
        fi
        out=$work/$name-$model
        "$bin" replay "$file" --timeline "$timeline" --runs "$runs" --seed "$seed" --out "$out" --quiet >/dev/null 2>"$out.log" || { cat "$out.log"; exit 1; }
        python3 - "$out/record_check.csv" "$name" "$model" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
brier = sum((1 - float(r["share_as_observed"])) ** 2 for r in rows) / len(rows)
inside = sum(r["inside_90"] == "TRUE" for r in rows)
print(f"{sys.argv[2]:<26} {sys.argv[3]:<11} {len(rows):>5} {brier:>7.3f} {inside:>4}/{len(rows)}")
PY
    done
done
