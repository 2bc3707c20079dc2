//! Stand-in for the Anthropic Messages API (`POST /v1/messages`) on
//! `127.0.0.1:0`.
//!
//! It checks what the real API checks and PASS depends on (`x-api-key`,
//! `anthropic-version`, a JSON body with `model`, `max_tokens`, `messages`,
//! and a forced `tool_choice` naming a declared tool), answers with
//! `tool_use` blocks and a `usage` object that includes
//! `cache_creation_input_tokens` / `cache_read_input_tokens` (a prefix up to
//! a `cache_control` breakpoint is "cached" the first time it is seen, as the
//! real cache is, if it is at least 1024 tokens), and fails the documented
//! ways: `{"type":"error","error":{"type","message"}}` bodies, 429 with
//! `retry-after`, 529 `overloaded_error`, `stop_reason: "max_tokens"`.
//!
//! A request with `"stream": true` is answered as server-sent events the way
//! the Messages API streams: `message_start` (with the input usage), a
//! `content_block_start` for the `tool_use` block, `ping`, the tool input as
//! `input_json_delta` pieces, `content_block_stop`, `message_delta` (stop
//! reason and output usage) and `message_stop`; an error after the stream
//! began arrives as an `error` event. Tests can pace the events, stall the
//! stream, or break it with an `error` event.
//!
//! Tools marked `"strict": true` are held to the documented structured
//! output limits (at most 20 strict tools, every object closed, no keyword
//! outside the supported subset, `minItems` 0 or 1, primitive `enum` values);
//! a request that breaks one gets the 400 the real API would send.
//!
//! Tests script it with a queue of behaviours (global, or per tool name);
//! when the queue is empty a responder builds the tool input — by default a
//! schema-shaped example, or whatever a test installs. Every request is
//! recorded.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use crate::scripted::{Loopback, Script, header_map, model_stand_in, set_retry_after};

/// The smallest prefix the real API caches (Sonnet-class models).
pub const MIN_CACHEABLE_TOKENS: u64 = 1024;

/// Builds a tool input from `(tool name, the tool's input_schema, the whole request body)`.
pub type Responder = crate::scripted::Responder;

/// What the stand-in does with one request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// An error answer with Anthropic's body; `retry_after` in seconds.
    Error {
        status: u16,
        kind: String,
        message: String,
        retry_after: Option<u64>,
    },
    /// A `tool_use` answer with exactly this input.
    ToolInput(Value),
    /// `stop_reason: "max_tokens"` with a cut-off text block.
    MaxTokens,
    /// The responder's answer (what an empty queue does).
    Respond,
    /// A streamed answer (the responder's) whose events are `interval` apart;
    /// a non-streaming request waits `interval` before answering.
    Paced { interval: Duration },
    /// A streamed answer that sends its first `after_events` events, then
    /// nothing for `silence`, then the rest.
    Stall {
        after_events: usize,
        silence: Duration,
    },
    /// A stream that starts, then fails with an `error` event of this kind
    /// (what the API does when it is overloaded mid-answer).
    StreamError { kind: String, message: String },
}

