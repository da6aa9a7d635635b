//! An episode without a war (`iran-talks-2025`): the mediator negotiates with an observer
//! directly, so its rounds and walk-out are aimed at that observer, who is party to them and
//! weighs them fully; the tables only a war gives meaning to are absent and refused; the
//! episode's record replays and is checked.

use std::path::Path;

use sidelines_model::Record;
use sidelines_scenario::ActorKind;

use crate::cli::sidelines;
use crate::common::*;

/// The errors of the embedded episode's document after `edit`.
fn problems(edit: impl FnOnce(&mut toml::Table)) -> String {
    let mut doc = embedded("iran-talks-2025").document;
    edit(&mut doc);
    let text = toml::to_string(&doc).expect("serialise");
    match sidelines_scenario::load(
        "edited.toml",
        text.as_bytes(),
        &sidelines_scenario::embedded_only,
    ) {
        Ok(_) => String::from("(no problem)"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_counterpart_is_party_to_the_mediators_rounds_and_walk_out() {
    let s = embedded("iran-talks-2025");
    assert!(s.conflict.is_none(), "no war in this episode");
    let ir = s.actors.iter().position(|a| a.code == "IR").expect("Iran");
    let kp = s.actors.iter().position(|a| a.code == "KP").expect("North Korea");
    let round = s.event_index("talks_round").expect("kind");
    let walk_out = s.event_index("us_disengages").expect("kind");
    let (sim, outs) = runs(&s, 40, Record { trajectory: false, events: true });
    let observers = sim.observers();
    let (ir_slot, kp_slot) = (
        observers.iter().position(|&o| o == ir).expect("observer"),
        observers.iter().position(|&o| o == kp).expect("observer"),
    );
    let mut rounds = 0;
    let mut walk_outs = 0;
    for out in &outs {
        for e in out.events.iter().filter(|e| e.kind == round || e.kind == walk_out) {
            assert_eq!(e.target, Some(ir), "the mediator's own moves are aimed at Iran");
            // A party perceives at once; a watcher through its channel, if at all.
            assert_eq!(e.perceived[ir_slot], Some(e.day), "Iran is party to it");
            if let Some(d) = e.perceived[kp_slot] {
                assert!(d >= e.day);
            }
            if e.kind == round {
                rounds += 1;
            } else {
                walk_outs += 1;
            }
        }
    }
    // 40 years at 0.12 rounds a day of attention: rounds happen, and attention runs out in some.
    assert!(rounds > 40 && walk_outs > 0, "{rounds} rounds, {walk_outs} walk-outs");
    assert!(
        s.actors.iter().all(|a| !matches!(a.kind, ActorKind::Belligerent(_))),
        "no belligerents"
    );
}

#[test]
fn tables_only_a_war_gives_meaning_to_are_refused_without_one() {
    let err = problems(|doc| {
        doc.remove("alignment");
    });
    assert!(
        err.contains("actors[1].alignment") && err.contains("needs the scenario's `[alignment]`"),
        "{err}"
    );
    let err = problems(|doc| {
        let actors = doc["actors"].as_array_mut().expect("actors");
        actors[1].as_table_mut().expect("IR").remove("alignment");
        for (_, kind) in doc["events"].as_table_mut().expect("events").iter_mut() {
            kind.as_table_mut().expect("kind").remove("effects");
        }
    });
    assert!(err.contains("alignment: means nothing without an observer with [alignment]"), "{err}");
    let err = problems(|doc| {
        let ukraine = embedded("ukraine-watch").document;
        doc.insert("negotiation".into(), ukraine["negotiation"].clone());
    });
    assert!(err.contains("negotiation: means nothing without belligerents"), "{err}");
    // And the other way round: a war without its talks table.
    let mut doc = embedded("ukraine-watch").document;
    doc.remove("negotiation");
    let text = toml::to_string(&doc).expect("serialise");
    let err =
        sidelines_scenario::load("w.toml", text.as_bytes(), &sidelines_scenario::embedded_only)
            .expect_err("refused")
            .to_string();
    assert!(err.contains("a scenario with belligerents needs a `[negotiation]` table"), "{err}");
}

#[test]
fn the_episodes_record_replays_and_is_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("r");
    let d = dir.display().to_string();
    let timeline = "configs/timelines/iran-2025.csv";
    let out = sidelines(&[
        "replay",
        "iran-talks-2025",
        "--timeline",
        timeline,
        "--then",
        "90",
        "--runs",
        "64",
        "--quiet",
        "--out",
        &d,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let observed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/timelines/iran-2025-observed.csv");
    let count = |p: &Path| csv::Reader::from_path(p).expect("csv").records().count();
    assert_eq!(count(&dir.join("record_check.csv")), count(&observed), "one check per observation");
    let record = Path::new(env!("CARGO_MANIFEST_DIR")).join(timeline);
    assert_eq!(count(&dir.join("record.csv")), count(&record), "every row replayed");
    let mut r = csv::Reader::from_path(&record).expect("csv");
    for rec in r.records() {
        let rec = rec.expect("row");
        assert!(rec[6].starts_with("http"), "row without a source: {:?}", &rec);
    }
    // The record's breakdown (2025-06-14) ends the talks in every run through the record
    // (the check of 2025-06-30); after it, with `mechanisms.resumption`, they resume in the
    // forecast where Washington's interest is still there.
    let mut c = csv::Reader::from_path(dir.join("record_check.csv")).expect("csv");
    let ended = c
        .records()
        .map(|r| r.expect("row"))
        .find(|r| &r[1] == "talks_outcome" && &r[2] == "talks_collapse")
        .expect("the 06-30 check of talks_outcome");
    assert_eq!(&ended[4], "1.000000", "ended through the record in every run");
}
