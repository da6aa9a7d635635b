"""The explorer in a real browser: Debian's headless Chromium driven by Playwright.

    python scripts/explore_check.py target/release/sidelines [SCREENSHOT.png]

Starts `sidelines explore --port 0` in a scratch folder, loads the page and checks that it holds
a fan chart per key series and a control per key assumption, that moving a control changes a
chart, that a second setting (B) gives a table of paired differences, that the record overlay
draws the observations, that the day scrubber moves, that "save" writes a scenario
`sidelines validate` accepts with the changed value commented, and that the page asked nothing
of any address but the explorer's own. Keeps a screenshot. Never downloads a browser: the
system Chromium (/usr/bin/chromium, package `chromium`) is the executable.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEY_ASSUMPTIONS = ["actors.KP.transfer", "actors.KR.transfer", "mediator.pressure_on_partner",
                   "mediator.attention_half_life_days", "mediator.maximalism",
                   "beliefs.statement_weight"]
KEY_SERIES = ["kp_belief_deal_seeker", "kp_belief_hard_bargainer", "kp_belief_unserious",
              "kp_belief_reliable", "kp_alliance_russia", "kp_alliance_china",
              "kp_alliance_us_engagement", "kp_alliance_self_reliance", "kr_trust_us",
              "kr_fear_coercion", "kr_fear_abandonment"]


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")
    print(f"ok: {what}")


def status_of(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    binary = os.path.abspath(sys.argv[1])
    shot = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    work = tempfile.mkdtemp(prefix="explore-")
    server = subprocess.Popen([binary, "explore", "--port", "0", "--runs", "6000"], cwd=work,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        check(m is not None, f"explore prints its address ({line.strip()!r})")
        base = m.group(0).rstrip("/")
        run(binary, base, work, shot)
    finally:
        server.terminate()
        server.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)


def run(binary, base, work, shot):
    # Bad requests get a 4xx with a message; the server goes on.
    code, body = status_of(base + "/api/run", b'{"a": {"actors.KP.transfer": 7}}',
                           {"content-type": "application/json"})
    check(code == 400 and b"outside its range" in body, f"a value out of range: {code} {body[:80]!r}")
    code, _ = status_of(base + "/api/picture?job=nope")
    check(code == 400, f"a malformed query: {code}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        elsewhere = []
        page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
        page.goto(base + "/")

        def picture(after_job=0, runs=2000):
            page.wait_for_function(
                f"() => {{ const s = document.getElementById('status');"
                f" return Number(s.dataset.job || 0) > {after_job} && Number(s.dataset.runs || 0) >= {runs}; }}",
                timeout=60_000)
            return int(page.get_attribute("#status", "data-job"))

        t0 = time.monotonic()
        job = picture()
        print(f"first picture (2,000 runs) {time.monotonic() - t0:.2f} s after the page started loading")
        charts = page.eval_on_selector_all("#fans .chart svg:has(path.median-a)", "n => n.map(s => s.dataset.series)")
        check(all(k in charts for k in KEY_SERIES), f"a fan chart for each of the {len(KEY_SERIES)} key series ({len(charts)} drawn)")
        controls = page.eval_on_selector_all("#sliders input[type=range]", "n => n.map(i => i.dataset.path)")
        check(controls[:len(KEY_ASSUMPTIONS)] == KEY_ASSUMPTIONS, f"a control per key assumption, first: {controls}")
        shares = page.eval_on_selector_all("#shares svg", "n => n.map(s => s.dataset.outcome)")
        check("talks_outcome" in shares and "kp_accepts_talks" in shares, f"outcome shares drawn: {shares}")

        # Move a control: Pyongyang generalises little from Kyiv.
        median = "#fans svg[data-series=kp_belief_deal_seeker] path.median-a"
        before = page.get_attribute(median, "d")
        move = """([path, v]) => { const r = document.querySelector(`#sliders input[data-path="${path}"]`);
                   r.value = v; r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change')); }"""
        page.evaluate(move, ["actors.KP.transfer", "0.1"])
        job = picture(job)
        after = page.get_attribute(median, "d")
        check(before != after, "moving Pyongyang's transfer changes its belief's fan chart")

        # A second setting on the same seeds: US pressure on Kyiv raised in B.
        page.check("#compare")
        job = picture(job)
        page.check('#editing input[value="b"]')
        page.evaluate(move, ["mediator.pressure_on_partner", "0.9"])
        job = picture(job)
        rows = page.eval_on_selector_all("#diffs tr", "n => n.length")
        check(rows > 5, f"B - A with intervals: {rows - 1} rows")
        b_fans = page.eval_on_selector_all("#fans svg path.median-b", "n => n.length")
        check(b_fans >= len(KEY_SERIES), f"B drawn beside A on the fan charts ({b_fans})")

        # The record: the 2025 timeline replayed, the observations drawn against the bands.
        page.check("#record")
        job = picture(job)
        marks = page.eval_on_selector_all("#fans svg .obs", "n => n.length")
        check(marks >= 3, f"observations drawn on the fan charts ({marks})")
        checks = page.eval_on_selector_all("#checks tr", "n => n.length")
        check(checks > 10, f"the record check table ({checks - 1} observations)")

        # The day scrubber.
        page.evaluate("() => { const s = document.getElementById('scrubber'); s.value = 200; s.dispatchEvent(new Event('input')); }")
        label = page.text_content("#day-label")
        check(label.startswith("200 · 2025-10-11"), f"the scrubber shows its day: {label!r}")

        if shot:
            page.wait_for_function("() => /done/.test(document.getElementById('status').textContent)", timeout=120_000)
            page.screenshot(path=shot, full_page=False)
            print(f"screenshot: {shot}")

        # Save B as a scenario, then validate it with the command line.
        page.fill("#save-name", "explored-check")
        page.click("#save")
        page.wait_for_selector("#saved[data-path]", timeout=20_000)
        path = page.get_attribute("#saved", "data-path")
        text = open(path).read()
        check('"mediator.pressure_on_partner" = 0.9' in text and "changed in explore" in text,
              "the saved scenario holds B's changed value, commented as changed")
        v = subprocess.run([binary, "validate", path], capture_output=True, text=True)
        check(v.returncode == 0, f"sidelines validate {os.path.basename(path)}: {v.stdout.strip()} {v.stderr.strip()}")
        check(not elsewhere, f"the page asked nothing of any other address ({elsewhere[:3]})")
        browser.close()


if __name__ == "__main__":
    main()
