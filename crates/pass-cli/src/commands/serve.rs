//! `pass serve`: the API server until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use pass_server::{AgentCommand, LogFormat, ServerConfig};
use secrecy::ExposeSecret;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  PASS_API_TOKEN=$(openssl rand -hex 32) pass serve
  pass serve --bind localhost:8080 --runs-dir /var/lib/pass/runs
  pass serve --bind 0.0.0.0:3001          every interface (put TLS in front)")]
pub struct Args {
    /// Address to listen on: HOST:PORT, where HOST is an IP address or a name
    /// such as localhost (its IPv4 address when it has one).
    #[arg(long, env = "PASS_BIND", default_value = "127.0.0.1:3001")]
    pub bind: String,
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
    let bind = resolve_bind(&args.bind).await?;
    // PASS_BIND was read by the flag above, names included; the server's own
    // reading accepts only IP addresses, so it does not see it again.
    let mut config =
        ServerConfig::from_lookup(|name| (name != "PASS_BIND").then(|| lookup(name)).flatten())?;
    config.bind = bind;
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

/// The address `HOST:PORT` names; for a name, its first IPv4 address (the
/// default API URL is IPv4 loopback), else its first address.
async fn resolve_bind(bind: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = bind.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(bind)
        .await
        .with_context(|| format!("--bind {bind:?} is not HOST:PORT with a host that resolves"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .with_context(|| format!("--bind {bind:?}: the host has no address"))
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
