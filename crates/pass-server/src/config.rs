//! Server configuration, read once from the environment (and `.env`) into one
//! typed struct so that nothing else in the server looks at the environment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pass_contracts::ExecutionBackend;
use pass_contracts::env;
use secrecy::SecretString;
use url::Url;

/// The address `pass serve` binds when neither `--bind` nor `PASS_BIND` says otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:3001";
/// Default body limit of the run routes (1 MiB): a PRD is text, not a dump.
pub const DEFAULT_RUN_BODY_LIMIT: usize = 1024 * 1024;
/// Default body limit of artifact uploads (10 MiB): packs can be large.
pub const DEFAULT_ARTIFACT_BODY_LIMIT: usize = 10 * 1024 * 1024;
/// Default time a client has to send a request head (10 s).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a request body has to arrive after its head (30 s).
pub const DEFAULT_REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time an answer may wait on a client that reads none of it (30 s).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default free space under which `/healthz` reports degraded (64 MiB).
pub const DEFAULT_MIN_FREE_DISK_BYTES: u64 = 64 * 1024 * 1024;
/// The most connections `PASS_MAX_CONNECTIONS` may ask for.
pub const MAX_CONNECTIONS_CEILING: usize = 1_000_000;
/// `PASS_API_TOKEN`'s value in `.env.example`: public, so never a real token.
pub const ENV_EXAMPLE_TOKEN: &str = "change-me-to-a-long-random-string";

/// What `PASS_API_TOKEN` holds, as far as start-up and `/healthz` care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Unset or empty: protected routes fail closed.
    Missing,
    /// The `.env.example` placeholder ([`ENV_EXAMPLE_TOKEN`]).
    Placeholder,
    /// Anything else.
    Set,
}

/// Which routes need the bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every route except `/healthz` and `/openapi.json`: PRDs are confidential.
    All,
    /// The seed's narrower policy: only dispatch and the agent callback routes.
    Agents,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Reads `PASS_LOG_FORMAT` (`json` or anything else for text) through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        match env::setting(&lookup, "PASS_LOG_FORMAT") {
            Some(v) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// Where and how the GitHub Actions backend dispatches workflows.
#[derive(Debug, Clone)]
pub struct GithubWorkflowConfig {
    /// `GITHUB_API_URL`, so GitHub Enterprise Server and loopback stand-ins work.
    pub api_url: Url,
    pub owner: String,
    pub repo: String,
    pub token: SecretString,
    /// `GITHUB_WORKFLOW_REF`, the branch or tag the workflow runs on.
    pub git_ref: String,
    pub planner_workflow_file: String,
    pub implementation_workflow_file: String,
    /// How often the watchdog asks GitHub whether a workflow run has ended.
    pub watchdog_interval: Duration,
    /// `PASS_GITHUB_CONNECT_TIMEOUT_MS` (default 10 s): a dispatch holds the
    /// run's lock, so an unreachable GitHub must not hold it for long.
    pub connect_timeout: Duration,
    /// `PASS_GITHUB_READ_TIMEOUT_MS` (default 60 s): how long GitHub may stay
    /// silent in an answer; with the connect timeout it also bounds a whole
    /// request, so a GitHub that never answers cannot keep the run locked.
    pub read_timeout: Duration,
    /// `GITHUB_WORKFLOW_SEND_VERSION` (default false): also send this
    /// server's version as the `pass_version` input, so the workflow can run
    /// the released agent of that version instead of compiling one. Off by
    /// default because GitHub refuses a dispatch with an input the workflow
    /// does not declare, and the seed's workflows declare only two.
    pub send_version: bool,
}

/// A program that runs either agent when given its name (`planner` or
/// `implementation`) and `--run-id ID` after `args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// Everything the server needs, built once and passed down.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `--bind` / `PASS_BIND`; port 0 picks a free port.
    pub bind: SocketAddr,
    /// `--runs-dir` / `RUNS_DIR`, default `./runs`.
    pub runs_dir: PathBuf,
    /// `PASS_API_TOKEN`; without it protected routes fail closed.
    pub api_token: Option<SecretString>,
    /// `PASS_API_AUTH=all|agents`.
    pub auth_mode: AuthMode,
    /// `PASS_API_PUBLIC_BASE_URL`: how agents outside this machine reach the server.
    pub public_base_url: Option<Url>,
    /// `PASS_EXECUTION_BACKEND`, or github_actions when a workflow repository and token exist.
    pub backend: ExecutionBackend,
    /// Present whenever a workflow repository and token are configured.
    pub github: Option<GithubWorkflowConfig>,
    /// `PASS_AGENT_BIN_DIR`; `None` means the folder of the running executable.
    pub agent_bin_dir: Option<PathBuf>,
    /// Overrides how the local backend starts agents: `program args… planner
    /// --run-id ID`. `pass demo` sets it to itself (`pass agent …`) so that a
    /// single binary is enough; `None` runs `<agent_bin_dir>/planner`.
    pub agent_command: Option<AgentCommand>,
    /// Extra environment for local agents, over the server's own (which they
    /// inherit). Set by embedders such as tests that pin the agents' provider
    /// and issue target; empty from the environment.
    pub agent_env: Vec<(String, String)>,
    /// `PASS_LOCAL_MAX_CONCURRENCY` (default 2): local agents running at once.
    pub local_max_concurrency: usize,
    /// `PASS_LOCAL_ISSUES_DIR`: one folder for the local issue files of every
    /// project; unset, each project keeps them in `runs/projects/<id>/issues/`.
    pub local_issues_dir: Option<PathBuf>,
    /// `PASS_MAX_RUN_BODY_BYTES`.
    pub run_body_limit: usize,
    /// `PASS_MAX_ARTIFACT_BODY_BYTES`.
    pub artifact_body_limit: usize,
    /// `PASS_INDEX_FLUSH_MS` (default 1000): how long `index.json` may lag behind
    /// `run.json`. It is derived data, rebuilt at start-up, so it is written in
    /// the background instead of on every request.
    pub index_flush_interval: Duration,
    /// `PASS_DISPATCH_FIND_TIMEOUT_MS` (default 10 minutes): how long the
    /// GitHub Actions backend looks for the workflow run of a dispatch that
    /// GitHub answered without its id before failing the execution. Without
    /// a run id nothing can tell when the workflow ends, and an execution
    /// left open refuses every new dispatch.
    pub dispatch_find_timeout: Duration,
    /// `PASS_HEADER_READ_TIMEOUT_MS` (default 10 s): a connection that has
    /// not sent a whole request head this long after opening (or after its
    /// previous answer) is closed.
    pub header_read_timeout: Duration,
    /// `PASS_REQUEST_BODY_TIMEOUT_MS` (default 30 s): a request body must
    /// arrive within this time of its head, or the request is answered 408
    /// `request_timeout`.
    pub request_body_timeout: Duration,
    /// `PASS_WRITE_TIMEOUT_MS` (default 30 s): a connection whose client
    /// reads nothing of an answer for this long is closed.
    pub write_timeout: Duration,
    /// `PASS_MAX_CONNECTIONS`: connections served at once; unset, the
    /// open-files limit minus a reserve, at most 8192 (see
    /// [`crate::http::connection_limit`]).
    pub max_connections: Option<usize>,
    /// `PASS_MIN_FREE_DISK_BYTES` (default 64 MiB): `/healthz` reports
    /// degraded when the runs folder's file system has less free space.
    pub min_free_disk_bytes: u64,
}

