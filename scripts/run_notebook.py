"""Executes a notebook with nbclient (CI: examples/python/sidelines.ipynb), in a scratch copy
of nothing but its outputs, so that a notebook that no longer runs fails CI.

    python scripts/run_notebook.py examples/python/sidelines.ipynb
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
started = time.monotonic()
# Run from the repository's folder: the notebook names files under configs/.
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": str(Path.cwd())}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
          if o.get("output_type") == "error"]
assert not errors, errors
print(f"{path}: {sum(c.cell_type == 'code' for c in nb.cells)} cells ran in "
      f"{time.monotonic() - started:.1f} s")
