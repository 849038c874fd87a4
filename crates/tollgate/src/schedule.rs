//! Scheduled verification (SPEC §4): a daily `HH:MM` or a cron expression,
//! rendered as a crontab line and as a systemd service plus timer that run
//! `tollgate verify --scheduled`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result as TgResult};

/// A validated schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Five-field cron expression.
    pub cron: String,
    /// systemd `OnCalendar=` value, or why the expression has none.
    pub on_calendar: Result<String, String>,
}

impl Schedule {
    /// `HH:MM` (daily) or a five-field cron expression.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let s = s.trim();
        if let Some((h, m)) = s.split_once(':') {
            let (h, m): (u32, u32) = match (h.parse(), m.parse()) {
                (Ok(h), Ok(m)) if h < 24 && m < 60 && h_m_shape(s) => (h, m),
                _ => return Err(format!("'{s}' is not a time of day HH:MM (00:00 to 23:59)")),
            };
            return Ok(Schedule {
                cron: format!("{m} {h} * * *"),
                on_calendar: Ok(format!("*-*-* {h:02}:{m:02}:00")),
            });
        }
        let fields: Vec<&str> = s.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "'{s}' has {} field(s); a cron expression has 5: minute hour day-of-month month day-of-week",
                fields.len()
            ));
        }
        croner::Cron::from_str(s)
            .map_err(|e| format!("'{s}' is not a valid cron expression: {e}"))?;
        Ok(Schedule {
            cron: fields.join(" "),
            on_calendar: on_calendar(&fields),
        })
    }

    /// The first time after `t` (local time) the schedule fires.
    pub fn next_after(
        &self,
        t: chrono::DateTime<chrono::Local>,
    ) -> Option<chrono::DateTime<chrono::Local>> {
        croner::Cron::from_str(&self.cron)
            .ok()?
            .find_next_occurrence(&t, false)
            .ok()
    }

    /// A unit name unique to the workspace, so several workspaces can be scheduled.
    pub fn unit_name(workspace: &Path) -> String {
        let digest = crate::digest::sha256_hex(workspace.to_string_lossy().as_bytes());
        format!("tollgate-verify-{}", &digest[..8])
    }

    /// The crontab line, tagged with the unit name so `install` can replace it.
    pub fn crontab_line(&self, exe: &Path, workspace: &Path) -> String {
        let ws = quote(workspace);
        let log = quote(&workspace.join(".tollgate").join("schedule.log"));
        format!(
            "{} cd {ws} && {} --workspace {ws} verify --scheduled >> {log} 2>&1 # {}",
            self.cron,
            quote(exe),
            Self::unit_name(workspace)
        )
    }

    /// The systemd service and timer unit texts.
    pub fn systemd_units(&self, exe: &Path, workspace: &Path) -> Result<(String, String), String> {
        let when = self.on_calendar.clone()?;
        let name = Self::unit_name(workspace);
        let ws = workspace.display();
        let service = format!(
            "[Unit]\nDescription=tollgate scheduled verification of {ws}\n\n[Service]\nType=oneshot\nWorkingDirectory={ws}\nExecStart=\"{}\" --workspace \"{ws}\" verify --scheduled\n",
            exe.display()
        );
        let timer = format!(
            "[Unit]\nDescription=Run {name}.service on schedule ({})\n\n[Timer]\nOnCalendar={when}\nPersistent=true\nUnit={name}.service\n\n[Install]\nWantedBy=timers.target\n",
            self.cron
        );
        Ok((service, timer))
    }
}

fn h_m_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
}

/// Single-quote for a POSIX shell.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

const DAYS: [&str; 8] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// A cron expression as systemd `OnCalendar=`, where systemd can say the same.
fn on_calendar(f: &[&str]) -> Result<String, String> {
    let [minute, hour, dom, month, dow] = [f[0], f[1], f[2], f[3], f[4]];
    if dom != "*" && dow != "*" {
        return Err("cron runs when day-of-month OR day-of-week matches; systemd cannot say that, so use the crontab line".into());
    }
    let minute = field(minute, "0", |v| v.parse().ok())?;
    let hour = field(hour, "0", |v| v.parse().ok())?;
    let dom = field(dom, "1", |v| v.parse().ok())?;
    let month = field(month, "1", |v| {
        v.parse().ok().or_else(|| {
            MONTHS
                .iter()
                .position(|m| m.eq_ignore_ascii_case(v))
                .map(|i| i as u32 + 1)
        })
    })?;
    let dow = if dow == "*" {
        String::new()
    } else {
        let day = |v: &str| -> Result<&str, String> {
            v.parse::<usize>()
                .ok()
                .and_then(|n| DAYS.get(n).copied())
                .or_else(|| DAYS.iter().find(|d| d.eq_ignore_ascii_case(v)).copied())
                .ok_or_else(|| format!("day of week '{v}' is not 0-7 or a day name"))
        };
        let parts = dow
            .split(',')
            .map(|p| match p.split_once('-') {
                Some((a, b)) => Ok(format!("{}..{}", day(a)?, day(b)?)),
                None if p.contains('/') || p == "*" => {
                    Err(format!("day of week '{p}' cannot be expressed for systemd"))
                }
                None => day(p).map(str::to_string),
            })
            .collect::<Result<Vec<_>, _>>()?;
        format!("{} ", parts.join(","))
    };
    Ok(format!("{dow}*-{month}-{dom} {hour}:{minute}:00"))
}

