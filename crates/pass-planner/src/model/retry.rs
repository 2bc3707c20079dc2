//! The model clients retry on PASS's one schedule (`pass-retry`): exponential
//! backoff with jitter, capped, overridden by a server's `retry-after`.

use std::time::Duration;

pub use pass_retry::Backoff as RetryPolicy;

/// The longest `retry-after` a model call waits out (beyond the policy's own
/// cap): a server asking for more is treated as down for this run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The wait before retry number `retry` (1-based): the server's
/// `retry-after` (at most a minute, or the policy's cap if longer), else the
/// policy's backoff.
pub fn delay(policy: &RetryPolicy, retry: u32, retry_after: Option<Duration>) -> Duration {
    let retry_after = retry_after.map(|wait| wait.min(policy.max_delay.max(MAX_RETRY_AFTER)));
    policy.delay(retry, retry_after).unwrap_or(policy.max_delay)
}

/// Reads `retry-after` as seconds (the form both APIs send).
pub fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    pass_retry::parse_retry_after(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_retry_after_wins_within_a_minute() {
        let policy = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_millis(1000));
        assert_eq!(
            delay(&policy, 1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            delay(&policy, 1, Some(Duration::from_secs(600))),
            Duration::from_secs(60)
        );
        let first = delay(&policy, 1, None);
        assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(200));
    }
}
