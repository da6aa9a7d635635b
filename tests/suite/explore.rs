//! `sidelines explore` over HTTP, as a page (or anything else) talks to it: the page and its
//! model, runs that equal the batch's, bad requests answered with a 4xx and a message, one
//! explorer per port, and scenarios saved that `validate` accepts. The page itself is driven in
//! headless Chromium by scripts/explore_check.py (in CI).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{sidelines, succeeds};

/// A running explorer, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sidelines"))
            .arg("explore")
            .args(["--port", "0", "--threads", "2"])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("explore starts");
        let mut line = String::new();
        let out = child.stdout.take().expect("stdout");
        BufReader::new(out).read_line(&mut line).expect("explore prints its address");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server { child, port }
    }

    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
        self.request_with(&[], method, path, body)
    }

    /// (status, headers, body) of one request with this `Host`.
    fn request_as(
        &self,
        host: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (u16, String, String) {
        self.request_with(&[("Host", host)], method, path, body)
    }

    /// One request with these headers (`Host` defaults to the explorer's own address).
    fn request_with(
        &self,
        headers: &[(&str, &str)],
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connects");
        let body = body.unwrap_or("");
        let own = format!("127.0.0.1:{}", self.port);
        let host = headers.iter().find(|(k, _)| *k == "Host").map_or(own.as_str(), |(_, v)| v);
        let mut extra = String::new();
        for (k, v) in headers.iter().filter(|(k, _)| *k != "Host") {
            extra.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() {
            extra.push_str("Content-Type: application/json\r\n");
        }
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("sends");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("reads");
        let (head, body) = raw.split_once("\r\n\r\n").expect("a response");
        let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status");
        (status, head.to_string(), body.to_string())
    }

    fn json(&self, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
        let (status, _, text) = self.request(method, path, body);
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).expect("JSON")
    }

    /// Starts a job and waits for its last picture.
    fn finished(&self, request: &str) -> serde_json::Value {
        let job = self.json("POST", "/api/run", Some(request))["job"].as_u64().expect("a job");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let p = self.json("GET", &format!("/api/picture?job={job}&series=kr_trust_us"), None);
            if p["done"] == true {
                assert!(p["error"].is_null(), "{p}");
                return p;
            }
            assert!(Instant::now() < deadline, "the job did not finish: {p}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_page_loads_nothing_from_elsewhere_and_names_its_controls() {
    let server = Server::start(&[]);
    let (status, head, page) = server.request("GET", "/", None);
    assert_eq!(status, 200);
    assert!(head.to_lowercase().contains("content-security-policy: default-src 'self'"), "{head}");
    let (_, _, script) = server.request("GET", "/app.js", None);
    let (_, _, style) = server.request("GET", "/app.css", None);
    for (name, text) in [("index.html", &page), ("app.js", &script), ("app.css", &style)] {
        // The one address in them is SVG's namespace, a name rather than a place to load from.
        let outside = text.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside.contains("http://")
                && !outside.contains("https://")
                && !outside.contains("//cdn"),
            "{name} refers to another address"
        );
    }
    assert!(page.contains("src=\"/app.js\"") && page.contains("href=\"/app.css\""));

    let m = server.json("GET", "/api/model", None);
    let controls: Vec<&str> = m["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|p| p["control"] == true)
        .map(|p| p["path"].as_str().expect("path"))
        .collect();
    assert_eq!(controls, sidelines_explore::model::KEY_ASSUMPTIONS);
    let half_life = m["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["path"] == "mediator.attention_half_life_days"))
        .expect("declared");
    assert_eq!((half_life["min"].as_f64(), half_life["max"].as_f64()), (Some(1.0), Some(3650.0)));
    assert!(half_life["doc"].as_str().is_some_and(|d| d.contains("halve")), "{half_life}");
    let open: Vec<&str> = m["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["open"] == true)
        .map(|g| g["title"].as_str().expect("title"))
        .collect();
    assert_eq!(
        open,
        [
            "North Korea: beliefs about the US",
            "North Korea: alignment lanes",
            "South Korea: trust and fears"
        ]
    );
    // The embedded 2025 record, its observations tied to the series they are drawn on.
    let record = &m["record"];
    assert_eq!(record["last_date"], "2025-12-31");
    let on_series: Vec<&str> = record["observations"]
        .as_array()
        .expect("observations")
        .iter()
        .filter_map(|o| o["series"].as_str())
        .collect();
    assert!(on_series.contains(&"kr_trust_us") && on_series.contains(&"kp_alliance_russia"));
}

#[test]
fn bad_requests_get_a_4xx_with_a_message_and_the_server_goes_on() {
    let server = Server::start(&[]);
    let cases: [(&str, &str, Option<&str>, u16, &str); 10] = [
        ("POST", "/api/run", Some(r#"{"a": {"actors.KP.transfr": 0.5}}"#), 400, "did you mean"),
        ("POST", "/api/run", Some(r#"{"a": {"actors.KP.transfer": 2}}"#), 400, "outside its range"),
        ("POST", "/api/run", Some(r#"{"a": {}, "c": {}}"#), 422, "unknown field"),
        ("POST", "/api/run", Some(r#"{"a": {"horizon_days": 30}}"#), 400, "shape"),
        ("POST", "/api/run", Some("{not json"), 400, "error"),
        ("GET", "/api/picture?job=abc", None, 400, "job"),
        ("GET", "/api/picture?job=9999", None, 410, "not the current one"),
        (
            "POST",
            "/api/save",
            Some(r#"{"name": "../escape", "values": {}}"#),
            400,
            "letters, digits",
        ),
        ("GET", "/etc/passwd", None, 404, "no such page"),
        ("DELETE", "/api/model", None, 405, "does not take that method"),
    ];
    for (method, path, body, want, says) in cases {
        let (status, _, text) = server.request(method, path, body);
        assert_eq!(status, want, "{method} {path}: {text}");
        assert!(text.contains(says), "{method} {path}: {text}");
    }
    // A page elsewhere reaching the port through a name of its own (DNS rebinding) is refused,
    // and so is a request another site's page sends (its browser names its origin).
    let (status, _, text) = server.request_as("attacker.example:80", "GET", "/api/model", None);
    assert_eq!(status, 403, "{text}");
    let (status, _, text) = server.request_with(
        &[("Origin", "http://attacker.example")],
        "POST",
        "/api/run",
        Some("{}"),
    );
    assert_eq!((status, text.contains("refused")), (403, true), "{text}");
    // A series that does not exist, asked of a real job.
    let job = server.json("POST", "/api/run", Some("{}"))["job"].as_u64().expect("job");
    let (status, _, text) =
        server.request("GET", &format!("/api/picture?job={job}&series=kp_nothing"), None);
    assert_eq!((status, text.contains("no series")), (400, true), "{text}");
    assert_eq!(server.request("GET", "/api/model", None).0, 200, "the server still answers");
}

#[test]
fn a_second_explorer_on_the_same_port_is_refused() {
    let first = Server::start(&[]);
    let port = first.port.to_string();
    let second = sidelines(&["explore", "--port", &port]);
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("is in use") && err.contains("--port"), "{err}");
}

#[test]
fn a_picture_is_the_batch_of_its_runs_and_paired_settings_differ_by_nothing_when_equal() {
    // 300 runs at seed 1: run r of the explorer has the seed of replicate r of
    // `batch --seed 1`, so its shares are the batch's outcomes.csv, digit for digit.
    let server = Server::start(&["--runs", "300", "--seed", "1"]);
    let p = server.finished(r#"{"a": {}, "b": {}}"#);
    assert_eq!(p["runs"], 300);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b");
    succeeds(&[
        "batch",
        "--runs",
        "300",
        "--seed",
        "1",
        "--out",
        out.to_str().expect("utf-8"),
        "--quiet",
    ]);
    let mut r = csv::Reader::from_path(out.join("outcomes.csv")).expect("outcomes.csv");
    let mut compared = 0;
    for row in r.records() {
        let row = row.expect("row");
        let share: f64 = row[5].parse().expect("share");
        for setting in 0..2 {
            let found = p["settings"][setting]["shares"]
                .as_array()
                .expect("shares")
                .iter()
                .find(|s| s["outcome"] == row[2] && s["value"] == row[3])
                .unwrap_or_else(|| panic!("{}={} missing", &row[2], &row[3]));
            assert!((found["share"].as_f64().expect("share") - share).abs() < 1e-12);
            compared += 1;
        }
    }
    assert!(compared >= 20, "{compared} shares compared");
    // The same setting twice on the same seeds: every paired difference is exactly zero.
    let diffs = p["differences"].as_array().expect("differences");
    assert!(diffs.len() > 20);
    for d in diffs {
        assert_eq!(
            (d["difference"].as_f64(), d["low"].as_f64(), d["high"].as_f64()),
            (Some(0.0), Some(0.0), Some(0.0)),
            "{d}"
        );
    }
    // Two settings that differ (Washington presses Kyiv hard in B): the difference is B's
    // share less A's, inside its interval.
    let p = server.finished(
        r#"{"a": {"mediator.pressure_on_partner": 0.1}, "b": {"mediator.pressure_on_partner": 0.9}}"#,
    );
    let d = p["differences"]
        .as_array()
        .and_then(|ds| {
            ds.iter().find(|d| {
                d["outcome"] == "talks_outcome" && d["value"] == "settlement_russian_terms"
            })
        })
        .expect("a difference");
    let (b, a, diff) = (
        d["b"].as_f64().unwrap_or(0.0),
        d["a"].as_f64().unwrap_or(0.0),
        d["difference"].as_f64().unwrap_or(0.0),
    );
    assert!((b - a - diff).abs() < 1e-12, "{d}");
    assert!(d["low"].as_f64() < Some(diff) && d["high"].as_f64() > Some(diff), "{d}");
}

#[test]
fn a_saved_scenario_validates_holds_the_values_and_says_what_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let save_dir = dir.path().to_str().expect("utf-8");
    let server = Server::start(&["--save-dir", save_dir]);
    // A prior component is rescaled with the others, as sweeps set it.
    let body = r#"{"name": "mine", "values": {"actors.KP.transfer": 0.25, "actors.KP.prior.reliable": 0.4}}"#;
    let saved = server.json("POST", "/api/save", Some(body));
    let path = saved["path"].as_str().expect("path");
    assert_eq!(std::path::Path::new(path), dir.path().join("mine.toml"));
    let text = std::fs::read_to_string(path).expect("written");
    assert!(text.contains("base = \"ukraine-watch\""), "{text}");
    assert!(
        text.contains("\"actors.KP.transfer\" = 0.25   # changed in explore (assumption): was 0.8 in ukraine-watch"),
        "{text}"
    );
    assert!(text.contains("\"actors.KP.prior.reliable\" = 0.4"), "{text}");
    // 0.2, 0.4, 0.3 scaled to fill 0.6: every component that changed is written.
    assert!(text.contains("\"actors.KP.prior.deal_seeker\" = 0.1333333333333333"), "{text}");
    assert_eq!(saved["changed"], 5);
    let v = succeeds(&["validate", path]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("ok (scenario mine)"));
    // It runs as the page's setting: its parameters are the page's.
    let d = succeeds(&["describe", path, "--json"]);
    let params: serde_json::Value = serde_json::from_slice(&d.stdout).expect("JSON");
    let transfer = params
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["path"] == "actors.KP.transfer"))
        .expect("listed");
    assert_eq!(transfer["value"], 0.25);
    // Not replaced unless asked.
    let (status, _, text) = server.request("POST", "/api/save", Some(body));
    assert_eq!(status, 409, "{text}");
    let again = body.replace("{\"name\"", "{\"overwrite\": true, \"name\"");
    assert_eq!(server.request("POST", "/api/save", Some(&again)).0, 200);
}
