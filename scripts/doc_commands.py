"""Runs every command of the README and the guide, so that a renamed flag or a moved file fails CI.

    python3 scripts/doc_commands.py target/release/sidelines [--python PY]

Every ```sh block of README.md and of docs/*.md (in the guide's order, from mkdocs.yml) is read
line by line; each `sidelines ...` line (and `cargo run --release -- ...`, run as `sidelines
...`) is run in one scratch folder shared by all pages, in order, so a page's later commands
find what its earlier ones wrote (`outputs/...`, `--out` folders). A command that appears twice
runs once. `sidelines explore` is started, must print its address, and is stopped. Lines that
are not sidelines commands (`cargo install`, `cargo test`, scripts) are listed as not run: CI
builds, tests and installs by itself. With --python, every ```python block of a page runs too,
with that interpreter (the sidelines package installed), in the same folder.

Exits 1 if any command fails, after running them all; prints each command's time.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def pages():
    nav = re.findall(r":\s*(\S+\.md)\s*$", open(os.path.join(ROOT, "mkdocs.yml")).read(), re.M)
    return ["README.md"] + [os.path.join("docs", p) for p in nav]


def commands(text):
    """(kind, text) of each command: 'sh' lines, 'python' blocks."""
    out = []
    for lang, body in BLOCK.findall(text):
        if lang == "python":
            out.append(("python", body))
            continue
        if lang != "sh":
            continue
        line = ""
        for raw in body.splitlines():
            line += raw.rstrip()
            if line.endswith("\\"):
                line = line[:-1] + " "
                continue
            # A comment after the command (` # ...`); a line that is all comment.
            line = re.sub(r"\s+#\s.*$", "", line).strip()
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
            if kind == "python":
                if python is None:
                    skipped.append((page, "a python block (no --python given)"))
                    continue
                ok, took, tail = run([python, "-c", cmd], work, env)
                label = "python block: " + cmd.strip().splitlines()[0]
            else:
                cmd = re.sub(r"^cargo run --release -- ", "sidelines ", cmd)
                if not cmd.startswith("sidelines "):
                    skipped.append((page, cmd))
                    continue
                if cmd in seen:
                    continue
                seen.add(cmd)
                if cmd.split()[1] == "explore":
                    ok, took, tail = explore(cmd, work, env)
                else:
                    ok, took, tail = run(["bash", "-c", cmd], work, env)
                label = cmd
            ran += 1
            print(f"{'ok  ' if ok else 'FAIL'} {took:6.1f} s  {page}: {label}", flush=True)
            if not ok:
                failed.append((page, label, tail))
    for page, cmd in skipped:
        print(f"not run  {page}: {cmd}")
    print(f"{ran} commands in {time.monotonic() - started:.0f} s, {len(failed)} failed")
    for page, cmd, tail in failed:
        print(f"\n--- {page}: {cmd}\n{tail}")
    sys.exit(1 if failed else 0)


def run(argv, cwd, env):
    t = time.monotonic()
    p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-15:])
    return p.returncode == 0, time.monotonic() - t, tail


def explore(cmd, cwd, env):
    """Starts the explorer, waits for its address, stops it."""
    t = time.monotonic()
    p = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=cwd, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    p.terminate()
    _, err = p.communicate(timeout=30)
    ok = "http://127.0.0.1:" in line
    return ok, time.monotonic() - t, line + err


if __name__ == "__main__":
    main()
