//! The router layer every request passes first: request targets and headers
//! over this server's limits are answered with the contract's JSON (414
//! `uri_too_long`, 431 `headers_too_large`) instead of hyper's empty
//! answers, and a request body must arrive within
//! [`RequestGuard::body_timeout`] of its head or the request is answered 408
//! `request_timeout`.
//!
//! The body deadline covers reading the body only, never the handler's own
//! work: a handler cancelled half-way through a write would be worse than a
//! slow answer, and the slow work (GitHub calls) has timeouts of its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use pass_contracts::ErrorCode;

use super::health::HealthContext;
use crate::config::ServerConfig;
use crate::error::ApiError;

/// The longest request target (path and query) the router reads: 8 KiB, as
/// most proxies allow.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The most header bytes (names, values and their separators) a request may
/// carry: 32 KiB, room for large cookies and tokens.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The most header lines a request may carry (hyper's own default).
pub const MAX_HEADER_COUNT: usize = 100;

/// What the layer needs: the body deadline, and the health checks' settings
/// that it hands to `/healthz` as a request extension.
#[derive(Debug, Clone)]
pub struct RequestGuard {
    /// `PASS_REQUEST_BODY_TIMEOUT_MS`.
    pub body_timeout: Duration,
    pub health: Arc<HealthContext>,
}

impl RequestGuard {
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            body_timeout: config.request_body_timeout,
            health: Arc::new(HealthContext::new(config)),
        }
    }
}

/// The layer's function: `from_fn_with_state(RequestGuard::new(config), guard_request)`.
pub async fn guard_request(
    State(guard): State<RequestGuard>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Err(error) = check_head(request.uri(), request.headers()) {
        return error.into_response();
    }
    request.extensions_mut().insert(guard.health.clone());
    let request = if request.body().is_end_stream() {
        request
    } else {
        let timeout = guard.body_timeout;
        request.map(|body| Body::new(DeadlineBody::new(body, timeout)))
    };
    next.run(request).await
}

/// Refuses a request target or headers over the limits.
fn check_head(uri: &Uri, headers: &HeaderMap) -> Result<(), ApiError> {
    let uri_bytes = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Err(ApiError::new(
            ErrorCode::UriTooLong,
            format!(
                "the request target is {uri_bytes} bytes long; this server reads at most {MAX_URI_BYTES}"
            ),
        ));
    }
    if headers.len() > MAX_HEADER_COUNT {
        return Err(ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!(
                "the request has {} header lines; this server reads at most {MAX_HEADER_COUNT}",
                headers.len()
            ),
        ));
    }
    // As on the wire: `name: value\r\n`.
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!(
                "the request's headers are {header_bytes} bytes; this server reads at most {MAX_HEADER_BYTES}"
            ),
        ));
    }
    Ok(())
}

/// The error a request body gives when it has not fully arrived by its
/// deadline; [`ApiError`] turns it into 408 `request_timeout`.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within {} ms", .0.as_millis())]
pub struct BodyTimedOut(pub Duration);

/// A request body with a deadline for all of it, not for each chunk: a
/// client trickling a byte at a time is cut off as surely as a silent one.
struct DeadlineBody {
    inner: Body,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(self.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn limits_count_the_target_and_the_headers() {
        let fits: Uri = format!("/runs?q={}", "a".repeat(MAX_URI_BYTES - 8))
            .parse()
            .unwrap();
        assert!(check_head(&fits, &HeaderMap::new()).is_ok());
        let long: Uri = format!("/runs?q={}", "a".repeat(MAX_URI_BYTES))
            .parse()
            .unwrap();
        let error = check_head(&long, &HeaderMap::new()).unwrap_err();
        assert_eq!(error.code, ErrorCode::UriTooLong);

        let mut headers = HeaderMap::new();
        headers.insert(
            "x-big",
            HeaderValue::from_str(&"b".repeat(MAX_HEADER_BYTES)).unwrap(),
        );
        let error = check_head(&Uri::from_static("/"), &headers).unwrap_err();
        assert_eq!(error.code, ErrorCode::HeadersTooLarge);

        let mut headers = HeaderMap::new();
        for n in 0..=MAX_HEADER_COUNT {
            headers.append(
                axum::http::HeaderName::from_bytes(format!("x-h{n}").as_bytes()).unwrap(),
                HeaderValue::from_static("1"),
            );
        }
        let error = check_head(&Uri::from_static("/"), &headers).unwrap_err();
        assert_eq!(error.code, ErrorCode::HeadersTooLarge);
    }
}
