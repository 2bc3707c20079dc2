//! The planner's errors: each says what went wrong and where (section,
//! provider, HTTP status, file, API step). None carries a secret.

use pass_client::ClientError;
use pass_contracts::{OrgConstraintsError, Problem};
use uuid::Uuid;

use crate::config::{ConfigError, Provider};
use crate::model::ModelError;
use crate::sections::SectionName;

#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    #[error("the PRD is empty: there is nothing to plan")]
    EmptyPrd,
    #[error("the PRD is {bytes} bytes; PASS plans PRDs of up to {limit} bytes")]
    PrdTooLarge { bytes: usize, limit: usize },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    OrgConstraints(#[from] OrgConstraintsError),
    #[error("section `{section}` ({provider}): {source}")]
    Model {
        section: SectionName,
        provider: Provider,
        source: ModelError,
    },
    #[error("asking {provider} which sections the change re-plans: {source}")]
    Triage {
        provider: Provider,
        source: ModelError,
    },
    #[error(
        "section `{section}` ({provider}) was still invalid after {attempts} attempt(s): {}",
        problems.join("; ")
    )]
    SectionInvalid {
        section: SectionName,
        provider: Provider,
        attempts: u32,
        problems: Vec<String>,
    },
    #[error(
        "stopped before section `{section}`: it may need {needed} tokens, the run has used {used} and PASS_PLANNER_MAX_TOKENS is {limit}; no call was made that could cross the cap"
    )]
    TokenBudget {
        section: SectionName,
        limit: u64,
        used: u64,
        needed: u64,
    },
    #[error("the assembled pack failed contract validation (a PASS bug): {}", render(.0))]
    PackInvalid(Vec<Problem>),
    /// `source` comes from `fs_err`, so it already names the file.
    #[error("could not {action}: {source}")]
    Io {
        action: &'static str,
        source: std::io::Error,
    },
    #[error("PASS API call failed while {step}: {source}")]
    Api {
        step: &'static str,
        source: ClientError,
    },
    #[error("run {run_id} has no input: there is no PRD to plan")]
    NoInput { run_id: Uuid },
    #[error("{0} is not set; `planner --run-id` needs it")]
    MissingSetting(&'static str),
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .take(10)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl PlannerError {
    /// Wraps an `fs_err` error (which names the file) with what was being done.
    pub fn io(action: &'static str, source: std::io::Error) -> Self {
        PlannerError::Io { action, source }
    }
}
