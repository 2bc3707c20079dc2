//! The PASS API server: the hub that users, the planner and the implementation
//! agents talk to. Runs and artifacts persist under `runs/` in the contract's
//! layout; agents are dispatched as local child processes or GitHub Actions
//! workflows.
//!
//! `pass serve` calls [`serve`]; tests and `pass demo` call [`start`] to run
//! the server in-process on any port and stop it with
//! [`RunningServer::shutdown`].

pub mod app;
pub mod artifacts;
pub mod auth;
pub mod body;
pub mod config;
pub mod coordination;
pub mod dispatch;
pub mod error;
pub mod http;
pub mod openapi;
pub mod projects;
pub mod routes;
pub mod runs;
pub mod store;
pub mod telemetry;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

pub use config::{
    AgentCommand, AuthMode, ConfigError, ENV_EXAMPLE_TOKEN, LogFormat, ServerConfig, TokenState,
    env_lookup_with_dotenv,
};
pub use dispatch::{DispatchError, Dispatcher};
pub use error::ApiError;
pub use store::{Store, StoreError, StoredRun};
pub use telemetry::init_tracing;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "refusing to start: PASS_API_TOKEN is {token} and {bind} is reachable from other machines. Set PASS_API_TOKEN to a long random secret (for example the output of `openssl rand -hex 32`), or bind a loopback address such as 127.0.0.1"
    )]
    UnsafeToken {
        /// "not set" or "the placeholder from .env.example".
        token: &'static str,
        bind: SocketAddr,
    },
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("runs folder: {0}")]
    Store(#[from] StoreError),
    #[error("execution backend: {0}")]
    Dispatch(#[from] DispatchError),
    #[error("serving HTTP failed: {0}")]
    Serve(std::io::Error),
    #[error("could not listen for shutdown signals: {0}")]
    Signal(std::io::Error),
    #[error("server task failed: {0}")]
    Task(String),
}

/// A server running in this process.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    /// `http://<local_addr>`, with an unspecified bind address replaced by loopback.
    pub base_url: Url,
    store: Arc<Store>,
    stop: watch::Sender<bool>,
    http: JoinHandle<Result<(), std::io::Error>>,
    flusher: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting connections, lets in-flight requests finish, and writes
    /// `index.json` one last time.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        let served = self
            .http
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?;
        let _ = self.flusher.await;
        self.store.finish().await?;
        served.map_err(ServerError::Serve)
    }

    /// The store behind the server, for in-process callers that inspect it.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

