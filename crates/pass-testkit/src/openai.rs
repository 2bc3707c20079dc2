//! Stand-in for an OpenAI-compatible chat completions server
//! (`POST /v1/chat/completions`) on `127.0.0.1:0`, as OpenAI, Ollama, vLLM
//! and llama.cpp expose it.
//!
//! It checks `Authorization: Bearer <key>` (when a key is configured) and a
//! `response_format` of `{type: "json_schema", json_schema: {name, strict,
//! schema}}`, answers with the JSON as the first choice's message content,
//! and fails with `{"error":{"message","type","code"}}`. Reasoning models
//! (`o1`, `o3`, `o4-mini`, `gpt-5` ...) refuse `max_tokens` as OpenAI's do. Scripted like the
//! Anthropic stand-in: a behaviour queue (global or per schema name), then a
//! responder. Every request is recorded.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::scripted::{Loopback, Script, header_map, model_stand_in, set_retry_after};

/// Builds the answer from `(schema name, schema, whole request body)`.
pub type Responder = crate::scripted::Responder;

#[derive(Debug, Clone)]
pub enum Behaviour {
    Error {
        status: u16,
        kind: String,
        code: Option<String>,
        message: String,
        retry_after: Option<u64>,
    },
    /// Answer with exactly this JSON as the message content.
    Content(Value),
    /// Answer with this text as the message content, JSON or not.
    RawContent(String),
    /// `finish_reason: "length"`.
    Length,
    Respond,
}

impl Behaviour {
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Behaviour::Error {
            status: 429,
            kind: "requests".to_owned(),
            code: Some("rate_limit_exceeded".to_owned()),
            message: "Rate limit reached for requests".to_owned(),
            retry_after: Some(retry_after_secs),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    pub schema_name: Option<String>,
    pub status: u16,
}

#[derive(Clone)]
struct Shared {
    api_key: Option<String>,
    script: Script<Behaviour, RecordedRequest>,
}

/// A running stand-in; stops when dropped.
pub struct OpenAiStandIn {
    server: Loopback,
    shared: Shared,
}

impl OpenAiStandIn {
    /// `api_key: None` behaves like a local server that takes any caller.
    pub async fn start(api_key: Option<&str>) -> anyhow::Result<Self> {
        let shared = Shared {
            api_key: api_key.map(str::to_owned),
            script: Script::new(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(shared.clone());
        let server = Loopback::serve(app, "openai").await?;
        Ok(Self { server, shared })
    }

    /// What to set `OPENAI_BASE_URL` to.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }
}

model_stand_in!(OpenAiStandIn, Behaviour, RecordedRequest);

fn error(
    status: u16,
    kind: &str,
    code: Option<&str>,
    message: &str,
    retry_after: Option<u64>,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        axum::Json(
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
        ),
    )
        .into_response();
    set_retry_after(&mut response, retry_after);
    response
}

/// A 400 `invalid_request_error`, the answer to every malformed request.
fn invalid(message: &str) -> Box<Response> {
    Box::new(error(400, "invalid_request_error", None, message, None))
}

fn check(
    headers: &HeaderMap,
    body: &Value,
    key: Option<&str>,
) -> Result<(String, Value), Box<Response>> {
    if let Some(key) = key {
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(key) {
            return Err(Box::new(error(
                401,
                "invalid_request_error",
                Some("invalid_api_key"),
                "Incorrect API key provided",
                None,
            )));
        }
    }
    if body
        .get("messages")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err(invalid("messages is required"));
    }
    if body.get("max_tokens").is_some() && is_reasoning_model(body) {
        return Err(Box::new(error(
            400,
            "invalid_request_error",
            Some("unsupported_parameter"),
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            None,
        )));
    }
    let format = body.get("response_format");
    let name = format
        .and_then(|f| f.pointer("/json_schema/name"))
        .and_then(Value::as_str)
        .filter(|_| {
            format.and_then(|f| f.get("type")).and_then(Value::as_str) == Some("json_schema")
        });
    let schema = format
        .and_then(|f| f.pointer("/json_schema/schema"))
        .filter(|s| s.is_object());
    match (name, schema) {
        (Some(name), Some(schema)) => Ok((name.to_owned(), schema.clone())),
        _ => Err(invalid(
            "response_format must be {type: json_schema, json_schema: {name, schema}}",
        )),
    }
}

/// OpenAI's reasoning models refuse `max_tokens` (they count hidden
/// reasoning tokens too) and take `max_completion_tokens` only.
fn is_reasoning_model(body: &Value) -> bool {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ["o1", "o3", "o4", "gpt-5"]
        .iter()
        .any(|prefix| model.starts_with(prefix))
}

async fn completions(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let header_map = header_map(&headers);
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record = |status: u16, schema_name: Option<String>| RecordedRequest {
        headers: header_map.clone(),
        body: parsed.clone(),
        schema_name,
        status,
    };
    let (name, schema) = match check(&headers, &parsed, shared.api_key.as_deref()) {
        Ok(found) => found,
        Err(response) => {
            shared
                .script
                .record(record(response.status().as_u16(), None));
            return *response;
        }
    };
    let (behaviour, responder) = shared.script.next(&name);
    let behaviour = behaviour.unwrap_or(Behaviour::Respond);
    let (content, finish) = match behaviour {
        Behaviour::Error {
            status,
            kind,
            code,
            message,
            retry_after,
        } => {
            shared.script.record(record(status, Some(name)));
            return error(status, &kind, code.as_deref(), &message, retry_after);
        }
        Behaviour::Content(value) => (value.to_string(), "stop"),
        Behaviour::RawContent(text) => (text, "stop"),
        Behaviour::Length => ("{\"partial\": ".to_owned(), "length"),
        Behaviour::Respond => (responder(&name, &schema, &parsed).to_string(), "stop"),
    };
    shared.script.record(record(200, Some(name)));
    let prompt = (parsed.to_string().len() as u64).div_ceil(4);
    let completion = (content.len() as u64).div_ceil(4);
    let body = json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 0,
        "model": parsed.get("model").cloned().unwrap_or(Value::Null),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "finish_reason": finish
        }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0}
        }
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}
