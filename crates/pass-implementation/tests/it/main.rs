//! Integration tests of the issue sync: against the GitHub stand-in on
//! loopback, against the local Markdown target, and the agent against a
//! small fake of the PASS API. Nothing here reaches the network.

// Helpers outside #[test] functions (stand-ins, fixtures) may unwrap too:
// a failure there is a broken test setup and should panic loudly.
#![allow(clippy::unwrap_used)]

mod agent;
mod backlog;
mod github;
mod local;
mod server;
mod support;