/// One numeric cron field in systemd syntax: `*`, `*/n` -> `start/n`,
/// `a-b` -> `a..b`, lists kept; `value` reads one value (numbers or names).
fn field(f: &str, start: &str, value: impl Fn(&str) -> Option<u32>) -> Result<String, String> {
    let item = |p: &str| -> Result<String, String> {
        let num = |v: &str| value(v).ok_or_else(|| format!("'{v}' is not a value systemd can use"));
        if p == "*" {
            return Ok("*".into());
        }
        if let Some(step) = p.strip_prefix("*/") {
            return Ok(format!("{start}/{}", num(step)?));
        }
        if p.contains('/') {
            return Err(format!(
                "'{p}': a stepped range cannot be expressed for systemd"
            ));
        }
        match p.split_once('-') {
            Some((a, b)) => Ok(format!("{:02}..{:02}", num(a)?, num(b)?)),
            None => Ok(format!("{:02}", num(p)?)),
        }
    };
    Ok(f.split(',')
        .map(item)
        .collect::<Result<Vec<_>, _>>()?
        .join(","))
}

/// Write the systemd units of `s` for `exe` running in `root` to `unit_dir`,
/// or to `~/.config/systemd/user` and enable the timer there. Returns the
/// unit files and whether the timer was enabled.
pub fn install_units(
    s: &Schedule,
    exe: &Path,
    root: &Path,
    unit_dir: Option<PathBuf>,
) -> TgResult<(Vec<PathBuf>, bool)> {
    let (service, timer) = s
        .systemd_units(exe, root)
        .map_err(|m| Error::Usage(format!("{m}; use --crontab")))?;
    let enable = unit_dir.is_none();
    let dir = match unit_dir {
        Some(d) => d,
        None => std::env::var_os("HOME")
            .map(|h| Path::new(&h).join(".config/systemd/user"))
            .ok_or_else(|| Error::Usage("HOME is not set; give --unit-dir".into()))?,
    };
    let name = Schedule::unit_name(root);
    let files = vec![
        dir.join(format!("{name}.service")),
        dir.join(format!("{name}.timer")),
    ];
    crate::record::atomic::write_file(&files[0], service.as_bytes())?;
    crate::record::atomic::write_file(&files[1], timer.as_bytes())?;
    if enable {
        for args in [
            vec!["--user", "daemon-reload"],
            vec!["--user", "enable", "--now", &format!("{name}.timer")],
        ] {
            let ok = std::process::Command::new("systemctl")
                .args(&args)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ok {
                return Err(Error::Usage(format!(
                    "wrote {} and {}, but `systemctl {}` failed; enable the timer by hand or use --crontab",
                    files[0].display(),
                    files[1].display(),
                    args.join(" ")
                )));
            }
        }
    }
    Ok((files, enable))
}

/// Replace `root`'s line in the user's crontab with the one for `s`.
pub fn install_crontab(s: &Schedule, exe: &Path, root: &Path) -> TgResult<()> {
    use std::io::Write;
    let tag = Schedule::unit_name(root);
    let current = std::process::Command::new("crontab")
        .arg("-l")
        .output()
        .map_err(|e| Error::io("crontab", e))?;
    let mut table: String = String::from_utf8_lossy(&current.stdout)
        .lines()
        .filter(|l| !l.ends_with(&format!("# {tag}")))
        .map(|l| format!("{l}\n"))
        .collect();
    table.push_str(&s.crontab_line(exe, root));
    table.push('\n');
    let mut child = std::process::Command::new("crontab")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("crontab", e))?;
    if let Some(stdin) = child.stdin.as_mut() {
        stdin
            .write_all(table.as_bytes())
            .map_err(|e| Error::io("crontab", e))?;
    }
    let status = child.wait().map_err(|e| Error::io("crontab", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Usage(format!("crontab - exited with {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_time() {
        let s = Schedule::parse("03:00").unwrap();
        assert_eq!(s.cron, "0 3 * * *");
        assert_eq!(s.on_calendar.unwrap(), "*-*-* 03:00:00");
        for bad in ["24:00", "3:00", "03:60", "ab:cd", "03:0x"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_occurrence() {
        use chrono::TimeZone;
        let s = Schedule::parse("03:00").unwrap();
        let t = chrono::Local
            .with_ymd_and_hms(2026, 11, 24, 4, 0, 0)
            .unwrap();
        let next = s.next_after(t).unwrap();
        assert_eq!(
            next.format("%Y-%m-%d %H:%M").to_string(),
            "2026-11-25 03:00"
        );
    }

    #[test]
    fn cron_expressions() {
        let s = Schedule::parse("*/15 8-18 * * 1-5").unwrap();
        assert_eq!(s.on_calendar.unwrap(), "Mon..Fri *-*-* 08..18:0/15:00");
        let s = Schedule::parse("30 2 1 jan,jul *").unwrap();
        assert_eq!(s.on_calendar.unwrap(), "*-01,07-01 02:30:00");
        let s = Schedule::parse("0 3 1 * 1").unwrap();
        assert!(s.on_calendar.is_err(), "day-of-month OR day-of-week");
        for bad in [
            "0 3 * *",
            "61 3 * * *",
            "0 25 * * *",
            "0 3 * * * *",
            "x y z w v",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn units_and_crontab_quote_paths() {
        let s = Schedule::parse("03:00").unwrap();
        let ws = Path::new("/srv/it's here");
        let line = s.crontab_line(Path::new("/usr/bin/tollgate"), ws);
        assert!(
            line.starts_with(
                "0 3 * * * cd '/srv/it'\\''s here' && '/usr/bin/tollgate' --workspace"
            ),
            "{line}"
        );
        assert!(line.ends_with(&Schedule::unit_name(ws)));
        let (service, timer) = s.systemd_units(Path::new("/usr/bin/tollgate"), ws).unwrap();
        assert!(service.contains("verify --scheduled"));
        assert!(timer.contains("OnCalendar=*-*-* 03:00:00"));
    }
}
