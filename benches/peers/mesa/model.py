"""A Mesa 3 port of the default `sidelines` scenario (configs/scenarios/ukraine-watch.toml).

One Mesa `Agent` per actor of the scenario (the mediator, the two belligerents, the observers);
`Model.step()` is one simulated day. Every number is read from the scenario file with `tomllib`;
the mechanisms and their daily order follow `crates/model/src/*.rs`:

  Script        scripted timeline events of today                      (negotiation.rs)
  Policy        attention decays; mediator moves; overtures            (negotiation.rs)
  Response      concessions; milestones and the end of the talks       (negotiation.rs)
  Background    background processes; courtship gestures               (background.rs)
  Consequences  today's events change the world                        (consequences.rs)
  War           intensity, munitions need; leverage follows it         (negotiation.rs, alignment.rs)
  Propagation   who perceives each event, when, how strongly           (propagation.rs)
  Beliefs       tempered Bayes, then forgetting                        (beliefs.rs)
  Derived       trust and fears                                        (beliefs.rs)
  Alignment     lanes, courtship level, acceptance of talks            (alignment.rs)
  Advance       the message buffers turn over; the clock moves on      (lib.rs)

Events are messages with bevy's visibility rule (`Messages<Occurred>`): each reader has its own
cursor, and a message stays readable until the second buffer update after it was written, so an
event written after a reader ran (Pyongyang's acceptance of talks, in the Alignment phase) is read
by that reader the next day.

Randomness: the same named streams as the Rust model (negotiation, overture, background,
courtship, perception), each a `random.Random` seeded from the run's seed, with the same number
of draws per process and day (five a day for the mediator while the talks are open, one per
belligerent a day, one per background process a day, one per courting observer a day, three per
event and observer). The generators differ from Rust's (Pcg64, counter-based perception), so the
two implementations agree in distribution only.

Usage:
  python model.py batch --runs 200 --seed 1 [--out runs.csv] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import time
import tomllib
from pathlib import Path

import mesa

HERE = Path(__file__).resolve().parent
DEFAULT_SCENARIO = HERE.parents[2] / "configs" / "scenarios" / "ukraine-watch.toml"

# Structural names of the Rust model (not parameters): the hedging lanes in their fixed order
# (`LANES` in crates/scenario/src/resolved.rs) and the event kinds the model itself emits
# (`ModelKind`), which the scenario must declare.
LANES = ("russia", "china", "us_engagement", "self_reliance")
LANE_RUSSIA, LANE_CHINA, LANE_US, LANE_SELF = range(4)
MODEL_KINDS = (
    "talks_round", "black_sea_deal", "comprehensive_ceasefire", "settlement_russian_terms",
    "settlement_balanced", "talks_collapse", "us_disengages", "aid_suspended", "aid_restored",
    "public_rebuke", "sanctions_threat", "sanctions_imposed", "sanctions_relief", "concession",
    "summit_overture", "china_courtship", "talks_accepted", "conditional_offer",
    "overture_refused",
)
TALKS_OUTCOMES = (
    "settlement_russian_terms", "settlement_balanced", "talks_collapse", "us_disengaged",
    "ongoing",
)


# ------------------------------------------------------------------------------------------
# The scenario: the TOML document resolved to indices (what validate.rs does, minus the checks).


class EventKind:
    __slots__ = ("name", "statement", "visibility", "likelihood", "effects")

    def __init__(self, name, statement, visibility, likelihood, effects):
        self.name = name
        self.statement = statement
        self.visibility = visibility
        self.likelihood = likelihood
        self.effects = effects


class Channel:
    __slots__ = ("actor", "attention", "delay_min", "delay_max", "noise")

    def __init__(self, actor, w):
        self.actor = actor
        self.attention = float(w["attention"])
        self.delay_min = int(w["delay_min_days"])
        self.delay_max = int(w["delay_max_days"])
        self.noise = float(w["noise"])


class Scenario:
    def __init__(self, path: Path):
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        self.path = path
        self.name = doc["name"]
        self.horizon_days = int(doc["horizon_days"])
        # Hypotheses in file order (tomllib keeps it); every hypothesis-keyed table is put in it.
        self.hyp_names = list(doc["hypotheses"])
        self.hypotheses = [doc["hypotheses"][h] for h in self.hyp_names]
        self.actors = doc["actors"]
        self.codes = [a["code"] for a in self.actors]
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.mediator = doc["mediator"]
        self.negotiation = doc["negotiation"]
        self.war = doc["war"]
        self.beliefs = doc["beliefs"]
        self.alignment = doc["alignment"]
        self.mediator_index = self.index[self.mediator["actor"]]
        self.overture_target = self.index[self.mediator["overture_target"]]
        side = {a.get("side"): i for i, a in enumerate(self.actors) if a["role"] == "belligerent"}
        self.partner = side["partner"]
        self.adversary = side["adversary"]

        self.kind_names = list(doc["events"])
        self.kind_index = {k: i for i, k in enumerate(self.kind_names)}
        self.kinds = []
        for name in self.kind_names:
            e = doc["events"][name]
            likelihood = [float(e["likelihood"][h]) for h in self.hyp_names]
            effects = []
            for fx in e.get("effects", []):
                variable = fx["variable"]
                if "actor" in fx:
                    targets = [self.index[fx["actor"]]]
                else:
                    targets = [i for i, a in enumerate(self.actors) if a["role"] == fx["role"]]
                targets = [i for i in targets if self.carries(i, variable)]
                effects.append((targets, variable, float(fx["delta"])))
            self.kinds.append(
                EventKind(name, e["class"] == "statement", float(e["visibility"]),
                          likelihood, effects))
        self.k = {name: self.kind_index[name] for name in MODEL_KINDS}

        self.background = []
        for b in doc.get("background", {}).values():
            target = self.index[b["target"]] if "target" in b else None
            self.background.append(
                (self.kind_index[b["kind"]], self.index[b["source"]], target,
                 float(b["rate_per_day"])))
        self.timeline = []
        for s in doc.get("timeline", []):
            target = self.index[s["target"]] if "target" in s else None
            self.timeline.append(
                (int(s["day"]), self.kind_index[s["kind"]], self.index[s["source"]], target,
                 float(s.get("magnitude", 1.0))))

    def carries(self, i, variable):
        """`Variable::carried_by`: whether actor i has this variable."""
        a = self.actors[i]
        role = a["role"]
        if variable in ("resolve", "stalling"):
            return role == "belligerent"
        if variable == "attention":
            return role == "mediator"
        if variable == "leverage" or variable.startswith("utility."):
            return role == "observer" and "alignment" in a
        if variable == "courtship":
            return role == "observer" and "courtship" in a
        raise ValueError(f"unknown variable {variable}")


# ------------------------------------------------------------------------------------------
# Messages: bevy's `Messages<Occurred>` with per-reader cursors and a two-update lifetime.


class Messages:
    def __init__(self):
        self.prev = []
        self.cur = []
        self.cur_start = 0  # id of cur[0]
        self.cursors = {}

    def write(self, e):
        self.cur.append(e)

    def read(self, reader):
        first = self.cur_start - len(self.prev)
        cursor = max(self.cursors.get(reader, 0), first)
        end = self.cur_start + len(self.cur)
        self.cursors[reader] = end
        if cursor >= end:
            return ()
        if cursor >= self.cur_start:
            return self.cur[cursor - self.cur_start:]
        return self.prev[cursor - first:] + self.cur

    def update(self):
        self.prev = self.cur
        self.cur_start += len(self.cur)
        self.cur = []


# An event: (day, kind, source, target or None, magnitude).


class Talks:
    """The state of one run's talks (`Talks` in negotiation.rs)."""

    def __init__(self, progress):
        self.progress = progress
        self.partner_concessions = 0
        self.adversary_concessions = 0
        self.black_sea = False
        self.comprehensive = False
        self.relief_given = False
        self.aid_cut_since = None
        self.conceded_under_cut = False
        self.rebukes = 0
        self.threats = 0
        self.sanctions_imposed = 0
        self.outcome = None  # (name, day)
        # An event that ends the talks was emitted today: nothing that needs them open
        # happens after it (`closing` in negotiation.rs).
        self.closing = False

    def is_open(self):
        return self.outcome is None and not self.closing

    def sanctions_level(self):
        return 0.0 if self.relief_given else 1.0 - 0.5 ** self.sanctions_imposed