/// Binds, opens the store, recovers unfinished executions and starts serving.
///
/// Refuses to start ([`ServerError::UnsafeToken`]) when `PASS_API_TOKEN` is
/// missing or the `.env.example` placeholder and the server would listen on
/// more than loopback; on loopback it starts and logs a warning. Raises the
/// open-files limit to its maximum and keeps the connection limit below it
/// (see [`http::listener`]).
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    check_token_policy(&config)?;
    let fd_limit = http::raise_nofile_limit();
    let (max_connections, lowered) = http::connection_limit(config.max_connections, fd_limit);
    if let Some(why) = lowered {
        tracing::warn!("{why}");
    }
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.bind,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.bind,
        source,
    })?;
    let base_url = loopback_url(local_addr)?;

    let (store, report) = Store::open(config.runs_dir.clone()).await?;
    tracing::info!(
        runs_dir = %config.runs_dir.display(),
        runs = report.runs,
        corrupt = report.corrupt.len(),
        temp_files_removed = report.temp_files_removed,
        projects = report.projects,
        corrupt_projects = report.corrupt_projects.len(),
        "runs folder opened"
    );
    let (stop, stop_rx) = watch::channel(false);
    let dispatcher = Arc::new(Dispatcher::new(&config, base_url.clone(), stop_rx.clone())?);
    match &*dispatcher {
        Dispatcher::Local(local) => tracing::info!(
            backend = "local",
            planner = %local.describe_agents(),
            max_concurrency = config.local_max_concurrency,
            "execution backend selected"
        ),
        Dispatcher::GithubActions(_) => {
            if let Some(github) = &config.github {
                tracing::info!(
                    backend = "github_actions",
                    repository = %format!("{}/{}", github.owner, github.repo),
                    api = %github.api_url,
                    "execution backend selected"
                );
            }
        }
    }
    dispatcher.recover(&store, report.unfinished).await;

    let state = app::AppState::new(app::SharedState {
        store: store.clone(),
        dispatcher,
        server_base: base_url.clone(),
        openapi: serde_json::to_vec(&openapi::document(config.auth_mode))
            .unwrap_or_default()
            .into(),
        limits: app::BodyLimits {
            run_body_bytes: config.run_body_limit,
            artifact_body_bytes: config.artifact_body_limit,
        },
    });
    let router = app::router(state, &config);

    let options = http::ListenerOptions {
        header_read_timeout: config.header_read_timeout,
        write_timeout: config.write_timeout,
        max_connections,
    };
    let http = tokio::spawn(http::listener::serve(
        listener,
        router,
        options,
        stop_rx.clone(),
    ));

    let flush_store = store.clone();
    let interval = config.index_flush_interval;
    let mut flush_stop = stop_rx;
    let flusher = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = flush_stop.wait_for(|s| *s) => return,
            }
            if let Err(error) = flush_store.flush_index().await {
                tracing::error!(%error, "could not write runs/index.json; will retry");
            }
        }
    });

    tracing::info!(
        addr = %local_addr,
        max_connections,
        open_files_limit = fd_limit,
        header_read_timeout_ms = config.header_read_timeout.as_millis() as u64,
        "PASS API listening"
    );
    Ok(RunningServer {
        local_addr,
        base_url,
        store,
        stop,
        http,
        flusher,
    })
}

/// Runs the server until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn serve(config: ServerConfig) -> Result<(), ServerError> {
    let server = start(config).await?;
    shutdown_signal().await?;
    tracing::info!("shutdown signal received; finishing in-flight requests");
    server.shutdown().await
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C elsewhere): what `serve` waits for,
/// public so embedders that use [`start`] stop on the same signals.
#[cfg(unix)]
pub async fn shutdown_signal() -> Result<(), ServerError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(ServerError::Signal)?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(ServerError::Signal),
        _ = term.recv() => Ok(()),
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub async fn shutdown_signal() -> Result<(), ServerError> {
    tokio::signal::ctrl_c().await.map_err(ServerError::Signal)
}

/// A server without a real token may only listen on loopback: there the
/// missing token closes the protected routes and the placeholder exposes
/// them to this machine only, which a developer may want; anywhere else
/// either is a mistake, so the server refuses to start.
fn check_token_policy(config: &ServerConfig) -> Result<(), ServerError> {
    let token = match config.token_state() {
        TokenState::Set => return Ok(()),
        TokenState::Missing => "not set",
        TokenState::Placeholder => "the placeholder from .env.example",
    };
    if !config.bind.ip().to_canonical().is_loopback() {
        // Not logged here: the caller prints the error, once.
        return Err(ServerError::UnsafeToken {
            token,
            bind: config.bind,
        });
    }
    match config.token_state() {
        TokenState::Placeholder => tracing::warn!(
            bind = %config.bind,
            "INSECURE: PASS_API_TOKEN is the placeholder from .env.example, which anyone can read: \
             every process on this machine can call the protected routes. Serving anyway because \
             the server listens on loopback only; set a long random PASS_API_TOKEN before binding \
             any other address (the server refuses to start there)"
        ),
        _ => tracing::warn!(
            bind = %config.bind,
            "PASS_API_TOKEN is not set: protected routes answer server_misconfigured, and /healthz \
             reports degraded. Serving anyway because the server listens on loopback only; it \
             refuses to start on any other address without a token"
        ),
    }
    Ok(())
}

fn loopback_url(addr: SocketAddr) -> Result<Url, ServerError> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    Url::parse(&format!("http://{addr}/"))
        .map_err(|e| ServerError::Task(format!("bound address {addr} does not form a URL: {e}")))
}
