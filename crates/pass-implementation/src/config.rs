//! One typed configuration, read once from the environment the seed's users
//! already have, so nothing else in the crate looks at environment variables.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;
use uuid::Uuid;

use crate::error::ConfigError;

/// Where the agent writes issues, chosen once per process.
#[derive(Debug, Clone)]
pub enum TargetConfig {
    Github(GithubSettings),
    Local(LocalSettings),
}

/// A GitHub (or GitHub Enterprise Server) repository and the means to write to it.
#[derive(Debug, Clone)]
pub struct GithubSettings {
    /// `GITHUB_API_URL`: `https://api.github.com`, a GHES `/api/v3` URL or a loopback stand-in.
    pub api_url: Url,
    pub owner: String,
    pub repo: String,
    pub token: SecretString,
    /// Pause between content-creating requests, per GitHub's guidance on secondary rate limits.
    pub write_interval: Duration,
}

/// Markdown issue files, for projects that have no GitHub repository.
#[derive(Debug, Clone)]
pub struct LocalSettings {
    /// `PASS_LOCAL_ISSUES_DIR`. The server sets it for the agents it starts
    /// (each project's folder in its runs folder); a sync started by hand
    /// without it is refused rather than writing a second set of issue files
    /// into whatever folder it was started in.
    pub dir: Option<PathBuf>,
}

impl LocalSettings {
    /// The folder holding the issue files.
    pub fn dir(&self) -> Result<&std::path::Path, ConfigError> {
        self.dir.as_deref().ok_or(ConfigError::LocalIssuesDirUnset)
    }
}

/// Everything the implementation agent and `pass sync` need from the environment.
#[derive(Debug, Clone)]
pub struct ImplementationConfig {
    /// `PASS_API_BASE_URL`; only the agent needs it, so absence is reported when the agent starts.
    pub api_base_url: Option<String>,
    /// `PASS_API_TOKEN`, sent as a bearer token to the PASS API.
    pub api_token: Option<SecretString>,
    pub target: TargetConfig,
    /// Why `target` was chosen, for the line the agent prints.
    pub target_reason: String,
    /// `GITHUB_RUN_ID` when the agent runs inside GitHub Actions, reported with the execution.
    pub github_run_id: Option<u64>,
    /// `GITHUB_RUN_URL`, reported with the execution.
    pub github_run_url: Option<Url>,
    /// `PASS_EXECUTION_ID`: the execution this agent was started for (the
    /// local backend sets it); otherwise read from the run when the agent starts.
    pub execution_id: Option<Uuid>,
    /// `PASS_SYNC_LEASE_TTL_SECONDS` (default 120): how long the project's sync
    /// lease lasts unless renewed; a crashed sync blocks others this long.
    pub lease_ttl_seconds: u32,
    /// `PASS_SYNC_TIME_BUDGET_MS` (default 30 minutes): how long the sync may
    /// wait out GitHub's rate limits in all before it gives up.
    pub time_budget: Duration,
}

const DEFAULT_API_URL: &str = "https://api.github.com";
const DEFAULT_WRITE_INTERVAL_MS: u64 = 1000;
const DEFAULT_LEASE_TTL_SECONDS: u32 = 120;
const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(30 * 60);

/// The issue targets `PASS_ISSUE_TARGET` names.
#[derive(Debug, Clone, Copy)]
enum TargetName {
    Github,
    Local,
}

impl ImplementationConfig {
    /// Reads the configuration through `lookup` (the process environment in
    /// the binary, a map in tests). Blank values count as unset, and a split
    /// variable wins over its older shared fallback.
    pub fn from_lookup<F>(lookup: F) -> Result<Self, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| pass_contracts::env::setting(&lookup, name);

        let repository = read_repository(&get)?;
        let token = [
            "PASS_GITHUB_ISSUES_TOKEN",
            "GITHUB_ISSUES_TOKEN",
            "PASS_GITHUB_TOKEN",
            "GITHUB_TOKEN",
        ]
        .iter()
        .find_map(|name| get(name))
        .map(SecretString::from);