def daily_retention(half_life_days):
    return 0.5 ** (1.0 / half_life_days)


# ------------------------------------------------------------------------------------------
# Agents


class Actor(mesa.Agent):
    def __init__(self, model, index):
        super().__init__(model)
        self.index = index
        self.code = model.scenario.codes[index]


class Mediator(Actor):
    """The US: attention to the talks; chooses rounds, pressure, relief; makes overtures."""

    def __init__(self, model, index):
        super().__init__(model, index)
        self.attention = float(model.scenario.mediator["initial_attention"])

    def decay_attention(self):
        self.attention *= self.model.attention_keep

    def choose_moves(self):
        """`mediator_moves`: five draws from the negotiation stream a day while talks are open."""
        model = self.model
        talks = model.talks
        if not talks.is_open():
            return
        s = model.scenario
        m = s.mediator
        k = s.k
        rng = model.rng_negotiation
        u_round = rng.random()
        u_collapse = rng.random()
        u_partner = rng.random()
        u_adversary = rng.random()
        u_relief = rng.random()
        att = self.attention
        me = self.index
        day = model.day
        emit = model.messages.write
        adversary = model.by_index[s.adversary]
        if att < m["disengage_below"]:
            talks.closing = True
            emit((day, k["us_disengages"], me, s.partner, 1.0))
            return
        if u_round < m["talks_round_rate_per_day"] * att:
            emit((day, k["talks_round"], me, None, 1.0))
            p = s.negotiation["collapse_hazard_per_round"] * m["maximalism"] * adversary.stalling
            if u_collapse < p:
                talks.closing = True
                emit((day, k["talks_collapse"], me, s.adversary, 1.0))
                return
        drive = m["pressure_rate_per_day"] * m["deal_urgency"] * att
        if talks.aid_cut_since is None and u_partner < drive * m["pressure_on_partner"]:
            kind = k["aid_suspended"] if talks.rebukes >= m["escalate_after"] else k["public_rebuke"]
            emit((day, kind, me, s.partner, 1.0))
        if u_adversary < drive * m["pressure_on_adversary"]:
            kind = (k["sanctions_imposed"] if talks.threats >= m["escalate_after"]
                    else k["sanctions_threat"])
            emit((day, kind, me, s.adversary, 1.0))
        p = (m["relief_rate_per_day"] * m["deal_urgency"] * att * (1.0 - m["maximalism"])
             * adversary.relief_demand)
        if not talks.relief_given and u_relief < p:
            emit((day, k["sanctions_relief"], me, s.adversary, 1.0))
        if talks.aid_cut_since is not None and talks.conceded_under_cut:
            emit((day, k["aid_restored"], me, s.partner, 1.0))

    def make_overture(self):
        model = self.model
        s = model.scenario
        if model.rng_overture.random() < s.mediator["overture_rate_per_day"]:
            model.messages.write(
                (model.day, s.k["summit_overture"], self.index, s.overture_target, 1.0))


