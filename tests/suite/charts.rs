//! Charts are valid PNG and SVG of the expected size; the report references nothing outside
//! itself.

use std::path::Path;

use crate::cli::sidelines;

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

fn check_charts(dir: &Path, expect_prefixes: &[&str]) -> usize {
    let charts = dir.join("charts");
    let mut n = 0;
    for prefix in expect_prefixes {
        assert!(
            std::fs::read_dir(&charts).expect("charts").any(|e| e
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .starts_with(prefix)),
            "no chart starting with {prefix}"
        );
    }
    for e in std::fs::read_dir(&charts).expect("charts") {
        let p = e.expect("entry").path();
        let bytes = std::fs::read(&p).expect("read");
        if p.file_name().is_some_and(|n| n == "size.json") {
            continue; // the size they were drawn at, checked where a size is asked
        }
        match p.extension().and_then(|x| x.to_str()) {
            Some("png") => {
                assert_eq!(png_size(&bytes), (960, 540), "{}", p.display());
                assert!(p.with_extension("svg").is_file(), "{} has no SVG twin", p.display());
            }
            Some("svg") => {
                let text = String::from_utf8(bytes).expect("utf8");
                assert!(
                    text.contains("<svg") && text.trim_end().ends_with("</svg>"),
                    "{}",
                    p.display()
                );
                // Text is laid out with the bundled font: the SVG names it first.
                assert!(
                    text.contains("font-family=\"DejaVu Sans, sans-serif\"")
                        && !text.contains("font-family=\"sans-serif\""),
                    "{}",
                    p.display()
                );
                assert!(
                    text.contains("width=\"960\"") && text.contains("height=\"540\""),
                    "{}",
                    p.display()
                );
            }
            other => panic!("unexpected file {other:?} in charts/"),
        }
        n += 1;
    }
    n
}

fn check_report(dir: &Path) {
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("</html>"));
    let lower = html.to_lowercase();
    for outside in ["src=", "href=", "@import", "url(", "<script", "<link", "http://", "https://"] {
        assert!(
            !lower.contains(outside),
            "report.html references something outside itself: {outside}"
        );
    }
    assert!(html.contains("<svg"), "charts are inline");
    assert!(html.contains("Reproduce this folder with"));
    // No path of this machine: the folder sits in a temporary directory, the binary in target/.
    let tmp = dir.parent().expect("parent").display().to_string();
    for here in [tmp.as_str(), env!("CARGO_MANIFEST_DIR"), "target/release"] {
        assert!(!html.contains(here), "report.html shows {here}");
    }
    let manifest = sidelines_report::manifest::read(dir).expect("a manifest");
    if manifest.kind == sidelines_report::manifest::Kind::Sweep {
        // A sweep's page speaks of assumptions and their values, never of "point 0".
        assert!(!html.contains("point 0") && !html.contains("\"kind\""), "sweep report");
        assert!(html.contains("points,") && html.contains("Assumptions varied"));
        if matches!(manifest.sampler, Some(sidelines_report::manifest::Sampler::Sobol { .. })) {
            let drives = html.find("What drives").expect("the sensitivity table");
            assert!(drives < html.find("<svg").expect("charts"), "the table leads");
        }
    }
}

