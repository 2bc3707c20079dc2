//! Integration tests of the issue sync: against the GitHub stand-in on
//! loopback, against the local Markdown target, and the agent against a
//! small fake of the PASS API. Nothing here reaches the network.

mod agent;
mod github;
mod local;
mod support;