class Belligerent(Actor):
    """Ukraine (the partner) or Russia (the adversary): resolve, stalling, concessions."""

    def __init__(self, model, index):
        super().__init__(model, index)
        a = model.scenario.actors[index]
        self.is_partner = a["side"] == "partner"
        self.resolve = float(a["resolve"])
        self.baseline = float(a["resolve"])
        self.stalling = float(a["stalling"])
        self.aid_dependence = float(a["aid_dependence"])
        self.relief_demand = float(a["sanctions_relief_demand"])
        need = a.get("munitions_need")
        self.munitions_need = None if need is None else float(need)

    def respond_to_pressure(self):
        """One draw a day; resolve recovers; concede at (1-resolve)(1-stalling)(base+pressure)."""
        model = self.model
        n = model.scenario.negotiation
        talks = model.talks
        u = model.rng_negotiation.random()
        self.resolve += (self.baseline - self.resolve) / n["resolve_recovery_days"]
        self.resolve = min(max(self.resolve, 0.0), 1.0)
        if not talks.is_open():
            return
        if self.is_partner:
            pressure = (self.aid_dependence * n["aid_cut_concession_rate_per_day"]
                        if talks.aid_cut_since is not None else 0.0)
        else:
            relief = self.relief_demand if talks.relief_given else 0.0
            pressure = (talks.sanctions_level() * n["sanctions_concession_rate_per_day"]
                        + relief * n["relief_concession_rate_per_day"])
        hazard = ((1.0 - self.resolve) * (1.0 - self.stalling)
                  * (n["base_concession_rate_per_day"] + pressure))
        if u < hazard:
            s = model.scenario
            model.messages.write(
                (model.day, s.k["concession"], self.index, s.mediator_index, 1.0))


