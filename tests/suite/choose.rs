//! `sidelines choose`: the same bytes on any thread count; two models that are one model get
//! even odds within the Monte Carlo error and cannot be told apart on their own records; bad
//! model-choice files refused with their place; a choice file is not a calibration, and the
//! reverse.

use std::path::Path;

use crate::calibrate::{ok, refused_at_place};
use crate::cli::sidelines;

/// The 2025 record; the shipped model twice under two names, and the rival that carries no
/// reading of past conduct forward (shared with the Python tests).
const SMALL: &str = include_str!("../fixtures/model-choice.toml");

fn write_small(dir: &Path) -> String {
    let text = SMALL.replace("ROOT", env!("CARGO_MANIFEST_DIR"));
    let file = dir.join("choice.toml");
    std::fs::write(&file, text).expect("write");
    file.display().to_string()
}

#[test]
fn model_choice_is_deterministic_and_gives_one_model_under_two_names_even_odds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write_small(tmp.path());
    let d = |n: &str| tmp.path().join(n).display().to_string();
    let text = ok(&["choose", &file, "--threads", "1", "--quiet", "--out", &d("one")]);
    assert!(text.contains("Model choice `small-choice`: 3 models, 60 draws each"), "{text}");
    let json = ok(&["choose", &file, "--threads", "2", "--quiet", "--json", "--out", &d("two")]);
    let read = |dir: &str, f: &str| std::fs::read(Path::new(dir).join(f)).expect("read");
    for f in ["models.csv", "confusion.csv", "groups.csv", "parameters.csv"] {
        assert_eq!(read(&d("one"), f), read(&d("two"), f), "{f} depends on the thread count");
    }
    let j: serde_json::Value = serde_json::from_str(&json).expect("json");
    let models = j["models"].as_array().expect("models");
    let p: Vec<f64> = models.iter().map(|m| m["probability"].as_f64().expect("p")).collect();
    let se: Vec<f64> = models.iter().map(|m| m["mc_se"].as_f64().expect("se")).collect();
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "probabilities sum to 1: {p:?}");
    // The same model under two names: their probabilities differ by Monte Carlo error only.
    // With 40 kept records the error of each is about 0.07; four errors of the difference
    // (a normal test at about 1 in 15,000) is the bound.
    let diff_se = (se[0] * se[0] + se[1] * se[1]).sqrt();
    assert!(diff_se > 0.0, "{se:?}");
    assert!((p[0] - p[1]).abs() < 4.0 * diff_se, "{p:?} {se:?}");
    // ...and the records simulated from either cannot say which: each wins at most 80% of its
    // own 30 (under an even split, 24 or more of 30 has probability 0.0007).
    for m in &models[..2] {
        assert_eq!(m["synthetic_records"], 30);
        assert!(m["recovered_share"].as_f64().expect("share") < 0.8, "{m}");
    }
    // A model that does change the records is told apart: with beliefs pulled back to the
    // prior every day, observations of beliefs keep their day-0 categories, which the shipped
    // model's records rarely do (on this seed it wins 30 of its 30).
    assert!(models[2]["recovered_share"].as_f64().expect("share") >= 0.8, "{}", models[2]);
    // The confusion matrix: a row per model simulated from, each over its 30 records (the
    // last column counts ties).
    let rows = j["confusion"]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    for r in rows {
        let r: Vec<u64> =
            r.as_array().expect("row").iter().map(|x| x.as_u64().expect("n")).collect();
        assert_eq!(r.len(), 4);
        assert_eq!(r.iter().sum::<u64>(), 30);
    }
    // What the records can decide puts the two names of one model in one group.
    let groups = j["groups"].as_array().expect("groups");
    assert!(
        groups.iter().any(|g| g["models"] == serde_json::json!(["shipped", "shipped-again"])),
        "{groups:?}"
    );
    let confusion = String::from_utf8(read(&d("one"), "confusion.csv")).expect("utf8");
    assert_eq!(confusion.lines().count(), 1 + 3 * 4, "{confusion}");
    // The folder is a finished one: manifest of kind choose; its tables checked by export.
    let manifest = String::from_utf8(read(&d("one"), "manifest.json")).expect("utf8");
    assert!(manifest.contains("\"kind\": \"choose\""), "{manifest}");
    // The report and the workbook carry the tables.
    ok(&["report", &d("one")]);
    let html = String::from_utf8(read(&d("one"), "report.html")).expect("utf8");
    assert!(html.contains("Which model the records favour"), "the report has the models");
    assert!(html.contains("What the records can decide"), "...and the groups");
    ok(&["export", "xlsx", &d("one")]);
    assert!(read(&d("one"), "results.xlsx").len() > 1000);
    // Without --force a second run into the folder is refused.
    let again = sidelines(&["choose", &file, "--quiet", "--out", &d("one")]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn a_bad_model_choice_file_is_refused_at_its_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write_small(tmp.path());
    let good = std::fs::read_to_string(&file).expect("read");
    let cases = [
        (
            "\"beliefs.forgetting_per_day\" = 1.0",
            "\"beliefs.forgeting_per_day\" = 1.0",
            "models[2].set: ",
        ),
        (
            "\"beliefs.forgetting_per_day\" = 1.0",
            "\"beliefs.forgetting_per_day\" = 2.0",
            "has range [0, 1]",
        ),
        ("\"beliefs.forgetting_per_day\" = 1.0", "\"events.*.nothing\" = 1.0", "matches no number"),
        ("name = \"shipped-again\"", "name = \"shipped\"", "two models are named `shipped`"),
        ("draws = 60", "draws = 0", "draws: `draws` (parameter draws per model) must be 1 to"),
        ("accept = 40", "accept = 400", "accept: `accept`"),
        ("checks = 30", "checks = 61", "checks: must be 0 to `draws` (60)"),
        ("checks = 30", "particles = 30", "particles: a model choice has `draws`"),
    ];
    refused_at_place("choose", tmp.path(), &good, &cases);
    // One model is no choice.
    let one = good.split("[[models]]\nname = \"shipped-again\"").next().expect("head");
    refused_at_place(
        "choose",
        tmp.path(),
        one,
        &[("draws = 60", "draws = 60", "needs 2 to 64 [[models]]")],
    );
    // A model-choice file is not a calibration, nor a calibration a model choice.
    refused_at_place(
        "calibrate",
        tmp.path(),
        &good,
        &[("seed = 3", "seed = 3", "it is a model choice (`sidelines choose")],
    );
    let calibration = crate::calibrate::write_small(tmp.path());
    let out = sidelines(&[
        "choose",
        &calibration,
        "--out",
        &tmp.path().join("never").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("it has no [[models]]: it is a calibration")
    );
}
