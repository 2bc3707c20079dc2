//! One module per subcommand.

pub mod agent;
pub mod api;
pub mod coordination;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod follow;
pub mod mcp;
pub mod plan;
pub mod projects;
pub mod report;
pub mod resolve;
pub mod run;
pub mod runs;
pub mod schema;
pub mod serve;
pub mod sync;
pub mod validate;