class Observer(Actor):
    """A state that watches the mediator: beliefs over its type, trust and fears; a hedging
    observer (Pyongyang) also weighs lanes and may accept talks; a courting one (Beijing)
    courts it."""

    def __init__(self, model, index):
        super().__init__(model, index)
        s = model.scenario
        a = s.actors[index]
        self.transfer = float(a["transfer"])
        self.prior = [float(a["prior"][h]) for h in s.hyp_names]
        self.belief = list(self.prior)
        self.channels = [Channel(s.index[w["actor"]], w) for w in a.get("watches", [])]
        self._best = {}
        self.inbox = []
        self.heard = []
        self.derive()
        al = a.get("alignment")
        self.hedging = al is not None
        if al is not None:
            self.leverage = float(al["leverage"])
            self.weights = [float(al["weights"][lane]) for lane in LANES]
            self.shocks = [0.0] * 4
            self.accepted_day = None
            self.answer = "none"
            self.leverage_from = s.index[al["leverage_from"]]
            self.courted_by = s.index[al["courted_by"]]
        c = a.get("courtship")
        self.courting = c is not None
        if c is not None:
            self.court_target = s.index[c["target"]]
            self.base_per_day = float(c["base_per_day"])
            self.per_tilt_per_day = float(c["per_tilt_per_day"])
            self.tilt_reference = float(c["tilt_reference"])
            self.per_russia_tilt_per_day = float(c["per_russia_tilt_per_day"])
            self.russia_reference = float(c["russia_reference"])
            self.adjust_days = float(c["adjust_days"])
            self.courtship = self.base_per_day

    # Background ----------------------------------------------------------------------------

    def court(self):
        """A gesture today with probability 1 - exp(-level), on the courtship stream."""
        model = self.model
        if model.rng_courtship.random() < 1.0 - math.exp(-self.courtship):
            model.messages.write(
                (model.day, model.scenario.k["china_courtship"], self.index, self.court_target,
                 1.0))

    # Propagation ---------------------------------------------------------------------------

    def channel_for(self, source, target):
        """The best-attention channel to the event's source or target (the last of equals, as
        Rust's `max_by`), or None."""
        key = (source, target)
        try:
            return self._best[key]
        except KeyError:
            best = None
            for c in self.channels:
                if c.actor == source or c.actor == target:
                    if best is None or c.attention >= best.attention:
                        best = c
            self._best[key] = best
            return best

    def perceive(self, e, kind, rng, today, horizon):
        day, k, source, target, magnitude = e
        # Always three draws, whatever the outcome.
        u_seen = rng.random()
        u_delay = rng.random()
        z = rng.gauss(0.0, 1.0)
        me = self.index
        if source == me or target == me:
            due, noise, involves_self = day, 0.0, True
        else:
            c = self.channel_for(source, target)
            if c is None or not (u_seen < kind.visibility * c.attention):
                return
            width = c.delay_max - c.delay_min
            delay = c.delay_min + min(int(u_delay * (width + 1)), width)
            due, noise, involves_self = day + delay, c.noise, False
        due = max(due, today)
        if due < horizon:
            factor = math.exp(noise * z - 0.5 * noise * noise) if noise > 0.0 else 1.0
            self.inbox.append((due, k, involves_self, magnitude * factor))

    # Beliefs -------------------------------------------------------------------------------

    def update_beliefs(self):
        model = self.model
        s = model.scenario
        today = model.day
        sw = model.statement_weight
        self.heard.clear()
        if not self.inbox:
            return
        keep = []
        b = self.belief
        for p in self.inbox:
            due, k, involves_self, strength = p
            if due > today:
                keep.append(p)
                continue
            kind = s.kinds[k]
            w = strength * (sw if kind.statement else 1.0) * (1.0 if involves_self
                                                              else self.transfer)
            total = 0.0
            for h, lh in enumerate(kind.likelihood):
                b[h] *= lh ** w
                total += b[h]
            if total > 0.0 and math.isfinite(total):
                for h in range(len(b)):
                    b[h] /= total
            if involves_self:
                self.heard.append(k)
        self.inbox = keep

    def forget(self):
        f = self.model.forgetting
        if f == 0.0:
            return
        b = self.belief
        for h, p in enumerate(self.prior):
            b[h] = (1.0 - f) * b[h] + f * p

    def derive(self):
        t = c = a = 0.0
        for b, h in zip(self.belief, self.model.scenario.hypotheses):
            t += b * h["trust"]
            c += b * h["coercion"]
            a += b * h["abandonment"]
        self.trust, self.fear_coercion, self.fear_abandonment = t, c, a

    # War and alignment ---------------------------------------------------------------------

    def follow_leverage(self):
        need = self.model.by_index[self.leverage_from]
        if getattr(need, "munitions_need", None) is None:
            return
        self.leverage += (need.munitions_need - self.leverage) / self.model.scenario.war[
            "leverage_adjust_days"]

    def reweigh_lanes(self):
        model = self.model
        s = model.scenario
        a = s.alignment
        court = model.by_index[self.courted_by]
        courted = court.courtship if getattr(court, "courting", False) else 0.0
        payoff = sum(b * h["engagement_payoff"] for b, h in zip(self.belief, s.hypotheses))
        u = [0.0] * 4
        u[LANE_RUSSIA] = a["russia_utility"] + a["russia_per_leverage"] * self.leverage
        u[LANE_CHINA] = a["china_utility"] + a["china_per_courtship"] * courted
        u[LANE_US] = a["us_engagement_utility"] + a["us_per_engagement_payoff"] * payoff
        u[LANE_SELF] = a["self_reliance_utility"]
        for i in range(4):
            u[i] += self.shocks[i]
        temp = a["temperature"]
        top = max(u)
        e = [math.exp((x - top) / temp) for x in u]
        total = sum(e)
        inertia = a["inertia_per_day"]
        fade = model.shock_fade
        for i in range(4):
            self.weights[i] = inertia * self.weights[i] + (1.0 - inertia) * (e[i] / total)
            self.shocks[i] *= fade

    def adjust_courtship(self):
        target = self.model.by_index[self.court_target]
        w = target.weights if getattr(target, "hedging", False) else [0.0] * 4
        goal = (self.base_per_day
                + self.per_tilt_per_day * max(w[LANE_US] - self.tilt_reference, 0.0)
                + self.per_russia_tilt_per_day * max(w[LANE_RUSSIA] - self.russia_reference, 0.0))
        self.courtship += (min(goal, 1.0) - self.courtship) / self.adjust_days

    def accept_talks(self):
        """Answers an overture heard today, until accepted: yes, a conditional offer, or no."""
        model = self.model
        s = model.scenario
        if s.k["summit_overture"] not in self.heard or self.accepted_day is not None:
            return
        w = self.weights[LANE_US]
        if w >= s.alignment["accept_talks_above"]:
            self.accepted_day = model.day
            self.answer, kind = "accepted", "talks_accepted"
        elif w >= s.alignment["offer_talks_above"]:
            self.answer, kind = "conditional_offer", "conditional_offer"
        else:
            self.answer, kind = "refused", "overture_refused"
        model.messages.write((model.day, s.k[kind], self.index, s.mediator_index, 1.0))


