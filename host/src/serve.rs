//! Serving a `wasi:http/proxy` component (the edge function) over HTTP/1.1 as `wasmtime
//! serve` does: one fresh store per request, under the host's sandbox bounds (memory, CPU
//! per request, time per outgoing request), its outgoing requests through the pooled
//! transport and limited to the origins it is allowed.

use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use wasmtime::component::Component;
use wasmtime::Engine;
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::allow::AllowList;
use crate::host::{engine, linker, sandboxed_store, State};
use crate::{sandbox, transport, Error, Limits, Result};

/// A compiled proxy component, ready to serve.
#[derive(Clone)]
pub struct Server {
    engine: Engine,
    pre: ProxyPre<State>,
    limits: Limits,
    /// One pool for every request: they all run on the server's one runtime.
    transport: transport::Transport,
    allowed: Arc<AllowList>,
}

impl Server {
    /// Compiles a component exporting `wasi:http/incoming-handler`. It may reach no origin
    /// until [`Server::allowing`] names some.
    pub fn from_bytes(wasm: &[u8]) -> Result<Server> {
        let engine = engine()?;
        let component = Component::new(&engine, wasm)?;
        let pre = ProxyPre::new(linker(&engine)?.instantiate_pre(&component)?)?;
        Ok(Server {
            engine,
            pre,
            limits: Limits::default(),
            transport: transport::Transport::new(None).map_err(|e| wasmtime::format_err!("{e}"))?,
            allowed: Arc::new(AllowList::fixed(Vec::new())),
        })
    }

    /// The same server, letting the component reach these URLs' origins (and only them).
    pub fn allowing(&self, urls: &[&str]) -> Server {
        let origins = urls.iter().filter_map(|u| crate::allow::origin(u)).collect();
        Server {
            allowed: Arc::new(AllowList::fixed(origins)),
            ..self.clone()
        }
    }

    /// The same server under other bounds (the CPU budget counts per request).
    pub fn with_limits(&self, limits: Limits) -> Server {
        Server { limits, ..self.clone() }
    }

    /// Serves HTTP/1.1 on `listener` until accepting fails. Requests run on one thread,
    /// interleaved: each one's CPU budget counts that thread's time from the request's
    /// start, other requests' included, so it can only cut a request early, never late.
    pub fn serve(&self, listener: std::net::TcpListener) -> Result<()> {
        let io = |e: std::io::Error| Error::Trap(wasmtime::format_err!("serving: {e}"));
        listener.set_nonblocking(true).map_err(io)?;
        let driver = crate::driver::Driver::current()?;
        driver.rt.block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
            loop {
                let (client, _) = listener.accept().await.map_err(io)?;
                let server = self.clone();
                tokio::task::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let server = server.clone();
                        async move { Ok::<_, std::convert::Infallible>(server.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(client), service)
                        .await;
                });
            }
        })
    }

    /// One request in a fresh store; a trap is a 500 (its reason on stderr).
    async fn handle(&self, req: hyper::Request<Incoming>) -> hyper::Response<HyperOutgoingBody> {
        match self.run(req).await {
            Ok(response) => response,
            Err(e) => {
                eprintln!("edge function failed: {e:#}");
                let body = http_body_util::Full::new(Bytes::from_static(b"internal error"))
                    .map_err(|never| match never {})
                    .boxed_unsync();
                let mut response = hyper::Response::new(body);
                *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        }
    }

    async fn run(&self, req: hyper::Request<Incoming>) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
        let guard = sandbox::Guard {
            transport: self.transport.clone(),
            allowed: self.allowed.clone(),
            request_time: self.limits.request_time,
            secrets: None,
            debug: None,
        };
        let wasi = WasiCtx::builder().inherit_stderr().build();
        let mut store = sandboxed_store(&self.engine, &self.limits, wasi, guard);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let req = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        // The handler may go on writing the body after it set the response: its own task.
        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(store, req, out).await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(wasmtime::format_err!("the function answered an error: {code:?}")),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(wasmtime::format_err!("the function set no response")),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(wasmtime::format_err!("the function's task failed: {e}")),
            },
        }
    }
}
