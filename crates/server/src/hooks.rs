//! Scripting hooks: executables in `$XDG_CONFIG_HOME/rapport/hooks/`,
//! named after an event (`contact-logged`, `offer-moved`, `offer-won`,
//! `ticket-opened`, `survey-recorded`, `client-created`), run after the
//! command was committed, with the event as JSON on stdin. Each runs on a
//! thread of its own with a timeout, never inside the write path and never
//! holding up the interface. A hook that fails is written to the log and
//! said once per session. Only a directory and files of the user's own,
//! that nobody else can write, are run.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::model::Change;
use crate::write::{Command, Event};

/// How long a hook may run before it is stopped.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The hook names of a command that was applied as `event`.
pub fn names(cmd: &Command, event: &Event) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut add = |n: &'static str| {
        if !out.contains(&n) {
            out.push(n);
        }
    };
    let mut commands = vec![cmd];
    while let Some(c) = commands.pop() {
        match c {
            Command::Batch { commands: inner, .. } => commands.extend(inner.iter()),
            Command::LogContact { .. } => add("contact-logged"),
            Command::MoveOffer(m) => {
                add("offer-moved");
                if m.to == crate::domain::OfferStage::Won {
                    add("offer-won");
                }
            }
            Command::OpenTicket { .. } => add("ticket-opened"),
            Command::RecordSurvey { .. } => add("survey-recorded"),
            Command::AddClient { .. } => add("client-created"),
            _ => {}
        }
    }
    // A low survey score opens a ticket by itself.
    if event
        .changes
        .iter()
        .any(|c| matches!(c, Change::Ticket(t) if t.history.is_empty() && t.seq == event.seq))
    {
        add("ticket-opened");
    }
    out
}

/// The hooks of one session: where they are, the runs still going, and
/// what failed.
pub struct Hooks {
    dir: Option<PathBuf>,
    log: Option<PathBuf>,
    timeout: Duration,
    running: Vec<JoinHandle<()>>,
    failures: Arc<Mutex<Vec<String>>>,
    /// Hooks whose failure was already said.
    said: BTreeSet<String>,
}

impl Hooks {
    /// The user's hooks: `$XDG_CONFIG_HOME/rapport/hooks`, logged to
    /// `$XDG_DATA_HOME/rapport/hooks.log`.
    pub fn for_user() -> Hooks {
        let dirs = directories_of_user();
        Hooks::new(dirs.0, dirs.1, TIMEOUT)
    }

    pub fn new(dir: Option<PathBuf>, log: Option<PathBuf>, timeout: Duration) -> Hooks {
        Hooks {
            dir,
            log,
            timeout,
            running: Vec::new(),
            failures: Arc::new(Mutex::new(Vec::new())),
            said: BTreeSet::new(),
        }
    }

    /// Whether there is a hooks directory at all.
    pub fn active(&self) -> bool {
        self.dir.as_ref().is_some_and(|d| d.is_dir())
    }

    /// Starts the hooks of `cmd`, applied as `event`, and returns at once.
    pub fn fire(&mut self, cmd: &Command, event: &Event) {
        let Some(dir) = self.dir.clone() else { return };
        if !dir.is_dir() {
            return;
        }
        self.running.retain(|h| !h.is_finished());
        let names = names(cmd, event);
        if names.is_empty() {
            return;
        }
        let json = match serde_json::to_vec(&serde_json::json!({
            "command": cmd.name(),
            "seq": event.seq,
            "who": event.who,
            "at": event.at,
            "summary": event.summary,
            "changes": event.changes,
        })) {
            Ok(j) => Arc::new(j),
            Err(_) => return,
        };
        for name in names {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let (json, failures, log, timeout) = (json.clone(), self.failures.clone(), self.log.clone(), self.timeout);
            self.running.push(std::thread::spawn(move || {
                if let Err(why) = run(&path, &json, timeout) {
                    let line = format!("hook {name}: {why}");
                    if let Some(log) = log {
                        append_log(&log, &line);
                    }
                    if let Ok(mut f) = failures.lock() {
                        f.push(format!("{name}\u{1}{line}"));
                    }
                }
            }));
        }
    }

    /// Failures not said yet, one per hook.
    pub fn take_failures(&mut self) -> Vec<String> {
        let new: Vec<String> = match self.failures.lock() {
            Ok(mut f) => f.drain(..).collect(),
            Err(_) => return Vec::new(),
        };
        let mut out = Vec::new();
        for f in new {
            let (name, line) = f.split_once('\u{1}').unwrap_or(("", f.as_str()));
            if self.said.insert(name.to_string()) {
                out.push(line.to_string());
            }
        }
        out
    }

