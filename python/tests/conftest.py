"""Shared fixtures: the repository's root (the tests run its files) and the command line built
from it (`cargo build --release`), for the same-seed comparisons."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `sidelines` binary: $SIDELINES_BIN, else target/release/sidelines (CI builds it
    before these tests; a missing binary fails rather than skips)."""
    path = Path(os.environ.get("SIDELINES_BIN", ROOT / "target" / "release" / "sidelines"))
    assert path.is_file(), f"{path} is missing: run `cargo build --release` first"
    return path


def run_cli(cli: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli), *args], cwd=cwd, capture_output=True, text=True, check=False)