/// A configuration value that cannot be used, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "PASS_EXECUTION_BACKEND=github_actions needs a workflow repository (GITHUB_WORKFLOW_REPOSITORY or GITHUB_WORKFLOW_OWNER + GITHUB_WORKFLOW_REPO) and a token (PASS_GITHUB_WORKFLOW_TOKEN or GITHUB_WORKFLOW_TOKEN); missing: {0}"
    )]
    GithubIncomplete(&'static str),
    #[error("could not read {path}: {reason}")]
    DotEnv { path: String, reason: String },
    #[error(transparent)]
    Choice(#[from] pass_contracts::env::UnknownChoice),
}

impl ServerConfig {
    /// Builds the configuration from `lookup` (the environment in production, a
    /// map in tests). Flags are applied afterwards by overwriting the fields.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| env::setting(&lookup, name);

        let bind_text = get("PASS_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind_text.parse().map_err(|e| ConfigError::Invalid {
            name: "PASS_BIND",
            value: bind_text.clone(),
            reason: format!("{e}"),
        })?;
        let runs_dir = PathBuf::from(get("RUNS_DIR").unwrap_or_else(|| "runs".to_owned()));
        let api_token = get("PASS_API_TOKEN").map(SecretString::from);
        let auth_mode = match get("PASS_API_AUTH") {
            None => AuthMode::All,
            Some(value) => env::choice(
                "PASS_API_AUTH",
                &value,
                &[("all", AuthMode::All), ("agents", AuthMode::Agents)],
            )?,
        };
        let public_base_url = get("PASS_API_PUBLIC_BASE_URL")
            .map(|v| parse_url("PASS_API_PUBLIC_BASE_URL", &v))
            .transpose()?;

        let github = github_from_lookup(&get)?;
        let backend_choice = get("PASS_EXECUTION_BACKEND")
            .map(|value| {
                env::choice(
                    "PASS_EXECUTION_BACKEND",
                    &value,
                    &[
                        ("local", ExecutionBackend::Local),
                        ("github_actions", ExecutionBackend::GithubActions),
                    ],
                )
            })
            .transpose()?;
        let backend = match backend_choice {
            None => match github {
                Some(_) => ExecutionBackend::GithubActions,
                None => ExecutionBackend::Local,
            },
            Some(ExecutionBackend::GithubActions) if github.is_none() => {
                let missing = if repository_from_lookup(&get).is_none() {
                    "repository"
                } else {
                    "token"
                };
                return Err(ConfigError::GithubIncomplete(missing));
            }
            Some(chosen) => chosen,
        };

        let local_max_concurrency = parse_number(&get, "PASS_LOCAL_MAX_CONCURRENCY", 2)?;
        if local_max_concurrency == 0 {
            return Err(ConfigError::Invalid {
                name: "PASS_LOCAL_MAX_CONCURRENCY",
                value: "0".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        let max_connections = get("PASS_MAX_CONNECTIONS")
            .map(|_| parse_number(&get, "PASS_MAX_CONNECTIONS", 0))
            .transpose()?;
        if let Some(n) = max_connections.filter(|n| !(1..=MAX_CONNECTIONS_CEILING).contains(n)) {
            return Err(ConfigError::Invalid {
                name: "PASS_MAX_CONNECTIONS",
                value: n.to_string(),
                reason: format!("must be between 1 and {MAX_CONNECTIONS_CEILING}"),
            });
        }
        Ok(Self {
            bind,
            runs_dir,
            api_token,
            auth_mode,
            public_base_url,
            backend,
            github,
            agent_bin_dir: get("PASS_AGENT_BIN_DIR").map(PathBuf::from),
            agent_command: None,
            agent_env: Vec::new(),
            local_max_concurrency,
            local_issues_dir: get("PASS_LOCAL_ISSUES_DIR").map(PathBuf::from),
            run_body_limit: parse_number(&get, "PASS_MAX_RUN_BODY_BYTES", DEFAULT_RUN_BODY_LIMIT)?,
            artifact_body_limit: parse_number(
                &get,
                "PASS_MAX_ARTIFACT_BODY_BYTES",
                DEFAULT_ARTIFACT_BODY_LIMIT,
            )?,
            index_flush_interval: Duration::from_millis(parse_number(
                &get,
                "PASS_INDEX_FLUSH_MS",
                1000,
            )? as u64),
            dispatch_find_timeout: Duration::from_millis(parse_number(
                &get,
                "PASS_DISPATCH_FIND_TIMEOUT_MS",
                600_000,
            )? as u64),
            header_read_timeout: parse_timeout(
                &get,
                "PASS_HEADER_READ_TIMEOUT_MS",
                DEFAULT_HEADER_READ_TIMEOUT,
            )?,
            request_body_timeout: parse_timeout(
                &get,
                "PASS_REQUEST_BODY_TIMEOUT_MS",
                DEFAULT_REQUEST_BODY_TIMEOUT,
            )?,
            write_timeout: parse_timeout(&get, "PASS_WRITE_TIMEOUT_MS", DEFAULT_WRITE_TIMEOUT)?,
            max_connections,
            min_free_disk_bytes: parse_number(
                &get,
                "PASS_MIN_FREE_DISK_BYTES",
                DEFAULT_MIN_FREE_DISK_BYTES as usize,
            )? as u64,
        })
    }

    /// Whether `PASS_API_TOKEN` is missing, the `.env.example` placeholder, or set.
    pub fn token_state(&self) -> TokenState {
        use secrecy::ExposeSecret;
        match &self.api_token {
            None => TokenState::Missing,
            Some(token) if token.expose_secret().is_empty() => TokenState::Missing,
            Some(token) if token.expose_secret() == ENV_EXAMPLE_TOKEN => TokenState::Placeholder,
            Some(_) => TokenState::Set,
        }
    }
}

/// A lookup over the process environment with `.env` from `dir` underneath it
/// (real environment variables win, as with dotenv everywhere). This is the
/// one place the server reads the environment.
pub fn env_lookup_with_dotenv(
    dir: &Path,
) -> Result<impl Fn(&str) -> Option<String> + use<>, ConfigError> {
    let path = dir.join(".env");
    let mut file_values = HashMap::new();
    if path.exists() {
        let iter = dotenvy::from_path_iter(&path).map_err(|e| ConfigError::DotEnv {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        for item in iter {
            let (key, value) = item.map_err(|e| ConfigError::DotEnv {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            file_values.insert(key, value);
        }
    }
    Ok(move |name: &str| {
        std::env::var(name)
            .ok()
            .or_else(|| file_values.get(name).cloned())
    })
}

fn parse_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::Invalid {
        name,
        value: value.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid {
            name,
            value: value.to_owned(),
            reason: "the scheme must be http or https".to_owned(),
        });
    }
    Ok(url)
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: usize,
) -> Result<usize, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|e| ConfigError::Invalid {
            name,
            value,
            reason: format!("{e}"),
        }),
    }
}

/// A timeout in milliseconds; 0 is refused, as it would disable a protection.
fn parse_timeout(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let millis = parse_number(get, name, default.as_millis() as usize)?;
    if millis == 0 {
        return Err(ConfigError::Invalid {
            name,
            value: "0".to_owned(),
            reason: "must be at least 1 (milliseconds)".to_owned(),
        });
    }
    Ok(Duration::from_millis(millis as u64))
}

/// `owner/repo` from the workflow variables, then the older shared fallbacks;
/// a split variable wins over its fallback.
fn repository_from_lookup(get: &impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
    let split = |full: Option<String>| {
        full.and_then(|v| {
            let (owner, repo) = v.split_once('/')?;
            (!owner.is_empty() && !repo.is_empty() && !repo.contains('/'))
                .then(|| (owner.to_owned(), repo.to_owned()))
        })
    };
    let pair = |owner: Option<String>, repo: Option<String>| owner.zip(repo);
    split(get("GITHUB_WORKFLOW_REPOSITORY"))
        .or_else(|| pair(get("GITHUB_WORKFLOW_OWNER"), get("GITHUB_WORKFLOW_REPO")))
        .or_else(|| split(get("GITHUB_REPOSITORY")))
        .or_else(|| pair(get("GITHUB_OWNER"), get("GITHUB_REPO")))
}

fn github_from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<GithubWorkflowConfig>, ConfigError> {
    let repository = repository_from_lookup(get);
    let token = get("PASS_GITHUB_WORKFLOW_TOKEN")
        .or_else(|| get("GITHUB_WORKFLOW_TOKEN"))
        .or_else(|| get("PASS_GITHUB_TOKEN"))
        .or_else(|| get("GITHUB_TOKEN"));
    let (Some((owner, repo)), Some(token)) = (repository, token) else {
        return Ok(None);
    };
    let api_url = parse_url(
        "GITHUB_API_URL",
        &get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".to_owned()),
    )?;
    let watchdog_ms = parse_number(get, "PASS_WATCHDOG_INTERVAL_MS", 30_000)?;
    let connect_ms = parse_number(get, "PASS_GITHUB_CONNECT_TIMEOUT_MS", 10_000)?;
    let read_ms = parse_number(get, "PASS_GITHUB_READ_TIMEOUT_MS", 60_000)?;
    Ok(Some(GithubWorkflowConfig {
        api_url,
        owner,
        repo,
        token: SecretString::from(token),
        git_ref: get("GITHUB_WORKFLOW_REF").unwrap_or_else(|| "main".to_owned()),
        planner_workflow_file: get("GITHUB_PLANNER_WORKFLOW_FILE")
            .unwrap_or_else(|| "phase1-planner.yml".to_owned()),
        implementation_workflow_file: get("GITHUB_IMPLEMENTATION_WORKFLOW_FILE")
            .unwrap_or_else(|| "phase2-implementation.yml".to_owned()),
        watchdog_interval: Duration::from_millis(watchdog_ms as u64),
        connect_timeout: Duration::from_millis(connect_ms as u64),
        read_timeout: Duration::from_millis(read_ms as u64),
        send_version: parse_bool(get, "GITHUB_WORKFLOW_SEND_VERSION", false)?,
    }))
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            name,
            value: other.to_owned(),
            reason: "expected true or false".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServerConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_pick_local_backend_and_full_auth() {
        let c = config(&[]).unwrap();
        assert_eq!(c.backend, ExecutionBackend::Local);
        assert_eq!(c.auth_mode, AuthMode::All);
        assert_eq!(c.bind.to_string(), DEFAULT_BIND);
        assert_eq!(c.runs_dir, PathBuf::from("runs"));
        assert_eq!(c.local_max_concurrency, 2);
        assert_eq!(c.run_body_limit, 1024 * 1024);
        assert_eq!(c.dispatch_find_timeout, Duration::from_secs(600));
        assert!(c.api_token.is_none());
        assert_eq!(c.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.request_body_timeout, Duration::from_secs(30));
        assert_eq!(c.write_timeout, Duration::from_secs(30));
        assert_eq!(c.max_connections, None);
        assert_eq!(c.min_free_disk_bytes, 64 * 1024 * 1024);
        assert_eq!(c.token_state(), TokenState::Missing);
    }

    #[test]
    fn hardening_settings_read_empty_as_unset_and_refuse_zero() {
        let c = config(&[
            ("PASS_HEADER_READ_TIMEOUT_MS", "250"),
            ("PASS_WRITE_TIMEOUT_MS", " "),
            ("PASS_MAX_CONNECTIONS", "64"),
            ("PASS_MIN_FREE_DISK_BYTES", "0"),
        ])
        .unwrap();
        assert_eq!(c.header_read_timeout, Duration::from_millis(250));
        assert_eq!(c.write_timeout, Duration::from_secs(30));
        assert_eq!(c.max_connections, Some(64));
        assert_eq!(c.min_free_disk_bytes, 0);
        for (name, value) in [
            ("PASS_HEADER_READ_TIMEOUT_MS", "0"),
            ("PASS_WRITE_TIMEOUT_MS", "soon"),
            ("PASS_MAX_CONNECTIONS", "0"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn the_placeholder_token_is_the_one_in_env_example() {
        let example = fs_err::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.env.example"),
        )
        .unwrap();
        assert!(
            example
                .lines()
                .any(|l| l == format!("PASS_API_TOKEN={ENV_EXAMPLE_TOKEN}")),
            "the placeholder in .env.example changed"
        );
        let c = config(&[("PASS_API_TOKEN", ENV_EXAMPLE_TOKEN)]).unwrap();
        assert_eq!(c.token_state(), TokenState::Placeholder);
        let c = config(&[("PASS_API_TOKEN", "a-real-secret")]).unwrap();
        assert_eq!(c.token_state(), TokenState::Set);
        let c = config(&[("PASS_API_TOKEN", "")]).unwrap();
        assert_eq!(c.token_state(), TokenState::Missing);
    }

    #[test]
    fn github_backend_is_the_default_when_repository_and_token_exist() {
        let c = config(&[
            ("GITHUB_WORKFLOW_OWNER", "acme"),
            ("GITHUB_WORKFLOW_REPO", "flows"),
            ("GITHUB_REPOSITORY", "other/repo"),
            ("GITHUB_TOKEN", "t"),
        ])
        .unwrap();
        assert_eq!(c.backend, ExecutionBackend::GithubActions);
        let gh = c.github.unwrap();
        assert_eq!((gh.owner.as_str(), gh.repo.as_str()), ("acme", "flows"));
        assert_eq!(gh.api_url.as_str(), "https://api.github.com/");
        assert_eq!(gh.git_ref, "main");
        assert_eq!(gh.planner_workflow_file, "phase1-planner.yml");
        assert_eq!(gh.connect_timeout, Duration::from_secs(10));
        assert_eq!(gh.read_timeout, Duration::from_secs(60));
    }

    #[test]
    fn explicit_backend_wins_and_errors_name_the_variable() {
        let c = config(&[
            ("GITHUB_REPOSITORY", "a/b"),
            ("GITHUB_TOKEN", "t"),
            ("PASS_EXECUTION_BACKEND", "local"),
        ])
        .unwrap();
        assert_eq!(c.backend, ExecutionBackend::Local);
        let err = config(&[("PASS_EXECUTION_BACKEND", "github_actions")]).unwrap_err();
        assert!(err.to_string().contains("missing: repository"), "{err}");
        let err = config(&[("PASS_LOCAL_MAX_CONCURRENCY", "many")]).unwrap_err();
        assert!(
            err.to_string().contains("PASS_LOCAL_MAX_CONCURRENCY"),
            "{err}"
        );
        let err = config(&[("PASS_API_AUTH", "none")]).unwrap_err();
        assert!(err.to_string().contains("PASS_API_AUTH"), "{err}");
        assert!(err.to_string().contains("all, agents"), "{err}");
        // Choices ignore case; blank values count as unset.
        let c = config(&[("PASS_API_AUTH", "Agents"), ("PASS_EXECUTION_BACKEND", " ")]).unwrap();
        assert_eq!(c.auth_mode, AuthMode::Agents);
        assert_eq!(c.backend, ExecutionBackend::Local);
        let c = config(&[
            ("GITHUB_REPOSITORY", "a/b"),
            ("GITHUB_TOKEN", "t"),
            ("PASS_EXECUTION_BACKEND", "GITHUB_ACTIONS"),
        ])
        .unwrap();
        assert_eq!(c.backend, ExecutionBackend::GithubActions);
    }
}
