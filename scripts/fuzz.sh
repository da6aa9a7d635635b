#!/bin/bash
# Runs every fuzz target for SECONDS each and prints, per target, executions, time and crashes.
#
#   scripts/fuzz.sh 60                       # a minute each (by hand: CI does not fuzz)
#   scripts/fuzz.sh 1800                     # half an hour each
#   TARGETS="sweep folder" scripts/fuzz.sh 600
#
# Targets (fuzz/fuzz_targets/): scenario (any bytes as a scenario file, validated, and a valid
# one run for 30 days), variant (a variant of the default scenario), sweep (a sweep file, its
# design built), timeline (a replay's timeline and observations CSVs), folder (a results folder
# checked, then read into a workbook). Crashes are kept in fuzz/artifacts/TARGET/ and the script
# exits 1; re-run one with `RUSTC_BOOTSTRAP=1 cargo fuzz run -s none TARGET FILE`.
#
# cargo-fuzz is installed if missing. The machine has only the stable toolchain, which builds
# the targets with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes a few -Z flags); no sanitizer is used
# (`-s none`): the workspace forbids unsafe code, so what fuzzing looks for here is panics
# (debug assertions and overflow checks are on), aborts, hangs and runaway memory.
set -euo pipefail
cd "$(dirname "$0")/.."
EACH=${1:-60}
TARGETS=${TARGETS:-"scenario variant sweep timeline folder"}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked --quiet
fi

# Seed corpora from the project's own files (kept out of git: fuzz/corpus is rebuilt here).
seed() {
    local dir=fuzz/corpus/$1
    shift
    mkdir -p "$dir"
    for f in "$@"; do
        cp "$f" "$dir/seed-$(basename "$f")"
    done
}
seed scenario configs/scenarios/*.toml tests/bad/*.toml
seed sweep configs/sweeps/*.toml
mkdir -p fuzz/corpus/variant fuzz/corpus/timeline fuzz/corpus/folder
for f in $(grep -l '^base *=' configs/scenarios/*.toml); do
    grep -v '^base *=' "$f" > "fuzz/corpus/variant/seed-$(basename "$f")"
done
for t in configs/timelines/*.csv; do
    obs=${t%.csv}-observed.csv
    case $t in *-observed.csv) continue ;; esac
    if [[ -f $obs ]]; then
        { cat "$t"; printf '\0'; cat "$obs"; } > "fuzz/corpus/timeline/seed-$(basename "$t")"
    else
        cp "$t" "fuzz/corpus/timeline/seed-$(basename "$t")"
    fi
done
if [[ -z $(ls fuzz/corpus/folder) ]]; then
    cargo build --release --quiet
    work=$(mktemp -d)
    target/release/sidelines batch --runs 20 --quiet --out "$work/batch" >/dev/null
    printf 'name = "g"\ndescription = "d"\nscenario = "ukraine-watch"\nseed = 1\nreplicates = 2\n[sampler]\nkind = "grid"\n[[parameters]]\npath = "mediator.pressure_on_partner"\nvalues = [0.1, 0.9]\n' > "$work/g.toml"
    target/release/sidelines sweep "$work/g.toml" --quiet --out "$work/sweep" >/dev/null
    for d in batch sweep; do
        for f in manifest.json runs.csv summary.csv outcomes.csv timeseries.csv points.csv; do
            [[ -f $work/$d/$f ]] && cat "$work/$d/$f"
            printf '\0'
        done > "fuzz/corpus/folder/seed-$d"
    done
    rm -rf "$work"
fi

# Targets run side by side, JOBS at a time (default: one per core); each gets EACH seconds.
JOBS=${JOBS:-$(nproc)}
logs=$(mktemp -d)
run_target() {
    local t=$1
    if (cd fuzz && cargo fuzz run -s none "$t" "corpus/$t" -- \
        -max_total_time="$EACH" -rss_limit_mb=4096 -timeout=60 -print_final_stats=1) \
        >"$logs/$t.log" 2>&1; then
        echo 0 >"$logs/$t.rc"
    else
        echo 1 >"$logs/$t.rc"
    fi
}
(cd fuzz && cargo fuzz build -s none >/dev/null 2>&1) || (cd fuzz && cargo fuzz build -s none)
for t in $TARGETS; do
    while [[ $(jobs -r | wc -l) -ge $JOBS ]]; do
        sleep 1
    done
    echo "== $t: $EACH s"
    run_target "$t" &
done
wait

status=0
echo "== fuzzing summary"
for t in $TARGETS; do
    log=$logs/$t.log
    [[ $(cat "$logs/$t.rc") == 0 ]] || status=1
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    # crash-, oom-, timeout- and leak- files are failures; slow-unit- files are inputs that
    # took over 10 s once, which on a busy machine is usually the machine (re-run them alone).
    crashes=$(find "fuzz/artifacts/$t" -type f ! -name 'slow-unit-*' 2>/dev/null | wc -l)
    slow=$(find "fuzz/artifacts/$t" -type f -name 'slow-unit-*' 2>/dev/null | wc -l)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    printf '%-10s %12s executions in %5s s  %-11s %s crash files, %s slow units\n' \
        "$t" "$runs" "$EACH" "$cov" "$crashes" "$slow"
    if [[ $(cat "$logs/$t.rc") != 0 ]]; then
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -5
    fi
done
rm -rf "$logs"
exit $status
