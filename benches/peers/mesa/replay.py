"""An exact check of the port against one Rust run: the port replays a Rust run's random outcomes.

`sidelines run SCENARIO --seed S --out DIR` writes DIR/events.csv (every event, in the order the
model read it, with the day each observer perceived it) and DIR/trajectory.csv (every variable
after every day). With every channel's `noise` set to 0 (so that a perceived event's strength is
exactly 1), those files fix every random outcome of the run. This script runs the Mesa port with
its random streams replaced by draws that reproduce them (0 where the log says the thing happened,
1 where it did not; a delay draw that yields the logged day) and checks, day by day, that

  - the port emits the same events, in the same order, as the Rust run (so every deterministic
    decision agrees: disengagement, milestones, settlements' terms, rebuke vs aid cut, threat vs
    sanctions, aid restored, acceptance of talks, whether the talks were still open);
  - every observer perceives each event on the logged day, or not at all as logged;
  - every recorded variable equals Rust's to within --tol (floating point).

Usage: python replay.py RUN_DIR [--scenario FILE] [--tol 1e-9]
       (or several RUN_DIRs; exit 1 on the first mismatch)
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict, deque
from pathlib import Path

import model as M


class Scripted:
    """A stand-in random stream that returns queued values."""

    def __init__(self):
        self.queue = deque()

    def random(self):
        return self.queue.popleft()

    def gauss(self, mu, sigma):
        return self.queue.popleft()


class Mismatch(Exception):
    pass


HAPPENED, DID_NOT = 0.0, 1.0


class ReplayModel(M.SidelinesModel):
    def __init__(self, scenario, run_dir: Path):
        super().__init__(scenario, seed=0)
        s = scenario
        self.rng_negotiation = Scripted()
        self.rng_overture = Scripted()
        self.rng_background = Scripted()
        self.rng_courtship = Scripted()
        self.rng_perception = Scripted()
        self.obs_codes = [a.code for a in self.observers]
        with open(run_dir / "events.csv", newline="") as f:
            self.log = []
            for r in csv.DictReader(f):
                ev = (int(r["day"]), s.kind_index[r["kind"]], s.index[r["source"]],
                      s.index[r["target"]] if r["target"] else None, float(r["magnitude"]))
                seen = [int(r[f"{c.lower()}_perceived_day"]) if r[f"{c.lower()}_perceived_day"]
                        else None for c in self.obs_codes]
                self.log.append((ev, seen))
        self.by_day = defaultdict(list)
        for ev, _ in self.log:
            self.by_day[ev[0]].append(ev)
        self.read_pos = 0
        self.emitted = defaultdict(list)
        write = self.messages.write

        def spy(e):
            self.emitted[e[0]].append(e)
            write(e)

        self.messages.write = spy
        self.traj = defaultdict(dict)
        with open(run_dir / "trajectory.csv", newline="") as f:
            for r in csv.DictReader(f):
                self.traj[int(r["day"])][(r["actor"], r["variable"])] = float(r["value"])

    def happened(self, kinds, source=None, target=None, any_target=True):
        s = self.scenario
        ks = {s.kind_index[k] for k in kinds}
        for e in self.by_day[self.day]:
            if e[1] in ks and (source is None or e[2] == source) and (any_target or e[3] == target):
                return HAPPENED
        return DID_NOT

    def script_draws(self):
        s = self.scenario
        if self.talks.is_open():
            self.rng_negotiation.queue.extend([
                self.happened(["talks_round"]),
                self.happened(["talks_collapse"]),
                self.happened(["public_rebuke", "aid_suspended"]),
                self.happened(["sanctions_threat", "sanctions_imposed"]),
                self.happened(["sanctions_relief"]),
            ])
        self.rng_negotiation.queue.append(self.happened(["concession"], source=s.partner))
        self.rng_negotiation.queue.append(self.happened(["concession"], source=s.adversary))
        self.rng_overture.queue.append(self.happened(["summit_overture"]))
        for kind, source, target, _ in s.background:
            self.rng_background.queue.append(
                self.happened([s.kind_names[kind]], source, target, any_target=False))
        for _ in self.courters:
            self.rng_courtship.queue.append(self.happened(["china_courtship"]))

    def propagate_events(self):
        s = self.scenario
        today = self.day
        horizon = s.horizon_days
        for e in self.messages.read("propagate_events"):
            if self.read_pos >= len(self.log):
                raise Mismatch(f"day {today}: the port reads {self.describe(e)}, the log has "
                               "no more events")
            logged, seen = self.log[self.read_pos]
            self.read_pos += 1
            if logged != e:
                raise Mismatch(f"day {today}: the port reads {self.describe(e)}, the log has "
                               f"{self.describe(logged)}")
            kind = s.kinds[e[1]]
            for obs, day_seen in zip(self.observers, seen):
                c = obs.channel_for(e[2], e[3])
                if day_seen is None or c is None or e[2] == obs.index or e[3] == obs.index:
                    u_seen, u_delay = (HAPPENED if day_seen is not None else DID_NOT), 0.0
                else:
                    # A delay that lands on the logged day (any delay does if it is clipped).
                    delay = max(day_seen - e[0], 0)
                    width = c.delay_max - c.delay_min
                    u_delay = (delay - c.delay_min + 0.5) / (width + 1)
                    u_seen = HAPPENED
                self.rng_perception.queue.extend([u_seen, u_delay, 0.0])
                before = len(obs.inbox)
                obs.perceive(e, kind, self.rng_perception, today, horizon)
                got = obs.inbox[-1][0] if len(obs.inbox) > before else None
                if got != day_seen:
                    raise Mismatch(f"day {today}: {obs.code} perceives {self.describe(e)} on "
                                   f"day {got}, the log says {day_seen}")

    def describe(self, e):
        s = self.scenario
        t = s.codes[e[3]] if e[3] is not None else "-"
        return f"{s.kind_names[e[1]]}({s.codes[e[2]]}->{t}, day {e[0]})"

    def values(self):
        out = {}
        s = self.scenario
        med = s.codes[s.mediator_index].lower()
        for a in self.by_index:
            if isinstance(a, M.Mediator):
                out[(a.code, "attention")] = a.attention
            elif isinstance(a, M.Belligerent):
                out[(a.code, "resolve")] = a.resolve
                out[(a.code, "stalling")] = a.stalling
                if a.munitions_need is not None:
                    out[(a.code, "munitions_need")] = a.munitions_need
            else:
                for h, b in zip(s.hyp_names, a.belief):
                    out[(a.code, f"belief_{h}")] = b
                out[(a.code, f"trust_{med}")] = a.trust
                out[(a.code, "fear_coercion")] = a.fear_coercion
                out[(a.code, "fear_abandonment")] = a.fear_abandonment
                if a.hedging:
                    out[(a.code, "leverage")] = a.leverage
                    for lane, w in zip(M.LANES, a.weights):
                        out[(a.code, f"alliance_{lane}")] = w
                if a.courting:
                    out[(a.code, "courtship")] = a.courtship
        out[("WAR", "intensity")] = self.intensity
        out[("WAR", "talks_progress")] = self.talks.progress
        return out

    def check(self, tol):
        days = len(self.traj)
        worst = 0.0
        for d in range(days):
            self.script_draws()
            self.step()
            for q in (self.rng_negotiation, self.rng_overture, self.rng_background,
                      self.rng_courtship, self.rng_perception):
                if q.queue:
                    raise Mismatch(f"day {d}: {len(q.queue)} scripted draws left unused")
            mine = self.emitted[d]
            theirs = [e for e in self.by_day[d] if e[1] != self.scenario.k["talks_accepted"]]
            mine_wo = [e for e in mine if e[1] != self.scenario.k["talks_accepted"]]
            if mine_wo != theirs:
                raise Mismatch(f"day {d}: the port emits {[self.describe(e) for e in mine_wo]}, "
                               f"the log has {[self.describe(e) for e in theirs]}")
            acc_mine = [e for e in mine if e[1] == self.scenario.k["talks_accepted"]]
            acc_log = [e for e in self.by_day[d] if e[1] == self.scenario.k["talks_accepted"]]
            if acc_mine != acc_log:
                raise Mismatch(f"day {d}: acceptance of talks: port {acc_mine}, log {acc_log}")
            vals = self.values()
            ref = self.traj[d]
            if set(vals) != set(ref):
                raise Mismatch(f"series differ: {set(vals) ^ set(ref)}")
            for key, x in ref.items():
                err = abs(vals[key] - x)
                worst = max(worst, err)
                if err > tol:
                    raise Mismatch(f"day {d}: {key[0]}.{key[1]} is {vals[key]!r} in the port, "
                                   f"{x!r} in Rust")
        if self.read_pos != len(self.log):
            raise Mismatch(f"the port read {self.read_pos} events, the log has {len(self.log)}")
        return days, len(self.log), worst


def main():
    p = argparse.ArgumentParser()
    p.add_argument("run_dirs", nargs="+")
    p.add_argument("--scenario", required=True, help="the scenario file the runs were made from")
    p.add_argument("--tol", type=float, default=1e-9)
    args = p.parse_args()
    scenario = M.Scenario(Path(args.scenario))
    for d in args.run_dirs:
        m = ReplayModel(scenario, Path(d))
        try:
            days, events, worst = m.check(args.tol)
        except Mismatch as e:
            print(f"{d}: MISMATCH: {e}")
            return 1
        print(f"{d}: {days} days, {events} events, outcome {m.talks.outcome}, "
              f"accepted {[a.accepted_day for a in m.hedgers]}: identical "
              f"(largest difference {worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
