//! Anthropic Messages API: structured output by a forced, strict tool call.
//!
//! Every request carries the same tool list (one tool per section) and the
//! same system blocks, the last of which holds the PRD and org constraints
//! marked with `cache_control`. Tools → system is therefore an identical
//! prefix on every call and is read from the prompt cache after the first;
//! only `tool_choice` and the user message change per section, and those sit
//! after the cached prefix.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{HttpApi, debug_client};
use super::retry::RetryPolicy;
use super::{Model, ModelError, SYSTEM_INSTRUCTIONS, SectionReply, SectionRequest, TokenUsage};
use crate::config::{AnthropicConfig, Provider};
use crate::sections::ALL_SECTIONS;

const PROVIDER: &str = "Anthropic";

/// 529 is Anthropic's `overloaded_error`.
const API: HttpApi = HttpApi {
    provider: PROVIDER,
    key_name: "ANTHROPIC_API_KEY",
    retryable: &[429, 500, 502, 503, 529],
    kind_keys: &["type"],
};

/// A client for one Anthropic model.
pub struct AnthropicModel {
    http: reqwest::Client,
    endpoint: String,
    api_key: SecretString,
    version: String,
    model: String,
    retry: RetryPolicy,
    tools: Value,
}

impl std::fmt::Debug for AnthropicModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_client(f, "AnthropicModel", &self.endpoint, &self.model)
    }
}

impl AnthropicModel {
    /// Fails only when the HTTP client cannot be built or the key is missing.
    pub fn new(config: &AnthropicConfig, retry: RetryPolicy) -> Result<Self, ModelError> {
        let api_key = config.api_key.clone().ok_or(ModelError::Unauthorized {
            provider: PROVIDER,
            key_name: API.key_name,
            status: 0,
            message: "no key configured".to_owned(),
        })?;
        let http = API.client(config.timeout)?;
        let tools: Vec<Value> = ALL_SECTIONS
            .iter()
            .map(|section| {
                json!({
                    "name": section.tool_name(),
                    "description": format!("Record the `{section}` section of the architecture pack."),
                    "input_schema": section.schema(),
                    "strict": true,
                })
            })
            .collect();
        Ok(Self {
            http,
            endpoint: format!("{}/messages", config.base_url.trim_end_matches('/')),
            api_key,
            version: config.version.clone(),
            model: config.model.clone(),
            retry,
            tools: Value::Array(tools),
        })
    }

    /// The request body for one section; public so tests can inspect its shape.
    pub fn request_body(&self, request: &SectionRequest, max_tokens: u32) -> Value {
        json!({
            "model": self.model,
            "max_tokens": max_tokens,
            "system": [
                { "type": "text", "text": SYSTEM_INSTRUCTIONS },
                {
                    "type": "text",
                    "text": request.context.data_block(),
                    "cache_control": { "type": "ephemeral" }
                }
            ],
            "tools": self.tools,
            "tool_choice": { "type": "tool", "name": request.section.tool_name() },
            "messages": [
                { "role": "user", "content": [ { "type": "text", "text": request.task_text() } ] }
            ]
        })
    }

    async fn call(&self, request: &SectionRequest) -> Result<SectionReply, ModelError> {
        let body = self.request_body(request, request.max_tokens);
        let send = || {
            self.http
                .post(&self.endpoint)
                .header("x-api-key", self.api_key.expose_secret())
                .header("anthropic-version", &self.version)
                .json(&body)
                .send()
        };
        let parse = |bytes: &[u8], calls: u32, took: Duration| {
            tracing::debug!(section = %request.section, ms = took.as_millis() as u64, "anthropic answered");
            parse_message(bytes, request, calls)
        };
        let on_retry = |failure: &ModelError, wait: Duration| {
            tracing::warn!(section = %request.section, error = %failure, wait_ms = wait.as_millis() as u64, "retrying Anthropic call");
        };
        API.call_with_retries(&self.retry, send, parse, on_retry)
            .await
    }
}

impl Model for AnthropicModel {
    fn provider(&self) -> Provider {
        Provider::Anthropic
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn generate<'a>(
        &'a self,
        request: &'a SectionRequest,
    ) -> BoxFuture<'a, Result<SectionReply, ModelError>> {
        self.call(request).boxed()
    }
}

#[derive(Deserialize)]
struct MessageResponse {
    #[serde(default)]
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: UsageBody,
}

#[derive(Deserialize, Default)]
struct UsageBody {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

fn parse_message(
    bytes: &[u8],
    request: &SectionRequest,
    calls: u32,
) -> Result<SectionReply, ModelError> {
    let message: MessageResponse =
        serde_json::from_slice(bytes).map_err(|e| ModelError::BadReply {
            provider: PROVIDER,
            reason: format!("the response is not a Messages API message: {e}"),
            usage: TokenUsage::default(),
        })?;
    let usage = TokenUsage {
        input_tokens: message.usage.input_tokens,
        output_tokens: message.usage.output_tokens,
        cache_creation_input_tokens: message.usage.cache_creation_input_tokens.unwrap_or(0),
        cache_read_input_tokens: message.usage.cache_read_input_tokens.unwrap_or(0),
    };
    if message.stop_reason.as_deref() == Some("max_tokens") {
        return Err(ModelError::MaxTokens {
            provider: PROVIDER,
            max_tokens: request.max_tokens,
            usage,
        });
    }
    let tool = request.section.tool_name();
    let input = message.content.iter().find_map(|block| {
        (block.get("type").and_then(Value::as_str) == Some("tool_use")
            && block.get("name").and_then(Value::as_str) == Some(tool.as_str()))
        .then(|| block.get("input").cloned())
        .flatten()
    });
    match input {
        Some(value) => Ok(SectionReply {
            value,
            usage,
            calls,
        }),
        None => Err(ModelError::BadReply {
            provider: PROVIDER,
            reason: format!(
                "no `{tool}` tool call in the answer (stop_reason {:?})",
                message.stop_reason
            ),
            usage,
        }),
    }
}
