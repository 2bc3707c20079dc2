//! Integration tests of the planner, all on loopback or offline.

#![allow(clippy::unwrap_used)]

mod agent;
mod anthropic;
mod offline;
mod openai;
mod prompts;
mod refine;
mod repair;
mod server;
mod streaming;
mod support;
