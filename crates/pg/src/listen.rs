//! Each process listens for the events others commit: a thread with its
//! own connection waits on `LISTEN`, and tells the session that something
//! arrived (the session then reads the events in order: a notification
//! only says when to look, so one lost while disconnected loses nothing).
//! The thread reconnects by itself and says so, since notifications may
//! have been missed meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use rapport_core::backend::Waker;

use crate::write::CHANNEL;

/// How often the thread checks whether the session is gone.
const TICK: Duration = Duration::from_millis(500);
/// How long it waits before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);
/// How often a session on a read replica looks for what was replayed.
const REPLICA_POLL: Duration = Duration::from_secs(1);

pub(crate) struct Listener {
    /// Each notification's sequence (its payload), or `None`: look anyway
    /// (the connection was made again, a replica's tick).
    signals: Receiver<Option<u64>>,
    stop: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
    /// Why the listening connection is down, while it is.
    down: Arc<Mutex<Option<String>>>,
}

impl Listener {
    pub(crate) fn start(config: postgres::Config) -> Listener {
        let (tx, signals) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let down = Arc::new(Mutex::new(None));
        let thread = Thread {
            config,
            tx,
            stop: stop.clone(),
            waker: waker.clone(),
            down: down.clone(),
        };
        // A listener that cannot start leaves the session working: it then
        // sees others' events when it next writes.
        let _ = std::thread::Builder::new()
            .name("rapport-pg-listen".into())
            .spawn(move || thread.run());
        Listener {
            signals,
            stop,
            waker,
            down,
        }
    }

    /// Whether anything arrived since last asked that a model at `seq`
    /// lacks: a process's own commits, and others' it caught up with while
    /// writing, are announced too and need no look.
    pub(crate) fn arrived_after(&self, seq: u64) -> bool {
        let mut any = false;
        while let Ok(signal) = self.signals.try_recv() {
            any |= signal.is_none_or(|announced| announced > seq);
        }
        any
    }

    pub(crate) fn set_waker(&self, waker: Waker) {
        *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(waker);
    }

    pub(crate) fn down(&self) -> Option<String> {
        self.down.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Thread {
    config: postgres::Config,
    tx: Sender<Option<u64>>,
    stop: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
    down: Arc<Mutex<Option<String>>>,
}

impl Thread {
    fn signal(&self, seq: Option<u64>) -> bool {
        if self.tx.send(seq).is_err() {
            return false;
        }
        if let Some(w) = self.waker.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            w();
        }
        true
    }

    fn set_down(&self, why: Option<String>) {
        *self.down.lock().unwrap_or_else(PoisonError::into_inner) = why;
    }

    /// Signals once a second while the replica answers; false when the
    /// session is gone.
    fn poll_replica(&self, client: &mut postgres::Client) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            if !self.signal(None) {
                return false;
            }
            std::thread::sleep(REPLICA_POLL);
            if let Err(e) = client.is_valid(RETRY) {
                self.set_down(Some(crate::message(&e)));
                return true;
            }
        }
    }

    fn run(self) {
        while !self.stop.load(Ordering::Relaxed) {
            let mut client = match crate::connect(&self.config) {
                Ok(c) => c,
                Err(e) => {
                    self.set_down(Some(e.to_string()));
                    std::thread::sleep(RETRY);
                    continue;
                }
            };
            // A replica cannot LISTEN (nothing is committed there): it is
            // looked at once a second instead.
            if client
                .query_one("SELECT pg_is_in_recovery()", &[])
                .is_ok_and(|r| r.try_get::<_, bool>(0).unwrap_or(false))
            {
                self.set_down(None);
                if !self.poll_replica(&mut client) {
                    return;
                }
                std::thread::sleep(RETRY);
                continue;
            }
            if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                self.set_down(Some(crate::message(&e)));
                std::thread::sleep(RETRY);
                continue;
            }
            self.set_down(None);
            // Listening now: what was committed before (since the session
            // read its model, or during a break) was announced to nobody
            // here, so the session looks once.
            if !self.signal(None) {
                return;
            }
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                let next = client.notifications().timeout_iter(TICK).next();
                match next {
                    Ok(Some(n)) => {
                        if !self.signal(n.payload().parse().ok()) {
                            return;
                        }
                    }
                    Ok(None) => {
                        if client.is_closed() {
                            break;
                        }
                    }
                    Err(e) => {
                        self.set_down(Some(crate::message(&e)));
                        break;
                    }
                }
            }
            std::thread::sleep(RETRY);
        }
    }
}
