//! `pass-bench api|planner|planner-refine|sync|console`: prints figures; asserts nothing.

mod api;
mod console;
mod planner;
mod sync;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "PASS benchmarks: each prints its figures")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// The API server with 10 and 10,000 existing runs.
    Api(api::Args),
    /// The planner pipeline against a slow stand-in model.
    Planner(planner::Args),
    /// A full plan, then refinements of it, against the stand-in model:
    /// calls and input tokens of each, and their ratio.
    PlannerRefine(planner::RefineArgs),
    /// The issue sync of a 200-item plan against the GitHub stand-in.
    Sync(sync::Args),
    /// The web console's run page with a 300-item plan in headless Chromium.
    Console(console::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Api(args) => api::run(args).await,
        Bench::Planner(args) => planner::run(args).await,
        Bench::PlannerRefine(args) => planner::run_refine(args).await,
        Bench::Sync(args) => sync::run(args).await,
        Bench::Console(args) => console::run(args).await,
    }
}
