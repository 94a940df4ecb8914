//! Writing a field in the user's editor, as git does: `$VISUAL`, else
//! `$EDITOR`, else `vi`, run by `sh -c` (so `code --wait` or `vim -u NONE`
//! work) on a private temporary file. The interface gives the terminal
//! back before and takes it again after; its input thread stops reading
//! meanwhile (`Gate`), so no key meant for the editor reaches the app.
//! An editor that fails, or leaves the text as it was, changes nothing.

use std::io::Write;
use std::process::Command;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long the input thread waits for an event before it looks at the
/// gate again (the most an editor waits to start).
pub const POLL: Duration = Duration::from_millis(100);

/// Whether the input thread may read the terminal.
#[derive(Default)]
pub struct Gate {
    /// (closed, the reader is parked).
    state: Mutex<(bool, bool)>,
    changed: Condvar,
}

impl Gate {
    /// Stops the reader and waits until it is parked (at most a poll).
    pub fn close(&self) {
        let Ok(mut s) = self.state.lock() else { return };
        s.0 = true;
        while !s.1 {
            match self.changed.wait_timeout(s, POLL * 5) {
                Ok((guard, timeout)) => {
                    s = guard;
                    if timeout.timed_out() {
                        // The reader is gone (input closed): nothing reads.
                        break;
                    }
                }
                Err(_) => return,
            }
        }
    }

    pub fn open(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = false;
            self.changed.notify_all();
        }
    }

    /// The reader's side: parks while the gate is closed.
    pub fn wait_open(&self) {
        let Ok(mut s) = self.state.lock() else { return };
        while s.0 {
            s.1 = true;
            self.changed.notify_all();
            match self.changed.wait(s) {
                Ok(guard) => s = guard,
                Err(_) => return,
            }
        }
        s.1 = false;
    }
}

/// The editor's command line: `$VISUAL`, else `$EDITOR`, else `vi`.
pub fn command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Runs `editor` (a shell command line) on `text` with the terminal handed
/// over: `leave` gives it back to the shell, `enter` takes it again (called
/// whatever happens). The new text, `None` when unchanged, or why the
/// editor failed.
pub fn edit_outside(
    editor: &str,
    text: &str,
    leave: impl FnOnce(),
    enter: impl FnOnce(),
) -> Result<Option<String>, String> {
    let mut file = tempfile::Builder::new()
        .prefix("rapport-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("cannot make a file for the editor: {e}"))?;
    let mut written = text.to_string();
    if !written.is_empty() && !written.ends_with('\n') {
        written.push('\n');
    }
    file.write_all(written.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write the file for the editor: {e}"))?;
    leave();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("rapport-editor")
        .arg(file.path())
        .status();
    enter();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(format!("the editor ({editor}) failed ({s})")),
        Err(e) => return Err(format!("cannot run the editor ({editor}): {e}")),
    }
    let back = std::fs::read_to_string(file.path()).map_err(|e| format!("cannot read what the editor wrote: {e}"))?;
    let back = back.trim_end_matches('\n');
    if back == text.trim_end_matches('\n') {
        Ok(None)
    } else {
        Ok(Some(back.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A script as the editor: what it writes comes back; a failing or
    /// idle one changes nothing; the terminal is handed back either way.
    #[test]
    fn the_editor_writes_fails_or_leaves_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let script = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            let mut perm = std::fs::metadata(&p).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
            std::fs::set_permissions(&p, perm).unwrap();
            p.display().to_string()
        };
        let writes = script("writes.sh", "printf 'Likes calls before 10\\nVIP\\n' > \"$1\"");
        let fails = script("fails.sh", "echo nope > \"$1\"; exit 3");
        let idle = script("idle.sh", "true");
        let run = |editor: &str, text: &str| {
            let (mut left, mut entered) = (false, false);
            let r = edit_outside(editor, text, || left = true, || entered = true);
            assert!(left && entered, "the terminal is handed over and taken back");
            r
        };
        assert_eq!(run(&writes, "old"), Ok(Some("Likes calls before 10\nVIP".into())));
        assert!(run(&fails, "old").unwrap_err().contains("failed"));
        assert_eq!(run(&idle, "kept\nas is"), Ok(None));
        assert!(run("/nonexistent/editor", "x").is_err());
    }

    #[test]
    fn a_closed_gate_parks_the_reader_until_it_opens() {
        let gate = Arc::new(Gate::default());
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (g, r) = (gate.clone(), reads.clone());
        let reader = std::thread::spawn(move || {
            for _ in 0..50 {
                g.wait_open();
                r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        std::thread::sleep(Duration::from_millis(10));
        gate.close();
        let parked = reads.load(std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            reads.load(std::sync::atomic::Ordering::SeqCst),
            parked,
            "read while closed"
        );
        gate.open();
        reader.join().unwrap();
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 50);
    }
}