#[test]
fn batch_charts_and_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("b");
    let out = sidelines(&[
        "batch",
        "--runs",
        "200",
        "--out",
        dir.to_str().expect("utf8"),
        "--quiet",
        "--charts",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let n = check_charts(
        &dir,
        &["fan_kp_belief_deal_seeker", "fan_kr_trust_us", "outcome_shares", "accepts_talks"],
    );
    assert_eq!(
        n,
        2 * (4 * 5 + 2),
        "four observers x (trust + four beliefs) fans, the talks' ends and the acceptance of \
         talks apart, PNG and SVG"
    );
    let out = sidelines(&["report", dir.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    check_report(&dir);
}

#[test]
fn sweep_charts_and_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sobol = r#"
name = "chart-sobol"
description = "test"
scenario = "ukraine-watch"
seed = 1
replicates = 2
[sampler]
kind = "sobol"
samples = 8
[[parameters]]
path = "actors.KR.transfer"
label = "Seoul & Kyiv's <case>"
range = [0.0, 1.0]
[[parameters]]
path = "mediator.pressure_on_partner"
range = [0.1, 0.9]
"#;
    let grid = r#"
name = "chart-grid"
description = "test"
scenario = "ukraine-watch"
seed = 1
replicates = 3
[sampler]
kind = "grid"
[[parameters]]
path = "mediator.pressure_on_partner"
values = [0.2, 0.8]
[[parameters]]
path = "mediator.attention_half_life_days"
values = [20, 60]
"#;
    let lhs = sobol.replace("kind = \"sobol\"\nsamples = 8", "kind = \"lhs\"\nsamples = 12");
    // The last is a grid written as Parquet: its dependence charts read runs.parquet.
    for (name, text, expect, format) in [
        ("s", sobol, Some("tornado_kr_trust_us"), "csv"),
        ("g", grid, Some("grid_kr_trust_us"), "csv"),
        ("l", lhs.as_str(), None, "csv"),
        ("pq", grid, Some("grid_kr_trust_us"), "parquet"),
    ] {
        let file = tmp.path().join(format!("{name}.toml"));
        std::fs::write(&file, text).expect("write");
        let dir = tmp.path().join(name);
        let out = sidelines(&[
            "sweep",
            file.to_str().expect("utf8"),
            "--out",
            dir.to_str().expect("utf8"),
            "--quiet",
            "--format",
            format,
            "--charts",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // Every sampler gets the dependence of each headline outcome on every parameter, and
        // the talks' ends against each parameter; no sweep gets point 0's shares alone.
        let mut want =
            vec!["depends_kr_trust_us", "depends_kp_accepts_talks", "depends_talks_outcome"];
        want.extend(expect);
        check_charts(&dir, &want);
        assert!(!dir.join("charts/outcome_shares.png").exists(), "{name}: point 0's shares");
        assert!(sidelines(&["report", dir.to_str().expect("utf8")]).status.success());
        check_report(&dir);
        if text != grid {
            // The file's label names the parameter, escaped in the page and in the SVG; a
            // parameter without one is named in words.
            let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
            assert!(
                html.contains("Seoul &amp; Kyiv&#x27;s &lt;case&gt;"),
                "{name}: label in the page"
            );
            assert!(html.contains("US pressure on partner"), "{name}: the path in words");
            let svg =
                std::fs::read_to_string(dir.join("charts/depends_kr_trust_us.svg")).expect("svg");
            assert!(svg.contains("Seoul &amp; Kyiv"), "{name}: label on the chart");
        }
    }
    // The Sobol sweep's dictionary documents its sensitivity table, column for column.
    let manifest = sidelines_report::manifest::read(&tmp.path().join("s")).expect("a manifest");
    let documented: Vec<&str> =
        manifest.columns_of("sensitivity.csv").iter().map(|c| c.name.as_str()).collect();
    assert!(!documented.is_empty(), "sensitivity.csv in the dictionary");
    let header = std::fs::read_to_string(tmp.path().join("s/sensitivity.csv")).expect("csv");
    assert_eq!(documented.join(","), header.lines().next().expect("header"));
}

/// `chart --size WxH --dpi N`: the SVG at the size asked, the PNG the same picture at N/96 the
/// pixels each way; sizes that cannot be drawn are refused (exit 2) before any chart is drawn.
#[test]
fn charts_at_the_size_and_resolution_asked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("b");
    let d = dir.to_str().expect("utf8");
    let out = sidelines(&["batch", "--runs", "50", "--quiet", "--out", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sidelines(&["chart", d, "--size", "1280x720", "--dpi", "192"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut pngs = 0;
    for e in std::fs::read_dir(dir.join("charts")).expect("charts") {
        let p = e.expect("entry").path();
        let bytes = std::fs::read(&p).expect("read");
        if p.extension().is_some_and(|x| x == "png") {
            assert_eq!(png_size(&bytes), (2560, 1440), "{}", p.display());
            pngs += 1;
        } else if p.extension().is_some_and(|x| x == "json") {
            let size: serde_json::Value = serde_json::from_slice(&bytes).expect("size.json");
            assert_eq!(size, serde_json::json!({"width": 1280, "height": 720, "dpi": 192}));
        } else {
            let text = String::from_utf8(bytes).expect("utf8");
            assert!(text.contains("width=\"1280\"") && text.contains("height=\"720\""));
        }
    }
    assert!(pngs > 10, "{pngs} charts");
    for bad in [["--size", "1280"], ["--size", "100x50"], ["--dpi", "5000"]] {
        let out = sidelines(&["chart", d, bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
