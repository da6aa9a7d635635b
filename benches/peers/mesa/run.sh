#!/usr/bin/env bash
# The Mesa 3 port of ukraine-watch as a peer benchmark and an independent check of the model.
#
#   run.sh [all|speed|agree|replay]...     (default: all = speed agree replay)
#
#   speed   runs/s of the Mesa port and of `sidelines batch --threads 1`, both pinned to one core
#   agree   2,000 runs of each; headline outcomes compared within 3 standard errors (exit 1 if not)
#   replay  the port replays Rust runs (channel noise 0) and must match them exactly (exit 1 if not)
#
# Environment:
#   SIDELINES          the Rust binary            (default: target/release/sidelines)
#   MESA_VENV          a virtualenv with mesa==3.1.0 to reuse (default: a throwaway one in a
#                      temp folder, created and deleted by this script)
#   SCENARIO           the scenario file          (default: configs/scenarios/ukraine-watch.toml)
#   MESA_SPEED_RUNS    Mesa runs timed by `speed`  (default 500)
#   RUST_SPEED_RUNS    Rust runs timed by `speed`  (default 5000)
#   AGREE_RUNS         runs per side for `agree`   (default 2000)
#   RUST_SEED          master seed of the Rust batch (default 1)
#   MESA_SEED          first seed of the Mesa runs (default 1000000; run r uses MESA_SEED + r)
#   K                  agreement threshold in standard errors (default 3)
#   REPLAY_RUNS        Rust runs replayed by `replay` (default 50)
#   CPU                the core to pin timed runs to (default 0; empty: no pinning)
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
cd "$ROOT"

SIDELINES="${SIDELINES:-target/release/sidelines}"
SCENARIO="${SCENARIO:-configs/scenarios/ukraine-watch.toml}"
MESA_SPEED_RUNS="${MESA_SPEED_RUNS:-500}"
RUST_SPEED_RUNS="${RUST_SPEED_RUNS:-5000}"
AGREE_RUNS="${AGREE_RUNS:-2000}"
RUST_SEED="${RUST_SEED:-1}"
MESA_SEED="${MESA_SEED:-1000000}"
K="${K:-3}"
REPLAY_RUNS="${REPLAY_RUNS:-50}"
CPU="${CPU-0}"

[ -x "$SIDELINES" ] || { echo "no Rust binary at $SIDELINES (set SIDELINES)" >&2; exit 2; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sidelines-mesa.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

if [ -n "${MESA_VENV:-}" ]; then
    PY="$MESA_VENV/bin/python"
    "$PY" -c 'import mesa, sys; sys.exit(mesa.__version__ != "3.1.0")' \
        || { echo "$MESA_VENV has no mesa 3.1.0" >&2; exit 2; }
else
    echo "creating a throwaway virtualenv in $TMP/venv (mesa==3.1.0)" >&2
    python3 -m venv "$TMP/venv"
    "$TMP/venv/bin/pip" install --quiet --disable-pip-version-check mesa==3.1.0
    PY="$TMP/venv/bin/python"
fi
echo "python: $("$PY" --version 2>&1), mesa $("$PY" -c 'import mesa; print(mesa.__version__)')" >&2

PIN=()
if [ -n "$CPU" ] && command -v taskset >/dev/null; then PIN=(taskset -c "$CPU"); fi

# The port implements the 2025 model: the Rust runs it is compared with switch off every
# mechanism added since (README, "Mechanisms beyond 2025"), appended as a [mechanisms] table.
rust_2025() {
    cp "$1" "$2"
    printf '\n[mechanisms]\n' >>"$2"
    for m in initiative resumption standing own_moves offers leader rest; do
        printf '%s = 0.0\n' "$m" >>"$2"
    done
}

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }

speed() {
    echo "== speed (one core${PIN:+: ${PIN[*]}}; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    local t0 t1 mesa_wall mesa_model rust
    t0=$(now)
    "${PIN[@]}" "$PY" "$HERE/model.py" batch --scenario "$SCENARIO" --runs "$MESA_SPEED_RUNS" \
        --seed "$MESA_SEED" 2>"$TMP/mesa_speed.err" >/dev/null
    t1=$(now)
    mesa_wall=$(rate "$MESA_SPEED_RUNS" "$t0" "$t1")
    mesa_model=$(sed -n 's/.*(\([0-9.]*\) runs\/s.*/\1/p' "$TMP/mesa_speed.err")
    t0=$(now)
    "${PIN[@]}" "$SIDELINES" batch "$SCENARIO" --runs "$RUST_SPEED_RUNS" --threads 1 --quiet \
        --out "$TMP/rust_speed" >/dev/null
    t1=$(now)
    rust=$(rate "$RUST_SPEED_RUNS" "$t0" "$t1")
    printf '%-44s %10s runs/s\n' "Mesa port, $MESA_SPEED_RUNS runs (process wall time)" "$mesa_wall"
    printf '%-44s %10s runs/s\n' "Mesa port, model time (no startup, imports)" "$mesa_model"
    printf '%-44s %10s runs/s\n' "Rust sidelines, $RUST_SPEED_RUNS runs, --threads 1" "$rust"
    awk -v r="$rust" -v m="$mesa_wall" -v mm="$mesa_model" 'BEGIN {
        printf "%-44s %10.1f x\n", "ratio Rust / Mesa (wall)", r / m
        printf "%-44s %10.1f x\n", "ratio Rust / Mesa (Mesa model time)", r / mm }'
}

agree() {
    echo "== agree ($AGREE_RUNS runs each; Rust seed $RUST_SEED, Mesa seeds $MESA_SEED..)"
    rust_2025 "$SCENARIO" "$TMP/rust_2025.toml"
    "$SIDELINES" batch "$TMP/rust_2025.toml" --runs "$AGREE_RUNS" --seed "$RUST_SEED" --quiet \
        --out "$TMP/rust_agree" >/dev/null
    "$PY" "$HERE/model.py" batch --scenario "$SCENARIO" --runs "$AGREE_RUNS" \
        --seed "$MESA_SEED" --out "$TMP/mesa_runs.csv"
    "$PY" "$HERE/compare.py" "$TMP/rust_agree/runs.csv" "$TMP/mesa_runs.csv" --k "$K"
}

replay() {
    echo "== replay ($REPLAY_RUNS Rust runs with every channel's noise set to 0)"
    sed -E 's/^noise = [0-9.]+/noise = 0.0/' "$SCENARIO" >"$TMP/noise0.toml"
    rust_2025 "$TMP/noise0.toml" "$TMP/noise0_2025.toml"
    local dirs=()
    for s in $(seq 1 "$REPLAY_RUNS"); do
        "$SIDELINES" run "$TMP/noise0_2025.toml" --seed "$s" --out "$TMP/replay/$s" >/dev/null
        dirs+=("$TMP/replay/$s")
    done
    (cd "$HERE" && "$PY" replay.py --scenario "$TMP/noise0.toml" "${dirs[@]}") >"$TMP/replay.out" \
        && status=0 || status=$?
    grep -v ': 365 days' "$TMP/replay.out" || true
    echo "$(grep -c 'identical' "$TMP/replay.out") of $REPLAY_RUNS runs replayed identically"
    return "$status"
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(all)
fail=0
for p in "${parts[@]}"; do
    case "$p" in
        all) speed; agree || fail=1; replay || fail=1 ;;
        speed) speed ;;
        agree) agree || fail=1 ;;
        replay) replay || fail=1 ;;
        *) echo "unknown part: $p (all, speed, agree, replay)" >&2; exit 2 ;;
    esac
done
exit "$fail"
