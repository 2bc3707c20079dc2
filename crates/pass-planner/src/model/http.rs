//! The HTTP plumbing the hosted-model clients (Anthropic, OpenAI-compatible)
//! share, so a status code means the same thing to both and their errors
//! read alike: client construction, the retry loop, how one exchange is
//! judged, and the `Debug` form that leaves the key out.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::retry::{RetryPolicy, delay, parse_retry_after};
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
    /// The setting that bounds how long the server may stay silent.
    pub(super) timeout_setting: &'static str,
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
    /// Fails only when TLS or the resolver cannot be set up. There is no
    /// deadline on a whole call: a long answer may take minutes while it
    /// keeps arriving; silence is bounded per read instead (see
    /// [`HttpApi::call_with_retries`]).
    pub(super) fn client(&self, connect_timeout: Duration) -> Result<reqwest::Client, ModelError> {
        reqwest::Client::builder()
            .connect_timeout(connect_timeout)
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
    ///
    /// `silence` bounds the wait for the response to start and then for
    /// each further piece of the body, so a streamed answer may run as long
    /// as it keeps arriving. A call that goes silent fails with
    /// [`ModelError::Timeout`] and is not retried: the same request would
    /// most likely stall again, and the run's validated sections are kept.
    pub(super) async fn call_with_retries<F>(
        &self,
        retry: &RetryPolicy,
        silence: Duration,
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
            let outcome = match tokio::time::timeout(silence, send()).await {
                Ok(outcome) => outcome,
                Err(_) => return Err(self.timeout(silence, "waiting for the answer to start")),
            };
            let judged = self.judge(calls, outcome, silence, |bytes| {
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
            let wait = delay(retry, calls, retry_after);
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
        silence: Duration,
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
        let bytes = match self.read_body(response, silence).await {
            Ok(bytes) => bytes,
            Err(BodyError::Silent) => {
                return Exchange::Finished(Err(self.timeout(silence, "the answer was arriving")));
            }
            Err(BodyError::Broken(reason)) => {
                return Exchange::Retryable {
                    retry_after: None,
                    failure: ModelError::Transport {
                        provider,
                        reason,
                        calls,
                    },
                };
            }
        };
        if (200..300).contains(&status) {
            return match parse(&bytes) {
                // An overload reported inside a streamed answer is a 5xx by another route.
                Err(failure @ ModelError::Unavailable { .. }) => Exchange::Retryable {
                    retry_after: None,
                    failure,
                },
                Err(failure @ ModelError::Transport { .. }) => Exchange::Retryable {
                    retry_after: None,
                    failure,
                },
                other => Exchange::Finished(other),
            };
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

/// Why a body could not be read whole.
enum BodyError {
    /// Nothing arrived within the silence bound.
    Silent,
    /// The connection broke.
    Broken(String),
}

impl HttpApi {
    /// The body, piece by piece, each piece within `silence` of the last.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        silence: Duration,
    ) -> Result<Vec<u8>, BodyError> {
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout(silence, response.chunk()).await {
                Err(_) => return Err(BodyError::Silent),
                Ok(Ok(Some(piece))) => body.extend_from_slice(&piece),
                Ok(Ok(None)) => return Ok(body),
                Ok(Err(error)) => return Err(BodyError::Broken(error_chain(&error))),
            }
        }
    }

    fn timeout(&self, silence: Duration, waiting_for: &'static str) -> ModelError {
        ModelError::Timeout {
            provider: self.provider,
            setting: self.timeout_setting,
            after_ms: silence.as_millis() as u64,
            waiting_for,
        }
    }

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
