//! The planner's configuration: read once from the environment (through a
//! lookup function, so tests pass a map) and handed down.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::model::RetryPolicy;
use crate::sections::{ALL_SECTIONS, SectionName};

/// Which model writes the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Anthropic,
    Openai,
    Offline,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Openai => "openai",
            Provider::Offline => "offline",
        }
    }

    /// Every provider, as spelled in `PASS_LLM_PROVIDER` and `--provider`.
    pub const ALL: [Provider; 3] = [Provider::Anthropic, Provider::Openai, Provider::Offline];

    /// Parses `anthropic`, `openai` or `offline` (any case).
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.as_str().eq_ignore_ascii_case(value.trim()))
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the provider was chosen; printed so users know which model ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderReason {
    /// `PASS_LLM_PROVIDER` named it.
    Configured,
    /// `--provider` named it.
    Flag,
    /// `PASS_LLM_PROVIDER` unset and `ANTHROPIC_API_KEY` set.
    AnthropicKeyPresent,
    /// Neither set: the network-free default.
    Default,
}

/// A configuration value that could not be used; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration {name}: {message}")]
pub struct ConfigError {
    pub name: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    pub api_key: Option<SecretString>,
    pub base_url: String,
    pub version: String,
    pub model: String,
    pub timeout: Duration,
    /// Output budget per section (`ANTHROPIC_*_MAX_TOKENS`).
    pub max_tokens: BTreeMap<SectionName, u32>,
}

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub api_key: Option<SecretString>,
    pub base_url: String,
    pub model: String,
    pub timeout: Duration,
}

/// Everything the planner reads from its environment.
#[derive(Debug, Clone)]
pub struct PlannerConfig {
    pub provider: Provider,
    pub provider_reason: ProviderReason,
    pub anthropic: AnthropicConfig,
    pub openai: OpenAiConfig,
    pub retry: RetryPolicy,
    /// Sections generated at once (`PASS_PLANNER_CONCURRENCY`, default 4).
    pub concurrency: usize,
    /// Attempts per section including repairs (`PASS_PLANNER_MAX_ATTEMPTS`, default 3).
    pub max_attempts: u32,
    /// Cap on a run's total tokens (`PASS_PLANNER_MAX_TOKENS`); none when unset.
    pub max_total_tokens: Option<u64>,
    /// Characters of PRD sent to a model (`PASS_PLANNER_MAX_PROMPT_CHARS`, default 400000).
    pub max_prompt_chars: usize,
    /// The pack's `tool.version` (`PASS_2A_VERSION`, default 0.1.0).
    pub tool_version: String,
    /// `PASS_API_BASE_URL`, for `--run-id`.
    pub api_base_url: Option<String>,
    /// `PASS_API_TOKEN`, for `--run-id`.
    pub api_token: Option<SecretString>,
    /// `RUNS_DIR` (default `runs`): where `--run-id` keeps its checkpoints.
    pub runs_dir: PathBuf,
    /// `GITHUB_RUN_ID`, reported with the execution.
    pub github_run_id: Option<u64>,
    /// `GITHUB_RUN_URL`, or one built from `GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`/`GITHUB_RUN_ID`.
    pub github_run_url: Option<String>,
    /// `PASS_EXECUTION_ID`: the execution this agent was started for (the
    /// local backend sets it); otherwise read from the run at start.
    pub execution_id: Option<uuid::Uuid>,
}

/// Upper limit on a PRD: larger ones are refused rather than half-read.
pub const MAX_PRD_BYTES: usize = 1024 * 1024;

