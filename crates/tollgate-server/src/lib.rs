//! `tollgate serve` (SPEC §5): the readiness dashboard, live, plus a
//! read-only JSON API, and optionally the policy's verification schedule
//! run in-process. Binds to loopback unless told otherwise; SIGTERM and
//! Ctrl-C shut it down cleanly (in-flight requests finish).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use axum::Router;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use tollgate::dashboard::api::ErrorResponse;
use tollgate::dashboard::Snapshot;
use tollgate::error::{Error, Result};
use tollgate::policy::Workspace;
use tollgate::readiness::{self, Fingerprint};

/// What to serve.
pub struct ServeOptions {
    pub workspace: Workspace,
    pub addr: SocketAddr,
    /// Run `verify --scheduled` on the policy's `verify.schedule`.
    pub schedule: bool,
}

/// How often the refresher looks for changed inputs.
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// An assessment older than this is made again even when no input changed
/// (freshness and overdue dates move with the clock).
const TTL: Duration = Duration::from_secs(60);

/// The current snapshot, rendered page included, or why it could not be made.
struct Current {
    snapshot: std::result::Result<(Snapshot, String), String>,
    fingerprint: Fingerprint,
    made: Instant,
}

/// What the handlers read: the workspace and the current snapshot. Requests
/// never assess; the refresher replaces the snapshot when an input changed.
struct Live {
    ws: RwLock<Arc<Workspace>>,
    current: RwLock<Arc<Current>>,
}

type State_ = Arc<Live>;

/// Assess `ws` and render the page, with the fingerprint taken first (an
/// input changed during the assessment is seen by the next check).
fn make(ws: &Workspace) -> Current {
    let fingerprint = readiness::fingerprint(ws);
    let snapshot = tollgate::dashboard::snapshot(ws)
        .and_then(|s| {
            let html = tollgate::dashboard::render(&s.dashboard)?;
            Ok((s, html))
        })
        .map_err(|e| e.to_string());
    Current {
        snapshot,
        fingerprint,
        made: Instant::now(),
    }
}

/// The routes: `/`, `/api/status`, `/api/gates`, `/api/runs`, `/api/releases/{version}`.
/// The first snapshot is made here; [`refresh`] keeps it current.
fn router(ws: Workspace) -> (Router, Arc<Live>) {
    let live = Arc::new(Live {
        current: RwLock::new(Arc::new(make(&ws))),
        ws: RwLock::new(Arc::new(ws)),
    });
    let router = Router::new()
        .route("/", get(page))
        .route("/api/status", get(status))
        .route("/api/gates", get(gates))
        .route("/api/runs", get(runs))
        .route("/api/releases/{version}", get(release))
        .with_state(live.clone());
    (router, live)
}

/// Every [`CHECK_EVERY`], re-make the snapshot when the inputs' fingerprint
/// changed or it is older than [`TTL`]. A changed policy file is re-read;
/// when it no longer parses, the old policy stays and the error is logged.
async fn refresh(live: Arc<Live>) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let l = live.clone();
        let done = tokio::task::spawn_blocking(move || {
            let ws = l.ws.read().map(|w| w.clone()).ok()?;
            let old = l.current.read().map(|c| c.clone()).ok()?;
            let now = readiness::fingerprint(&ws);
            if now == old.fingerprint && old.made.elapsed() < TTL {
                return None;
            }
            let ws = match &ws.policy_path {
                Some(_) if now != old.fingerprint => {
                    match Workspace::discover(Some(&ws.root), &ws.root) {
                        Ok(fresh) => {
                            let fresh = Arc::new(fresh);
                            if let Ok(mut w) = l.ws.write() {
                                *w = fresh.clone();
                            }
                            fresh
                        }
                        Err(e) => {
                            eprintln!("policy not reloaded: {e}");
                            ws
                        }
                    }
                }
                _ => ws,
            };
            Some(make(&ws))
        })
        .await;
        if let Ok(Some(next)) = done {
            if let Ok(mut c) = live.current.write() {
                *c = Arc::new(next);
            }
        }
    }
}

