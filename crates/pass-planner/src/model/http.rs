//! The HTTP plumbing the hosted-model clients (Anthropic, OpenAI-compatible)
//! share, so a status code means the same thing to both and their errors
//! read alike: client construction, the retry loop, how one exchange is
//! judged, and the `Debug` form that leaves the key out.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::retry::{RetryPolicy, parse_retry_after};
use super::{ModelError, SectionReply};

/// How one provider's HTTP API reports failure.
pub(super) struct HttpApi {
    /// Names the provider in errors.
    pub(super) provider: &'static str,
    /// The setting to fix when the key is refused.
    pub(super) key_name: &'static str,
    /// Statuses worth another call (rate limits, overload, gateway trouble).
    pub(super) retryable: &'static [u16],
    /// Where in the body's `error` object the error kind is, first found
    /// wins (both APIs answer `{"error": {..., "message"}}`).
    pub(super) kind_keys: &'static [&'static str],
}

/// What one call came to.
enum Exchange {
    /// A reply, or an error another call would not fix.
    Finished(Result<SectionReply, ModelError>),
    /// An error another call may fix, with the server's `retry-after`.
    Retryable {
        retry_after: Option<Duration>,
        failure: ModelError,
    },
}

impl HttpApi {
    /// Fails only when TLS or the resolver cannot be set up.
    pub(super) fn client(&self, timeout: Duration) -> Result<reqwest::Client, ModelError> {
        reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| ModelError::Transport {
                provider: self.provider,
                reason: e.to_string(),
                calls: 0,
            })
    }

    /// Calls until one finishes or `retry` runs out: `send` makes one call,
    /// `parse` reads a 2xx body (with the call number and how long the call
    /// took), and `on_retry` hears each failure and the wait before the next
    /// call, so a provider can log it.
    pub(super) async fn call_with_retries<F>(
        &self,
        retry: &RetryPolicy,
        send: impl Fn() -> F,
        parse: impl Fn(&[u8], u32, Duration) -> Result<SectionReply, ModelError>,
        on_retry: impl Fn(&ModelError, Duration),
    ) -> Result<SectionReply, ModelError>
    where
        F: std::future::Future<Output = Result<reqwest::Response, reqwest::Error>>,
    {
        let mut calls = 0u32;
        loop {
            calls += 1;
            let started = Instant::now();
            let outcome = send().await;
            let judged = self.judge(calls, outcome, |bytes| {
                parse(bytes, calls, started.elapsed())
            });
            let (retry_after, failure) = match judged.await {
                Exchange::Finished(result) => return result,
                Exchange::Retryable {
                    retry_after,
                    failure,
                } => (retry_after, failure),
            };
            if calls > retry.max_retries {
                return Err(failure);
            }
            let wait = retry.delay(calls, retry_after);
            on_retry(&failure, wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// Judges call number `calls`: a 2xx body goes to `parse`; 401/403 is
    /// the key's fault; `retryable` statuses and unreachable servers may be
    /// retried; anything else is the request's fault.
    async fn judge(
        &self,
        calls: u32,
        outcome: Result<reqwest::Response, reqwest::Error>,
        parse: impl FnOnce(&[u8]) -> Result<SectionReply, ModelError>,
    ) -> Exchange {
        let provider = self.provider;
        let response = match outcome {
            Ok(response) => response,
            Err(error) => {
                return Exchange::Retryable {
                    retry_after: None,
                    failure: ModelError::Transport {
                        provider,
                        reason: error_chain(&error),
                        calls,
                    },
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers());
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => {
                return Exchange::Finished(Err(ModelError::Transport {
                    provider,
                    reason: e.to_string(),
                    calls,
                }));
            }
        };
        if (200..300).contains(&status) {
            return Exchange::Finished(parse(&bytes));
        }
        let (kind, message) = self.error_body(&bytes);
        if matches!(status, 401 | 403) {
            return Exchange::Finished(Err(ModelError::Unauthorized {
                provider,
                key_name: self.key_name,
                status,
                message,
            }));
        }
        if self.retryable.contains(&status) {
            return Exchange::Retryable {
                retry_after,
                failure: ModelError::Unavailable {
                    provider,
                    status,
                    kind,
                    message,
                    calls,
                },
            };
        }
        Exchange::Finished(Err(ModelError::Rejected {
            provider,
            status,
            kind,
            message,
        }))
    }
}

impl HttpApi {
    /// `{"error": {<kind key>, "message"}}` → (kind, message); a body of
    /// another shape becomes the message, cut to 300 characters.
    fn error_body(&self, bytes: &[u8]) -> (String, String) {
        let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let kind = error
            .and_then(|e| self.kind_keys.iter().find_map(|key| e.get(key)))
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
}

/// The `Debug` form of a model client: where it calls and which model,
/// never the key.
pub(super) fn debug_client(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    endpoint: &str,
    model: &str,
) -> std::fmt::Result {
    f.debug_struct(name)
        .field("endpoint", &endpoint)
        .field("model", &model)
        .finish_non_exhaustive()
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
