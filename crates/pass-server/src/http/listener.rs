//! The accept loop: hyper's HTTP/1.1 connection builder under a connection
//! limit, with timeouts for clients that send or read too slowly.
//!
//! # Why not `axum::serve`
//!
//! `axum::serve` accepts every connection it can and sets no timer, so a
//! client that opens a connection and sends nothing holds a file descriptor
//! forever; 1,100 of them exhausted the default limit of 1,024 open files,
//! and from then on every `accept` failed, `/healthz` included. This loop:
//!
//! - gives every connection [`ListenerOptions::header_read_timeout`] to send
//!   each request head (hyper's `header_read_timeout`, which also runs while
//!   a keep-alive connection waits for its next request); a client that has
//!   not sent its head in time is disconnected;
//! - drops a connection whose client stops reading an answer for
//!   [`ListenerOptions::write_timeout`];
//! - serves at most [`ListenerOptions::max_connections`] connections at once,
//!   a number kept below the open-files limit (see
//!   [`super::system::connection_limit`]), so `accept` itself does not fail
//!   for lack of descriptors.
//!
//! # At the limit: backpressure, and idle connections make room
//!
//! When every slot is taken, the loop holds the connection it has just
//! accepted and accepts nothing more: the rest wait in the kernel's backlog
//! (backpressure, not accept-and-close). To free a slot it closes the
//! *oldest idle* connection, one that has no request in flight, nothing
//! left to write, and whose last read found no bytes waiting: a client that
//! opened a connection and sent nothing, one stuck half-way through its
//! request head, or a keep-alive connection between requests. Closing those
//! loses no work (an HTTP client must already expect a server to close an
//! idle connection), whereas waiting for their head timeout would leave a
//! fresh `/healthz` stuck behind every idle connection queued ahead of it.
//! A connection that has not been read from yet is never idle, so the new
//! connection whose request is already in the socket is served, not closed.
//! When no connection is idle (all are busy with requests), the loop waits
//! for one to finish.
//!
//! # Accept errors
//!
//! `EMFILE`, `ENFILE`, `ENOBUFS` and the like never end the loop: it logs
//! the first error of a burst, closes the oldest idle connection to give a
//! descriptor back, waits [`ACCEPT_RETRY_DELAY`] and tries again. Errors of
//! one connection (reset or aborted before it was accepted) are skipped.
//!
//! # Shutdown
//!
//! When the stop signal arrives the listener closes at once; connections
//! with nothing in flight are closed, and requests in flight are finished
//! (hyper's graceful shutdown) before [`serve`] returns.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

/// hyper's read buffer per connection, and so the largest request head it
/// can parse (hyper's default is about 400 KiB). Far above the router's own
/// limits ([`super::guard::MAX_URI_BYTES`], [`super::guard::MAX_HEADER_BYTES`])
/// so that oversized heads reach the router and get a JSON answer.
pub const MAX_BUF_SIZE: usize = 128 * 1024;

/// Header lines hyper parses (its default is 100); above the router's
/// [`super::guard::MAX_HEADER_COUNT`] for the same reason.
pub const HYPER_MAX_HEADERS: usize = 256;

/// How long the loop waits after an accept error other than a failed
/// connection (out of descriptors or memory) before it tries again.
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(50);

/// How often the loop, waiting at the connection limit, looks again for an
/// idle connection to close (connections go idle when their requests end).
const IDLE_RECHECK: Duration = Duration::from_millis(50);

/// The listener's limits, from [`crate::ServerConfig`].
#[derive(Debug, Clone, Copy)]
pub struct ListenerOptions {
    /// `PASS_HEADER_READ_TIMEOUT_MS`: how long a connection may take to send
    /// a request head, counted from its opening or from the previous answer.
    pub header_read_timeout: Duration,
    /// `PASS_WRITE_TIMEOUT_MS`: how long an answer may wait, without any
    /// progress, for a client that stopped reading it.
    pub write_timeout: Duration,
    /// Connections served at once (see [`super::connection_limit`]).
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `stop` turns true (or its sender is
/// dropped), then finishes the requests in flight. Never fails: accept
/// errors are retried.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ListenerOptions,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let max = options.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let connections = Arc::new(Connections::default());
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(MAX_BUF_SIZE)
        .max_headers(HYPER_MAX_HEADERS)
        .keep_alive(true);
    let mut accept_errors = Burst::default();
    let mut at_limit = false;

    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => {
                accept_errors.ended();
                stream
            }
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                accept_errors.failed(&error);
                connections.close_oldest_idle();
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(ACCEPT_RETRY_DELAY) => continue,
                }
            }
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                at_limit = false;
                permit
            }
            Err(_) => {
                if !at_limit {
                    at_limit = true;
                    tracing::warn!(
                        max_connections = max,
                        "connection limit reached: new connections wait, idle ones are closed to make room"
                    );
                }
                match wait_for_slot(&slots, &connections, &mut stop).await {
                    Some(permit) => permit,
                    None => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        // Registered here, so that "oldest" is the order of acceptance.
        let registration = connections.register();
        tokio::spawn(serve_connection(
            stream,
            permit,
            registration,
            builder.clone(),
            router.clone(),
            options.write_timeout,
            stop.clone(),
        ));
    }

    drop(listener);
    // Every connection holds a slot until it ends: having them all back
    // means every connection has finished.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Waits for a free slot, closing the oldest idle connection to make one;
/// `None` when the server stops meanwhile.
async fn wait_for_slot(
    slots: &Arc<Semaphore>,
    connections: &Connections,
    stop: &mut watch::Receiver<bool>,
) -> Option<OwnedSemaphorePermit> {
    loop {
        connections.close_oldest_idle();
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return None,
            permit = slots.clone().acquire_owned() => return permit.ok(),
            _ = tokio::time::sleep(IDLE_RECHECK) => {}
        }
    }
}

