//! `pass serve`: the API server until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use pass_server::{LogFormat, ServerConfig};

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
    pass_server::serve(config).await?;
    Ok(())
}
