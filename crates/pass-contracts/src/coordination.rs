//! The coordination rail (PASS's addition to contract v0.1): a plan's
//! questions as records people answer, the approval gate between a plan and
//! its issues, and refinements that re-plan what an answer or a request
//! changes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::pack::ArchitecturePack;
use crate::text::{Text, Timestamp};

/// Where a revision's plan stands between planning and its issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanState {
    /// Exported, not approved yet.
    Draft,
    Approved,
    /// Its issues were synced.
    Synced,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Draft => "draft",
            PlanState::Approved => "approved",
            PlanState::Synced => "synced",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClarificationStatus {
    Open,
    Answered,
    /// Settled by accepting the plan's default assumption.
    Defaulted,
}

impl ClarificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClarificationStatus::Open => "open",
            ClarificationStatus::Answered => "answered",
            ClarificationStatus::Defaulted => "defaulted",
        }
    }
}

/// One question about a revision's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clarification {
    /// Stable across revisions for the same question.
    pub id: Text,
    pub question: Text,
    /// What the answer changes.
    pub why: Text,
    /// What the plan assumes until someone answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_assumption: Option<Text>,
    /// True when the default would change the architecture or the data
    /// model: the plan cannot be approved (and a running sync pauses) while
    /// it is open.
    pub blocking: bool,
    /// Sections and plan items the answer affects.
    #[serde(default)]
    pub affects: Vec<Text>,
    pub status: ClarificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<Timestamp>,
    /// Who asked: `plan` (the planner), or the person or agent that added it.
    pub asked_by: Text,
    pub created_at: Timestamp,
}

impl Clarification {
    pub fn is_open(&self) -> bool {
        self.status == ClarificationStatus::Open
    }

    pub fn is_open_and_blocking(&self) -> bool {
        self.is_open() && self.blocking
    }
}

/// `runs/<runId>/clarifications.json`, and the answer of `GET /runs/{id}/clarifications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationList {
    pub clarifications: Vec<Clarification>,
}

/// The body of `POST /runs/{id}/clarifications`: a person or an agent asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClarification {
    pub question: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_assumption: Option<Text>,
    #[serde(default)]
    pub blocking: bool,
    #[serde(default)]
    pub affects: Vec<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_by: Option<Text>,
}

/// The body of `POST /runs/{id}/clarifications/{cid}/answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationAnswer {
    pub answer: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<Text>,
    /// Plan the next revision with the answer (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replan: Option<bool>,
}

/// The optional body of `POST /runs/{id}/clarifications/{cid}/accept-default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptDefault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_by: Option<Text>,
}

/// What answering or accepting a default did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationOutcome {
    pub clarification: Clarification,
    /// The next revision planned with the answer, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_run_id: Option<Uuid>,
    /// True when a sync paused for this question was started again.
    #[serde(default)]
    pub resumed: bool,
}

/// The optional body of `POST /runs/{id}/approve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Settle the open blocking questions with their default assumptions.
    #[serde(default)]
    pub accept_defaults: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Text>,
}

/// The body of `POST /projects/{id}/refinements`: a change a person asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefinementRequest {
    /// In the person's words: "Use SQLite instead of PostgreSQL".
    pub request: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<Text>,
}

/// A question answered before this revision was planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnsweredQuestion {
    pub id: Text,
    pub question: Text,
    pub answer: Text,
}

/// What a refinement revision re-plans, carried in its run input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refinement {
    /// The revision whose plan is refined.
    pub base_run_id: Uuid,
    #[serde(default)]
    pub requests: Vec<Text>,
    #[serde(default)]
    pub answers: Vec<AnsweredQuestion>,
}

/// Words that mark a question whose answer can change the architecture or
/// the data model.
const STRUCTURAL_WORDS: &[&str] = &[
    "architecture",
    "database",
    "data store",
    "datastore",
    "storage",
    "schema",
    "data model",
    "hosting",
    "host",
    "deploy",
    "cloud",
    "platform",
    "offline",
    "sync",
    "authentication",
    "auth",
    "login",
    "multi-tenant",
    "tenant",
    "stack",
    "framework",
    "language",
    "mobile",
    "desktop",
    "queue",
    "real-time",
    "realtime",
];

