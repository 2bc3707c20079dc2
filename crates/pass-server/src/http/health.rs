//! The checks behind `/healthz`'s degraded states, beyond the store's own:
//! no `PASS_API_TOKEN` (every protected route fails closed), and a runs
//! folder that cannot take writes (read-only, not writable, or short of
//! space).
//!
//! `/healthz` is public, so its reasons name no server path and do not say
//! whether the token is the `.env.example` placeholder (the server only
//! runs with the placeholder on loopback, and says so in its log).

use std::path::PathBuf;

use serde_json::{Value, json};

use super::system::{DiskStatus, disk_status};
use crate::config::{ServerConfig, TokenState};

/// Settings of the checks, fixed at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthContext {
    /// Whether `PASS_API_TOKEN` is set (to anything, placeholder included).
    pub token_configured: bool,
    /// `PASS_MIN_FREE_DISK_BYTES`: below this much free space the server
    /// reports degraded, as writes are about to fail.
    pub min_free_disk_bytes: u64,
}

/// What the checks found: `reasons` is empty when all is well; `auth` and
/// `disk` are `/healthz`'s objects of the same names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthReport {
    pub reasons: Vec<String>,
    pub auth: Value,
    pub disk: Value,
}

impl HealthContext {
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            token_configured: config.token_state() != TokenState::Missing,
            min_free_disk_bytes: config.min_free_disk_bytes,
        }
    }

    /// Runs the checks against the runs folder `runs_dir`.
    pub async fn report(&self, runs_dir: PathBuf) -> HealthReport {
        let mut reasons = Vec::new();
        if !self.token_configured {
            reasons.push(
                "PASS_API_TOKEN is not set: every protected route answers server_misconfigured"
                    .to_owned(),
            );
        }
        let status = tokio::task::spawn_blocking(move || disk_status(&runs_dir))
            .await
            .ok()
            .flatten();
        let disk = match status {
            None => json!({"status": "unknown", "min_free_bytes": self.min_free_disk_bytes}),
            Some(DiskStatus {
                available_bytes,
                not_writable,
            }) => {
                let low = available_bytes < self.min_free_disk_bytes;
                if let Some(why) = &not_writable {
                    reasons.push(format!("the runs folder is not writable: {why}"));
                }
                if low {
                    reasons.push(format!(
                        "{} free where runs are stored, under the {} minimum (PASS_MIN_FREE_DISK_BYTES)",
                        mib(available_bytes),
                        mib(self.min_free_disk_bytes)
                    ));
                }
                let status = if not_writable.is_some() {
                    "not_writable"
                } else if low {
                    "low"
                } else {
                    "ok"
                };
                json!({
                    "status": status,
                    "available_bytes": available_bytes,
                    "min_free_bytes": self.min_free_disk_bytes,
                })
            }
        };
        let auth = json!({
            "token": if self.token_configured { "set" } else { "missing" },
        });
        HealthReport {
            reasons,
            auth,
            disk,
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
