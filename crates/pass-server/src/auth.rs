//! Bearer-token checks: which routes need `PASS_API_TOKEN`, compared in
//! constant time, failing closed when no token is configured.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pass_contracts::ErrorCode;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AuthMode;
use crate::error::ApiError;

/// The routes open to anyone in every mode: probes and API discovery.
const PUBLIC_ROUTES: &[&str] = &["/healthz", "/health", "/openapi.json"];

/// The routes protected even in `agents` mode: exactly the seed's policy
/// (dispatch, the execution and artifact-upload callbacks, implementation
/// state), plus the sync lease. `PATCH /runs/{run_id}` stays open, as the
/// seed's planner calls it without a token.
pub const AGENT_ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/runs/{run_id}/dispatch"),
    (Method::POST, "/runs/{run_id}/dispatch/{workflow_name}"),
    (Method::PATCH, "/runs/{run_id}/execution"),
    (Method::POST, "/runs/{run_id}/artifacts"),
    (Method::PATCH, "/runs/{run_id}/implementation-state"),
    (Method::POST, "/projects/{project_id}/sync-leases"),
    (Method::PUT, "/projects/{project_id}/sync-leases/{lease_id}"),
    (
        Method::DELETE,
        "/projects/{project_id}/sync-leases/{lease_id}",
    ),
];

/// The token policy in force.
#[derive(Debug, Clone)]
pub struct Auth {
    mode: AuthMode,
    /// SHA-256 of the token, so comparisons take the same time whatever the length.
    token_digest: Option<[u8; 32]>,
}

impl Auth {
    pub fn new(mode: AuthMode, token: Option<&SecretString>) -> Self {
        Self {
            mode,
            token_digest: token.map(|t| Sha256::digest(t.expose_secret().as_bytes()).into()),
        }
    }

    /// Whether `method` on the route template `route` needs the token.
    pub fn is_protected(&self, method: &Method, route: &str) -> bool {
        if PUBLIC_ROUTES.contains(&route) {
            return false;
        }
        match self.mode {
            AuthMode::All => true,
            AuthMode::Agents => AGENT_ROUTES.iter().any(|(m, r)| m == method && *r == route),
        }
    }

    fn check(&self, header_value: Option<&str>) -> Result<(), ApiError> {
        let Some(expected) = &self.token_digest else {
            return Err(ApiError::new(
                ErrorCode::ServerMisconfigured,
                "PASS_API_TOKEN is not set on the server, so protected routes are closed",
            ));
        };
        let presented = header_value
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "this route needs an Authorization: Bearer <PASS_API_TOKEN> header",
                )
            })?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        if bool::from(digest.ct_eq(expected)) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Unauthorized,
                "the bearer token is not the server's PASS_API_TOKEN",
            ))
        }
    }
}

/// Route layer: runs after routing so it knows the route template.
pub async fn require_token(State(auth): State<Auth>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    if auth.is_protected(request.method(), &route) {
        let header_value = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Err(error) = auth.check(header_value) {
            return error.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_mode_protects_only_agent_routes() {
        let auth = Auth::new(AuthMode::Agents, None);
        assert!(!auth.is_protected(&Method::GET, "/runs/{run_id}"));
        assert!(!auth.is_protected(&Method::POST, "/runs"));
        assert!(auth.is_protected(&Method::PATCH, "/runs/{run_id}/execution"));
        let all = Auth::new(AuthMode::All, None);
        assert!(all.is_protected(&Method::GET, "/runs"));
        assert!(!all.is_protected(&Method::GET, "/healthz"));
    }

    #[test]
    fn token_check_is_exact_and_fails_closed() {
        let token = SecretString::from("s3cret".to_owned());
        let auth = Auth::new(AuthMode::All, Some(&token));
        assert!(auth.check(Some("Bearer s3cret")).is_ok());
        assert!(auth.check(Some("bearer s3cret")).is_ok());
        assert_eq!(
            auth.check(Some("Bearer s3cre")).unwrap_err().code,
            ErrorCode::Unauthorized
        );
        assert_eq!(auth.check(None).unwrap_err().code, ErrorCode::Unauthorized);
        let closed = Auth::new(AuthMode::All, None);
        let err = closed.check(Some("Bearer s3cret")).unwrap_err();
        assert_eq!(err.code, ErrorCode::ServerMisconfigured);
        assert!(!err.message.contains("s3cret"));
    }
}