impl PlannerConfig {
    /// Builds the configuration from `lookup` (e.g. `|k| std::env::var(k).ok()`).
    /// Blank values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| pass_contracts::env::setting(&lookup, name);
        let secret = |name: &str| get(name).map(|v| SecretString::from(v.trim().to_owned()));
        let number = |name: &str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| ConfigError {
                    name: name.to_owned(),
                    message: format!("expected a whole number, found {v:?}"),
                }),
            }
        };

        let anthropic_key = secret("ANTHROPIC_API_KEY");
        let endpoint = crate::agent::ApiEndpoint::from_lookup(&lookup);
        let (provider, provider_reason) = match get("PASS_LLM_PROVIDER") {
            Some(value) => (
                Provider::parse(&value).ok_or_else(|| ConfigError {
                    name: "PASS_LLM_PROVIDER".to_owned(),
                    message: format!("expected anthropic, openai or offline, found {value:?}"),
                })?,
                ProviderReason::Configured,
            ),
            None if anthropic_key.is_some() => {
                (Provider::Anthropic, ProviderReason::AnthropicKeyPresent)
            }
            None => (Provider::Offline, ProviderReason::Default),
        };

        let mut max_tokens = BTreeMap::new();
        for section in ALL_SECTIONS {
            let value = number(
                section.budget_env(),
                u64::from(section.default_max_tokens()),
            )?;
            let value = u32::try_from(value)
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| ConfigError {
                    name: section.budget_env().to_owned(),
                    message: format!("expected a positive number of tokens, found {value}"),
                })?;
            max_tokens.insert(section, value);
        }

        let github_run_id =
            match get("GITHUB_RUN_ID") {
                None => None,
                Some(v) => Some(v.trim().parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(
                    || ConfigError {
                        name: "GITHUB_RUN_ID".to_owned(),
                        message: format!("expected a positive number, found {v:?}"),
                    },
                )?),
            };
        let github_run_url = get("GITHUB_RUN_URL").or_else(|| {
            match (
                get("GITHUB_SERVER_URL"),
                get("GITHUB_REPOSITORY"),
                github_run_id,
            ) {
                (Some(server), Some(repo), Some(id)) => Some(format!(
                    "{}/{}/actions/runs/{id}",
                    server.trim().trim_end_matches('/'),
                    repo.trim()
                )),
                _ => None,
            }
        });

        let concurrency = number("PASS_PLANNER_CONCURRENCY", 4)?;
        if concurrency == 0 {
            return Err(ConfigError {
                name: "PASS_PLANNER_CONCURRENCY".to_owned(),
                message: "must be at least 1".to_owned(),
            });
        }
        let max_attempts = number("PASS_PLANNER_MAX_ATTEMPTS", 3)?;
        if max_attempts == 0 {
            return Err(ConfigError {
                name: "PASS_PLANNER_MAX_ATTEMPTS".to_owned(),
                message: "must be at least 1".to_owned(),
            });
        }
        let max_total_tokens = match get("PASS_PLANNER_MAX_TOKENS") {
            None => None,
            Some(_) => Some(number("PASS_PLANNER_MAX_TOKENS", 0)?),
        };

        let config = Self {
            provider,
            provider_reason,
            anthropic: AnthropicConfig {
                api_key: anthropic_key,
                base_url: get("ANTHROPIC_BASE_URL")
                    .unwrap_or_else(|| "https://api.anthropic.com/v1".to_owned()),
                version: get("ANTHROPIC_VERSION").unwrap_or_else(|| "2023-06-01".to_owned()),
                model: get("ANTHROPIC_MODEL").unwrap_or_else(|| "claude-sonnet-4-6".to_owned()),
                timeout: Duration::from_millis(number("ANTHROPIC_TIMEOUT_MS", 45_000)?),
                max_tokens,
            },
            openai: OpenAiConfig {
                api_key: secret("OPENAI_API_KEY"),
                base_url: get("OPENAI_BASE_URL")
                    .unwrap_or_else(|| "https://api.openai.com/v1".to_owned()),
                model: get("OPENAI_MODEL").unwrap_or_else(|| "gpt-4.1-mini".to_owned()),
                timeout: Duration::from_millis(number("OPENAI_TIMEOUT_MS", 120_000)?),
            },
            retry: RetryPolicy {
                max_retries: u32::try_from(number("PASS_LLM_MAX_RETRIES", 4)?).unwrap_or(4),
                base_delay: Duration::from_millis(number("PASS_LLM_RETRY_BASE_MS", 500)?),
                max_delay: Duration::from_millis(number("PASS_LLM_RETRY_MAX_MS", 30_000)?),
            },
            concurrency: usize::try_from(concurrency).unwrap_or(4),
            max_attempts: u32::try_from(max_attempts).unwrap_or(3),
            max_total_tokens,
            max_prompt_chars: usize::try_from(number("PASS_PLANNER_MAX_PROMPT_CHARS", 400_000)?)
                .unwrap_or(400_000),
            tool_version: get("PASS_2A_VERSION").unwrap_or_else(|| "0.1.0".to_owned()),
            api_base_url: endpoint.base_url,
            api_token: endpoint.token,
            runs_dir: PathBuf::from(get("RUNS_DIR").unwrap_or_else(|| "runs".to_owned())),
            github_run_id,
            github_run_url,
            execution_id: match get("PASS_EXECUTION_ID") {
                None => None,
                Some(v) => Some(uuid::Uuid::parse_str(v.trim()).map_err(|_| ConfigError {
                    name: "PASS_EXECUTION_ID".to_owned(),
                    message: format!("expected a UUID, found {v:?}"),
                })?),
            },
        };
        config.check_provider_key()?;
        Ok(config)
    }

    /// Reads the process environment; the one place that does.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Overrides the provider (the `--provider` flag).
    pub fn with_provider(mut self, provider: Provider) -> Result<Self, ConfigError> {
        self.provider = provider;
        self.provider_reason = ProviderReason::Flag;
        self.check_provider_key()?;
        Ok(self)
    }

    fn check_provider_key(&self) -> Result<(), ConfigError> {
        match self.provider {
            Provider::Anthropic if self.anthropic.api_key.is_none() => Err(ConfigError {
                name: "ANTHROPIC_API_KEY".to_owned(),
                message: "the anthropic provider needs it; set it or choose PASS_LLM_PROVIDER=offline".to_owned(),
            }),
            Provider::Openai if self.openai.api_key.is_none() && is_remote_openai(&self.openai.base_url) => {
                Err(ConfigError {
                    name: "OPENAI_API_KEY".to_owned(),
                    message: "the openai provider needs it for api.openai.com; local servers (OPENAI_BASE_URL) may go without".to_owned(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The model name the chosen provider uses.
    pub fn model_name(&self) -> &str {
        match self.provider {
            Provider::Anthropic => &self.anthropic.model,
            Provider::Openai => &self.openai.model,
            Provider::Offline => crate::model::offline::OFFLINE_MODEL_NAME,
        }
    }

    /// One line saying which model runs and why, for printing at start.
    pub fn describe_provider(&self) -> String {
        let why = match self.provider_reason {
            ProviderReason::Configured => "PASS_LLM_PROVIDER".to_owned(),
            ProviderReason::Flag => "--provider".to_owned(),
            ProviderReason::AnthropicKeyPresent => {
                "PASS_LLM_PROVIDER unset, ANTHROPIC_API_KEY set".to_owned()
            }
            ProviderReason::Default => {
                "PASS_LLM_PROVIDER and ANTHROPIC_API_KEY unset; network-free default".to_owned()
            }
        };
        match self.provider {
            Provider::Anthropic => format!(
                "planner provider: anthropic (model {}, {}) chosen by {why}",
                self.anthropic.model, self.anthropic.base_url
            ),
            Provider::Openai => format!(
                "planner provider: openai (model {}, {}) chosen by {why}",
                self.openai.model, self.openai.base_url
            ),
            Provider::Offline => {
                format!("planner provider: offline (deterministic PRD reader) chosen by {why}")
            }
        }
    }
}

fn is_remote_openai(base_url: &str) -> bool {
    base_url.contains("api.openai.com")
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn config(pairs: &[(&str, &str)]) -> Result<PlannerConfig, ConfigError> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        PlannerConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn provider_choice_follows_the_rule() {
        let c = config(&[]).unwrap();
        assert_eq!(c.provider, Provider::Offline);
        assert!(c.describe_provider().contains("offline"));

        let c = config(&[("ANTHROPIC_API_KEY", "sk-test")]).unwrap();
        assert_eq!(c.provider, Provider::Anthropic);
        assert!(c.describe_provider().contains("ANTHROPIC_API_KEY set"));
        assert!(!c.describe_provider().contains("sk-test"));

        let c = config(&[("ANTHROPIC_API_KEY", "k"), ("PASS_LLM_PROVIDER", "offline")]).unwrap();
        assert_eq!(c.provider, Provider::Offline);

        let err = config(&[("PASS_LLM_PROVIDER", "anthropic")]).unwrap_err();
        assert_eq!(err.name, "ANTHROPIC_API_KEY");
        let err = config(&[("PASS_LLM_PROVIDER", "gpt")]).unwrap_err();
        assert_eq!(err.name, "PASS_LLM_PROVIDER");

        let c = config(&[
            ("PASS_LLM_PROVIDER", "openai"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"),
        ])
        .unwrap();
        assert_eq!(c.provider, Provider::Openai);
    }

    #[test]
    fn values_and_defaults_are_read() {
        let c = config(&[
            ("ANTHROPIC_API_KEY", " key "),
            ("ANTHROPIC_TIMEOUT_MS", "1500"),
            ("ANTHROPIC_ARCHITECTURE_MAX_TOKENS", "1234"),
            ("PASS_PLANNER_MAX_TOKENS", "90000"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_SERVER_URL", "https://github.com/"),
            ("GITHUB_REPOSITORY", "acme/pass"),
        ])
        .unwrap();
        assert_eq!(c.anthropic.api_key.as_ref().unwrap().expose_secret(), "key");
        assert_eq!(c.anthropic.timeout, Duration::from_millis(1500));
        assert_eq!(c.anthropic.max_tokens[&SectionName::Architecture], 1234);
        assert_eq!(c.anthropic.max_tokens[&SectionName::Core], 4096);
        assert_eq!(c.anthropic.model, "claude-sonnet-4-6");
        assert_eq!(c.max_total_tokens, Some(90_000));
        assert_eq!(
            c.github_run_url.as_deref(),
            Some("https://github.com/acme/pass/actions/runs/42")
        );
        assert_eq!(c.concurrency, 4);
        assert_eq!(c.max_attempts, 3);

        let err = config(&[("ANTHROPIC_TIMEOUT_MS", "soon")]).unwrap_err();
        assert!(err.to_string().contains("ANTHROPIC_TIMEOUT_MS"), "{err}");
        assert!(
            !format!("{c:?}").contains("key\""),
            "secrets are redacted in Debug"
        );
    }
}
