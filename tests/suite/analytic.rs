//! The belief update against its closed form. With perception noise, forgetting and every
//! stochastic process switched off, and a scripted sequence of events, each observer's final
//! belief must equal `prior_h × Π_e L_h(e)^{w_e}`, normalised, where `w_e` is the magnitude
//! times 1 for actions or `statement_weight` for statements, times `transfer` unless the
//! observer is party to the event.

use sidelines_model::Record;
use sidelines_scenario::{ActorKind, Class, Level};

use crate::common::*;

const SCRIPT: &str = r#"
[[timeline]]
day = 3
kind = "aid_suspended"
source = "US"
target = "UA"
[[timeline]]
day = 10
kind = "public_rebuke"
source = "US"
target = "UA"
magnitude = 2.0
[[timeline]]
day = 20
kind = "summit_overture"
source = "US"
target = "KP"
[[timeline]]
day = 25
kind = "alliance_reassurance"
source = "US"
target = "KR"
[[timeline]]
day = 40
kind = "sanctions_relief"
source = "US"
target = "RU"
[[timeline]]
day = 41
kind = "talks_collapse"
source = "US"
target = "RU"
[[timeline]]
day = 50
kind = "cvid_reaffirmed"
source = "US"
target = "KP"
"#;

#[test]
fn bayes_matches_closed_form() {
    let base = embedded("ukraine-watch");
    // Switch off every source of randomness and every process that is not the script.
    let off = |p: &str| {
        p.ends_with(".noise")
            || p.ends_with("rate_per_day")
            || p.ends_with("tilt_per_day")
            || p.ends_with("base_per_day")
            || p == "beliefs.forgetting_per_day"
            || p == "mediator.disengage_below"
            || p == "negotiation.collapse_hazard_per_round"
    };
    let full = |p: &str| p.ends_with(".attention") || p.ends_with(".visibility");
    let mut sets: Vec<(String, f64)> = Vec::new();
    for (path, _, _) in base.parameters() {
        if off(&path) {
            sets.push((path, 0.0));
        } else if full(&path) {
            sets.push((path, 1.0));
        }
    }
    let sets: Vec<(&str, f64)> = sets.iter().map(|(p, x)| (p.as_str(), *x)).collect();
    let quiet = base.with_parameters(&sets).expect("valid");
    let text = format!("{}\n{SCRIPT}", toml::to_string(&quiet.document).expect("toml"));
    let s = from_toml("scripted", &text);

    let (sim, outs) = runs(&s, 3, Record { trajectory: false, events: true });
    let out = &outs[0];
    // Only the script happened, and Pyongyang's answer to the overture.
    let scripted: Vec<usize> = s.timeline.iter().map(|e| e.kind).collect();
    let answers: Vec<usize> = ["talks_accepted", "conditional_offer", "overture_refused"]
        .iter()
        .map(|k| s.event_index(k).expect("kind"))
        .collect();
    let happened: Vec<usize> =
        out.events.iter().map(|e| e.kind).filter(|k| !answers.contains(k)).collect();
    assert_eq!(happened, scripted);

    // With `mechanisms.leader` each observer keeps two beliefs, each the closed form of its own
    // evidence: an event of one level counts in full for that level's belief and at
    // `level_spillover` for the other's; what it reports is their mix, `leader_weight` on the
    // leader's.
    let leader = s.mechanisms.leader > 0.0;
    let spill = 1.0 - s.mechanisms.leader * (1.0 - s.beliefs.level_spillover);
    let lw = s.beliefs.leader_weight;
    assert!(
        leader && s.events.iter().any(|k| k.level == Level::Leader),
        "the script exercises both levels"
    );
    for (oi, (actor, a, o)) in s.observers().enumerate() {
        let prior: Vec<f64> = o.prior.values().iter().map(|p| p.ln()).collect();
        let (mut state, mut lead) = (prior.clone(), prior);
        for e in &out.events {
            assert!(e.perceived[oi].is_some(), "{} missed an event", a.code);
            let kind = &s.events[e.kind];
            let class = if kind.class == Class::Action { 1.0 } else { s.beliefs.statement_weight };
            let involved = e.source == actor || e.target == Some(actor);
            let w = e.magnitude * class * if involved { 1.0 } else { o.transfer };
            let (ws, wl) = match kind.level {
                Level::State => (w, w * spill),
                Level::Leader => (w * spill, w),
            };
            for ((ls, ll), l) in state.iter_mut().zip(lead.iter_mut()).zip(&kind.likelihood) {
                *ls += ws * l.ln();
                *ll += wl * l.ln();
            }
        }
        let normal = |lp: &[f64]| -> Vec<f64> {
            let max = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let un: Vec<f64> = lp.iter().map(|x| (x - max).exp()).collect();
            let z: f64 = un.iter().sum();
            un.iter().map(|u| u / z).collect()
        };
        let (state, lead) = (normal(&state), normal(&lead));
        for (h, hyp) in s.hypotheses.iter().enumerate() {
            let name = format!("{}_belief_{}", a.code.to_lowercase(), hyp.name);
            let got = column(&sim, &outs, &name);
            for g in &got {
                let want = lw * lead[h] + (1.0 - lw) * state[h];
                assert!((g - want).abs() < 1e-12, "{name}: {g} vs closed form {want}");
            }
        }
        assert!(matches!(a.kind, ActorKind::Observer(_)));
    }
}
