//! `sidelines explore`: one page, served on 127.0.0.1, where the model's answers move as its
//! assumptions do.
//!
//! The page (assets/, compiled into the binary: no script or style comes from anywhere else)
//! asks the server for the model's description (`GET /api/model`), starts runs for one or two
//! settings (`POST /api/run`; a newer request cancels the older), fetches the latest picture
//! as chunks of runs finish (`GET /api/picture`), and saves a setting as a scenario file
//! (`POST /api/save`). The runs are the batch's (`sidelines_experiment::execute`), on a rayon
//! pool; the server is axum on a single-threaded tokio runtime, which only hands out pictures.

pub mod engine;
pub mod model;
pub mod save;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sidelines_scenario::Input;
use sidelines_workflows::error::{Error, Result, input};

use crate::engine::{Runner, Values};
use crate::model::{Explored, KEY_ASSUMPTIONS};
use crate::save::SaveError;

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");

/// What to explore and how.
#[derive(Clone, Debug)]
pub struct ExploreSpec {
    /// An embedded scenario name or a path to a .toml file.
    pub scenario_arg: String,
    /// The record to overlay (None: the embedded 2025 record when the scenario takes it).
    pub timeline: Option<PathBuf>,
    pub observed: Option<PathBuf>,
    pub host: IpAddr,
    /// 0: any free port.
    pub port: u16,
    /// Runs per setting a picture stops at.
    pub runs: u64,
    pub seed: u64,
    pub threads: Option<u64>,
    /// Parameters with a control from the start, beside the key assumptions.
    pub params: Vec<String>,
    /// Where "save as scenario" writes.
    pub save_dir: PathBuf,
}

struct App {
    explored: Explored,
    runner: Arc<Runner>,
    description: String,
    /// How a saved file names the explored scenario.
    base: String,
    save_dir: PathBuf,
    /// `Host` headers the server answers (DNS rebinding: a page elsewhere cannot reach it
    /// through a name of its own that resolves to 127.0.0.1).
    hosts: Vec<String>,
    /// Listening on every interface: any IP literal with this port is a Host of its own (a
    /// rebinding page can only use names).
    any_ip: bool,
    port: u16,
}

impl App {
    fn answers(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h == host)
            || (self.any_ip && host.parse::<SocketAddr>().is_ok_and(|a| a.port() == self.port))
    }
}

/// Loads everything, binds the port, prints the page's address through `announce` and serves
/// until the process ends.
pub fn serve(spec: &ExploreSpec, announce: &mut dyn FnMut(&str)) -> Result<()> {
    let explored = load(spec)?;
    let pool = sidelines_workflows::inputs::worker_pool(spec.threads)?;
    let series = {
        let sim = sidelines_model::Simulation::new(explored.plain.clone())?;
        sim.series().iter().map(|s| engine::series_key(&s.actor, &s.variable)).collect()
    };
    let runner = Arc::new(Runner::new(pool, spec.seed, spec.runs, series));
    let description = serde_json::to_string(
        &explored.describe(spec.runs, engine::FIRST_CHUNK.min(spec.runs)).map_err(input)?,
    )
    .map_err(|e| Error::Machine(e.to_string()))?;
    let base = match sidelines_scenario::embedded_source(&spec.scenario_arg) {
        Some(_) => spec.scenario_arg.clone(),
        None => std::path::absolute(&spec.scenario_arg)
            .map_err(|e| input(format!("{}: {e}", spec.scenario_arg)))?
            .display()
            .to_string(),
    };
    if !spec.save_dir.is_dir() {
        return Err(input(format!("--save-dir {}: no such folder", spec.save_dir.display())));
    }
    // Saved files are reported by their full path: the page does not know the server's folder.
    let save_dir = std::path::absolute(&spec.save_dir)
        .map_err(|e| input(format!("--save-dir {}: {e}", spec.save_dir.display())))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Error::Machine(format!("starting the server: {e}")))?;
    runtime.block_on(async {
        let addr = SocketAddr::new(spec.host, spec.port);
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                input(format!(
                    "{addr} is in use (another explorer, or another program): pick another --port"
                ))
            } else {
                input(format!("cannot listen on {addr}: {e}"))
            }
        })?;
        let bound = listener.local_addr().map_err(|e| Error::Machine(e.to_string()))?;
        let port = bound.port();
        // `SocketAddr`'s text brackets an IPv6 address, as a browser's Host header does.
        let mut hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")];
        if !hosts.contains(&bound.to_string()) {
            hosts.push(bound.to_string());
        }
        let any_ip = spec.host.is_unspecified();
        let app =
            Arc::new(App { explored, runner, description, base, save_dir, hosts, any_ip, port });
        let shown = if any_ip || bound.ip() == IpAddr::from([127, 0, 0, 1]) {
            format!("http://127.0.0.1:{port}/")
        } else {
            format!("http://{bound}/")
        };
        announce(&shown);
        axum::serve(listener, router(app)).await.map_err(|e| Error::Machine(e.to_string()))
    })
}

