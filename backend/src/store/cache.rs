//! The reads every signed-in request makes (its session, its account, its API token),
//! kept for a moment in this process so that a burst of requests costs one query.
//!
//! - **This store's own writes are seen at once.** Each write that could change one of
//!   these reads forgets it when it ends (on success, failure or cancellation alike),
//!   and a read that started before a write never stores its now-stale answer.
//! - **Another instance's writes are seen within [`FRESH_FOR`].** That is the most a
//!   sign-out, revocation or disabling done through another instance sharing the
//!   database waits to take effect here; nothing is kept longer.

use super::{LiveApiToken, SessionRecord, UserRecord};
use quick_cache::sync::Cache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a read is served from memory before the database is asked again.
pub const FRESH_FOR: Duration = Duration::from_millis(500);

/// How many entries of each kind are kept. An entry is only of use for `FRESH_FOR`, so
/// this is how many different sessions (accounts, tokens) a burst may bring in half a
/// second; stale entries stay until evicted, so the bound is also what the cache costs at
/// most: under 1 KB an entry, a few MB in all.
const CAPACITY: usize = 2_048;

/// One kind of read, by key, each with when it was read.
type Reads<V> = Cache<String, (Instant, V)>;

/// A read taken before the database was asked: whether a write came in between.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

pub struct ReadCache {
    sessions: Reads<SessionRecord>,
    users: Reads<UserRecord>,
    api_tokens: Reads<LiveApiToken>,
    /// Counts forgetting: a ticket is its value when a read began.
    generation: AtomicU64,
    /// Held to fill and to forget, so a fill that checked its ticket cannot land after a
    /// forget that came later.
    lock: Mutex<()>,
}

impl Default for ReadCache {
    fn default() -> ReadCache {
        ReadCache {
            sessions: Cache::new(CAPACITY),
            users: Cache::new(CAPACITY),
            api_tokens: Cache::new(CAPACITY),
            generation: AtomicU64::new(0),
            lock: Mutex::new(()),
        }
    }
}

/// What a write forgets when it ends.
#[derive(Clone, Copy, Debug)]
enum Forget<'a> {
    /// One session, by its id hash.
    Session(&'a str),
    /// Every session (a write that ends several, or changes their account).
    Sessions,
    /// Every API token (a write names a token by its id, which the cache does not key
    /// on; token writes are rare).
    ApiTokens,
    /// Everything: an account changed (its record is in all three kinds of read).
    Accounts,
}

impl ReadCache {
    fn fresh<V: Clone>(reads: &Reads<V>, key: &str) -> Option<V> {
        reads
            .get(key)
            .filter(|(read_at, _)| read_at.elapsed() < FRESH_FOR)
            .map(|(_, value)| value)
    }

    /// Call before asking the database; hand the ticket back to `fill_*`.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Runs `fill` unless something was forgotten since `ticket` was taken.
    fn fill(&self, ticket: Ticket, fill: impl FnOnce()) {
        let _lock = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == ticket.0 {
            fill();
        }
    }

    fn forget(&self, what: Forget<'_>) {
        let _lock = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        match what {
            Forget::Session(id_hash) => {
                self.sessions.remove(id_hash);
            }
            Forget::Sessions => self.sessions.clear(),
            Forget::ApiTokens => self.api_tokens.clear(),
            Forget::Accounts => {
                self.sessions.clear();
                self.users.clear();
                self.api_tokens.clear();
            }
        }
    }

    pub fn session(&self, id_hash: &str) -> Option<SessionRecord> {
        Self::fresh(&self.sessions, id_hash)
    }

    pub fn fill_session(&self, ticket: Ticket, session: &SessionRecord) {
        self.fill(ticket, || {
            self.sessions
                .insert(session.id_hash.clone(), (Instant::now(), session.clone()))
        });
    }

    pub fn user(&self, id: &str) -> Option<UserRecord> {
        Self::fresh(&self.users, id)
    }

    pub fn fill_user(&self, ticket: Ticket, user: &UserRecord) {
        self.fill(ticket, || {
            self.users
                .insert(user.user.id.clone(), (Instant::now(), user.clone()))
        });
    }

    pub fn api_token(&self, secret_hash: &str) -> Option<LiveApiToken> {
        Self::fresh(&self.api_tokens, secret_hash)
    }

    pub fn fill_api_token(&self, ticket: Ticket, secret_hash: &str, token: &LiveApiToken) {
        self.fill(ticket, || {
            self.api_tokens
                .insert(secret_hash.to_owned(), (Instant::now(), token.clone()))
        });
    }

    /// For a write to one session: forgets it when the returned guard drops.
    pub fn writing_session<'a>(&'a self, id_hash: &'a str) -> Forgets<'a> {
        Forgets(self, Forget::Session(id_hash))
    }

    /// For a write to several sessions.
    pub fn writing_sessions(&self) -> Forgets<'_> {
        Forgets(self, Forget::Sessions)
    }

    /// For a write to API tokens.
    pub fn writing_api_tokens(&self) -> Forgets<'_> {
        Forgets(self, Forget::ApiTokens)
    }

    /// For a write to an account (its record, its sessions or its tokens).
    pub fn writing_account(&self) -> Forgets<'_> {
        Forgets(self, Forget::Accounts)
    }
}

/// Forgets what a write may have changed when it is dropped: after the write commits,
/// fails, or is cancelled mid-way (a request timeout drops it).
#[must_use = "the cache forgets when this is dropped: hold it across the write"]
pub struct Forgets<'a>(&'a ReadCache, Forget<'a>);

impl Drop for Forgets<'_> {
    fn drop(&mut self) {
        self.0.forget(self.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn session(id_hash: &str, data: &str) -> SessionRecord {
        SessionRecord {
            id_hash: id_hash.into(),
            user_id: Some("u1".into()),
            data: data.into(),
            expires_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_read_is_served_until_it_is_stale() {
        let cache = ReadCache::default();
        assert_eq!(cache.session("s1"), None);
        cache.fill_session(cache.ticket(), &session("s1", "a"));
        assert_eq!(cache.session("s1"), Some(session("s1", "a")));
        cache.sessions.insert(
            "s1".into(),
            (Instant::now() - FRESH_FOR, session("s1", "a")),
        );
        assert_eq!(cache.session("s1"), None, "older than FRESH_FOR");
    }

    #[test]
    fn a_write_forgets_when_it_ends() {
        let cache = ReadCache::default();
        cache.fill_session(cache.ticket(), &session("s1", "a"));
        cache.fill_session(cache.ticket(), &session("s2", "b"));
        let write = cache.writing_session("s1");
        assert!(cache.session("s1").is_some(), "not before the write ends");
        drop(write);
        assert_eq!(cache.session("s1"), None);
        assert!(cache.session("s2").is_some(), "another session is kept");
        drop(cache.writing_account());
        assert_eq!(cache.session("s2"), None);
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_kept() {
        let cache = ReadCache::default();
        let ticket = cache.ticket();
        // The database answered with the old row; then a write ended...
        drop(cache.writing_session("s1"));
        // ...so that old row must not be kept.
        cache.fill_session(ticket, &session("s1", "old"));
        assert_eq!(cache.session("s1"), None);
        cache.fill_session(cache.ticket(), &session("s1", "new"));
        assert_eq!(cache.session("s1"), Some(session("s1", "new")));
    }
}
