//! A standalone server process for tests that must kill it (`kill -9`) and for
//! benchmarks; `pass serve` is the user-facing entry point. Reads the same
//! environment and `.env` as `pass serve`; `--bind` and `--runs-dir` win.
//! Prints `listening on <addr>` on stdout once it accepts connections.

use std::io::Write;

use pass_server::{
    LogFormat, ServerConfig, env_lookup_with_dotenv, init_tracing, shutdown_signal, start,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lookup = env_lookup_with_dotenv(&std::env::current_dir()?)?;
    init_tracing(
        LogFormat::from_lookup(&lookup),
        lookup("RUST_LOG").as_deref(),
    );
    let mut config = ServerConfig::from_lookup(&lookup)?;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bind" => config.bind = value.parse()?,
            "--runs-dir" => config.runs_dir = value.into(),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let server = start(config).await?;
    println!("listening on {}", server.local_addr);
    std::io::stdout().flush()?;
    shutdown_signal().await?;
    server.shutdown().await?;
    Ok(())
}