impl Behaviour {
    pub fn overloaded() -> Self {
        Behaviour::Error {
            status: 529,
            kind: "overloaded_error".to_owned(),
            message: "Overloaded".to_owned(),
            retry_after: None,
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Behaviour::Error {
            status: 429,
            kind: "rate_limit_error".to_owned(),
            message: "Number of request tokens has exceeded your per-minute rate limit".to_owned(),
            retry_after: Some(retry_after_secs),
        }
    }

    pub fn server_error() -> Self {
        Behaviour::Error {
            status: 500,
            kind: "api_error".to_owned(),
            message: "Internal server error".to_owned(),
            retry_after: None,
        }
    }

    /// A 504 from the gateway in front of the API.
    pub fn gateway_timeout() -> Self {
        Behaviour::Error {
            status: 504,
            kind: "timeout_error".to_owned(),
            message: "Gateway timeout".to_owned(),
            retry_after: None,
        }
    }

    pub fn invalid_request(message: &str) -> Self {
        Behaviour::Error {
            status: 400,
            kind: "invalid_request_error".to_owned(),
            message: message.to_owned(),
            retry_after: None,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    /// The body's length on the wire, in bytes.
    pub bytes: usize,
    /// The forced tool's name, when the body had one.
    pub tool: Option<String>,
    pub status: u16,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub api_key: String,
    /// Time taken before each answer (benchmarks use 300 ms).
    pub latency: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api_key: "sk-ant-test-key".to_owned(),
            latency: Duration::ZERO,
        }
    }
}

#[derive(Clone)]
struct Shared {
    options: Options,
    script: Script<Behaviour, RecordedRequest>,
    cached_prefixes: Arc<Mutex<HashSet<u64>>>,
    /// Requests that reached the handler, counted on arrival: a caller that
    /// hangs up before the answer is counted here but never recorded.
    received: Arc<std::sync::atomic::AtomicUsize>,
}

/// A running stand-in; stops when dropped.
pub struct AnthropicStandIn {
    server: Loopback,
    shared: Shared,
}

impl AnthropicStandIn {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> anyhow::Result<Self> {
        let shared = Shared {
            options,
            script: Script::new(),
            cached_prefixes: Arc::default(),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .route("/v1/models", axum::routing::get(models))
            .fallback(not_found)
            .with_state(shared.clone());
        let server = Loopback::serve(app, "anthropic").await?;
        Ok(Self { server, shared })
    }

    /// What to set `ANTHROPIC_BASE_URL` to.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn api_key(&self) -> &str {
        &self.shared.options.api_key
    }

    /// Requests received so far, including those whose caller hung up
    /// before the answer (which [`AnthropicStandIn::requests`] never sees).
    pub fn received(&self) -> usize {
        self.shared
            .received
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

model_stand_in!(AnthropicStandIn, Behaviour, RecordedRequest);

/// `GET /v1/models`: the models a key may use (checked like `/v1/messages`).
async fn models(State(shared): State<Shared>, headers: axum::http::HeaderMap) -> Response {
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key != Some(shared.options.api_key.as_str()) {
        return error(401, "authentication_error", "invalid x-api-key", None);
    }
    let data: Vec<serde_json::Value> = ["claude-sonnet-4-6", "claude-haiku-4-5"]
        .iter()
        .map(|id| serde_json::json!({"type": "model", "id": id, "display_name": id}))
        .collect();
    axum::Json(serde_json::json!({"data": data, "has_more": false})).into_response()
}

async fn not_found() -> Response {
    error(404, "not_found_error", "Not found", None)
}

fn error(status: u16, kind: &str, message: &str, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response();
    response
        .headers_mut()
        .insert("request-id", HeaderValue::from_static("req_standin"));
    set_retry_after(&mut response, retry_after);
    response
}

/// A 400 `invalid_request_error`, the answer to every malformed request.
fn invalid(message: &str) -> Box<Response> {
    Box::new(error(400, "invalid_request_error", message, None))
}

fn tokens_of(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// (cacheable prefix tokens and its hash, tokens after it) for a request body:
/// tools, then system blocks, then messages, with the prefix ending at the
/// last `cache_control` breakpoint.
fn prompt_tokens(body: &Value) -> (Option<(u64, u64)>, u64) {
    let mut parts: Vec<(String, bool)> = Vec::new();
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        for tool in tools {
            parts.push((tool.to_string(), tool.get("cache_control").is_some()));
        }
    }
    push_text_parts(&mut parts, body.get("system"));
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for message in messages {
            push_text_parts(&mut parts, message.get("content"));
        }
    }
    let breakpoint = parts.iter().rposition(|(_, marked)| *marked);
    let total: u64 = parts.iter().map(|(t, _)| tokens_of(t)).sum();
    match breakpoint {
        Some(end) => {
            let mut hasher = DefaultHasher::new();
            body.get("model").map(Value::to_string).hash(&mut hasher);
            let mut prefix = 0;
            for (text, _) in &parts[..=end] {
                text.hash(&mut hasher);
                prefix += tokens_of(text);
            }
            (Some((prefix, hasher.finish())), total - prefix)
        }
        None => (None, total),
    }
}

/// A system prompt or message content, either plain text or text blocks
/// (a block may end a cacheable prefix), as `(text, marked)` parts.
fn push_text_parts(parts: &mut Vec<(String, bool)>, content: Option<&Value>) {
    match content {
        Some(Value::String(text)) => parts.push((text.clone(), false)),
        Some(Value::Array(blocks)) => {
            for block in blocks {
                let text = block
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                parts.push((text.to_owned(), block.get("cache_control").is_some()));
            }
        }
        _ => {}
    }
}

fn check_request(headers: &HeaderMap, body: &Value, key: &str) -> Result<String, Box<Response>> {
    match headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        Some(given) if given == key => {}
        _ => {
            return Err(Box::new(error(
                401,
                "authentication_error",
                "invalid x-api-key",
                None,
            )));
        }
    }
    if headers.get("anthropic-version").is_none() {
        return Err(invalid("anthropic-version: header is required"));
    }
    if !body.get("model").is_some_and(Value::is_string) {
        return Err(invalid("model: Field required"));
    }
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err(invalid("max_tokens: Field required"));
    }
    if body
        .get("messages")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err(invalid("messages: at least one message is required"));
    }
    let tool = body
        .pointer("/tool_choice/name")
        .and_then(Value::as_str)
        .filter(|_| body.pointer("/tool_choice/type").and_then(Value::as_str) == Some("tool"))
        .ok_or_else(|| invalid("tool_choice: expected {type: \"tool\", name}"))?;
    let declared = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.get("name").and_then(Value::as_str) == Some(tool)
                    && t.get("input_schema").is_some_and(Value::is_object)
            })
        });
    if !declared {
        return Err(invalid(&format!(
            "tool_choice.name: tool `{tool}` is not in tools"
        )));
    }
    check_strict_tools(body).map_err(|message| invalid(&message))?;
    Ok(tool.to_owned())
}

