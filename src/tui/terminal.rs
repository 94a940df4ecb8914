//! The terminal loop. Generic over ratatui's `Backend` so tests drive it on
//! a `TestBackend`. It draws only when something changed (an idle session
//! writes nothing). Bracketed paste is on: a paste arrives as one piece of
//! text, never as keys that could run commands. Each frame is wrapped in synchronized output and goes
//! through one buffered write. The terminal is restored on exit, on error,
//! on panic, and on SIGHUP/SIGTERM; a closed input (a dropped SSH
//! connection) ends the session, which releases the database. A field
//! written in `$VISUAL`/`$EDITOR` leaves the screen to the editor and takes
//! it back after, as git does (`editor.rs`).

use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{cursor, execute, queue, terminal as ct};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};

use super::app::App;
use super::editor::{self, Gate};
use super::links::LinkBackend;
use super::views;

/// What the loop reacts to.
#[derive(Debug)]
pub enum Input {
    Key(event::KeyEvent),
    /// Text the terminal says was pasted (bracketed paste).
    Paste(String),
    Resize,
    /// The terminal's input is gone (EOF or error): the session is over.
    Closed,
    /// SIGHUP, SIGTERM, SIGINT or SIGQUIT arrived.
    Signal,
    /// The server pushed something (other sessions' changes).
    Remote,
}

/// Hands a field's text to the user's editor: the new text, `None` when
/// it came back unchanged, or why the editor failed.
pub type EditText<'a, B> = dyn FnMut(&mut Terminal<B>, &str) -> Result<Option<String>, String> + 'a;

/// Runs until the app quits, the input closes or a signal arrives.
/// `frame_edges` is called with `true` before and `false` after each draw.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    inputs: &Receiver<Input>,
    mut frame_edges: impl FnMut(&mut B, bool) -> io::Result<()>,
    edit: &mut EditText<B>,
) -> io::Result<()> {
    let mut loaded = false;
    loop {
        if app.quit {
            return Ok(());
        }
        if let Some(text) = app.editor.take() {
            let result = edit(terminal, &text);
            app.edited(result);
        }
        if app.dirty {
            frame_edges(terminal.backend_mut(), true)?;
            terminal
                .draw(|f| views::draw(f, app))
                .map_err(|e| io::Error::other(e.to_string()))?;
            frame_edges(terminal.backend_mut(), false)?;
            app.dirty = false;
            // The first frame is up: finish what it did not need, then show it.
            if app.finish_loading() {
                continue;
            }
            if !loaded {
                // Loading freed about as much as the session keeps.
                loaded = true;
                crate::memory::give_back();
            }
        }
        match inputs.recv() {
            Ok(Input::Key(k)) if k.kind != KeyEventKind::Release => app.key(k),
            Ok(Input::Key(_)) => {}
            Ok(Input::Paste(text)) => app.paste(&text),
            Ok(Input::Resize) => {
                terminal.autoresize().map_err(|e| io::Error::other(e.to_string()))?;
                app.dirty = true;
            }
            Ok(Input::Remote) => app.remote_events(),
            Ok(Input::Closed | Input::Signal) | Err(_) => return Ok(()),
        }
    }
}

fn restore() {
    let _ = ct::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        ct::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

/// Puts the terminal back however the session ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Reads the terminal's events on a thread of its own; it stops reading
/// while the gate is closed (an editor has the terminal).
fn spawn_input(tx: Sender<Input>, gate: Arc<Gate>) {
    std::thread::spawn(move || {
        loop {
            gate.wait_open();
            let input = match event::poll(editor::POLL) {
                Ok(false) => continue,
                Ok(true) => match event::read() {
                    Ok(Event::Key(k)) => Input::Key(k),
                    Ok(Event::Paste(text)) => Input::Paste(text),
                    Ok(Event::Resize(..)) => Input::Resize,
                    Ok(_) => continue,
                    Err(_) => Input::Closed,
                },
                Err(_) => Input::Closed,
            };
            let closed = matches!(input, Input::Closed);
            if tx.send(input).is_err() || closed {
                return;
            }
        }
    });
}

fn spawn_signals(tx: Sender<Input>) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT, SIGQUIT])?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let _ = (sig, tx.send(Input::Signal));
        }
    });
    Ok(())
}

/// Runs the app on the real terminal.
pub fn run(app: &mut App) -> io::Result<()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let (tx, rx) = mpsc::channel();
    spawn_signals(tx.clone())?;
    let wake = std::sync::Mutex::new(tx.clone());
    app.set_waker(std::sync::Arc::new(move || {
        if let Ok(tx) = wake.lock() {
            let _ = tx.send(Input::Remote);
        }
    }));
    ct::enable_raw_mode()?;
    let _guard = Guard;
    // A plain clear: ratatui's `clear` asks the terminal for the cursor
    // position, and the input thread would swallow the answer.
    execute!(
        io::stdout(),
        ct::EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide,
        ct::Clear(ct::ClearType::All)
    )?;
    let gate = Arc::new(Gate::default());
    spawn_input(tx, gate.clone());
    let backend = LinkBackend::new(
        CrosstermBackend::new(BufWriter::with_capacity(1 << 16, io::stdout())),
        app.links.placed(),
    );
    let mut terminal = Terminal::new(backend).map_err(|e| io::Error::other(e.to_string()))?;
    let mut edit = |terminal: &mut Terminal<_>, text: &str| {
        gate.close();
        let result = editor::edit_outside(&editor::command(), text, leave, enter);
        gate.open();
        // The editor drew over everything: draw every cell again.
        let _ = terminal.clear();
        result
    };
    run_loop(&mut terminal, app, &rx, sync_edges, &mut edit)
}

/// Gives the terminal back as the shell had it (for the editor).
fn leave() {
    restore();
}

/// Takes the terminal again after the editor.
fn enter() {
    let _ = ct::enable_raw_mode();
    let _ = execute!(
        io::stdout(),
        ct::EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide,
        ct::Clear(ct::ClearType::All)
    );
}

/// Synchronized output around a frame: the terminal shows it all at once.
pub fn sync_edges<W: Write>(backend: &mut W, begin: bool) -> io::Result<()> {
    if begin {
        queue!(backend, BeginSynchronizedUpdate)
    } else {
        queue!(backend, EndSynchronizedUpdate)?;
        Write::flush(backend)
    }
}