/// `scenario` driven by a record to its end, then on to `horizon` days. The record's length is
/// known once it is read: it is read once to learn it, then with the days that follow.
fn to_horizon(
    scenario: &str,
    timeline: Input<'_>,
    observed: Option<Input<'_>>,
    horizon: u32,
) -> Result<sidelines_scenario::Replay> {
    let probe = sidelines_workflows::replay::load_record(scenario, timeline, observed, 0)?;
    let then = horizon.saturating_sub(probe.last_day + 1);
    sidelines_workflows::replay::load_record(scenario, timeline, observed, then)
}

/// The scenario, its record and the controls.
fn load(spec: &ExploreSpec) -> Result<Explored> {
    let plain = Arc::new(sidelines_workflows::inputs::load_scenario(&spec.scenario_arg)?);
    let (replay, record_name) = match &spec.timeline {
        Some(t) => {
            let observed =
                spec.observed.clone().or_else(|| sidelines_workflows::replay::default_observed(t));
            let tname = t.display().to_string();
            let tbytes = sidelines_workflows::inputs::read_input(t)
                .map_err(|e| input(format!("cannot read --timeline {tname}: {e}")))?;
            let obs = match &observed {
                Some(o) => Some((
                    o.display().to_string(),
                    sidelines_workflows::inputs::read_input(o).map_err(|e| {
                        input(format!("cannot read --observed {}: {e}", o.display()))
                    })?,
                )),
                None => None,
            };
            let timeline = Input { name: &tname, bytes: &tbytes };
            let observed = obs.as_ref().map(|(n, b)| Input { name: n, bytes: b });
            let r = to_horizon(&spec.scenario_arg, timeline, observed, plain.horizon_days)?;
            (Some((Arc::new(r.scenario.clone()), r)), Some(tname))
        }
        None => {
            let (name, t, o) = sidelines_scenario::RECORD_2025;
            let timeline = Input { name, bytes: t.as_bytes() };
            let observed =
                Input { name: "configs/timelines/2025-observed.csv", bytes: o.as_bytes() };
            // The 2025 record when the scenario takes it (its actors and events), else none.
            to_horizon(&spec.scenario_arg, timeline, Some(observed), plain.horizon_days)
                .ok()
                .map_or((None, None), |r| {
                    (Some((Arc::new(r.scenario.clone()), r)), Some(name.to_string()))
                })
        }
    };
    let known = plain.parameters();
    let mut controls: Vec<String> = KEY_ASSUMPTIONS
        .iter()
        .filter(|k| known.iter().any(|(p, _, _)| p == *k))
        .map(|k| k.to_string())
        .collect();
    for p in &spec.params {
        if !known.iter().any(|(k, _, d)| k == p && d.is_some()) {
            return Err(input(format!(
                "--param: {}",
                sidelines_scenario::params::unknown_path_message(&plain.document, p)
            )));
        }
        if !controls.contains(p) {
            controls.push(p.clone());
        }
    }
    Ok(Explored { plain, replay, record_name, controls })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(|| async { text("text/javascript; charset=utf-8", APP_JS) }))
        .route("/app.css", get(|| async { text("text/css; charset=utf-8", APP_CSS) }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/api/model", get(describe))
        .route("/api/run", post(run))
        .route("/api/picture", get(picture))
        .route("/api/save", post(save_scenario))
        .method_not_allowed_fallback(|| async {
            problem(StatusCode::METHOD_NOT_ALLOWED, "the explorer does not take that method here")
        })
        .fallback(|| async {
            problem(StatusCode::NOT_FOUND, "no such page: the explorer serves / and /api/...")
        })
        .layer(middleware::from_fn_with_state(app.clone(), only_local_names))
        .with_state(app)
}

/// Refuses requests whose `Host` is not this server's own address, or that a page of another
/// origin sent.
async fn only_local_names(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(refusal) = refusal(&app, req.headers()) {
        return refusal;
    }
    next.run(req).await
}

/// Why a request is refused: a `Host` that is not the explorer's, or an `Origin` that is not
/// its own page's.
fn refusal(app: &App, headers: &axum::http::HeaderMap) -> Option<Response> {
    let header = |name| headers.get(name).and_then(|h: &HeaderValue| h.to_str().ok());
    let host = header(header::HOST).unwrap_or("");
    if !app.answers(host) {
        let message = format!("this explorer answers {}, not `{host}`", app.hosts[0]);
        return Some(problem(StatusCode::FORBIDDEN, &message));
    }
    // A page of another site may send a simple request here (its browser says where it comes
    // from): only the explorer's own page may start runs or write files.
    let origin = header(header::ORIGIN)?;
    if origin.strip_prefix("http://").is_some_and(|o| app.answers(o)) {
        return None;
    }
    let message = format!("requests from `{origin}` are refused: use the explorer's own page");
    Some(problem(StatusCode::FORBIDDEN, &message))
}

fn text(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

async fn index() -> Response {
    let mut r = text("text/html; charset=utf-8", INDEX);
    // Nothing but this server's own scripts, styles and data: no CDN, no beacon.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'",
        ),
    );
    r
}