    /// Waits for the hooks still running (each stops at its timeout).
    pub fn wait(&mut self) {
        for h in self.running.drain(..) {
            let _ = h.join();
        }
    }
}

/// A session's end waits for its hooks (each stops at its timeout) and
/// says the failures not said yet, on the standard error of the command.
impl Drop for Hooks {
    fn drop(&mut self) {
        self.wait();
        for failure in self.take_failures() {
            eprintln!("rapport: {failure}");
        }
    }
}

fn directories_of_user() -> (Option<PathBuf>, Option<PathBuf>) {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.as_ref().map(|h| h.join(".local/share")));
    (
        config.map(|c| c.join("rapport/hooks")),
        data.map(|d| d.join("rapport/hooks.log")),
    )
}

/// Nobody but the user (or root) owns or can write `path`.
fn trusted(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(format!("{} belongs to someone else: not run", path.display()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!("others can write {}: not run", path.display()));
    }
    Ok(())
}

/// Runs one hook with `json` on its stdin; stopped after `timeout`.
fn run(path: &Path, json: &[u8], timeout: Duration) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        trusted(dir)?;
    }
    trusted(path)?;
    let mut child = Process::new(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its input is not a failure.
        let _ = stdin.write_all(json);
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("ended with {status}")),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("stopped after {} s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn append_log(log: &Path, line: &str) {
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
        let _ = writeln!(f, "{} {line}", chrono::Local::now().format("%Y-%m-%d %H:%M:%S"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, name: &str, body: &str) {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    }

    fn event(seq: u64) -> Event {
        Event {
            seq,
            who: "amy".into(),
            at: chrono::NaiveDateTime::default(),
            summary: "log call with C1".into(),
            changes: Vec::new(),
        }
    }

    fn log_call() -> Command {
        Command::LogContact {
            client: crate::domain::ClientId(1),
            person: None,
            at: chrono::NaiveDateTime::default(),
            channel: crate::domain::Channel::Call,
            summary: "Called".into(),
            outcome: String::new(),
            next_contact: None,
        }
    }

    #[test]
    fn a_hook_gets_the_event_and_a_failing_one_is_said_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("hooks");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let out = tmp.path().join("got.json");
        script(&dir, "contact-logged", &format!("cat > {}", out.display()));
        let log = tmp.path().join("hooks.log");
        let mut hooks = Hooks::new(Some(dir.clone()), Some(log.clone()), Duration::from_secs(5));
        hooks.fire(&log_call(), &event(7));
        hooks.wait();
        let got: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(
            (got["command"].as_str(), got["seq"].as_u64()),
            (Some("log_contact"), Some(7))
        );
        assert!(hooks.take_failures().is_empty());

        // Failing, then hanging: logged each time, said once.
        script(&dir, "contact-logged", "exit 3");
        hooks.fire(&log_call(), &event(8));
        hooks.fire(&log_call(), &event(9));
        hooks.wait();
        let said = hooks.take_failures();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("contact-logged") && said[0].contains("exit status: 3"),
            "{said:?}"
        );
        let mut quick = Hooks::new(Some(dir.clone()), Some(log.clone()), Duration::from_millis(200));
        script(&dir, "contact-logged", "sleep 10");
        let start = Instant::now();
        quick.fire(&log_call(), &event(10));
        assert!(start.elapsed() < Duration::from_secs(1), "fire never waits");
        quick.wait();
        assert!(quick.take_failures()[0].contains("stopped after"));
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 3);

        // A hook others can write is not run.
        script(
            &dir,
            "contact-logged",
            &format!("touch {}", tmp.path().join("ran").display()),
        );
        std::fs::set_permissions(dir.join("contact-logged"), std::fs::Permissions::from_mode(0o777)).unwrap();
        let mut hooks = Hooks::new(Some(dir), None, Duration::from_secs(5));
        hooks.fire(&log_call(), &event(11));
        hooks.wait();
        assert!(!tmp.path().join("ran").exists());
        assert!(hooks.take_failures()[0].contains("others can write"));
    }

    #[test]
    fn commands_name_their_hooks() {
        let won = Command::MoveOffer(crate::write::OfferMove::new(
            crate::domain::ClientId(1),
            crate::domain::ProductId(1),
            crate::domain::OfferStage::Won,
            chrono::NaiveDate::default(),
        ));
        assert_eq!(names(&won, &event(1)), ["offer-moved", "offer-won"]);
        let batch = Command::Batch {
            label: "import".into(),
            commands: vec![log_call(), log_call()],
        };
        assert_eq!(names(&batch, &event(1)), ["contact-logged"]);
    }
}
