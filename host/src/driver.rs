//! [`Driver`]: what the sessions connected on one thread share while one of them lives: a
//! single-threaded runtime and one connection pool per [`Transport`]. wasi:http's tasks and
//! the pooled connections run on the calling thread, with no hand-offs between threads, and
//! an idle session holds neither a runtime (timer wheel, event buffer, two file descriptors)
//! nor a kept-alive connection of its own.

use std::sync::{Arc, Mutex, Weak};

use crate::transport::Transport;
use crate::{Error, Result};

/// A thread's runtime and connection pools.
pub(crate) struct Driver {
    /// One pool per transport (trust configuration) used on this thread: connections are
    /// driven by the runtime that opened them. Dropped before the runtime.
    pools: Mutex<Vec<Transport>>,
    /// Drives the sessions' calls. A session called from another thread still works: tokio
    /// lets any thread drive a current-thread runtime, one at a time.
    pub(crate) rt: tokio::runtime::Runtime,
}

impl Driver {
    /// The calling thread's driver, made when none of its sessions lives.
    pub(crate) fn current() -> Result<Arc<Driver>> {
        thread_local! {
            static CURRENT: std::cell::RefCell<Weak<Driver>> = Default::default();
        }
        CURRENT.with(|slot| {
            if let Some(driver) = slot.borrow().upgrade() {
                return Ok(driver);
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::Trap(wasmtime::format_err!("tokio runtime: {e}")))?;
            let driver = Arc::new(Driver {
                pools: Mutex::new(Vec::new()),
                rt,
            });
            *slot.borrow_mut() = Arc::downgrade(&driver);
            Ok(driver)
        })
    }

    /// `transport` with the pool this thread's sessions share for it.
    pub(crate) fn pool(&self, transport: &Transport) -> Transport {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pool) = pools.iter().find(|p| p.same_trust(transport)) {
            return pool.clone();
        }
        let pool = transport.fresh();
        pools.push(pool.clone());
        pool
    }
}
