//! Anthropic Messages API: structured output by a forced, strict tool call,
//! streamed.
//!
//! Sections whose schema is the same for every run (core to architecture)
//! are sent with the same tool list and the same system blocks, the last of
//! which holds the PRD and org constraints marked with `cache_control`.
//! Tools → system is therefore an identical prefix on those calls and is
//! read from the prompt cache after the first; only `tool_choice` and the
//! user message change, and those sit after the cached prefix. Sections
//! whose schema lists this run's component names and requirement ids
//! (refinement, implementation, issue plan) are sent their own tool only.
//!
//! Strict tool use as the structured-outputs documentation asks: `strict:
//! true` beside `name`, `description` and `input_schema`; every object
//! closed with `additionalProperties: false`; only the supported keyword
//! subset (see [`super::strict_schema`]); at most 20 strict tools a request.
//! Enum values may come back in another letter case, so references are
//! compared case-insensitively afterwards.
//!
//! Answers are streamed (`"stream": true`): `ANTHROPIC_TIMEOUT_MS` bounds
//! the silence before the answer starts and between its events, not the
//! whole answer, so a long issue plan is not cut off while it is arriving.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{HttpApi, debug_client};
use super::retry::RetryPolicy;
use super::{
    AnswerMode, Model, ModelError, SectionReply, SectionRequest, TokenUsage, system_instructions,
};
use crate::config::{AnthropicConfig, Provider};
use crate::sections::{ALL_SECTIONS, SectionName};

const PROVIDER: &str = "Anthropic";

/// 529 is Anthropic's `overloaded_error`; 504 comes from gateways in front
/// of the API.
const API: HttpApi = HttpApi {
    provider: PROVIDER,
    key_name: "ANTHROPIC_API_KEY",
    retryable: &[429, 500, 502, 503, 504, 529],
    kind_keys: &["type"],
    timeout_setting: "ANTHROPIC_TIMEOUT_MS",
};

/// A client for one Anthropic model.
pub struct AnthropicModel {
    http: reqwest::Client,
    endpoint: String,
    api_key: SecretString,
    version: String,
    model: String,
    retry: RetryPolicy,
    timeout: Duration,
    /// The tools of the sections with a fixed schema, in section order: the
    /// same list on each of their calls, so the prompt prefix is cached.
    fixed_tools: Value,
}

impl std::fmt::Debug for AnthropicModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_client(f, "AnthropicModel", &self.endpoint, &self.model)
    }
}

/// One strict tool definition for a section.
fn tool(section: SectionName, schema: &Value) -> Value {
    named_tool(
        &section.tool_name(),
        &format!("Record the `{section}` section of the architecture pack."),
        schema,
    )
}

