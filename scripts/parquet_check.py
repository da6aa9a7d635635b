"""Reads sidelines' Parquet output with pyarrow, polars and pandas and checks every column's type.

    python scripts/parquet_check.py target/release/sidelines

Runs a 20,000-run batch (with 20 trajectories) and a small sweep twice, as CSV and as Parquet,
and checks:
- each column of runs.parquet has the type its outcome's kind calls for in manifest.json
  (run, point, replicate, seed: uint64; unit outcomes and parameters: float64; day outcomes:
  int32 with nulls; flags (labels false, true): bool; other categories: dictionary strings),
  and trajectories.parquet's columns are uint64, int32, date32, two dictionaries, float64;
- polars reads the same types (UInt64, Float64, Int32, Boolean, Categorical, Date) and pandas
  reads categories as `category` and flags as `bool`;
- the Parquet values equal the CSV values (read by polars with the Parquet file's schema);
- the Parquet files are smaller than the CSV ones (the ratios are printed).
CI runs it (.ci/run). Exit status 1 on any mismatch.
"""

import json
import os
import subprocess
import sys
import tempfile

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

BIN = sys.argv[1]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    subprocess.run([BIN, *args, "--quiet"], check=True, stdout=subprocess.DEVNULL)


def expected_arrow(outcome):
    if outcome["kind"] == "unit":
        return pa.float64()
    if outcome["kind"] == "day":
        return pa.int32()
    if outcome["labels"] == ["false", "true"]:
        return pa.bool_()
    return pa.dictionary(pa.int32(), pa.string())


def polars_of(arrow_type):
    if pa.types.is_dictionary(arrow_type):
        return pl.Categorical
    return {
        pa.uint64(): pl.UInt64,
        pa.float64(): pl.Float64,
        pa.int32(): pl.Int32,
        pa.bool_(): pl.Boolean,
        pa.date32(): pl.Date,
    }[arrow_type]


def check_folder(parquet_dir, csv_dir, parameters):
    manifest = json.load(open(os.path.join(parquet_dir, "manifest.json")))
    check(manifest["format"] == "parquet", "manifest says parquet")
    want = [("run", pa.uint64()), ("point", pa.uint64()), ("replicate", pa.uint64()),
            ("seed", pa.uint64())]
    want += [(p, pa.float64()) for p in parameters]
    want += [(o["name"], expected_arrow(o)) for o in manifest["outcomes"]]
    tables = [("runs", want)]
    if os.path.exists(os.path.join(parquet_dir, "trajectories.parquet")):
        d = pa.dictionary(pa.int32(), pa.string())
        tables.append(("trajectories", [("run", pa.uint64()), ("day", pa.int32()),
                                        ("date", pa.date32()), ("actor", d), ("variable", d),
                                        ("value", pa.float64())]))
    for stem, columns in tables:
        path = os.path.join(parquet_dir, stem + ".parquet")
        schema = pq.read_schema(path)
        got = [(f.name, f.type) for f in schema]
        check(got == columns, f"{path}: pyarrow types {[(n, str(t)) for n, t in got if (n, t) not in columns]}")
        meta = pq.ParquetFile(path).metadata
        codecs = {meta.row_group(0).column(i).compression for i in range(meta.num_columns)}
        check(codecs == {"ZSTD"}, f"{path}: compression {codecs}")
        frame = pl.read_parquet(path)
        check([frame.schema[n] for n, _ in columns] == [polars_of(t) for _, t in columns],
              f"{path}: polars types {frame.schema}")
        # The CSV holds the same values: read with the Parquet schema (categories as text).
        overrides = {n: (pl.String if pa.types.is_dictionary(t) else polars_of(t)) for n, t in columns}
        csv = pl.read_csv(os.path.join(csv_dir, stem + ".csv"), schema_overrides=overrides)
        as_text = frame.with_columns([pl.col(n).cast(pl.String) for n, t in columns
                                      if pa.types.is_dictionary(t)])
        check(as_text.equals(csv), f"{path}: values differ from {stem}.csv")
        pandas = pd.read_parquet(path)
        for n, t in columns:
            kind = pandas[n].dtype
            if pa.types.is_dictionary(t):
                check(str(kind) == "category", f"{path}: pandas reads {n} as {kind}")
            if t == pa.bool_() and pandas[n].notna().all():
                check(str(kind) == "bool", f"{path}: pandas reads {n} as {kind}")
        size_csv = os.path.getsize(os.path.join(csv_dir, stem + ".csv"))
        size_parquet = os.path.getsize(path)
        print(f"{stem}: {len(frame):,} rows, CSV {size_csv:,} bytes, Parquet {size_parquet:,} "
              f"bytes, ratio {size_csv / size_parquet:.2f}, {meta.num_row_groups} row groups")
        check(size_parquet < size_csv, f"{path} is not smaller than the CSV")


with tempfile.TemporaryDirectory() as work:
    batch = ["batch", "--runs", "20000", "--seed", "3", "--trajectories", "20"]
    run(*batch, "--out", os.path.join(work, "csv"))
    run(*batch, "--format", "parquet", "--out", os.path.join(work, "parquet"))
    check_folder(os.path.join(work, "parquet"), os.path.join(work, "csv"), [])

    sweep = "configs/sweeps/key-assumptions-morris.toml"
    run("sweep", sweep, "--out", os.path.join(work, "sweep-csv"))
    run("sweep", sweep, "--format", "parquet", "--out", os.path.join(work, "sweep-parquet"))
    points = pl.read_csv(os.path.join(work, "sweep-csv", "points.csv"))
    check_folder(os.path.join(work, "sweep-parquet"), os.path.join(work, "sweep-csv"),
                 points.columns[1:])

print(f"pyarrow {pa.__version__}, polars {pl.__version__}, pandas {pd.__version__}")
if failures:
    print(f"{len(failures)} failures")
    sys.exit(1)
print("parquet check: every column has its type in pyarrow, polars and pandas")
