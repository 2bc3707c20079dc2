//! Backoff shared by the HTTP models: exponential with jitter, capped, and
//! overridden by a server's `retry-after`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first call (so `max_retries + 1` calls at most).
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): a server's
    /// `retry-after` wins; otherwise base·2^(retry-1) with ±25 % jitter, so
    /// concurrent sections do not retry in lockstep.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay.max(Duration::from_secs(60)));
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let capped = exp.min(self.max_delay);
        let jitter = jitter_fraction();
        let millis = capped.as_millis() as f64 * (0.75 + 0.5 * jitter);
        Duration::from_millis(millis as u64)
    }
}

/// A number in [0, 1) that differs between calls; good enough for jitter.
fn jitter_fraction() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut x = u64::from(nanos) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x % 10_000) as f64 / 10_000.0
}

/// Reads `retry-after` as seconds (the form both APIs send).
pub fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds >= 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_respect_retry_after() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        let first = policy.delay(1, None);
        assert!(first >= Duration::from_millis(75) && first <= Duration::from_millis(125));
        let third = policy.delay(3, None);
        assert!(third >= Duration::from_millis(300) && third <= Duration::from_millis(500));
        let capped = policy.delay(10, None);
        assert!(capped <= Duration::from_millis(1250));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }
}
