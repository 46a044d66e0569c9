//! Throttling of failed attempts, counted in the database so that every instance shares
//! the count. A fixed window per key: after `limit` failures within `window`, further
//! attempts are refused with 429 until the window ends. An attempt is counted before it
//! is evaluated and given back when it succeeds, so parallel guesses cannot race past
//! the limit.

use crate::store::Store;
use domain::AppError;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

/// One counter and its limit.
#[derive(Clone, Debug)]
pub struct Limit {
    /// What is counted, like `login:account:<id>` or `mail:<address>`.
    pub key: String,
    /// Events allowed in a window (failures, or requests for `count_request`).
    pub max_failures: u32,
}

/// Refuses (429) the sixth mail-sending request to the same address within an hour (by
/// default), whether or not the address has an account.
pub async fn mail_request(state: &crate::AppState, email: &domain::Email) -> Result<(), AppError> {
    let limit = Limit {
        key: format!("mail:{email}"),
        max_failures: state.rules().throttle.mail_per_address_per_hour,
    };
    Throttle::new(state.store.as_ref(), 3600)
        .count_request(&limit, OffsetDateTime::now_utc())
        .await
}

/// An attempt counted by `Throttle::begin`: the slot it holds in each window.
#[must_use = "an attempt counts as a failure until `Throttle::succeeded` is called"]
pub struct Attempt {
    slots: Vec<(String, OffsetDateTime)>,
}

/// Counts attempts per key in fixed windows of one length, shared by every instance
/// through the store.
pub struct Throttle<'a> {
    store: &'a dyn Store,
    window: Duration,
}

impl<'a> Throttle<'a> {
    /// A throttle whose windows last `window_seconds`.
    pub fn new(store: &'a dyn Store, window_seconds: u64) -> Throttle<'a> {
        Throttle {
            store,
            window: Duration::seconds(i64::try_from(window_seconds).unwrap_or(i64::MAX)),
        }
    }

    /// Counts an attempt against every one of `limits` before it is evaluated, each in
    /// one atomic statement, so that attempts arriving together cannot pass a limit: at
    /// most `max_failures` of them are ever evaluated in a window. When any limit is used
    /// up, refuses with 429 (and how long to wait), giving back what it took. The
    /// attempt stays counted as a failure unless `succeeded` is called.
    pub async fn begin(&self, limits: &[Limit], now: OffsetDateTime) -> Result<Attempt, AppError> {
        let mut attempt = Attempt { slots: Vec::new() };
        for limit in limits {
            let taken = self
                .store
                .throttle_take(&limit.key, now, self.window, limit.max_failures)
                .await?;
            match taken {
                Some(window) => attempt.slots.push((limit.key.clone(), window.started_at)),
                None => {
                    self.give_back(&attempt).await?;
                    let started_at = self
                        .store
                        .throttle_peek(&limit.key, now, self.window)
                        .await?
                        .map_or(now, |window| window.started_at);
                    return Err(AppError::TooManyRequests {
                        retry_after: self.seconds_left(started_at, now),
                    });
                }
            }
        }
        Ok(attempt)
    }

    /// The attempt succeeded: it does not count as a failure.
    pub async fn succeeded(&self, attempt: Attempt) -> Result<(), AppError> {
        self.give_back(&attempt).await
    }

    async fn give_back(&self, attempt: &Attempt) -> Result<(), AppError> {
        for (key, started_at) in &attempt.slots {
            self.store.throttle_give_back(key, *started_at).await?;
        }
        Ok(())
    }

    /// Counts one request against `limit` (requests, not failures) and refuses with 429
    /// once the window holds more than it allows.
    pub async fn count_request(&self, limit: &Limit, now: OffsetDateTime) -> Result<(), AppError> {
        let window = self
            .store
            .throttle_hit(&limit.key, now, self.window)
            .await?;
        if window.count > limit.max_failures {
            return Err(AppError::TooManyRequests {
                retry_after: self.seconds_left(window.started_at, now),
            });
        }
        Ok(())
    }

    /// Whole seconds (at least one) until the window that started at `started_at` ends:
    /// what a refused client is told to wait.
    fn seconds_left(&self, started_at: OffsetDateTime, now: OffsetDateTime) -> u64 {
        let ends = started_at + self.window;
        u64::try_from((ends - now).whole_seconds())
            .unwrap_or(0)
            .max(1)
    }

    /// Forgets the count under `key`, as after a successful sign-in.
    pub async fn clear(&self, key: &str) -> Result<(), AppError> {
        self.store.throttle_clear(key).await?;
        Ok(())
    }
}

/// The address a client is counted by. IPv6 clients usually hold a whole /64, so they
/// are counted per /64, not per address.
pub fn address_bucket(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_is_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_bucket(a), address_bucket(b));
        assert_eq!(
            address_bucket("::ffff:10.0.0.1".parse().unwrap()),
            "10.0.0.1"
        );
        assert_eq!(address_bucket("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
