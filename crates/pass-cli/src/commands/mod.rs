//! One module per subcommand.

pub mod follow;
pub mod run;
pub mod runs;
pub mod schema;
pub mod validate;
