"""The Python package against the command line, side by side in one session (issue 22):

1. a batch of RUNS runs (default 100,000), the command line and `sidelines.batch`, alternated,
   REPEATS times each (default 3): medians and the ratio Python / command line;
2. a batch of BIG runs (default 1,000,000) written once with --format parquet and once as CSV by
   the command line, then the runs table into a polars DataFrame (`open_folder(dir).runs`),
   REPEATS times: the median seconds of each.

    python scripts/python_bench.py target/release/sidelines [RUNS] [BIG] [REPEATS]

Run it on a quiet machine: every figure is wall-clock time.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sidelines

binary = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
big = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
work = Path(tempfile.mkdtemp(prefix="sidelines-bench-"))


def cli(*args):
    subprocess.run([binary, *args, "--quiet"], check=True, capture_output=True)


cli_times, py_times = [], []
for i in range(repeats):
    t = time.monotonic()
    cli("batch", "--runs", str(runs), "--seed", "1", "--out", str(work / f"cli{i}"))
    cli_times.append(time.monotonic() - t)
    t = time.monotonic()
    sidelines.batch(runs=runs, seed=1, out=work / f"py{i}", progress=False)
    py_times.append(time.monotonic() - t)
c, p = statistics.median(cli_times), statistics.median(py_times)
print(f"batch of {runs:,} runs: command line {c:.2f} s, Python {p:.2f} s (medians of {repeats}); "
      f"Python / command line {p / c:.3f}")

for fmt in ("parquet", "csv"):
    out = work / f"big-{fmt}"
    cli("batch", "--runs", str(big), "--seed", "1", "--format", fmt, "--out", str(out))
    loads = []
    for _ in range(repeats):
        t = time.monotonic()
        frame = sidelines.open_folder(out).runs
        loads.append(time.monotonic() - t)
    assert frame.height == big
    print(f"{big:,} runs ({fmt}) into a DataFrame: {statistics.median(loads):.2f} s "
          f"(median of {repeats}; {frame.width} columns)")
