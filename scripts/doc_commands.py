"""Runs every command of the README and the guide, so that a renamed flag or a moved file fails CI.

    python3 scripts/doc_commands.py target/release/sidelines [--python PY]

Every ```sh block (or bash, shell, console; fenced with backticks or tildes, indented or not)
of README.md and of docs/*.md (in the guide's order, from mkdocs.yml) is read line by line;
each `sidelines ...` line (and `cargo run --release -- ...`, run as `sidelines
...`) is run in one scratch folder shared by all pages, in order, so a page's later commands
find what its earlier ones wrote (`outputs/...`, `--out` folders). A command that appears twice
runs once. `sidelines explore` is started, must print its address, and is stopped. Lines that
are not sidelines commands (`cargo install`, `cargo test`, scripts) are listed as not run: CI
builds, tests and installs by itself. A `sidelines` line in a block of another kind fails (it
would go unchecked). With --python, every ```python block of a page runs too,
with that interpreter (the sidelines package installed), in the same folder.

Exits 1 if any command fails, after running them all; prints each command's time.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"^[ \t]*(```|~~~)(\w*)[^\n]*\n(.*?)^[ \t]*\1", re.S | re.M)


def pages():
    nav = re.findall(r":\s*(\S+\.md)\s*$", open(os.path.join(ROOT, "mkdocs.yml")).read(), re.M)
    return ["README.md"] + [os.path.join("docs", p) for p in nav]


def commands(text):
    """(kind, text) of each command: 'sh' lines, 'python' blocks."""
    out = []
    for _, lang, body in BLOCK.findall(text):
        if lang == "python":
            out.append(("python", textwrap.dedent(body)))
            continue
        if lang not in ("sh", "bash", "shell", "console"):
            # A command in a block of another kind would go unchecked: refuse it.
            if re.search(r"^\s*\$?\s*sidelines ", body, re.M):
                out.append(("stray", body.strip().splitlines()[0]))
            continue
        line = ""
        for raw in body.splitlines():
            line += raw.rstrip()
            if line.endswith("\\"):
                line = line[:-1] + " "
                continue
            # bash drops the comments itself; the key (to run a command once) and the label
            # go without them.
            line = re.sub(r"^\s*\$\s+", "", line).strip()
            if line and not line.startswith("#"):
                out.append(("sh", line))
            line = ""
    return out


def main():
    binary = os.path.abspath(sys.argv[1])
    python = sys.argv[sys.argv.index("--python") + 1] if "--python" in sys.argv else None
    work = tempfile.mkdtemp(prefix="doc-commands-")
    bindir = os.path.join(work, ".bin")
    os.mkdir(bindir)
    os.symlink(binary, os.path.join(bindir, "sidelines"))
    for d in ["configs", "examples"]:
        os.symlink(os.path.join(ROOT, d), os.path.join(work, d))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    seen, failed, skipped, ran = set(), [], [], 0
    # The README is outside the guide, so MkDocs does not check its links: every relative one
    # must name a file of the checkout.
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", open(os.path.join(ROOT, "README.md")).read()):
        if not os.path.exists(os.path.join(ROOT, target)):
            failed.append(("README.md", f"a link to {target}", "no such file in the checkout"))
    started = time.monotonic()
    for page in pages():
        for kind, cmd in commands(open(os.path.join(ROOT, page)).read()):
            if kind == "stray":
                failed.append((page, cmd, "a sidelines command outside an sh block: CI would not run it"))
                continue
            if kind == "python":
                if python is None:
                    skipped.append((page, "a python block (no --python given)"))
                    continue
                ok, took, tail = run([python, "-c", cmd], work, env)
                label = "python block: " + cmd.strip().splitlines()[0]
            else:
                cmd = re.sub(r"^cargo run --release -- ", "sidelines ", cmd)
                label = re.sub(r"\s+#\s.*$", "", cmd)
                if not cmd.startswith("sidelines "):
                    skipped.append((page, label))
                    continue
                if label in seen:
                    continue
                seen.add(label)
                if cmd.split()[1] == "explore":
                    ok, took, tail = explore(cmd, work, env)
                else:
                    ok, took, tail = run(["bash", "-o", "pipefail", "-c", cmd], work, env)
            ran += 1
            print(f"{'ok  ' if ok else 'FAIL'} {took:6.1f} s  {page}: {label}", flush=True)
            if not ok:
                failed.append((page, label, tail))
    for page, cmd in skipped:
        print(f"not run  {page}: {cmd}")
    print(f"{ran} commands in {time.monotonic() - started:.0f} s, {len(failed)} failed")
    for page, cmd, tail in failed:
        print(f"\n--- {page}: {cmd}\n{tail}")
    if not failed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"\nthe scratch folder is kept: {work}")
    sys.exit(1 if failed else 0)


def run(argv, cwd, env):
    t = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - t, "did not finish within 600 s"
    tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-15:])
    return p.returncode == 0, time.monotonic() - t, tail


def explore(cmd, cwd, env):
    """Starts the explorer, waits (30 s at most) for its address, stops it."""
    t = time.monotonic()
    p = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=cwd, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.append(p.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    p.terminate()
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    line = lines[0] if lines else "(no address within 30 s)\n"
    ok = "http://127.0.0.1:" in line
    return ok, time.monotonic() - t, line + err


if __name__ == "__main__":
    main()
