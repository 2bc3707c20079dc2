//! The one retry schedule of PASS's HTTP clients (the PASS API client, the
//! model clients, GitHub): exponential backoff with jitter, capped, from
//! `backon`. Each client decides *whether* a failure is worth retrying (only
//! it knows which requests are safe to repeat); this crate decides *how
//! long* to wait, and reads the server's own `retry-after` when it sends one.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// The wait before the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest wait before jitter.
    pub max_delay: Duration,
}

impl Backoff {
    pub const fn new(max_retries: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_retries,
            base_delay,
            max_delay,
        }
    }

    /// The waits before each retry, in order: `base·2^n` capped at
    /// `max_delay`, each lengthened by a random fraction of itself (up to
    /// double) so that clients failing together do not retry in lockstep.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::new()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
            .build()
    }

    /// The wait before retry number `retry` (1-based), or `None` once the
    /// retries are spent; a server's `retry-after` wins when it sends one.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries {
            return None;
        }
        match retry_after {
            Some(wait) => Some(wait),
            None => self.delays().nth(retry as usize - 1),
        }
    }
}

/// Reads a `retry-after` header value given in seconds (the form the PASS
/// API, Anthropic, OpenAI and GitHub send).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds >= 0.0 && seconds.is_finite()).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_with_bounded_jitter() {
        let backoff = Backoff::new(6, Duration::from_millis(100), Duration::from_millis(1000));
        let delays: Vec<_> = backoff.delays().collect();
        assert_eq!(delays.len(), 6);
        let expected = [100, 200, 400, 800, 1000, 1000];
        for (delay, base) in delays.iter().zip(expected) {
            let ms = delay.as_millis() as u64;
            assert!(ms >= base && ms < 2 * base, "{ms} for {base}");
        }
    }

    #[test]
    fn retry_after_wins_and_spent_retries_end() {
        let backoff = Backoff::new(2, Duration::from_millis(10), Duration::from_secs(1));
        assert_eq!(
            backoff.delay(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert!(backoff.delay(2, None).unwrap() >= Duration::from_millis(20));
        assert_eq!(backoff.delay(3, None), None);
        assert_eq!(backoff.delay(0, None), None);
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }
}