/// Whether a question's answer can change the architecture or data model:
/// it names a component or a structural concern.
fn is_structural(text: &str, pack: &ArchitecturePack) -> bool {
    let lower = text.to_lowercase();
    let names = pack
        .architecture
        .components
        .iter()
        .map(|c| c.name.to_lowercase());
    STRUCTURAL_WORDS
        .iter()
        .any(|word| contains_word(&lower, word))
        || names
            .filter(|name| name.chars().count() >= 3)
            .any(|name| lower.contains(&name))
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + word.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

fn words(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

fn same_question(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    union > 0 && a.intersection(&b).count() * 10 >= union * 8
}

/// The clarification records of a revision's plan: its `clarifications`
/// (with the default the plan assumed) and its `open_questions`. A question
/// the previous revision already had keeps its id and, once answered or
/// defaulted there, its answer; new questions get ids not used before.
pub fn clarifications_from_pack(
    pack: &ArchitecturePack,
    previous: &[Clarification],
    now: Timestamp,
) -> Vec<Clarification> {
    let mut records: Vec<Clarification> = Vec::new();
    let mut used: std::collections::BTreeSet<String> =
        previous.iter().map(|c| c.id.to_string()).collect();
    let mut fresh_id = |wanted: &str, used: &mut std::collections::BTreeSet<String>| {
        if !used.contains(wanted) {
            used.insert(wanted.to_owned());
            return wanted.to_owned();
        }
        let mut n = used.len() + 1;
        loop {
            let id = format!("Q-{n}");
            if used.insert(id.clone()) {
                return id;
            }
            n += 1;
        }
    };
    let find_previous = |question: &str| {
        previous
            .iter()
            .find(|p| same_question(p.question.as_str(), question))
    };
    let text = |s: String| Text::new(s).ok();
    for c in &pack.clarifications {
        let structural = is_structural(&format!("{} {}", c.question, c.why_it_matters), pack);
        let mut record = Clarification {
            id: Text::new(c.id.trim()).unwrap_or_else(|_| c.id.clone()),
            question: c.question.clone(),
            why: c.why_it_matters.clone(),
            default_assumption: c.default_used.then(|| c.answer.clone()),
            blocking: structural,
            affects: Vec::new(),
            status: if c.default_used {
                ClarificationStatus::Open
            } else {
                ClarificationStatus::Answered
            },
            answer: (!c.default_used).then(|| c.answer.clone()),
            answered_by: (!c.default_used)
                .then(|| text("the PRD".to_owned()))
                .flatten(),
            answered_at: None,
            asked_by: Text::new("plan").unwrap_or_else(|_| c.id.clone()),
            created_at: now,
        };
        carry_over(
            &mut record,
            find_previous(c.question.as_str()),
            &mut used,
            &mut fresh_id,
        );
        records.push(record);
    }
    for (index, question) in pack.open_questions.iter().enumerate() {
        if records
            .iter()
            .any(|r| same_question(r.question.as_str(), question))
        {
            continue;
        }
        let question_text = question.clone();
        let mut record = Clarification {
            id: Text::new(format!("OQ-{}", index + 1)).unwrap_or_else(|_| question_text.clone()),
            question: question_text,
            why: Text::new(
                "The plan leaves this open; its answer may change requirements or the issue plan.",
            )
            .unwrap_or_else(|_| Text::new("open").expect("non-empty")),
            default_assumption: None,
            blocking: is_structural(question, pack),
            affects: Vec::new(),
            status: ClarificationStatus::Open,
            answer: None,
            answered_by: None,
            answered_at: None,
            asked_by: Text::new("plan").expect("non-empty"),
            created_at: now,
        };
        carry_over(
            &mut record,
            find_previous(question),
            &mut used,
            &mut fresh_id,
        );
        records.push(record);
    }
    for record in &mut records {
        record.affects = affected(record, pack);
    }
    records
}

/// Keeps the previous revision's id and settlement of the same question;
/// gives a new question an id nobody used.
fn carry_over(
    record: &mut Clarification,
    previous: Option<&Clarification>,
    used: &mut std::collections::BTreeSet<String>,
    fresh_id: &mut impl FnMut(&str, &mut std::collections::BTreeSet<String>) -> String,
) {
    match previous {
        Some(before) => {
            record.id = before.id.clone();
            record.blocking = before.blocking;
            if before.status != ClarificationStatus::Open {
                record.status = before.status;
                record.answer = before.answer.clone();
                record.answered_by = before.answered_by.clone();
                record.answered_at = before.answered_at;
            }
            record.created_at = before.created_at;
            record.asked_by = before.asked_by.clone();
        }
        None => {
            let id = fresh_id(record.id.as_str(), used);
            record.id = Text::new(id).unwrap_or_else(|_| record.id.clone());
        }
    }
}

/// The sections and plan items a question's words touch.
fn affected(record: &Clarification, pack: &ArchitecturePack) -> Vec<Text> {
    let text = format!("{} {}", record.question, record.why).to_lowercase();
    let mut out: Vec<String> = Vec::new();
    if record.blocking {
        out.push("architecture".to_owned());
    }
    let question_words = words(&text);
    for item in &pack.implementation.github_issue_plan {
        let title = words(item.title.as_str());
        let shared = question_words.intersection(&title).count();
        if shared >= 2 || (shared == 1 && title.len() <= 2) {
            out.push(item.id.to_string());
        }
    }
    if out.is_empty() {
        out.push("requirements".to_owned());
    }
    out.into_iter().filter_map(|s| Text::new(s).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_words_match_whole_words_only() {
        assert!(contains_word("which database do we use?", "database"));
        assert!(!contains_word("authors may edit", "auth"));
        assert!(contains_word("auth via google?", "auth"));
    }

    #[test]
    fn the_same_question_reworded_slightly_is_the_same() {
        assert!(same_question(
            "Which database should store the appointments?",
            "Which database should store appointments?"
        ));
        assert!(!same_question(
            "Which database should store the appointments?",
            "Who may cancel an appointment?"
        ));
    }
}
