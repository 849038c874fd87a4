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
use serde_json::{json, Value};
use tollgate::error::{Error, Result};
use tollgate::policy::Workspace;

/// What to serve.
pub struct ServeOptions {
    pub workspace: Workspace,
    pub addr: SocketAddr,
    /// Run `verify --scheduled` on the policy's `verify.schedule`.
    pub schedule: bool,
}

type Ws = Arc<Workspace>;

/// The routes: `/`, `/api/status`, `/api/gates`, `/api/runs`, `/api/releases/{version}`.
pub fn router(ws: Workspace) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/status", get(status))
        .route("/api/gates", get(gates))
        .route("/api/runs", get(runs))
        .route("/api/releases/{version}", get(release))
        .with_state(Arc::new(ws))
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
    println!("listening on http://{local}");
    axum::serve(listener, router(opts.workspace))
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
                    r.summary.timestamp, r.summary.status
                )
            }
            Ok(Ok(tollgate::verification::Started::AlreadyRunning { .. })) => {
                println!("scheduled verification skipped: another run holds the lock")
            }
            Ok(Err(e)) => eprintln!("scheduled verification failed: {e}"),
            Err(e) => eprintln!("scheduled verification panicked: {e}"),
        }
    }
}

/// Run blocking library work off the async threads; errors become 500s.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> std::result::Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

fn error(code: StatusCode, message: String) -> Response {
    (code, Json(json!({ "error": message }))).into_response()
}

async fn dashboard(ws: Ws) -> std::result::Result<tollgate::dashboard::Dashboard, Response> {
    blocking(move || tollgate::dashboard::build(&ws)).await
}

async fn page(State(ws): State<Ws>) -> Response {
    let d = match dashboard(ws).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    match tollgate::dashboard::render(&d) {
        Ok(html) => Html(html).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn status(State(ws): State<Ws>) -> Response {
    match dashboard(ws).await {
        Ok(d) => Json(json!({
            "generated_at": d.generated_at,
            "verdict": d.verdict,
            "counts": d.counts,
            "reasons": d.reasons,
            "latest_run": d.runs.first(),
            "latest_release": d.releases.first(),
        }))
        .into_response(),
        Err(r) => r,
    }
}

async fn gates(State(ws): State<Ws>) -> Response {
    match dashboard(ws).await {
        Ok(d) => {
            Json(json!({ "generated_at": d.generated_at, "gates": d.gates, "trends": d.trends }))
                .into_response()
        }
        Err(r) => r,
    }
}

async fn runs(State(ws): State<Ws>) -> Response {
    match dashboard(ws).await {
        Ok(d) => Json(json!({ "runs": d.runs, "releases": d.releases })).into_response(),
        Err(r) => r,
    }
}

async fn release(State(ws): State<Ws>, Path(version): Path<String>) -> Response {
    let v = version.clone();
    let known = ws
        .path(&ws.policy.paths.release_evidence)
        .join(&version)
        .is_dir();
    if tollgate::release::check_version(&version).is_err() || !known {
        return error(StatusCode::NOT_FOUND, format!("no release {version}"));
    }
    match blocking(move || tollgate::release::status::status(&ws, &v)).await {
        Ok(st) => {
            let verifies = st.verifies();
            let mut body: Value = json!({ "verifies": verifies, "status": st });
            body["verdict"] = json!(tollgate::finding::Verdict::of(&st.findings));
            Json(body).into_response()
        }
        Err(r) => r,
    }
}