/// One connection, from accept to close; `_permit` is its slot.
async fn serve_connection(
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    registration: Registration,
    builder: http1::Builder,
    router: Router,
    write_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let state = registration.state.clone();
    let io = TrackedIo {
        inner: TokioIo::new(stream),
        state: state.clone(),
        write_timeout,
        write_stall: None,
    };
    let service_state = state.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = InFlight::enter(&service_state);
        let answer = router.clone().oneshot(request);
        async move {
            let response = match answer.await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(TrackedBody {
                    body,
                    _in_flight: in_flight,
                })
            }))
        }
    });
    let connection = builder.serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        _ = stop.wait_for(|s| *s) => {}
        _ = state.close.notified() => {}
    }
    // Asked to close (shutdown, or to make room). The connection future is
    // not being polled here, so nothing can start a request meanwhile.
    if state.can_drop_now() {
        return;
    }
    connection.as_mut().graceful_shutdown();
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection ended with an error during shutdown");
    }
}

/// What the accept loop knows of one connection.
#[derive(Debug, Default)]
struct ConnectionState {
    /// Requests whose answer has not been fully handed to hyper.
    in_flight: AtomicUsize,
    /// The last read of the socket found no bytes (set only once read).
    read_waiting: AtomicBool,
    /// The last write or flush could not proceed: bytes are still queued.
    write_blocked: AtomicBool,
    /// Already asked to close.
    closing: AtomicBool,
    close: Notify,
}

impl ConnectionState {
    /// Closing loses nothing and the client is waiting on nothing.
    fn is_idle(&self) -> bool {
        self.can_drop_now() && self.read_waiting.load(Ordering::Acquire)
    }

    /// No request in flight and nothing left to write.
    fn can_drop_now(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && !self.write_blocked.load(Ordering::Acquire)
    }
}

/// The open connections, oldest first.
#[derive(Debug, Default)]
struct Connections {
    next_id: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<ConnectionState>>>,
}

impl Connections {
    fn register(self: &Arc<Self>) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnectionState::default());
        self.lock().insert(id, state.clone());
        Registration {
            connections: self.clone(),
            id,
            state,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<ConnectionState>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the oldest idle connection to close; false when none is idle.
    fn close_oldest_idle(&self) -> bool {
        let open = self.lock();
        let victim = open
            .values()
            .find(|c| c.is_idle() && !c.closing.load(Ordering::Acquire));
        match victim {
            Some(victim) => {
                victim.closing.store(true, Ordering::Release);
                victim.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes its connection from [`Connections`] when the connection ends.
#[derive(Debug)]
struct Registration {
    connections: Arc<Connections>,
    id: u64,
    state: Arc<ConnectionState>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.connections.lock().remove(&self.id);
    }
}

/// Counts a request as in flight from the moment hyper hands it over until
/// its answer's body has been consumed (or dropped).
#[derive(Debug)]
struct InFlight(Arc<ConnectionState>);

impl InFlight {
    fn enter(state: &Arc<ConnectionState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request counted as in flight.
#[derive(Debug)]
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, reporting to [`ConnectionState`] whether it waits for the
/// client, and failing writes that make no progress for `write_timeout`.
struct TrackedIo {
    inner: TokioIo<TcpStream>,
    state: Arc<ConnectionState>,
    write_timeout: Duration,
    /// Started by the first write that could not proceed, cleared by progress.
    write_stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TrackedIo {
    fn after_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.write_stall = None;
            self.state.write_blocked.store(false, Ordering::Release);
            return poll;
        }
        self.state.write_blocked.store(true, Ordering::Release);
        let timeout = self.write_timeout;
        let stall = self
            .write_stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if stall.as_mut().poll(cx).is_ready() {
            self.write_stall = None;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client read nothing of the answer for {} ms",
                    timeout.as_millis()
                ),
            )));
        }
        Poll::Pending
    }
}

impl Read for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.state
            .read_waiting
            .store(poll.is_pending(), Ordering::Release);
        poll
    }
}

impl Write for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.after_write(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.after_write(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.after_write(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.after_write(cx, poll)
    }
}

/// An error of one connection that was never accepted, not of the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Logs the first accept error of a burst and the burst's size when it ends,
/// instead of one line per failed accept (thousands a second).
#[derive(Debug, Default)]
struct Burst {
    failures: u64,
}

impl Burst {
    fn failed(&mut self, error: &io::Error) {
        if self.failures == 0 {
            tracing::error!(
                %error,
                retry_ms = ACCEPT_RETRY_DELAY.as_millis() as u64,
                "could not accept a connection; retrying, and closing idle connections to free descriptors"
            );
        }
        self.failures += 1;
    }

    fn ended(&mut self) {
        if self.failures > 0 {
            tracing::warn!(failures = self.failures, "accepting connections again");
            self.failures = 0;
        }
    }
}
