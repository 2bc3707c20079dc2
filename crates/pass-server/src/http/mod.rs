//! The HTTP front of the server: what stands between a hostile client and the
//! router.
//!
//! - [`listener`]: the accept loop (hyper's HTTP/1.1 connection builder
//!   instead of `axum::serve`) with a request-head timeout, a stalled-write
//!   timeout, a connection limit below the process's file-descriptor limit
//!   and graceful shutdown;
//! - [`guard`]: the router layer that answers request targets and headers
//!   over this server's limits, and request bodies that do not arrive in
//!   time, with the contract's JSON errors;
//! - [`health`]: the checks behind `/healthz`'s degraded states;
//! - [`system`]: the process's file-descriptor limit and the free space
//!   where runs are stored.
//!
//! # What hyper answers itself
//!
//! Some requests never reach the router, so their answers are hyper's, with
//! an empty body instead of the contract's JSON:
//!
//! - bytes that do not parse as HTTP/1.x (garbage, an HTTP/2 preface, a bad
//!   method, header name or version, conflicting `Content-Length` or
//!   `Transfer-Encoding`): `400` and the connection closes;
//! - a request target over 65,534 bytes: `414`;
//! - a request head over [`listener::MAX_BUF_SIZE`] bytes or with more than
//!   [`listener::HYPER_MAX_HEADERS`] header lines: `431`.
//!
//! The router's own limits ([`guard::MAX_URI_BYTES`],
//! [`guard::MAX_HEADER_BYTES`], [`guard::MAX_HEADER_COUNT`]) sit well below
//! hyper's, so every request that is HTTP but too large gets a JSON answer.
//! A client that does not send its head in time is disconnected without an
//! answer, as there is no request to answer.

pub mod guard;
pub mod health;
pub mod listener;
pub mod system;

pub use guard::{BodyTimedOut, RequestGuard, guard_request};
pub use health::{HealthContext, HealthReport};
pub use listener::ListenerOptions;
pub use system::{connection_limit, raise_nofile_limit};