/// One strict tool definition.
fn named_tool(name: &str, description: &str, schema: &Value) -> Value {
    json!({
        "name": name,
        "description": description,
        "input_schema": schema,
        "strict": true,
    })
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
        let fixed_tools: Vec<Value> = ALL_SECTIONS
            .iter()
            .filter(|s| s.has_fixed_schema())
            .map(|section| tool(*section, &section.schema()))
            .collect();
        Ok(Self {
            http,
            endpoint: format!("{}/messages", config.base_url.trim_end_matches('/')),
            api_key,
            version: config.version.clone(),
            model: config.model.clone(),
            retry,
            timeout: config.timeout,
            fixed_tools: Value::Array(fixed_tools),
        })
    }

    /// The request body for one section; public so tests can inspect its shape.
    pub fn request_body(&self, request: &SectionRequest, max_tokens: u32) -> Value {
        let tools = if request.uses_fixed_tools() {
            self.fixed_tools.clone()
        } else if let Some(task) = &request.side_task {
            json!([named_tool(
                task.name,
                "Record your answer.",
                &request.schema
            )])
        } else {
            json!([tool(request.section, &request.schema)])
        };
        json!({
            "model": self.model,
            "max_tokens": max_tokens,
            "stream": true,
            "system": [
                { "type": "text", "text": system_instructions(AnswerMode::Tool) },
                {
                    "type": "text",
                    "text": request.data_block(),
                    "cache_control": { "type": "ephemeral" }
                }
            ],
            "tools": tools,
            "tool_choice": { "type": "tool", "name": request.answer_name() },
            "messages": [
                { "role": "user", "content": [ { "type": "text", "text": request.task_text(AnswerMode::Tool) } ] }
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
            let message = read_stream(bytes, calls)?;
            parse_message(message, request, calls)
        };
        let on_retry = |failure: &ModelError, wait: Duration| {
            tracing::warn!(section = %request.section, error = %failure, wait_ms = wait.as_millis() as u64, "retrying Anthropic call");
        };
        API.call_with_retries(&self.retry, self.timeout, send, parse, on_retry)
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

#[derive(Deserialize, Default)]
struct MessageResponse {
    #[serde(default)]
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: UsageBody,
}

impl MessageResponse {
    fn token_usage(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
            cache_creation_input_tokens: self.usage.cache_creation_input_tokens.unwrap_or(0),
            cache_read_input_tokens: self.usage.cache_read_input_tokens.unwrap_or(0),
        }
    }
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

/// Rebuilds the message a streamed answer describes: the usage from
/// `message_start` and `message_delta`, each content block from its start
/// event and its `input_json_delta` / `text_delta` pieces, the stop reason.
/// An `error` event fails the call the way an HTTP error would (an overload
/// may be retried); a stream that ends before `message_stop` broke off.
fn read_stream(bytes: &[u8], calls: u32) -> Result<MessageResponse, ModelError> {
    let text = String::from_utf8_lossy(bytes);
    // A proxy that ignores `stream` answers with the whole message instead.
    if text.trim_start().starts_with('{') {
        return serde_json::from_slice(bytes).map_err(|e| ModelError::BadReply {
            provider: PROVIDER,
            reason: format!("the response is not a Messages API message: {e}"),
            usage: TokenUsage::default(),
        });
    }
    let mut message = MessageResponse::default();
    let mut pieces: Vec<String> = Vec::new();
    let mut stopped = false;
    for frame in text.split("\n\n") {
        let data: String = frame
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .join("\n");
        if data.is_empty() {
            continue;
        }
        let event: Value = serde_json::from_str(&data).map_err(|e| ModelError::BadReply {
            provider: PROVIDER,
            reason: format!("a streamed event is not JSON: {e}"),
            usage: message.token_usage(),
        })?;
        let index = event.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
        match event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "message_start" => {
                if let Some(usage) = event.pointer("/message/usage") {
                    message.usage = serde_json::from_value(usage.clone()).unwrap_or_default();
                }
            }
            "content_block_start" => {
                let block = event.get("content_block").cloned().unwrap_or(Value::Null);
                if message.content.len() <= index {
                    message.content.resize(index + 1, Value::Null);
                    pieces.resize(index + 1, String::new());
                }
                message.content[index] = block;
            }
            "content_block_delta" => {
                let delta = event.get("delta");
                let piece = delta
                    .and_then(|d| d.get("partial_json").or_else(|| d.get("text")))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if let Some(buffer) = pieces.get_mut(index) {
                    buffer.push_str(piece);
                }
            }
            "message_delta" => {
                if let Some(reason) = event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    message.stop_reason = Some(reason.to_owned());
                }
                if let Some(n) = event
                    .pointer("/usage/output_tokens")
                    .and_then(Value::as_u64)
                {
                    message.usage.output_tokens = n;
                }
            }
            "message_stop" => stopped = true,
            "error" => {
                let kind = event
                    .pointer("/error/type")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown_error")
                    .to_owned();
                let text = event
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                return Err(match kind.as_str() {
                    "overloaded_error" | "api_error" | "rate_limit_error" => {
                        ModelError::Unavailable {
                            provider: PROVIDER,
                            status: if kind == "overloaded_error" { 529 } else { 500 },
                            kind,
                            message: text,
                            calls,
                        }
                    }
                    _ => ModelError::Rejected {
                        provider: PROVIDER,
                        status: 200,
                        kind,
                        message: text,
                    },
                });
            }
            _ => {}
        }
    }
    if !stopped {
        return Err(ModelError::Transport {
            provider: PROVIDER,
            reason: "the streamed answer ended before message_stop".to_owned(),
            calls,
        });
    }
    for (block, piece) in message.content.iter_mut().zip(&pieces) {
        let Some(map) = block.as_object_mut() else {
            continue;
        };
        match map.get("type").and_then(Value::as_str) {
            Some("tool_use") if !piece.is_empty() => {
                let input = serde_json::from_str(piece).map_err(|e| ModelError::BadReply {
                    provider: PROVIDER,
                    reason: format!("the streamed tool input is not JSON: {e}"),
                    usage: TokenUsage::default(),
                })?;
                map.insert("input".to_owned(), input);
            }
            Some("text") => {
                map.insert("text".to_owned(), Value::String(piece.clone()));
            }
            _ => {}
        }
    }
    Ok(message)
}

fn parse_message(
    message: MessageResponse,
    request: &SectionRequest,
    calls: u32,
) -> Result<SectionReply, ModelError> {
    let usage = message.token_usage();
    match message.stop_reason.as_deref() {
        Some("max_tokens") => {
            return Err(ModelError::MaxTokens {
                provider: PROVIDER,
                max_tokens: request.max_tokens,
                usage,
            });
        }
        // The documented answer of a model that declines: its text may not
        // fit the schema, so it is read as an unusable answer.
        Some("refusal") => {
            return Err(ModelError::BadReply {
                provider: PROVIDER,
                reason: "the model refused (stop_reason refusal)".to_owned(),
                usage,
            });
        }
        _ => {}
    }
    let tool = request.answer_name();
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
