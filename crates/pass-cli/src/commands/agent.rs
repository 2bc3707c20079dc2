//! `pass agent planner|implementation --run-id ID`: the agents, built into
//! `pass` so that `pass demo` works from a single binary. The standalone
//! `planner` and `implementation` binaries do the same.

use anyhow::Context;
use uuid::Uuid;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub agent: Agent,
}

#[derive(Debug, clap::Subcommand)]
pub enum Agent {
    /// Plan one run and report to the PASS API.
    Planner {
        #[arg(long = "run-id", env = "PASS_RUN_ID")]
        run_id: Uuid,
    },
    /// Sync one run's issue plan and report to the PASS API.
    Implementation {
        #[arg(long = "run-id", env = "PASS_RUN_ID")]
        run_id: Uuid,
        /// Print the create / update / close plan and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: print the plan as JSON.
        #[arg(long)]
        json: bool,
        /// Overwrite issues people edited since PASS last wrote them.
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let lookup = |name: &str| std::env::var(name).ok();
    pass_server::init_tracing(
        pass_server::LogFormat::from_lookup(lookup),
        lookup("RUST_LOG").as_deref(),
    );
    match args.agent {
        Agent::Planner { run_id } => {
            let config = pass_planner::PlannerConfig::from_lookup(lookup)?;
            eprintln!("{}", config.describe_provider());
            pass_planner::run_agent(run_id, &config)
                .await
                .with_context(|| format!("planning run {run_id} failed"))
        }
        Agent::Implementation {
            run_id,
            dry_run,
            json,
            force,
        } => {
            let config = pass_implementation::ImplementationConfig::from_lookup(lookup)?;
            eprintln!("{}", config.describe_target());
            let options = pass_implementation::AgentOptions {
                dry_run,
                json,
                force,
            };
            let report = pass_implementation::run_agent(run_id, options, &config)
                .await
                .with_context(|| format!("syncing issues of run {run_id} failed"))?;
            super::sync::print_report(&report, options)
        }
    }
}
