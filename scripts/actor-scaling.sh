#!/usr/bin/env bash
# Cost per run against the number of observers: the default scenario with 7, 28 and 57 extra
# observers (copies of Seoul: same prior, transfer and channels; a scenario holds at most 64
# actors, so 57 copies is the most), each timed side by side with
# `sidelines batch` on one thread. Prints seconds per run and the ratios.
#   scripts/actor-scaling.sh [RUNS]     (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
base = open("configs/scenarios/ukraine-watch.toml").read()
# Seoul's [[actors]] block with its channels, up to the next actor.
start = base.index('code = "KR"')
start = base.rindex("[[actors]]", 0, start)
end = base.index("[[actors]]", start + 1)
seoul = base[start:end]
for extra in (7, 28, 57):
    copies = []
    for i in range(extra):
        copies.append(seoul.replace('code = "KR"', f'code = "X{i}"')
                           .replace('name = "South Korea"', f'name = "Observer {i}"'))
    text = base[:end] + "".join(copies) + base[end:]
    text = text.replace('name = "ukraine-watch"', f'name = "scaling-{extra}"', 1)
    open(f"{work}/scaling-{extra}.toml", "w").write(text)
PY
printf "%-12s %-10s %-14s %s\n" observers seconds "ms per run" "ratio to 4+7"
first=""
for extra in 7 28 57; do
    f="$work/scaling-$extra.toml"
    start=$(date +%s.%N)
    target/release/sidelines batch "$f" --runs "$runs" --threads 1 --out "$work/out-$extra" --quiet >/dev/null
    end=$(date +%s.%N)
    secs=$(python3 -c "print(f'{$end - $start:.2f}')")
    per=$(python3 -c "print(f'{1000 * ($end - $start) / $runs:.2f}')")
    [ -n "$first" ] || first=$per
    ratio=$(python3 -c "print(f'{$per / $first:.1f}')")
    printf "%-12s %-10s %-14s %s\n" "$((4 + extra))" "$secs" "$per" "$ratio"
done
