//! Running the policy's `[[verify.step]]` commands: each by the shell, in the
//! workspace root, with a timeout, its output appended to the transcript.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::policy::{parse_duration, StepPolicy};

/// How one step ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepResult {
    pub name: String,
    pub command: String,
    /// `None` when the step could not start or was killed.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_seconds: f64,
    /// `Pass` or `Fail`.
    pub status: String,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Run `step` in `cwd`, appending a header, its output and a footer to
/// `transcript`. It is killed at its own timeout or at `deadline` (the end
/// of the whole run's time), whichever comes first.
pub fn run(step: &StepPolicy, cwd: &Path, transcript: &mut File, deadline: Instant) -> StepResult {
    let own = parse_duration(&step.timeout).unwrap_or(Duration::from_secs(1800));
    let timeout = own.min(deadline.saturating_duration_since(Instant::now()));
    let _ = writeln!(transcript, "=== step '{}': {}", step.name, step.run);
    let _ = transcript.flush();
    let start = Instant::now();
    let (exit_code, timed_out, error) = match spawn(&step.run, cwd, transcript) {
        Ok(mut child) => wait(&mut child, timeout, own),
        Err(e) => (None, false, Some(format!("could not start: {e}"))),
    };
    let duration = start.elapsed().as_secs_f64();
    let error = error.or_else(|| match exit_code {
        Some(0) => None,
        Some(c) => Some(format!("exited with code {c}")),
        None => Some("ended without an exit code".into()),
    });
    let _ = writeln!(
        transcript,
        "=== step '{}' {} after {duration:.3}s",
        step.name,
        error.as_deref().unwrap_or("passed")
    );
    StepResult {
        name: step.name.clone(),
        command: step.run.clone(),
        exit_code,
        timed_out,
        duration_seconds: (duration * 1000.0).round() / 1000.0,
        status: if error.is_none() { "Pass" } else { "Fail" }.into(),
        error,
    }
}

fn spawn(cmd: &str, cwd: &Path, transcript: &File) -> std::io::Result<std::process::Child> {
    let mut c = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", cmd]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", cmd]);
        c
    };
    c.current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(transcript.try_clone()?)
        .stderr(transcript.try_clone()?);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c.spawn()
}

/// Wait for `child`, killing its whole process group after `timeout` (the
/// step's `own` timeout, or less when the run's time runs out first).
fn wait(
    child: &mut std::process::Child,
    timeout: Duration,
    own: Duration,
) -> (Option<i32>, bool, Option<String>) {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (status.code(), false, None),
            Ok(None) if start.elapsed() >= timeout => {
                kill_group(child);
                let _ = child.wait();
                let msg = if timeout < own {
                    format!(
                        "was killed after {}s: the run reached verify.max_duration",
                        timeout.as_secs()
                    )
                } else {
                    format!("timed out after {}s and was killed", timeout.as_secs())
                };
                return (None, true, Some(msg));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return (None, false, Some(format!("could not wait for it: {e}"))),
        }
    }
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    // SAFETY: kill(2) with a negative pid signals the step's own process
    // group, which `spawn` created for it; no memory is involved.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(run: &str, timeout: &str) -> StepPolicy {
        StepPolicy {
            name: "s".into(),
            run: run.into(),
            timeout: timeout.into(),
        }
    }

    #[test]
    fn exit_codes_output_and_timeouts() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("t.log");
        let mut f = File::create(&log).unwrap();
        let later = Instant::now() + Duration::from_secs(3600);
        let ok = run(
            &step("echo hello; echo oops >&2", "10s"),
            tmp.path(),
            &mut f,
            later,
        );
        assert_eq!((ok.exit_code, ok.status.as_str()), (Some(0), "Pass"));
        let bad = run(&step("exit 3", "10s"), tmp.path(), &mut f, later);
        assert_eq!(bad.exit_code, Some(3));
        assert_eq!(bad.error.as_deref(), Some("exited with code 3"));
        let t0 = Instant::now();
        let slow = run(
            &step("sleep 30 & sleep 30", "1s"),
            tmp.path(),
            &mut f,
            later,
        );
        assert!(slow.timed_out && slow.status == "Fail");
        assert!(t0.elapsed() < Duration::from_secs(10));
        // The run's deadline cuts a step's own (longer) timeout short.
        let t0 = Instant::now();
        let cut = run(
            &step("sleep 30", "10m"),
            tmp.path(),
            &mut f,
            Instant::now() + Duration::from_secs(1),
        );
        assert!(cut.timed_out && t0.elapsed() < Duration::from_secs(10));
        assert!(
            cut.error
                .as_deref()
                .unwrap()
                .contains("verify.max_duration"),
            "{cut:?}"
        );
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("hello\noops\n"), "{text}");
        assert!(text.contains("=== step 's' exited with code 3"), "{text}");
    }
}
