//! `planner_usage`: what each section cost, so runs can be compared and
//! budgets set from evidence.

use serde::Serialize;

use crate::config::Provider;
use crate::model::TokenUsage;
use crate::sections::SectionName;

#[derive(Debug, Clone, Serialize)]
pub struct SectionUsage {
    pub section: SectionName,
    pub provider: Provider,
    pub model: String,
    /// Generation attempts, repairs included (0 when read from a checkpoint).
    pub attempts: u32,
    /// HTTP calls, retries included.
    pub calls: u32,
    pub latency_ms: u64,
    pub from_checkpoint: bool,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    /// Carried over unchanged from the previous revision by a refinement:
    /// no call was made for it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub carried_over: bool,
}

impl SectionUsage {
    /// A section that has cost nothing yet.
    pub fn empty(section: SectionName, provider: Provider, model: &str) -> Self {
        Self {
            section,
            provider,
            model: model.to_owned(),
            attempts: 0,
            calls: 0,
            latency_ms: 0,
            from_checkpoint: false,
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            carried_over: false,
        }
    }

    pub fn tokens(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_creation_input_tokens: self.cache_creation_input_tokens,
            cache_read_input_tokens: self.cache_read_input_tokens,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UsageTotals {
    pub attempts: u32,
    pub calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub total_tokens: u64,
    /// All input tokens sent: uncached, cache writes and cache reads.
    pub prompt_tokens_sent: u64,
    /// Share of `prompt_tokens_sent` served from the prompt cache (0 to 1).
    pub cache_read_share: f64,
}

/// A call made outside the pack's sections: the question of which
/// sections a refinement changes, when code could not read the change.
#[derive(Debug, Clone, Serialize)]
pub struct SideCallUsage {
    /// The tool or response schema name.
    pub task: String,
    /// HTTP calls, retries included.
    pub calls: u32,
    pub latency_ms: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl SideCallUsage {
    pub fn tokens(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_creation_input_tokens: self.cache_creation_input_tokens,
            cache_read_input_tokens: self.cache_read_input_tokens,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UsageReport {
    pub provider: Provider,
    pub model: String,
    pub wall_ms: u64,
    pub sections: Vec<SectionUsage>,
    /// Calls outside the sections; counted in `totals`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub side_calls: Vec<SideCallUsage>,
    pub totals: UsageTotals,
}

impl UsageReport {
    pub fn new(provider: Provider, model: &str, wall_ms: u64, sections: Vec<SectionUsage>) -> Self {
        Self::with_side_calls(provider, model, wall_ms, sections, Vec::new())
    }

    /// [`UsageReport::new`] with calls made outside the sections.
    pub fn with_side_calls(
        provider: Provider,
        model: &str,
        wall_ms: u64,
        sections: Vec<SectionUsage>,
        side_calls: Vec<SideCallUsage>,
    ) -> Self {
        let mut tokens = TokenUsage::default();
        let mut attempts = 0;
        let mut calls = 0;
        for s in &sections {
            tokens.add(&s.tokens());
            attempts += s.attempts;
            calls += s.calls;
        }
        for side in &side_calls {
            tokens.add(&side.tokens());
            attempts += 1;
            calls += side.calls;
        }
        let sent = tokens.input_tokens
            + tokens.cache_creation_input_tokens
            + tokens.cache_read_input_tokens;
        Self {
            provider,
            model: model.to_owned(),
            wall_ms,
            sections,
            side_calls,
            totals: UsageTotals {
                attempts,
                calls,
                input_tokens: tokens.input_tokens,
                output_tokens: tokens.output_tokens,
                cache_creation_input_tokens: tokens.cache_creation_input_tokens,
                cache_read_input_tokens: tokens.cache_read_input_tokens,
                total_tokens: tokens.total(),
                prompt_tokens_sent: sent,
                cache_read_share: if sent == 0 {
                    0.0
                } else {
                    tokens.cache_read_input_tokens as f64 / sent as f64
                },
            },
        }
    }
}
