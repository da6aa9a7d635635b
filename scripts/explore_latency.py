"""How long the explorer takes to its first picture: the median of five requests each, for one
setting and for two (A and B on paired seeds), from the POST that starts the job to the first
picture of 2,000 runs in all. No browser: the time a page waits is this plus drawing.

    python3 scripts/explore_latency.py target/release/sidelines [THREADS]
"""

import json
import re
import statistics
import subprocess
import sys
import time
import urllib.request


def main():
    binary = sys.argv[1]
    threads = sys.argv[2] if len(sys.argv) > 2 else "2"
    server = subprocess.Popen([binary, "explore", "--port", "0", "--threads", threads],
                              stdout=subprocess.PIPE, text=True)
    try:
        base = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline()).group(0)
        for label, body in [("A", {"a": {}}), ("A and B", {"a": {}, "b": {}})]:
            times = []
            for i in range(5):
                # A new value each time: a job is never a repeat of the one before.
                body["a"]["actors.KP.transfer"] = 0.3 + 0.01 * i
                if "b" in body:
                    body["b"]["actors.KP.transfer"] = 0.6 + 0.01 * i
                t = time.monotonic()
                req = urllib.request.Request(base + "/api/run", data=json.dumps(body).encode(),
                                             headers={"content-type": "application/json"})
                job = json.load(urllib.request.urlopen(req))["job"]
                while True:
                    p = json.load(urllib.request.urlopen(f"{base}/api/picture?job={job}&series=kr_trust_us"))
                    if p["runs"] * max(1, len(p["settings"])) >= 2000:
                        break
                    time.sleep(0.005)
                times.append(time.monotonic() - t)
            print(f"{label}: first picture (2,000 runs) after {statistics.median(times):.3f} s "
                  f"(median of 5; {', '.join(f'{x:.3f}' for x in times)}) on {threads} threads")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
