//! The scenario library compiled into the binary, so `sidelines run` works from any folder.
//!
//! The same files live under `configs/scenarios/`, where users read and copy them; a test keeps
//! the two identical by construction (they are the same files, included at compile time).

/// The scenario `sidelines run` uses when none is named.
pub const DEFAULT_SCENARIO: &str = "ukraine-watch";

/// (name, one-line description, TOML source).
pub const EMBEDDED: &[(&str, &str, &str)] = &[
    (
        "ukraine-watch",
        "Baseline from 2025-03-25 (end of the Riyadh round): the talks may go any way",
        include_str!("../../../configs/scenarios/ukraine-watch.toml"),
    ),
    (
        "coerced-settlement",
        "Washington leans on Kyiv, not Moscow, and wants any deal fast: a settlement on Russia's terms",
        include_str!("../../../configs/scenarios/coerced-settlement.toml"),
    ),
    (
        "balanced-settlement",
        "Washington presses both sides evenly and is willing to trade: a balanced settlement",
        include_str!("../../../configs/scenarios/balanced-settlement.toml"),
    ),
    (
        "talks-collapse",
        "A maximalist Washington meets Moscow's stalling: the talks break down",
        include_str!("../../../configs/scenarios/talks-collapse.toml"),
    ),
    (
        "us-disengages",
        "Washington loses interest fast and walks away from the process",
        include_str!("../../../configs/scenarios/us-disengages.toml"),
    ),
    (
        "war-continues",
        "Talks grind on without a deal, a collapse or a walk-out: the war goes on",
        include_str!("../../../configs/scenarios/war-continues.toml"),
    ),
    (
        "model-2025",
        "The baseline under the 2025 model: every mechanism added since switched off",
        include_str!("../../../configs/scenarios/model-2025.toml"),
    ),
    (
        "iran-talks-2025",
        "A second episode, no war: US-Iran nuclear talks from 2025-03-07, watched by Pyongyang and Israel",
        include_str!("../../../configs/scenarios/iran-talks-2025.toml"),
    ),
];

/// The sourced episodes shipped under `configs/`, as (scenario file, timeline file) relative to
/// the repository's folder; each timeline has its observations beside it
/// (`<timeline>-observed.csv`). `evaluate` scores these when no episode is named.
pub const EPISODES: [(&str, &str); 6] = [
    ("configs/scenarios/ukraine-watch.toml", "configs/timelines/2025.csv"),
    ("configs/scenarios/iran-talks-2025.toml", "configs/timelines/iran-2025.csv"),
    ("configs/scenarios/agreed-framework-1994.toml", "configs/timelines/agreed-framework-1994.csv"),
    ("configs/scenarios/libya-2003.toml", "configs/timelines/libya-2003.csv"),
    ("configs/scenarios/six-party-2005.toml", "configs/timelines/six-party-2005.csv"),
    ("configs/scenarios/jcpoa-2015.toml", "configs/timelines/jcpoa-2015.csv"),
];

/// The embedded scenarios that are variants of `base` (its branches). A variant that sets only
/// `mechanisms.*` and likelihoods (`model-2025`) is another model of how observers read the
/// same world, not a branch of it.
pub fn variants_of(base: &str) -> Vec<&'static str> {
    EMBEDDED
        .iter()
        .filter(|(_, _, text)| {
            let Ok(t) = toml::from_str::<toml::Table>(text) else { return false };
            let of_base = t.get("base").and_then(|b| b.as_str()) == Some(base);
            let model_only = t.get("set").and_then(|s| s.as_table()).is_some_and(|s| {
                s.keys().all(|k| k.starts_with("mechanisms.") || k.contains(".likelihood."))
            });
            of_base && !model_only
        })
        .map(|(name, _, _)| *name)
        .collect()
}

/// The key assumptions: the six that the shipped key-assumption sweeps vary
/// (configs/sweeps/key-assumptions-*.toml; a test keeps them equal): how much Pyongyang and
/// Seoul generalise from Kyiv's case, how hard and how long Washington presses, how much it
/// holds out for, and how much words weigh against deeds. The explorer gives each a control
/// first; the Python package's EMA Workbench model takes them as its uncertainties.
pub const KEY_ASSUMPTIONS: &[&str] = &[
    "actors.KP.transfer",
    "actors.KR.transfer",
    "mediator.pressure_on_partner",
    "mediator.attention_half_life_days",
    "mediator.maximalism",
    "beliefs.statement_weight",
];

/// The TOML source of an embedded scenario.
pub fn embedded_source(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _, _)| *n == name).map(|(_, _, s)| *s)
}

/// The 2025 record (`configs/timelines/`), compiled in so `sidelines branches` replays it from
/// any folder: (file name, timeline CSV, observations CSV).
pub const RECORD_2025: (&str, &str, &str) = (
    "configs/timelines/2025.csv",
    include_str!("../../../configs/timelines/2025.csv"),
    include_str!("../../../configs/timelines/2025-observed.csv"),
);

#[cfg(test)]
mod key_assumptions {
    use super::KEY_ASSUMPTIONS;

    #[test]
    fn the_key_assumptions_are_those_of_the_key_assumption_sweeps() {
        let sweeps = [
            include_str!("../../../configs/sweeps/key-assumptions-sobol.toml"),
            include_str!("../../../configs/sweeps/key-assumptions-lhs.toml"),
            include_str!("../../../configs/sweeps/key-assumptions-morris.toml"),
        ];
        for text in sweeps {
            let doc: toml::Table = text.parse().expect("a sweep file");
            let paths: Vec<&str> = doc["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .map(|p| p["path"].as_str().expect("path"))
                .collect();
            assert_eq!(paths, KEY_ASSUMPTIONS);
        }
    }
}
