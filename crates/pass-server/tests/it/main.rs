//! Integration tests of the PASS API server over real HTTP on loopback.

// Test helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod artifact_index;
mod auth;
mod console;
mod coordination;
mod crash;
mod dispatch_github;
mod dispatch_local;
mod hostile;
mod openapi;
mod projects;
mod routes;
mod seed;
mod store;
mod support;