# ------------------------------------------------------------------------------------------
# The model


class SidelinesModel(mesa.Model):
    def __init__(self, scenario: Scenario, seed: int = 0):
        super().__init__(seed=seed)
        self.scenario = s = scenario
        self.day = 0
        # Named random streams, as in shared.rs (`Rngs`): negotiation is Mesa's own generator.
        self.rng_negotiation = self.random
        self.rng_overture = random.Random(f"{seed}/overture")
        self.rng_background = random.Random(f"{seed}/background")
        self.rng_courtship = random.Random(f"{seed}/courtship")
        self.rng_perception = random.Random(f"{seed}/perception")
        self.messages = Messages()
        self.talks = Talks(float(s.negotiation["initial_progress"]))
        self.intensity = float(s.war["intensity"])
        self.attention_keep = daily_retention(s.mediator["attention_half_life_days"])
        self.shock_fade = daily_retention(s.alignment["shock_half_life_days"])
        self.statement_weight = float(s.beliefs["statement_weight"])
        self.forgetting = float(s.beliefs["forgetting_per_day"])
        role_class = {"mediator": Mediator, "belligerent": Belligerent, "observer": Observer}
        self.by_index = [role_class[a["role"]](self, i) for i, a in enumerate(s.actors)]
        self.mediator = self.by_index[s.mediator_index]
        self.partner = self.by_index[s.partner]
        self.adversary = self.by_index[s.adversary]
        # Mesa's AgentSets keep insertion (= scenario) order.
        self.observers = self.agents_by_type[Observer]
        self.hedgers = self.observers.select(lambda a: a.hedging)
        self.courters = self.observers.select(lambda a: a.courting)

    # Phases --------------------------------------------------------------------------------

    def emit_scripted(self):
        k = self.scenario.k
        ending = (k["talks_collapse"], k["us_disengages"], k["settlement_russian_terms"],
                  k["settlement_balanced"])
        for day, kind, source, target, magnitude in self.scenario.timeline:
            if day == self.day:
                if kind in ending:
                    self.talks.closing = True
                self.messages.write((self.day, kind, source, target, magnitude))

    def advance_talks(self):
        """Milestones and the end of the talks, at most one a day, from yesterday's progress."""
        talks = self.talks
        if not talks.is_open():
            return
        s = self.scenario
        n = s.negotiation
        k = s.k
        if not talks.black_sea and talks.progress >= n["black_sea_at"]:
            kind = k["black_sea_deal"]
        elif not talks.comprehensive and talks.progress >= n["comprehensive_at"]:
            kind = k["comprehensive_ceasefire"]
        elif talks.progress >= 1.0 - 1e-12:
            total = talks.partner_concessions + talks.adversary_concessions
            share = 0.0 if total == 0 else talks.partner_concessions / total
            kind = (k["settlement_russian_terms"] if share >= n["russian_terms_share"]
                    else k["settlement_balanced"])
        else:
            return
        self.messages.write((self.day, kind, s.mediator_index, None, 1.0))

    def fire_background(self):
        rng = self.rng_background
        for kind, source, target, rate in self.scenario.background:
            if rng.random() < rate:
                self.messages.write((self.day, kind, source, target, 1.0))

    def apply_events(self):
        """consequences.rs: the talks' bookkeeping, then each kind's declared effects."""
        s = self.scenario
        k = s.k
        n = s.negotiation
        talks = self.talks
        for e in self.messages.read("apply_events"):
            day, kind, source, target, magnitude = e
            is_open = talks.is_open()
            if kind == k["concession"] and is_open:
                if source == s.partner:
                    talks.partner_concessions += 1
                    if talks.aid_cut_since is not None:
                        talks.conceded_under_cut = True
                elif source == s.adversary:
                    talks.adversary_concessions += 1
                nxt = talks.progress + n["progress_per_concession"] * magnitude
                if (not talks.black_sea and not talks.relief_given
                        and self.adversary.relief_demand > n["relief_required_above"]):
                    nxt = min(nxt, n["black_sea_at"] - 1e-9)
                talks.progress = min(nxt, 1.0)
            elif kind == k["black_sea_deal"]:
                talks.black_sea = True
            elif kind == k["comprehensive_ceasefire"]:
                talks.comprehensive = True
            elif kind == k["aid_suspended"]:
                talks.aid_cut_since = day
                talks.conceded_under_cut = False
            elif kind == k["aid_restored"]:
                talks.aid_cut_since = None
                talks.conceded_under_cut = False
                talks.rebukes = 0
            elif kind == k["public_rebuke"]:
                talks.rebukes += 1
            elif kind == k["sanctions_threat"]:
                talks.threats += 1
            elif kind == k["sanctions_imposed"]:
                talks.sanctions_imposed += 1
            elif kind == k["sanctions_relief"]:
                talks.relief_given = True
            elif kind == k["settlement_russian_terms"]:
                talks.progress = 1.0
                self.end_talks("settlement_russian_terms")
            elif kind == k["settlement_balanced"]:
                talks.progress = 1.0
                self.end_talks("settlement_balanced")
            elif kind == k["talks_collapse"]:
                self.end_talks("talks_collapse")
            elif kind == k["us_disengages"]:
                self.end_talks("us_disengaged")
            for targets, variable, delta in s.kinds[kind].effects:
                delta *= magnitude
                for who in targets:
                    a = self.by_index[who]
                    if variable == "attention":
                        a.attention = min(max(a.attention + delta, 0.0), 1.0)
                    elif variable == "resolve":
                        a.resolve = min(max(a.resolve + delta, 0.0), 1.0)
                    elif variable == "stalling":
                        a.stalling = min(max(a.stalling + delta, 0.0), 1.0)
                    elif variable == "leverage":
                        a.leverage = min(max(a.leverage + delta, 0.0), 1.0)
                    elif variable == "courtship":
                        a.courtship = min(max(a.courtship + delta, 0.0), 1.0)
                    else:  # utility.<lane>: a transient shock, unclamped
                        a.shocks[LANES.index(variable[len("utility."):])] += delta

    def end_talks(self, outcome):
        if self.talks.outcome is None:
            self.talks.outcome = (outcome, self.day)

    def update_war(self):
        w = self.scenario.war
        talks = self.talks
        if talks.outcome is not None:
            settled = talks.outcome[0] in ("settlement_russian_terms", "settlement_balanced")
            target = w["intensity_settled"] if settled else w["intensity_fighting"]
        elif talks.comprehensive:
            target = w["intensity_ceasefire"]
        else:
            target = w["intensity_fighting"]
        self.intensity += (target - self.intensity) / w["relaxation_days"]
        adv = self.adversary
        if adv.munitions_need is not None:
            goal = min(max(w["munitions_per_intensity"] * self.intensity, 0.0), 1.0)
            adv.munitions_need += (goal - adv.munitions_need) / w["relaxation_days"]

    def propagate_events(self):
        s = self.scenario
        rng = self.rng_perception
        today = self.day
        horizon = s.horizon_days
        observers = list(self.observers)
        for e in self.messages.read("propagate_events"):
            kind = s.kinds[e[1]]
            for obs in observers:
                obs.perceive(e, kind, rng, today, horizon)

    def step(self):
        # Script
        self.emit_scripted()
        # Policy
        self.mediator.decay_attention()
        self.mediator.choose_moves()
        self.mediator.make_overture()
        # Response
        self.partner.respond_to_pressure()
        self.adversary.respond_to_pressure()
        self.advance_talks()
        # Background
        self.fire_background()
        self.courters.do("court")
        # Consequences
        self.apply_events()
        # War
        self.update_war()
        self.hedgers.do("follow_leverage")
        # Propagation
        self.propagate_events()
        # Beliefs
        self.observers.do("update_beliefs")
        self.observers.do("forget")
        # Derived
        self.observers.do("derive")
        # Alignment
        self.hedgers.do("reweigh_lanes")
        self.courters.do("adjust_courtship")
        self.hedgers.do("accept_talks")
        # Advance
        self.messages.update()
        self.day += 1

    def run(self):
        for _ in range(self.scenario.horizon_days):
            self.step()
        return self.outcomes()

    # Outcomes (outcomes.rs): the same column names as the Rust runs.csv ----------------------

    def outcomes(self):
        s = self.scenario
        talks = self.talks
        out = {
            "talks_outcome": talks.outcome[0] if talks.outcome else "ongoing",
            "talks_end_day": talks.outcome[1] if talks.outcome else "",
        }
        for a in self.hedgers:
            code = a.code.lower()
            out[f"{code}_accepts_talks"] = "true" if a.accepted_day is not None else "false"
            out[f"{code}_accepts_talks_day"] = "" if a.accepted_day is None else a.accepted_day
            out[f"{code}_answer"] = a.answer
        mediator_code = s.codes[s.mediator_index].lower()
        for a in self.by_index:
            code = a.code.lower()
            if isinstance(a, Belligerent) and a.munitions_need is not None:
                out[f"{code}_munitions_need"] = a.munitions_need
            if isinstance(a, Observer):
                for h, b in zip(s.hyp_names, a.belief):
                    out[f"{code}_belief_{h}"] = b
                out[f"{code}_trust_{mediator_code}"] = a.trust
                out[f"{code}_fear_coercion"] = a.fear_coercion
                out[f"{code}_fear_abandonment"] = a.fear_abandonment
                if a.hedging:
                    out[f"{code}_leverage"] = a.leverage
                    for lane, w in zip(LANES, a.weights):
                        out[f"{code}_alliance_{lane}"] = w
                if a.courting:
                    out[f"{code}_courtship"] = a.courtship
        return out


