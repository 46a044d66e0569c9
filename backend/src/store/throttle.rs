//! Throttle counters: fixed windows per key, shared by every instance.

use super::{StoreResult, ThrottleWindow};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait Throttles {
    /// Counts one event for `key`: starts a new window at `now` when the current one began
    /// at or before `now - window`, else adds one. Returns the window after the update.
    async fn throttle_hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<ThrottleWindow>;
    /// Takes one of `limit` slots in `key`'s window for an attempt that is about to be
    /// evaluated: like `throttle_hit`, but only while the window holds fewer than `limit`,
    /// in one atomic statement. Returns the window after taking the slot, or `None` when
    /// it is full. However many attempts arrive at once, at most `limit` get a slot.
    async fn throttle_take(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
        limit: u32,
    ) -> StoreResult<Option<ThrottleWindow>>;
    /// Gives back a slot taken by `throttle_take` in the window that began at
    /// `started_at` (an attempt that turned out not to count); nothing if that window
    /// has ended since.
    async fn throttle_give_back(&self, key: &str, started_at: OffsetDateTime) -> StoreResult<()>;
    /// The current window for `key`, if one is still open at `now`.
    async fn throttle_peek(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<Option<ThrottleWindow>>;
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
    /// Forgets windows that began before `before`.
    async fn prune_throttle(&self, before: OffsetDateTime) -> StoreResult<u64>;
}

/// `Throttles` for a backend's store, with the SQL written once (see `store/mod.rs` for
/// what the invoking backend module supplies).
macro_rules! impl_throttles {
    ($store:ty) => {
        /// Counts one event in `key`'s window (a new window when the current one has
        /// ended); the `WHERE` of the update decides whether it may.
        const COUNT_EVENT: &str = "INSERT INTO throttle (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.count + 1 END, \
               window_start = CASE WHEN throttle.window_start <= $3 THEN $2 \
                              ELSE throttle.window_start END";

        fn throttle_window(
            (count, started): (i64, Time),
        ) -> $crate::store::StoreResult<$crate::store::ThrottleWindow> {
            Ok($crate::store::ThrottleWindow {
                count: $crate::store::count(count),
                started_at: from_db(started, "window_start")?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::store::Throttles for $store {
            async fn throttle_hit(
                &self,
                key: &str,
                now: time::OffsetDateTime,
                window: time::Duration,
            ) -> $crate::store::StoreResult<$crate::store::ThrottleWindow> {
                let sql = format!("{COUNT_EVENT} RETURNING count, window_start");
                let row: (i64, Time) = sqlx::query_as(&sql)
                    .bind(key)
                    .bind(to_db(now))
                    .bind(to_db(now - window))
                    .fetch_one(&self.pool)
                    .await?;
                throttle_window(row)
            }

            async fn throttle_take(
                &self,
                key: &str,
                now: time::OffsetDateTime,
                window: time::Duration,
                limit: u32,
            ) -> $crate::store::StoreResult<Option<$crate::store::ThrottleWindow>> {
                // The conflicting row is locked and the WHERE judged on its latest
                // version (Postgres), or the one writer does it all (SQLite): concurrent
                // takes are counted one after another.
                let sql = format!(
                    "{COUNT_EVENT} WHERE throttle.window_start <= $3 OR throttle.count < $4 \
                     RETURNING count, window_start"
                );
                let row: Option<(i64, Time)> = sqlx::query_as(&sql)
                    .bind(key)
                    .bind(to_db(now))
                    .bind(to_db(now - window))
                    .bind(i64::from(limit))
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(throttle_window).transpose()
            }

            async fn throttle_give_back(
                &self,
                key: &str,
                started_at: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE throttle SET count = count - 1 \
                     WHERE key = $1 AND window_start = $2 AND count > 0",
                )
                .bind(key)
                .bind(to_db(started_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn throttle_peek(
                &self,
                key: &str,
                now: time::OffsetDateTime,
                window: time::Duration,
            ) -> $crate::store::StoreResult<Option<$crate::store::ThrottleWindow>> {
                let row: Option<(i64, Time)> = sqlx::query_as(
                    "SELECT count, window_start FROM throttle WHERE key = $1 AND window_start > $2",
                )
                .bind(key)
                .bind(to_db(now - window))
                .fetch_optional(&self.pool)
                .await?;
                row.map(throttle_window).transpose()
            }

            async fn throttle_clear(&self, key: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM throttle WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn prune_throttle(
                &self,
                before: time::OffsetDateTime,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM throttle WHERE window_start < $1")
                    .bind(to_db(before))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(super) use impl_throttles;
