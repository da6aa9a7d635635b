#!/usr/bin/env bash
# Share of instructions spent in bevy_ecs, from callgrind on a fixed batch of the default
# scenario on one thread (deterministic: instruction counts do not depend on machine load).
#   scripts/engine-share.sh [RUNS]      (default 1000; needs valgrind: apt-get install valgrind)
#   BIN=/path/to/another/sidelines scripts/engine-share.sh   (profiles that binary instead)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
bin=${BIN:-target/release/sidelines}
[ -n "${BIN:-}" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin" batch --runs "$runs" --threads 1 --out "$work/batch" --quiet \
    >/dev/null 2>"$work/valgrind.log"
callgrind_annotate --threshold=100 --inclusive=no "$work/cg.out" >"$work/annotated.txt" 2>/dev/null
python3 - "$work/annotated.txt" "$runs" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
runs = int(sys.argv[2])
total = int(re.search(r"^([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text, re.M).group(1).replace(",", ""))
groups = {
    "bevy_ecs": 0,
    "sidelines_model": 0,
    "sidelines_experiment": 0,
    "sidelines_report": 0,
}
table = text.split("file:function", 1)[1].split("\n--", 2)[1]
for line in table.splitlines():
    # "count (share)  file:function [object]": the function is what follows the source file.
    m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(?:.*?\.(?:rs|S|c|h)|\?\?\?):(\S+)", line)
    if not m:
        continue
    n, sym = int(m.group(1).replace(",", "")), m.group(2)
    for key in groups:
        if sym.startswith(key) or f"<{key}" in sym or f" {key}" in sym:
            groups[key] += n
            break
print(f"{runs} runs, one thread: {total:,} instructions ({total / runs:,.0f} per run)")
for key, n in groups.items():
    print(f"  {key:<24} {100 * n / total:5.1f}% of instructions (functions of the crate)")
print(f"  {'everything else':<24} {100 * (total - sum(groups.values())) / total:5.1f}% "
      "(std, libm, closures, the kernel's side)")
PY
