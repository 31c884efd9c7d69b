//! When to retry a failed call and how long to wait: the official SDK's rules
//! (408, 409, 429 and 5xx; `x-should-retry` overrides), with the server's own hint
//! read first (`retry-after-ms`, then `retry-after` in seconds or as an HTTP-date),
//! capped at [`MAX_WAIT`]; otherwise exponential backoff with jitter.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// The longest wait between two attempts, whatever the server asks.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// Longest exponential backoff without a server hint.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Whether a response with `status` and `headers` is worth another attempt.
pub fn should_retry(status: u16, headers: &HeaderMap) -> bool {
    match header(headers, "x-should-retry") {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 409 | 429) || status >= 500
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The wait the server asks for, read from `retry-after-ms`, then `retry-after`
/// (seconds, possibly fractional, or an HTTP-date), capped at [`MAX_WAIT`].
pub fn server_hint(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let ms = header(headers, "retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| Duration::from_secs_f64(x / 1000.0));
    let wait = ms.or_else(|| {
        let text = header(headers, "retry-after")?;
        if let Ok(secs) = text.parse::<f64>() {
            return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
        }
        let at = jiff::fmt::rfc2822::parse(text).ok()?.timestamp();
        let now = jiff::Timestamp::try_from(now).ok()?;
        let secs = (at.as_millisecond() - now.as_millisecond()).max(0) as u64;
        Some(Duration::from_millis(secs))
    })?;
    Some(wait.min(MAX_WAIT))
}

/// The exponential backoff before retry number `attempt` (0 for the first retry):
/// `base · 2^attempt`, capped at 8 s, minus up to 25 % jitter drawn from `jitter`
/// (a number in `[0, 1)`).
pub fn backoff(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let full = base
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    full.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0))
}

/// A small pseudo-random number in `[0, 1)` for jitter (not for anything secret).
pub fn jitter() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut x = STATE.fetch_add(nanos | 1, Ordering::Relaxed) ^ nanos;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn retries_the_statuses_the_sdk_retries_unless_the_server_says_otherwise() {
        let none = HeaderMap::new();
        for s in [408, 409, 429, 500, 502, 503] {
            assert!(should_retry(s, &none), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!should_retry(s, &none), "{s}");
        }
        assert!(!should_retry(503, &headers(&[("x-should-retry", "false")])));
        assert!(should_retry(400, &headers(&[("x-should-retry", "true")])));
    }

    #[test]
    fn reads_retry_after_ms_first_then_seconds_then_an_http_date_capped_at_120_s() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let h = headers(&[("retry-after-ms", "250"), ("retry-after", "9")]);
        assert_eq!(server_hint(&h, now), Some(Duration::from_millis(250)));
        let h = headers(&[("retry-after", "1.5")]);
        assert_eq!(server_hint(&h, now), Some(Duration::from_millis(1500)));
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch.
        let h = headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:40 GMT")]);
        assert_eq!(server_hint(&h, now), Some(Duration::from_secs(3)));
        let h = headers(&[("retry-after", "3600")]);
        assert_eq!(server_hint(&h, now), Some(MAX_WAIT));
        assert_eq!(server_hint(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn backoff_doubles_is_capped_and_jitter_only_shortens_it() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 0, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(base, 10, 0.0), Duration::from_secs(8));
        assert_eq!(backoff(base, 1, 1.0), Duration::from_millis(750));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
