//! `pass serve`: the API server until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use pass_server::{AgentCommand, LogFormat, ServerConfig};
use secrecy::ExposeSecret;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "PASS_BIND", default_value = "127.0.0.1:3001")]
    pub bind: SocketAddr,
    /// Where runs are stored.
    #[arg(long, env = "RUNS_DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let lookup = |name: &str| std::env::var(name).ok();
    pass_server::init_tracing(
        LogFormat::from_lookup(lookup),
        lookup("RUST_LOG").as_deref(),
    );
    let mut config = ServerConfig::from_lookup(lookup)?;
    config.bind = args.bind;
    config.runs_dir = args.runs_dir;
    let token = config.api_token.clone();
    if config.agent_bin_dir.is_none() && !installed_beside_pass()? {
        config.agent_command = Some(built_in_agents()?);
    }
    let server = pass_server::start(config).await?;
    if let Some(token) = &token {
        println!(
            "console: {}",
            pass_console::console_link(&server.base_url, token.expose_secret(), None)
        );
    }
    pass_server::shutdown_signal().await?;
    server.shutdown().await?;
    Ok(())
}

/// Whether separately built `planner` and `implementation` binaries sit next
/// to `pass` (as after `cargo build --release`); the local backend then runs
/// those, as it would for `PASS_AGENT_BIN_DIR`.
fn installed_beside_pass() -> anyhow::Result<bool> {
    let exe = std::env::current_exe().context("cannot tell where the pass binary is")?;
    Ok(["planner", "implementation"].iter().all(|name| {
        exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX))
            .is_file()
    }))
}

/// The agents built into `pass` itself (`pass agent planner …`): the same
/// version as the server, with nothing else to install. Used by `pass demo`,
/// and by `pass serve` when no agent binaries are installed beside it (for
/// example after `cargo run -p pass-cli`).
pub fn built_in_agents() -> anyhow::Result<AgentCommand> {
    let program = std::env::current_exe().context("cannot tell where the pass binary is")?;
    Ok(AgentCommand {
        program,
        args: vec!["agent".to_owned()],
    })
}
