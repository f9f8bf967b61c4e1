//! `--wait`'s progress on stderr: on a terminal one line rewritten in place (status and
//! elapsed time, refreshed ten times a second); otherwise one plain line per status seen.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::stderr::Masker;

struct Line {
    label: String,
    target: String,
    status: String,
    started: Instant,
    /// The time waited, once the wait is over.
    ended: Option<Duration>,
}

impl Line {
    /// The line; on a terminal of `width` columns the label is shortened to fit.
    fn render(&self, width: Option<usize>) -> String {
        let tail = match self.ended {
            Some(t) => format!(": {} after {:.1} s", self.status, t.as_secs_f64()),
            None => format!(
                ": {} ({:.1} s, waiting for {})",
                self.status,
                self.started.elapsed().as_secs_f64(),
                self.target
            ),
        };
        let room = width.map_or(usize::MAX, |w| w.saturating_sub(1 + tail.chars().count()));
        let label = if self.label.chars().count() <= room {
            self.label.clone()
        } else {
            let mut short: String = self.label.chars().take(room.saturating_sub(1)).collect();
            short.push('…');
            short
        };
        label + &tail
    }
}

/// One wait's display.
pub struct Progress {
    tty: bool,
    line: Arc<Mutex<Line>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts showing the wait for `label` (e.g. `volume data (3f2a…)`) to reach `target`.
    pub fn start(label: &str, target: &str) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let line = Arc::new(Mutex::new(Line {
            label: label.to_string(),
            target: target.to_string(),
            status: "reading".into(),
            started: Instant::now(),
            ended: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = tty.then(|| {
            let (line, stop) = (line.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    redraw(&line);
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        });
        Progress {
            tty,
            line,
            stop,
            ticker,
        }
    }

    /// The status just read.
    pub fn status(&self, status: &str) {
        let mut l = self.line.lock().unwrap_or_else(|e| e.into_inner());
        if l.status == status {
            return;
        }
        l.status = status.to_string();
        if self.tty {
            drop(l);
            redraw(&self.line);
        } else {
            crate::stderr::line(&format!(
                "{}: {} ({:.1} s)",
                l.label,
                l.status,
                l.started.elapsed().as_secs_f64()
            ));
        }
    }

    /// Ends the display: the last state stays on the terminal.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
            {
                let mut l = self.line.lock().unwrap_or_else(|e| e.into_inner());
                l.ended = Some(l.started.elapsed());
            }
            redraw(&self.line);
            eprintln!();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.end();
    }
}

fn redraw(line: &Mutex<Line>) {
    let text = line.lock().unwrap_or_else(|e| e.into_inner()).render(terminal_width());
    let text = Masker::stderr().shown(&text);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{text}");
    let _ = err.flush();
}

/// The width of the terminal on stderr, if it is one.
fn terminal_width() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a `winsize` into the valid, writable `size`.
    let rc = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}
