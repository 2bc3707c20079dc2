//! OpenAI-compatible chat completions with `response_format: json_schema`
//! (strict), so OpenAI itself and local servers (Ollama, vLLM, llama.cpp)
//! work the same way.

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::retry::{RetryPolicy, parse_retry_after};
use super::{Model, ModelError, SYSTEM_INSTRUCTIONS, SectionReply, SectionRequest, TokenUsage};
use crate::config::{OpenAiConfig, Provider};

const PROVIDER: &str = "OpenAI-compatible server";

pub struct OpenAiModel {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<SecretString>,
    model: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for OpenAiModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiModel")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiModel {
    pub fn new(config: &OpenAiConfig, retry: RetryPolicy) -> Result<Self, ModelError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| ModelError::Transport {
                provider: PROVIDER,
                reason: e.to_string(),
                calls: 0,
            })?;
        Ok(Self {
            http,
            endpoint: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            api_key: config.api_key.clone(),
            model: config.model.clone(),
            retry,
        })
    }

    /// The request body for one section.
    pub fn request_body(&self, request: &SectionRequest) -> Value {
        json!({
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [
                { "role": "system", "content": SYSTEM_INSTRUCTIONS },
                { "role": "user", "content": request.context.data_block() },
                { "role": "user", "content": request.task_text() }
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": request.section.tool_name(),
                    "strict": true,
                    "schema": request.schema
                }
            }
        })
    }

    async fn call(&self, request: &SectionRequest) -> Result<SectionReply, ModelError> {
        let body = self.request_body(request);
        let mut calls = 0u32;
        loop {
            calls += 1;
            let mut builder = self.http.post(&self.endpoint).json(&body);
            if let Some(key) = &self.api_key {
                builder = builder.bearer_auth(key.expose_secret());
            }
            let (retry_after, failure) = match builder.send().await {
                Err(error) => (
                    None,
                    ModelError::Transport {
                        provider: PROVIDER,
                        reason: error_chain(&error),
                        calls,
                    },
                ),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = parse_retry_after(response.headers());
                    let bytes = response.bytes().await.map_err(|e| ModelError::Transport {
                        provider: PROVIDER,
                        reason: e.to_string(),
                        calls,
                    })?;
                    if (200..300).contains(&status) {
                        return parse_completion(&bytes, request, calls);
                    }
                    let (kind, message) = error_body(&bytes);
                    match status {
                        401 | 403 => {
                            return Err(ModelError::Unauthorized {
                                provider: PROVIDER,
                                key_name: "OPENAI_API_KEY",
                                status,
                                message,
                            });
                        }
                        429 | 500 | 502 | 503 | 504 => (
                            retry_after,
                            ModelError::Unavailable {
                                provider: PROVIDER,
                                status,
                                kind,
                                message,
                                calls,
                            },
                        ),
                        _ => {
                            return Err(ModelError::Rejected {
                                provider: PROVIDER,
                                status,
                                kind,
                                message,
                            });
                        }
                    }
                }
            };
            if calls > self.retry.max_retries {
                return Err(failure);
            }
            tokio::time::sleep(self.retry.delay(calls, retry_after)).await;
        }
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

/// `{"error":{"message","type","code"}}` → (type or code, message).
fn error_body(bytes: &[u8]) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let kind = error
        .and_then(|e| e.get("type").or_else(|| e.get("code")))
        .and_then(Value::as_str)
        .unwrap_or("unknown_error")
        .to_owned();
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(300).collect());
    (kind, message)
}

/// An error and its causes on one line (reqwest hides the useful part in sources).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
