//! Integration tests of the planner, all on loopback or offline.

#![allow(clippy::unwrap_used)]

mod offline;
mod support;
