//! Loopback stand-ins for the outside services PASS talks to. Each follows the
//! service's public API documentation (headers, status codes, error bodies,
//! pagination, rate-limit headers) closely enough that PASS's real clients are
//! exercised, and records every request so tests can assert on them.
//!
//! They bind to `127.0.0.1:0` and never reach the network.

pub mod anthropic;
pub mod github;
pub mod github_actions;
pub mod openai;
mod scripted;