        let api_url = match get("GITHUB_API_URL") {
            Some(value) => parse_http_url("GITHUB_API_URL", &value)?,
            None => parse_http_url("GITHUB_API_URL", DEFAULT_API_URL)?,
        };
        let write_interval = match get("PASS_GITHUB_WRITE_INTERVAL_MS") {
            Some(value) => {
                Duration::from_millis(value.parse::<u64>().map_err(|_| ConfigError::BadValue {
                    name: "PASS_GITHUB_WRITE_INTERVAL_MS",
                    value: value.clone(),
                    reason: "expected a whole number of milliseconds".to_owned(),
                })?)
            }
            None => Duration::from_millis(DEFAULT_WRITE_INTERVAL_MS),
        };
        let local = LocalSettings {
            dir: get("PASS_LOCAL_ISSUES_DIR").map(PathBuf::from),
        };

        let target_choice = get("PASS_ISSUE_TARGET")
            .map(|value| {
                pass_contracts::env::choice(
                    "PASS_ISSUE_TARGET",
                    &value,
                    &[("github", TargetName::Github), ("local", TargetName::Local)],
                )
                .map_err(|e| ConfigError::BadTarget(e.value))
            })
            .transpose()?;
        let (target, target_reason) = match target_choice {
            Some(TargetName::Github) => {
                let (owner, repo) = repository.ok_or(ConfigError::MissingRepository)?;
                let token = token.ok_or(ConfigError::MissingToken)?;
                (
                    TargetConfig::Github(GithubSettings {
                        api_url,
                        owner,
                        repo,
                        token,
                        write_interval,
                    }),
                    "PASS_ISSUE_TARGET=github".to_owned(),
                )
            }
            Some(TargetName::Local) => (
                TargetConfig::Local(local),
                "PASS_ISSUE_TARGET=local".to_owned(),
            ),
            None => match (repository, token) {
                (Some((owner, repo)), Some(token)) => (
                    TargetConfig::Github(GithubSettings {
                        api_url,
                        owner,
                        repo,
                        token,
                        write_interval,
                    }),
                    "PASS_ISSUE_TARGET is unset and a GitHub repository and token are configured"
                        .to_owned(),
                ),
                (repository, _) => (
                    TargetConfig::Local(local),
                    format!(
                        "PASS_ISSUE_TARGET is unset and no GitHub {} is configured",
                        if repository.is_none() {
                            "repository"
                        } else {
                            "token"
                        }
                    ),
                ),
            },
        };

        let github_run_id =
            match get("GITHUB_RUN_ID") {
                Some(value) => Some(value.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(
                    || ConfigError::BadValue {
                        name: "GITHUB_RUN_ID",
                        value: value.clone(),
                        reason: "expected a positive whole number".to_owned(),
                    },
                )?),
                None => None,
            };
        let github_run_url = match get("GITHUB_RUN_URL") {
            Some(value) => Some(parse_http_url("GITHUB_RUN_URL", &value)?),
            None => None,
        };

        let execution_id = match get("PASS_EXECUTION_ID") {
            Some(value) => Some(Uuid::parse_str(&value).map_err(|_| ConfigError::BadValue {
                name: "PASS_EXECUTION_ID",
                value: value.clone(),
                reason: "expected a UUID".to_owned(),
            })?),
            None => None,
        };
        let lease_ttl_seconds = match get("PASS_SYNC_LEASE_TTL_SECONDS") {
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|v| (10..=3600).contains(v))
                .ok_or_else(|| ConfigError::BadValue {
                    name: "PASS_SYNC_LEASE_TTL_SECONDS",
                    value: value.clone(),
                    reason: "expected a whole number of seconds from 10 to 3600".to_owned(),
                })?,
            None => DEFAULT_LEASE_TTL_SECONDS,
        };
        let time_budget = match get("PASS_SYNC_TIME_BUDGET_MS") {
            Some(value) => {
                Duration::from_millis(value.parse::<u64>().map_err(|_| ConfigError::BadValue {
                    name: "PASS_SYNC_TIME_BUDGET_MS",
                    value: value.clone(),
                    reason: "expected a whole number of milliseconds".to_owned(),
                })?)
            }
            None => DEFAULT_TIME_BUDGET,
        };

        Ok(Self {
            api_base_url: get("PASS_API_BASE_URL"),
            api_token: get("PASS_API_TOKEN").map(SecretString::from),
            target,
            target_reason,
            github_run_id,
            github_run_url,
            execution_id,
            lease_ttl_seconds,
            time_budget,
        })
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// One line saying which target was chosen and why, for the agent to print.
    pub fn describe_target(&self) -> String {
        match &self.target {
            TargetConfig::Github(github) => format!(
                "issue target: github, repository {}/{} at {} ({})",
                github.owner, github.repo, github.api_url, self.target_reason
            ),
            TargetConfig::Local(local) => match &local.dir {
                Some(dir) => format!(
                    "issue target: local, Markdown files in {} ({})",
                    dir.display(),
                    self.target_reason
                ),
                None => format!(
                    "issue target: local, the project's folder on the PASS server ({})",
                    self.target_reason
                ),
            },
        }
    }
}

