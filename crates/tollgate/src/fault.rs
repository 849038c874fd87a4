//! Test-only kill points. With `TOLLGATE_FAULT=<point>` in its environment
//! the process kills itself (SIGKILL, as a crash or `kill -9` would) on
//! reaching that point, so tests can force a crash exactly between two
//! steps that must survive one. Unset, a point costs one lookup.

/// Die here if `TOLLGATE_FAULT` names `point`.
pub fn point(point: &str) {
    if std::env::var_os("TOLLGATE_FAULT").is_some_and(|v| v == point) {
        #[cfg(unix)]
        // SAFETY: kill(2) of this very process; no memory is involved.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}
