//! The `core` section: the product's identity (title, summary, actors, kind,
//! deployment, named stack) and what the PRD leaves open. It depends on no
//! other section; every later section reads it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::blank;

/// What the model is asked to do for this section, on top of the shared
/// system instructions.
pub(super) const INSTRUCTIONS: &str = "Write the product core: its title as the PRD names it (empty string if it has none); a two to four sentence summary of what is built and for whom; the actors (user roles and external systems that act); the product kind; the deployment (where it runs and who operates it, in the PRD's terms, e.g. \"on the user's laptop, no network\" or \"hosted multi-tenant SaaS\"); named_stack: every language, framework, database, platform or hosted service the PRD itself says to build with, as it names them (empty when it names none); the assumptions you had to make; and the open questions the PRD leaves unanswered (TBD/TBC items, missing decisions). Market, competitors, personas, monetisation and appendices describe the product's world, not what to build.";

/// What this section holds, for the question of which sections a change alters.
pub(super) const ROLE: &str = "the product's title, summary, actors, kind, deployment, named stack, assumptions and open questions";

/// The contract's `ANTHROPIC_*_MAX_TOKENS` name for this section's output budget.
pub(super) const BUDGET_ENV: &str = "ANTHROPIC_CORE_MAX_TOKENS";

/// Default output budget: room for a long tool call of this section.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 4_096;

/// Product identity and what the PRD leaves open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoreDraft {
    /// The product's title as the PRD names it; an empty string when it names none.
    pub title: String,
    /// Two to four sentences: what is built, for whom, and why. Must not be empty.
    pub summary: String,
    /// User roles and acting external systems, each a short noun phrase.
    pub actors: Vec<String>,
    pub product_kind: ProductKind,
    /// Where the product runs and who operates it, in the PRD's terms.
    pub deployment: String,
    /// Languages, frameworks, databases, platforms and services the PRD
    /// itself says to build with, as it names them; empty when it names none.
    pub named_stack: Vec<String>,
    /// Assumptions made where the PRD is silent.
    pub assumptions: Vec<String>,
    /// Questions the PRD leaves open.
    pub open_questions: Vec<String>,
}

/// What kind of product the PRD describes; it decides which parts an
/// architecture has at all (a local-first app has no cloud, a bot has its
/// channels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    WebSaas,
    ApiService,
    /// Desktop or local-first app: runs on the user's machine.
    DesktopOrLocalApp,
    CliOrLibrary,
    MobileApp,
    /// Chat or voice bot on messaging channels or phone lines.
    ChatOrVoiceBot,
    DataOrMlPipeline,
    Game,
    EmbeddedOrIot,
}

impl ProductKind {
    pub fn describe(self) -> &'static str {
        match self {
            ProductKind::WebSaas => "a web application",
            ProductKind::ApiService => "an API / backend service",
            ProductKind::DesktopOrLocalApp => "a desktop / local-first app",
            ProductKind::CliOrLibrary => "a command-line tool or library",
            ProductKind::MobileApp => "a mobile app",
            ProductKind::ChatOrVoiceBot => "a chat or voice bot on messaging channels",
            ProductKind::DataOrMlPipeline => "a data or ML pipeline",
            ProductKind::Game => "a game",
            ProductKind::EmbeddedOrIot => "an embedded / IoT system",
        }
    }
}

pub(super) fn check_core(d: &CoreDraft) -> Vec<String> {
    let mut problems = Vec::new();
    blank(&mut problems, "summary", &d.summary);
    problems
}