/// The issues repository: split variables first (`GITHUB_ISSUES_*`), then the
/// older shared ones; each pair is owner + repo, each single value `owner/repo`.
fn read_repository(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<(String, String)>, ConfigError> {
    let candidates = [
        (
            "GITHUB_ISSUES_REPOSITORY",
            "GITHUB_ISSUES_OWNER",
            "GITHUB_ISSUES_REPO",
        ),
        ("GITHUB_REPOSITORY", "GITHUB_OWNER", "GITHUB_REPO"),
    ];
    for (full, owner_name, repo_name) in candidates {
        if let Some(value) = get(full) {
            let (owner, repo) = value
                .split_once('/')
                .filter(|(o, r)| valid_segment(o) && valid_segment(r))
                .ok_or_else(|| ConfigError::BadRepository {
                    name: full,
                    value: value.clone(),
                })?;
            return Ok(Some((owner.to_owned(), repo.to_owned())));
        }
        if let (Some(owner), Some(repo)) = (get(owner_name), get(repo_name)) {
            for (name, value) in [(owner_name, &owner), (repo_name, &repo)] {
                if !valid_segment(value) {
                    return Err(ConfigError::BadRepository {
                        name,
                        value: value.clone(),
                    });
                }
            }
            return Ok(Some((owner, repo)));
        }
        // A half-set split pair is a mistake worth naming rather than
        // silently falling back to the shared repository.
        if full == "GITHUB_ISSUES_REPOSITORY" {
            match (get(owner_name), get(repo_name)) {
                (Some(value), None) | (None, Some(value)) => {
                    let (set, missing) = if get(owner_name).is_some() {
                        (owner_name, repo_name)
                    } else {
                        (repo_name, owner_name)
                    };
                    return Err(ConfigError::BadValue {
                        name: set,
                        value,
                        reason: format!("{missing} must be set with it"),
                    });
                }
                _ => {}
            }
        }
    }
    Ok(None)
}

/// GitHub owner and repository names: letters, digits, `-`, `_`, `.`; never a
/// path segment such as `..`.
fn valid_segment(value: &str) -> bool {
    !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn parse_http_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::BadValue {
        name,
        value: value.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::BadValue {
            name,
            value: value.to_owned(),
            reason: "the scheme must be http or https".to_owned(),
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<ImplementationConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ImplementationConfig::from_lookup(|name| map.get(name).cloned())
    }

    fn github(config: &ImplementationConfig) -> &GithubSettings {
        match &config.target {
            TargetConfig::Github(github) => github,
            TargetConfig::Local(_) => panic!("expected the github target"),
        }
    }

    #[test]
    fn split_variables_win_over_the_shared_fallbacks() {
        let c = config(&[
            ("GITHUB_REPOSITORY", "shared/old"),
            ("GITHUB_ISSUES_OWNER", "acme"),
            ("GITHUB_ISSUES_REPO", "tracker"),
            ("GITHUB_TOKEN", "shared-token"),
            ("GITHUB_ISSUES_TOKEN", "issues-token"),
        ])
        .unwrap();
        let g = github(&c);
        assert_eq!((g.owner.as_str(), g.repo.as_str()), ("acme", "tracker"));
        assert_eq!(g.token.expose_secret(), "issues-token");
        assert_eq!(g.api_url.as_str(), "https://api.github.com/");
        assert_eq!(g.write_interval, Duration::from_millis(1000));

        let c = config(&[
            ("GITHUB_ISSUES_REPOSITORY", "a/b"),
            ("GITHUB_ISSUES_OWNER", "x"),
            ("GITHUB_ISSUES_REPO", "y"),
            ("PASS_GITHUB_ISSUES_TOKEN", "p"),
            ("GITHUB_ISSUES_TOKEN", "q"),
        ])
        .unwrap();
        assert_eq!(github(&c).repo, "b");
        assert_eq!(github(&c).token.expose_secret(), "p");
    }

    #[test]
    fn the_target_defaults_to_github_only_with_repository_and_token() {
        let c = config(&[("GITHUB_REPOSITORY", "o/r")]).unwrap();
        assert!(matches!(c.target, TargetConfig::Local(_)));
        assert!(
            c.target_reason.contains("no GitHub token"),
            "{}",
            c.target_reason
        );
        let line = c.describe_target();
        assert!(
            line.contains("the project's folder on the PASS server"),
            "{line}"
        );

        let c = config(&[
            ("GITHUB_OWNER", "o"),
            ("GITHUB_REPO", "r"),
            ("PASS_GITHUB_TOKEN", "sekrit-123"),
        ])
        .unwrap();
        assert_eq!(github(&c).owner, "o");
        let line = c.describe_target();
        assert!(line.contains("github, repository o/r"), "{line}");
        assert!(!line.contains("sekrit-123") && !format!("{c:?}").contains("sekrit-123"));
    }

    #[test]
    fn an_explicit_github_target_names_the_missing_variables() {
        let err = config(&[("PASS_ISSUE_TARGET", "github"), ("GITHUB_TOKEN", "t")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GITHUB_ISSUES_REPOSITORY"), "{text}");
        assert!(text.contains("GITHUB_REPOSITORY"), "{text}");
        let err = config(&[
            ("PASS_ISSUE_TARGET", "github"),
            ("GITHUB_REPOSITORY", "o/r"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("PASS_GITHUB_ISSUES_TOKEN"),
            "{err}"
        );
        let err = config(&[("PASS_ISSUE_TARGET", "gitlab")]).unwrap_err();
        assert!(err.to_string().contains("gitlab"), "{err}");
        // Named choices ignore case.
        let c = config(&[
            ("PASS_ISSUE_TARGET", "Local"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_TOKEN", "t"),
        ])
        .unwrap();
        assert!(matches!(c.target, TargetConfig::Local(_)));
    }

    #[test]
    fn local_settings_and_numbers_are_read_and_checked() {
        let c = config(&[
            ("PASS_ISSUE_TARGET", "local"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_TOKEN", "t"),
            ("RUNS_DIR", "/data/runs"),
        ])
        .unwrap();
        match &c.target {
            TargetConfig::Local(local) => {
                let refused = local.dir().unwrap_err().to_string();
                assert!(refused.contains("PASS_LOCAL_ISSUES_DIR"), "{refused}");
            }
            TargetConfig::Github(_) => panic!("expected local"),
        }
        let c = config(&[
            ("PASS_LOCAL_ISSUES_DIR", "/tmp/x"),
            ("PASS_EXECUTION_ID", "6f1c2c8e-6a4e-4a57-9d57-3f3b8f2f4a10"),
            ("PASS_SYNC_LEASE_TTL_SECONDS", "30"),
        ])
        .unwrap();
        match &c.target {
            TargetConfig::Local(local) => {
                assert_eq!(local.dir().unwrap(), std::path::Path::new("/tmp/x"))
            }
            TargetConfig::Github(_) => panic!("expected local"),
        }
        assert!(c.execution_id.is_some());
        assert_eq!(c.lease_ttl_seconds, 30);
        for (name, value) in [
            ("PASS_EXECUTION_ID", "nope"),
            ("PASS_SYNC_LEASE_TTL_SECONDS", "5"),
            ("PASS_SYNC_TIME_BUDGET_MS", "a while"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }

        let err = config(&[("PASS_GITHUB_WRITE_INTERVAL_MS", "soon")]).unwrap_err();
        assert!(
            err.to_string().contains("PASS_GITHUB_WRITE_INTERVAL_MS"),
            "{err}"
        );
        let err = config(&[
            ("GITHUB_ISSUES_OWNER", "acme"),
            ("GITHUB_REPOSITORY", "o/r"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("GITHUB_ISSUES_REPO must be set"),
            "{err}"
        );
        let err = config(&[("GITHUB_REPOSITORY", "../etc")]).unwrap_err();
        assert!(err.to_string().contains("GITHUB_REPOSITORY"), "{err}");
        let err = config(&[("GITHUB_API_URL", "ftp://x")]).unwrap_err();
        assert!(err.to_string().contains("GITHUB_API_URL"), "{err}");

        let c = config(&[
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_API_URL", "http://127.0.0.1:9/api/v3"),
            ("PASS_GITHUB_WRITE_INTERVAL_MS", "0"),
            ("GITHUB_RUN_ID", "42"),
        ])
        .unwrap();
        assert_eq!(github(&c).write_interval, Duration::ZERO);
        assert_eq!(github(&c).api_url.path(), "/api/v3");
        assert_eq!(c.github_run_id, Some(42));
    }
}
