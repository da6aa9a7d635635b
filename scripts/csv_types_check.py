#!/usr/bin/env python3
"""Reads a batch's and every ready-made sweep's CSV tables with pandas and polars, with no
options, and checks every column's type against the column dictionary in the folder's
manifest.json (issue 13: "read by pandas with no options, give every column its intended
type").

    python3 scripts/csv_types_check.py target/release/sidelines

What CSV cannot carry, and is therefore allowed (and printed):
- a `day` column with empty cells (a day that did not happen) is float64 in pandas, which has
  no missing value for int64 without `dtype_backend="pyarrow"`;
- a column whose first 100 cells are all empty is text in polars, which guesses types from the
  first 100 rows (`infer_schema_length`): the typed format for such tables is Parquet
  (`--format parquet`);
- `date` columns are ISO text in both (neither parses dates unasked; `day` beside them is typed);
- a `number` column whose values are all whole (a swept number of days) reads as integers.
Anything else is a failure: the script exits 1 and names the file and column.
"""
import json
import os
import subprocess
import sys
import tempfile

import pandas as pd
import polars as pl

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/sidelines")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []
allowed = []


def run(*args):
    subprocess.run([BIN, *args, "--quiet"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)


def pandas_ok(kind, dtype, series):
    d = str(dtype)
    if kind == "integer":
        return d == "int64"
    if kind == "number":
        # pandas reads a column of whole numbers (a swept number of days) as int64.
        return d in ("float64", "int64")
    if kind == "flag":
        return d == "bool"
    if kind in ("text", "date"):
        return d in ("object", "str", "string")
    if kind == "day":
        return d == "int64" or (d == "float64" and series.isna().any())
    return False


def polars_ok(kind, dtype, column):
    if kind == "integer":
        return dtype == pl.Int64
    if kind == "number":
        return dtype in (pl.Float64, pl.Int64)
    if kind == "flag":
        return dtype == pl.Boolean
    if kind in ("text", "date"):
        return dtype == pl.String
    if kind == "day":
        return dtype == pl.Int64
    return False


def check_folder(folder):
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    columns = manifest["columns"]
    for file, cols in columns.items():
        path = os.path.join(folder, file)
        if not os.path.exists(path):
            failures.append(f"{path}: the manifest lists it, the folder does not hold it")
            continue
        frame = pd.read_csv(path)
        polar = pl.read_csv(path)
        names = [c["name"] for c in cols]
        if list(frame.columns) != names:
            failures.append(f"{path}: columns {list(frame.columns)} are not the dictionary's {names}")
            continue
        for c in cols:
            n, kind = c["name"], c["type"]
            series = frame[n]
            if series.isna().all():
                allowed.append(f"{file}:{n} is empty in every row (pandas float64, polars {polar.schema[n]})")
                continue
            if not pandas_ok(kind, series.dtype, series):
                failures.append(f"{path}: pandas reads {n} ({kind}) as {series.dtype}")
            elif kind == "day" and str(series.dtype) == "float64":
                allowed.append(f"{file}:{n} (day, with empty cells): pandas float64")
            if not polars_ok(kind, polar.schema[n], polar[n]):
                head_empty = polar[n].head(100).null_count() == min(100, len(polar))
                if kind != "text" and polar.schema[n] == pl.String and head_empty:
                    allowed.append(f"{file}:{n} ({kind}): empty in its first 100 rows, so polars reads text")
                else:
                    failures.append(f"{path}: polars reads {n} ({kind}) as {polar.schema[n]}")
            if kind == "date":
                allowed.append(f"{file}:{n} (date): ISO text in pandas and polars")
        print(f"{os.path.basename(folder)}/{file}: {len(frame):,} rows, {len(cols)} columns checked")


with tempfile.TemporaryDirectory() as work:
    run("batch", "--runs", "2000", "--trajectories", "5", "--out", f"{work}/batch")
    check_folder(f"{work}/batch")
    run("replay", "--timeline", "configs/timelines/2025.csv", "--runs", "500", "--out", f"{work}/replay")
    check_folder(f"{work}/replay")
    for sweep in sorted(os.listdir(os.path.join(ROOT, "configs/sweeps"))):
        name = sweep.removesuffix(".toml")
        run("sweep", f"configs/sweeps/{sweep}", "--out", f"{work}/{name}")
        check_folder(f"{work}/{name}")

print(f"pandas {pd.__version__}, polars {pl.__version__}")
for a in sorted(set(allowed)):
    print("allowed:", a)
if failures:
    for f in failures:
        print("FAIL:", f)
    sys.exit(1)
print("csv types: every column has its intended type in pandas and polars, but for the allowed cases above")