/// The documented limits on strict tools: at most this many per request.
pub const MAX_STRICT_TOOLS: usize = 20;
/// Keywords outside the structured-output subset (numeric and string
/// bounds, `maxItems`), refused in a strict schema.
const UNSUPPORTED_STRICT_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
];

/// Holds every `strict: true` tool to the structured-output limits.
fn check_strict_tools(body: &Value) -> Result<(), String> {
    let strict: Vec<&Value> = body
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter(|t| t.get("strict").and_then(Value::as_bool) == Some(true))
                .collect()
        })
        .unwrap_or_default();
    if strict.len() > MAX_STRICT_TOOLS {
        return Err(format!(
            "tools: at most {MAX_STRICT_TOOLS} tools may set strict: true, found {}",
            strict.len()
        ));
    }
    for (i, tool) in strict.iter().enumerate() {
        if let Some(schema) = tool.get("input_schema") {
            strict_schema_problem(schema, &format!("tools.{i}.input_schema"))?;
        }
    }
    Ok(())
}

fn strict_schema_problem(schema: &Value, path: &str) -> Result<(), String> {
    let Some(map) = schema.as_object() else {
        return Ok(());
    };
    for keyword in UNSUPPORTED_STRICT_KEYWORDS {
        if map.contains_key(*keyword) {
            return Err(format!(
                "{path}: `{keyword}` is not supported in a strict schema"
            ));
        }
    }
    if let Some(n) = map.get("minItems").and_then(Value::as_u64) {
        if n > 1 {
            return Err(format!(
                "{path}: minItems values other than 0 or 1 are not supported"
            ));
        }
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        if values.iter().any(|v| v.is_array() || v.is_object()) {
            return Err(format!(
                "{path}.enum: complex types in enum are not supported"
            ));
        }
        if values.is_empty() {
            return Err(format!("{path}.enum: must have at least one value"));
        }
    }
    let is_object = map.get("type").and_then(Value::as_str) == Some("object");
    if is_object && map.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Err(format!(
            "{path}: additionalProperties must be explicitly set to false for objects"
        ));
    }
    for (key, child) in map {
        match child {
            Value::Object(_) => strict_schema_problem(child, &format!("{path}.{key}"))?,
            Value::Array(items) if key != "enum" => {
                for (i, item) in items.iter().enumerate() {
                    strict_schema_problem(item, &format!("{path}.{key}.{i}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

async fn messages(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared
        .received
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    let header_map = header_map(&headers);
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record = |status: u16, tool: Option<String>| RecordedRequest {
        path: "/v1/messages".to_owned(),
        headers: header_map.clone(),
        body: parsed.clone(),
        bytes: body.len(),
        tool,
        status,
    };
    let tool = match check_request(&headers, &parsed, &shared.options.api_key) {
        Ok(tool) => tool,
        Err(response) => {
            shared
                .script
                .record(record(response.status().as_u16(), None));
            return *response;
        }
    };
    let (behaviour, responder) = shared.script.next(&tool);
    let behaviour = behaviour.unwrap_or(Behaviour::Respond);
    let max_tokens = parsed
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let streamed = parsed.get("stream").and_then(Value::as_bool) == Some(true);
    let respond = || {
        let schema = parsed
            .get("tools")
            .and_then(Value::as_array)
            .and_then(|tools| {
                tools
                    .iter()
                    .find(|t| t.get("name").and_then(Value::as_str) == Some(tool.as_str()))
            })
            .and_then(|t| t.get("input_schema"))
            .cloned()
            .unwrap_or(Value::Null);
        tool_use(&tool, responder(&tool, &schema, &parsed))
    };
    let mut pacing = Pacing::default();
    let (content, stop_reason, output_tokens) = match behaviour {
        Behaviour::Error {
            status,
            kind,
            message,
            retry_after,
        } => {
            shared.script.record(record(status, Some(tool)));
            return error(status, &kind, &message, retry_after);
        }
        Behaviour::MaxTokens => (
            json!([{"type": "text", "text": "{\"partial\": "}]),
            "max_tokens",
            max_tokens,
        ),
        Behaviour::ToolInput(input) => tool_use(&tool, input),
        Behaviour::Respond => respond(),
        Behaviour::Paced { interval } => {
            pacing.interval = interval;
            respond()
        }
        Behaviour::Stall {
            after_events,
            silence,
        } => {
            pacing.stall = Some((after_events, silence));
            respond()
        }
        Behaviour::StreamError { kind, message } => {
            pacing.error = Some((kind, message));
            respond()
        }
    };
    let usage = cache_usage(&shared, &parsed);
    shared.script.record(record(200, Some(tool.clone())));
    let message = json!({
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": parsed.get("model").cloned().unwrap_or(Value::Null),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {
            "input_tokens": usage.0,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": usage.1,
            "cache_read_input_tokens": usage.2
        }
    });
    if streamed {
        return stream_message(message, pacing);
    }
    if !pacing.interval.is_zero() {
        tokio::time::sleep(pacing.interval).await;
    }
    (StatusCode::OK, axum::Json(message)).into_response()
}

/// (uncached input, cache writes, cache reads) for a request, remembering
/// the prefixes seen so far as the real cache does.
fn cache_usage(shared: &Shared, parsed: &Value) -> (u64, u64, u64) {
    let (prefix, rest) = prompt_tokens(parsed);
    let (mut creation, mut read, mut input) = (0u64, 0u64, rest);
    if let Some((tokens, hash)) = prefix {
        if tokens >= MIN_CACHEABLE_TOKENS {
            let mut cached = shared
                .cached_prefixes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if cached.insert(hash) {
                creation = tokens;
            } else {
                read = tokens;
            }
        } else {
            input += tokens;
        }
    }
    (input, creation, read)
}

/// How a streamed answer is sent: the gap between events, an optional
/// silence after some events, an optional `error` event after the start.
#[derive(Debug, Default)]
struct Pacing {
    interval: Duration,
    stall: Option<(usize, Duration)>,
    error: Option<(String, String)>,
}

/// Bytes of tool input per `input_json_delta` event, so an answer arrives in
/// several pieces as the real stream's do.
const JSON_PIECE: usize = 64;

/// The server-sent events of one message, in the order the Messages API
/// streams them.
fn stream_events(message: &Value, error: Option<&(String, String)>) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    let mut start = message.clone();
    if let Some(map) = start.as_object_mut() {
        map.insert("content".to_owned(), json!([]));
        map.insert("stop_reason".to_owned(), Value::Null);
        if let Some(usage) = map.get_mut("usage").and_then(Value::as_object_mut) {
            usage.insert("output_tokens".to_owned(), json!(1));
        }
    }
    events.push((
        "message_start".to_owned(),
        json!({"type": "message_start", "message": start}),
    ));
    if let Some((kind, text)) = error {
        events.push((
            "error".to_owned(),
            json!({"type": "error", "error": {"type": kind, "message": text}}),
        ));
        return events;
    }
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, block) in blocks.iter().enumerate() {
        let is_tool = block.get("type").and_then(Value::as_str) == Some("tool_use");
        let (opening, text, delta_kind, field) = if is_tool {
            let mut opening = block.clone();
            if let Some(map) = opening.as_object_mut() {
                map.insert("input".to_owned(), json!({}));
            }
            let input = block.get("input").map(Value::to_string).unwrap_or_default();
            (opening, input, "input_json_delta", "partial_json")
        } else {
            let text = block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (
                json!({"type": "text", "text": ""}),
                text,
                "text_delta",
                "text",
            )
        };
        events.push((
            "content_block_start".to_owned(),
            json!({"type": "content_block_start", "index": index, "content_block": opening}),
        ));
        if index == 0 {
            events.push(("ping".to_owned(), json!({"type": "ping"})));
        }
        for piece in pieces(&text, JSON_PIECE) {
            events.push((
                "content_block_delta".to_owned(),
                json!({"type": "content_block_delta", "index": index, "delta": {"type": delta_kind, field: piece}}),
            ));
        }
        events.push((
            "content_block_stop".to_owned(),
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push((
        "message_delta".to_owned(),
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": null},
            "usage": {"output_tokens": message.pointer("/usage/output_tokens")}
        }),
    ));
    events.push(("message_stop".to_owned(), json!({"type": "message_stop"})));
    events
}

/// `text` cut into pieces of at most `size` bytes, on character boundaries.
fn pieces(text: &str, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if current.len() + c.len_utf8() > size {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Sends `message` as an SSE stream, paced as asked, from a task that stops
/// when the client hangs up.
fn stream_message(message: Value, pacing: Pacing) -> Response {
    let events = stream_events(&message, pacing.error.as_ref());
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        for (i, (name, data)) in events.into_iter().enumerate() {
            if i > 0 && !pacing.interval.is_zero() {
                tokio::time::sleep(pacing.interval).await;
            }
            if let Some((after, silence)) = pacing.stall {
                if i == after {
                    tokio::time::sleep(silence).await;
                }
            }
            let frame = format!("event: {name}\ndata: {data}\n\n");
            if sender.send(Bytes::from(frame)).await.is_err() {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|bytes| (Ok::<Bytes, std::convert::Infallible>(bytes), receiver))
    });
    let mut response = Response::new(axum::body::Body::from_stream(stream));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
}

fn tool_use(tool: &str, input: Value) -> (Value, &'static str, u64) {
    let output = tokens_of(&input.to_string());
    (
        json!([{"type": "tool_use", "id": "toolu_standin", "name": tool, "input": input}]),
        "tool_use",
        output,
    )
}

/// A value that fits `schema`: objects with every property, one-element
/// arrays, the first enum value, "example" strings.
pub fn example_for_schema(schema: &Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    map.insert(k.clone(), example_for_schema(v));
                }
            }
            Value::Object(map)
        }
        Some("array") => Value::Array(vec![example_for_schema(
            schema.get("items").unwrap_or(&Value::Null),
        )]),
        Some("string") => schema
            .get("enum")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or_else(|| Value::String("example".to_owned())),
        Some("boolean") => Value::Bool(false),
        Some("integer") | Some("number") => Value::from(0),
        _ => schema
            .get("enum")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// A value that fits `schema` but means nothing: strings "Generated from
/// <n>", enum values, list lengths (1 to 3) and booleans varied by a counter.
/// What an independent model could answer that a schema check accepts and a
/// reference check does not (a data flow "from" a component that does not
/// exist, a source hint the PRD does not contain).
pub fn generated_for_schema(schema: &Value, counter: &mut u64) -> Value {
    *counter += 1;
    let n = *counter;
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    map.insert(k.clone(), generated_for_schema(v, counter));
                }
            }
            Value::Object(map)
        }
        Some("array") => {
            let item = schema.get("items").unwrap_or(&Value::Null);
            let len = 1 + (n % 3) as usize;
            Value::Array(
                (0..len)
                    .map(|_| generated_for_schema(item, counter))
                    .collect(),
            )
        }
        Some("string") => match schema.get("enum").and_then(Value::as_array) {
            Some(values) if !values.is_empty() => values[(n as usize) % values.len()].clone(),
            _ => Value::String(format!("Generated from {n}")),
        },
        Some("boolean") => Value::Bool(n.is_multiple_of(2)),
        Some("integer") | Some("number") => Value::from(n),
        _ => schema
            .get("enum")
            .and_then(|e| e.get(0))
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// A responder answering every tool with [`generated_for_schema`], each
/// answer different from the last.
pub fn generated_responder() -> Responder {
    let counter = Arc::new(Mutex::new(0u64));
    Arc::new(move |_, schema, _| {
        let mut n = counter.lock().unwrap_or_else(|p| p.into_inner());
        generated_for_schema(schema, &mut n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_follow_the_schema_and_vary() {
        let schema = json!({
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["a", "b"]},
                "names": {"type": "array", "items": {"type": "string"}}
            }
        });
        let mut counter = 0;
        let first = generated_for_schema(&schema, &mut counter);
        let second = generated_for_schema(&schema, &mut counter);
        assert_ne!(first, second);
        for value in [&first, &second] {
            assert!(["a", "b"].contains(&value["kind"].as_str().unwrap()));
            let names = value["names"].as_array().unwrap();
            assert!((1..=3).contains(&names.len()));
            assert!(names[0].as_str().unwrap().starts_with("Generated from "));
        }
    }

    #[test]
    fn streamed_events_rebuild_the_tool_input() {
        let input = json!({"text": "x".repeat(200), "n": 1});
        let message = json!({
            "content": [{"type": "tool_use", "id": "t", "name": "emit", "input": input}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 3, "output_tokens": 9}
        });
        let events = stream_events(&message, None);
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[..3], ["message_start", "content_block_start", "ping"]);
        assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
        let json: String = events
            .iter()
            .filter_map(|(_, e)| e.pointer("/delta/partial_json").and_then(Value::as_str))
            .collect();
        assert!(
            events
                .iter()
                .filter(|(n, _)| n == "content_block_delta")
                .count()
                > 2
        );
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), input);
    }

    #[test]
    fn strict_tools_are_held_to_the_documented_subset() {
        let tool = |schema: Value| json!({"tools": [{"name": "t", "strict": true, "input_schema": schema}]});
        let closed = json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false});
        assert_eq!(check_strict_tools(&tool(closed)), Ok(()));
        let open = json!({"type": "object", "properties": {}});
        assert!(
            check_strict_tools(&tool(open))
                .unwrap_err()
                .contains("additionalProperties")
        );
        let bounded = json!({"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string", "minLength": 2}}});
        assert!(
            check_strict_tools(&tool(bounded))
                .unwrap_err()
                .contains("minLength")
        );
        let many: Vec<Value> = (0..21)
            .map(|i| json!({"name": format!("t{i}"), "strict": true, "input_schema": {"type": "object", "properties": {}, "additionalProperties": false}}))
            .collect();
        assert!(
            check_strict_tools(&json!({"tools": many}))
                .unwrap_err()
                .contains("at most 20")
        );
    }

    #[test]
    fn prefixes_end_at_the_last_breakpoint() {
        let body = json!({
            "model": "m",
            "tools": [{"name": "t", "input_schema": {}}],
            "system": [{"type": "text", "text": "aaaa"}, {"type": "text", "text": "bbbbbbbb", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "cccc"}]}]
        });
        let (prefix, rest) = prompt_tokens(&body);
        let (tokens, _) = prefix.unwrap();
        assert_eq!(rest, 1);
        assert!(tokens > 3);
    }
}
