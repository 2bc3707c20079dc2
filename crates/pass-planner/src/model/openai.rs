//! OpenAI-compatible chat completions with `response_format: json_schema`
//! (strict), so OpenAI itself and local servers (Ollama, vLLM, llama.cpp)
//! work the same way. The output budget travels as `max_completion_tokens`,
//! the name OpenAI's reasoning models require (they refuse `max_tokens`).
//! No tools are sent, so the prompts ask for a JSON object, not a tool call.

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::http::{HttpApi, debug_client};
use super::retry::RetryPolicy;
use super::{
    AnswerMode, Model, ModelError, SectionReply, SectionRequest, TokenUsage, system_instructions,
};
use crate::config::{OpenAiConfig, Provider};

const PROVIDER: &str = "OpenAI-compatible server";

/// Rate limits and server or gateway trouble are worth another call.
const API: HttpApi = HttpApi {
    provider: PROVIDER,
    key_name: "OPENAI_API_KEY",
    retryable: &[429, 500, 502, 503, 504],
    kind_keys: &["type", "code"],
    timeout_setting: "OPENAI_TIMEOUT_MS",
};

pub struct OpenAiModel {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<SecretString>,
    model: String,
    retry: RetryPolicy,
    timeout: std::time::Duration,
}

impl std::fmt::Debug for OpenAiModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_client(f, "OpenAiModel", &self.endpoint, &self.model)
    }
}

impl OpenAiModel {
    pub fn new(config: &OpenAiConfig, retry: RetryPolicy) -> Result<Self, ModelError> {
        let http = API.client(config.timeout)?;
        Ok(Self {
            http,
            endpoint: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            api_key: config.api_key.clone(),
            model: config.model.clone(),
            retry,
            timeout: config.timeout,
        })
    }

    /// The request body for one section.
    pub fn request_body(&self, request: &SectionRequest) -> Value {
        json!({
            "model": self.model,
            "max_completion_tokens": request.max_tokens,
            "messages": [
                { "role": "system", "content": system_instructions(AnswerMode::Json) },
                { "role": "user", "content": request.data_block() },
                { "role": "user", "content": request.task_text(AnswerMode::Json) }
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": request.answer_name(),
                    "strict": true,
                    "schema": request.schema
                }
            }
        })
    }

    async fn call(&self, request: &SectionRequest) -> Result<SectionReply, ModelError> {
        let body = self.request_body(request);
        let send = || {
            let builder = self.http.post(&self.endpoint).json(&body);
            match &self.api_key {
                Some(key) => builder.bearer_auth(key.expose_secret()),
                None => builder,
            }
            .send()
        };
        let parse = |bytes: &[u8], calls: u32, _took| parse_completion(bytes, request, calls);
        API.call_with_retries(&self.retry, self.timeout, send, parse, |_, _| {})
            .await
    }
}

impl Model for OpenAiModel {
    fn provider(&self) -> Provider {
        Provider::Openai
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

fn parse_completion(
    bytes: &[u8],
    request: &SectionRequest,
    calls: u32,
) -> Result<SectionReply, ModelError> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| ModelError::BadReply {
        provider: PROVIDER,
        reason: format!("the response is not JSON: {e}"),
        usage: TokenUsage::default(),
    })?;
    let cached = body
        .pointer("/usage/prompt_tokens_details/cached_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let prompt = body
        .pointer("/usage/prompt_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let usage = TokenUsage {
        input_tokens: prompt.saturating_sub(cached),
        output_tokens: body
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cached,
    };
    let choice = body.pointer("/choices/0");
    let finish = choice
        .and_then(|c| c.get("finish_reason"))
        .and_then(Value::as_str);
    if finish == Some("length") {
        return Err(ModelError::MaxTokens {
            provider: PROVIDER,
            max_tokens: request.max_tokens,
            usage,
        });
    }
    if let Some(refusal) = choice
        .and_then(|c| c.pointer("/message/refusal"))
        .and_then(Value::as_str)
    {
        return Err(ModelError::BadReply {
            provider: PROVIDER,
            reason: format!("the model refused: {refusal}"),
            usage,
        });
    }
    let content = choice
        .and_then(|c| c.pointer("/message/content"))
        .and_then(Value::as_str)
        .ok_or_else(|| ModelError::BadReply {
            provider: PROVIDER,
            reason: "no message content in choices[0]".to_owned(),
            usage,
        })?;
    let value: Value = serde_json::from_str(content).map_err(|e| ModelError::BadReply {
        provider: PROVIDER,
        reason: format!("choices[0].message.content is not JSON: {e}"),
        usage,
    })?;
    Ok(SectionReply {
        value,
        usage,
        calls,
    })
}