def run_one(scenario, seed):
    model = SidelinesModel(scenario, seed=seed)
    out = model.run()
    # Mesa 3.1 keeps a per-model id counter in a class-level dict (`Agent._ids`), which would
    # keep every finished model alive; drop it so that a long batch runs in constant memory.
    mesa.Agent._ids.pop(model, None)
    return out


def batch(args):
    scenario = Scenario(Path(args.scenario))
    rows = []
    start = time.perf_counter()
    for r in range(args.runs):
        seed = args.seed + r
        row = {"run": r, "seed": seed}
        row.update(run_one(scenario, seed))
        rows.append(row)
    wall = time.perf_counter() - start
    print(f"mesa: {args.runs} runs in {wall:.2f} s ({args.runs / wall:.1f} runs/s, "
          "model time only)", file=sys.stderr)
    if args.out:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    else:
        n = len(rows)
        for o in TALKS_OUTCOMES:
            print(f"  {o:<28} {sum(r['talks_outcome'] == o for r in rows) / n:.3f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("batch", help="run seeds seed..seed+runs-1 and write runs.csv")
    b.add_argument("--runs", type=int, default=200)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--out", default=None)
    b.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    args = p.parse_args(argv)
    if args.cmd == "batch":
        batch(args)


if __name__ == "__main__":
    main()
