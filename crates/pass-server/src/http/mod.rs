//! The HTTP front of the server: what stands between a hostile client and the
//! router.
//!
//! - [`listener`]: the accept loop (hyper's HTTP/1.1 connection builder
//!   instead of `axum::serve`) with a request-head timeout, a stalled-write
//!   timeout, a connection limit below the process's file-descriptor limit
//!   and graceful shutdown;
//! - [`system`]: the process's file-descriptor limit and the free space
//!   where runs are stored.

pub mod listener;
pub mod system;

pub use listener::ListenerOptions;
pub use system::{connection_limit, raise_nofile_limit};