/// Serve until SIGTERM or Ctrl-C. Prints `listening on http://ADDR` once bound.
pub fn run(opts: ServeOptions) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    rt.block_on(serve(opts))
}

async fn serve(opts: ServeOptions) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|e| Error::io(opts.addr.to_string(), e))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io(opts.addr.to_string(), e))?;
    if !local.ip().is_loopback() {
        eprintln!("warning: serving on {local}, which is reachable from other machines");
    }
    if opts.schedule {
        let when = opts
            .workspace
            .policy
            .verify
            .schedule
            .clone()
            .ok_or_else(|| Error::Usage("--schedule: the policy has no verify.schedule".into()))?;
        let schedule = tollgate::schedule::Schedule::parse(&when)
            .map_err(|m| Error::Usage(format!("verify.schedule: {m}")))?;
        tokio::spawn(scheduler(opts.workspace.clone(), schedule));
    }
    let (app, live) = router(opts.workspace);
    tokio::spawn(refresh(live));
    println!("listening on http://{local}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| Error::io(local.to_string(), e))?;
    println!("shut down");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Run the verification at each scheduled time (the lock keeps it from
/// overlapping a run started elsewhere).
async fn scheduler(ws: Workspace, schedule: tollgate::schedule::Schedule) {
    let ws = Arc::new(ws);
    loop {
        let now = chrono::Local::now();
        let Some(next) = schedule.next_after(now) else {
            eprintln!(
                "schedule {}: no next occurrence; the scheduler stops",
                schedule.cron
            );
            return;
        };
        let wait = (next - now).to_std().unwrap_or_default();
        println!("next scheduled verification at {next}");
        tokio::time::sleep(wait).await;
        let ws = ws.clone();
        let done =
            tokio::task::spawn_blocking(move || tollgate::verification::run(&ws, true)).await;
        match done {
            Ok(Ok(tollgate::verification::Started::Ran(r))) => {
                println!(
                    "scheduled verification {}: {}",
                    r.summary.timestamp,
                    tollgate::finding::words::run_status::word(r.summary.status)
                )
            }
            Ok(Ok(tollgate::verification::Started::AlreadyRunning { .. })) => {
                println!("scheduled verification skipped: another run holds the lock")
            }
            Ok(Ok(tollgate::verification::Started::Stuck {
                lock,
                holder,
                max_duration,
            })) => eprintln!(
                "scheduled verification failed: {}",
                tollgate::report::output::stuck(&lock, &holder, &max_duration)
            ),
            Ok(Err(e)) => eprintln!("scheduled verification failed: {e}"),
            Err(e) => eprintln!("scheduled verification panicked: {e}"),
        }
    }
}

fn error(code: StatusCode, message: String) -> Response {
    (code, Json(ErrorResponse { error: message })).into_response()
}

/// Answer from the current snapshot, or 500 with why there is none.
fn answer(live: &Live, f: impl FnOnce(&Snapshot, &str) -> Response) -> Response {
    let current = match live.current.read() {
        Ok(c) => c.clone(),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "poisoned".into()),
    };
    match &current.snapshot {
        Ok((s, html)) => f(s, html),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.clone()),
    }
}

async fn page(State(live): State<State_>) -> Response {
    answer(&live, |_, html| Html(html.to_string()).into_response())
}

async fn status(State(live): State<State_>) -> Response {
    answer(&live, |s, _| Json(s.status()).into_response())
}

async fn gates(State(live): State<State_>) -> Response {
    answer(&live, |s, _| Json(s.gates()).into_response())
}

async fn runs(State(live): State<State_>) -> Response {
    answer(&live, |s, _| Json(s.runs()).into_response())
}

async fn release(State(live): State<State_>, Path(version): Path<String>) -> Response {
    answer(&live, |s, _| match s.release(&version) {
        Some(r) => Json(r).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no release {version}")),
    })
}
