//! Bearer-token checks: when a route's access needs `PASS_API_TOKEN`,
//! compared in constant time, failing closed when no token is configured.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pass_contracts::ErrorCode;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AuthMode;
use crate::error::ApiError;

/// Who may call a route, which decides when it needs the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, in every mode: probes and API discovery.
    Public,
    /// Agents and operators: the token in every mode. In `agents` mode these
    /// are exactly the seed's protected routes (dispatch, the execution and
    /// artifact-upload callbacks, implementation state) plus what authorises
    /// writes to an issue tracker (sync leases, plan approval).
    Agent,
    /// People and their tools: the token in `all` mode only, as the seed
    /// left these open (its planner calls `PATCH /runs/{runId}` without one).
    Client,
}

impl Access {
    /// Whether a caller needs the token for a route with this access.
    pub fn needs_token(self, mode: AuthMode) -> bool {
        match (self, mode) {
            (Access::Public, _) => false,
            (Access::Agent, _) => true,
            (Access::Client, AuthMode::All) => true,
            (Access::Client, AuthMode::Agents) => false,
        }
    }
}

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

/// Route layer of a route whose access is `access`.
pub async fn require_token(
    State((auth, access)): State<(Auth, Access)>,
    request: Request,
    next: Next,
) -> Response {
    if access.needs_token(auth.mode) {
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
        assert!(!Access::Client.needs_token(AuthMode::Agents));
        assert!(Access::Agent.needs_token(AuthMode::Agents));
        assert!(Access::Client.needs_token(AuthMode::All));
        assert!(!Access::Public.needs_token(AuthMode::All));
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