async fn describe(State(app): State<Arc<App>>) -> Response {
    json(app.description.clone())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    #[serde(default)]
    a: Values,
    b: Option<Values>,
    #[serde(default)]
    record: bool,
}

async fn run(
    State(app): State<Arc<App>>,
    body: std::result::Result<axum::Json<RunRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let req = match body {
        Ok(axum::Json(r)) => r,
        Err(e) => return problem(e.status(), &e.body_text()),
    };
    let mut settings = Vec::new();
    for (which, values) in [("A", Some(&req.a)), ("B", req.b.as_ref())] {
        let Some(values) = values else { continue };
        match app.explored.scenario(values, req.record) {
            Ok(s) => settings.push(s),
            Err(e) => return problem(StatusCode::BAD_REQUEST, &format!("setting {which}: {e}")),
        }
    }
    let job = app.runner.start(settings);
    json(serde_json::json!({ "job": job.id }).to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PictureQuery {
    job: u64,
    /// The version the page has: answered `{"unchanged": true}` until there is a newer one.
    #[serde(default)]
    since: Option<u64>,
    /// Comma-separated series keys whose bands to send (default: none).
    #[serde(default)]
    series: String,
}

async fn picture(
    State(app): State<Arc<App>>,
    query: std::result::Result<Query<PictureQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return problem(e.status(), &e.body_text()),
    };
    let Some(job) = app.runner.job(q.job) else {
        return problem(StatusCode::GONE, &format!("job {} is not the current one", q.job));
    };
    let version = job.version.load(Ordering::SeqCst);
    if q.since == Some(version) {
        return json(serde_json::json!({ "unchanged": true, "version": version }).to_string());
    }
    let wanted: Vec<&str> = q.series.split(',').filter(|s| !s.is_empty()).collect();
    if let Some(bad) = wanted.iter().find(|s| !app.runner.series.iter().any(|k| k == *s)) {
        return problem(StatusCode::BAD_REQUEST, &format!("no series `{bad}`"));
    }
    let mut p = job.picture();
    for s in &mut p.settings {
        s.bands.retain(|k, _| wanted.contains(&k.as_str()));
    }
    let mut v = serde_json::to_value(&p).unwrap_or_default();
    v["version"] = serde_json::json!(version);
    json(v.to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveRequest {
    name: String,
    #[serde(default)]
    values: Values,
    #[serde(default)]
    overwrite: bool,
}

async fn save_scenario(
    State(app): State<Arc<App>>,
    body: std::result::Result<axum::Json<SaveRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let req = match body {
        Ok(axum::Json(r)) => r,
        Err(e) => return problem(e.status(), &e.body_text()),
    };
    match save::save(&app.explored, &app.base, &app.save_dir, &req.name, &req.values, req.overwrite)
    {
        Ok(saved) => json(serde_json::to_string(&saved).unwrap_or_default()),
        Err(SaveError::Bad(m)) => problem(StatusCode::BAD_REQUEST, &m),
        Err(SaveError::Exists(m)) => problem(StatusCode::CONFLICT, &m),
        Err(SaveError::Machine(m)) => problem(StatusCode::INTERNAL_SERVER_ERROR, &m),
    }
}
