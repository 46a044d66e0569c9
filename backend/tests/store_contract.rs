//! The `Store` contract: one body of tests, run against SQLite and against Postgres.

use backend::store::testing::{TestBackend, TestDatabase};
use backend::store::{
    self, ApiTokenRecord, GrantKind, GrantRecord, IdentityRecord, NewPassword, NewUserRecord,
    PictureRef, QueuedMail, SessionRecord, Store, StoreError, TokenPurpose, TokenRecord, Unique,
    Unlinked,
};
use domain::{ProfileChanges, Role, Scope};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Whole seconds: SQLite stores seconds, Postgres microseconds; records compare equal.
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

fn new_user(username: &str, email: &str) -> NewUserRecord {
    NewUserRecord {
        id: uuid::Uuid::now_v7().to_string(),
        username: username.into(),
        email: email.into(),
        email_verified: false,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        role: Role::User,
        language: "fr".into(),
        timezone: "UTC".into(),
        created_at: now(),
    }
}

fn session(id_hash: &str, user_id: Option<&str>, expires_at: OffsetDateTime) -> SessionRecord {
    SessionRecord {
        id_hash: id_hash.into(),
        user_id: user_id.map(str::to_owned),
        data: r#"{"k":"v"}"#.into(),
        expires_at,
    }
}

async fn users_are_found_by_id_username_and_email(store: Arc<dyn Store>) {
    let record = new_user("Ada.Lovelace", "ada@example.org");
    store.insert_user(&record).await.unwrap();

    let by_id = store
        .user_by_id(&record.id)
        .await
        .unwrap()
        .expect("found by id");
    assert_eq!(by_id.user.username, "Ada.Lovelace");
    assert_eq!(by_id.user.email, "ada@example.org");
    assert_eq!(by_id.user.role, Role::User);
    assert_eq!(by_id.user.language, "fr");
    assert_eq!(by_id.user.timezone, "UTC");
    assert!(!by_id.user.email_verified);
    assert!(!by_id.disabled);
    assert_eq!(by_id.user.created_at, record.created_at);
    assert_eq!(by_id.password_hash, record.password_hash);

    let by_name = store
        .user_by_username("ada.lovelace")
        .await
        .unwrap()
        .expect("found by username key");
    assert_eq!(by_name.user.id, record.id);
    let by_email = store
        .user_by_email("ada@example.org")
        .await
        .unwrap()
        .expect("found by email");
    assert_eq!(by_email.user.id, record.id);
    assert!(store.user_by_username("nobody").await.unwrap().is_none());
    assert!(store.user_by_id("no-such-id").await.unwrap().is_none());
}

async fn usernames_and_emails_are_unique_ignoring_case(store: Arc<dyn Store>) {
    store
        .insert_user(&new_user("grace", "grace@example.org"))
        .await
        .unwrap();
    let same_name = store
        .insert_user(&new_user("GRACE", "other@example.org"))
        .await;
    assert!(
        matches!(same_name, Err(StoreError::Conflict(Unique::Username))),
        "{same_name:?}"
    );
    let same_email = store
        .insert_user(&new_user("hopper", "grace@example.org"))
        .await;
    assert!(
        matches!(same_email, Err(StoreError::Conflict(Unique::Email))),
        "{same_email:?}"
    );
}

async fn password_hash_can_be_replaced(store: Arc<dyn Store>) {
    let record = new_user("linus", "linus@example.org");
    store.insert_user(&record).await.unwrap();
    store
        .set_password_hash(&record.id, "new-hash", now())
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_id(&record.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("new-hash")
    );
}

async fn sessions_live_until_they_expire(store: Arc<dyn Store>) {
    let user = new_user("margaret", "margaret@example.org");
    store.insert_user(&user).await.unwrap();
    let t = now();
    let live = session(
        "a".repeat(64).as_str(),
        Some(&user.id),
        t + Duration::hours(1),
    );
    store.insert_session(&live).await.unwrap();
    assert_eq!(
        store.session(&live.id_hash, t).await.unwrap(),
        Some(live.clone())
    );

    let duplicate = store.insert_session(&live).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(Unique::Key))),
        "{duplicate:?}"
    );

    // Saving replaces the data and the owner.
    let mut changed = live.clone();
    changed.data = r#"{"k":"w"}"#.into();
    changed.user_id = None;
    store.save_session(&changed).await.unwrap();
    assert_eq!(
        store.session(&live.id_hash, t).await.unwrap(),
        Some(changed)
    );
    // Saving an unknown session creates it.
    let fresh = session(&"b".repeat(64), None, t + Duration::hours(1));
    store.save_session(&fresh).await.unwrap();
    assert!(store.session(&fresh.id_hash, t).await.unwrap().is_some());

    // Expired sessions are invisible, then swept.
    let old = session(&"c".repeat(64), None, t - Duration::seconds(1));
    store.insert_session(&old).await.unwrap();
    assert_eq!(store.session(&old.id_hash, t).await.unwrap(), None);
    assert_eq!(store.delete_expired_sessions(t).await.unwrap(), 1);

    store.delete_session(&live.id_hash).await.unwrap();
    assert_eq!(store.session(&live.id_hash, t).await.unwrap(), None);
}

async fn throttle_counts_within_a_window(store: Arc<dyn Store>) {
    let t = now();
    let window = Duration::minutes(15);
    for expected in 1..=3 {
        let w = store.throttle_hit("login:x", t, window).await.unwrap();
        assert_eq!(w.count, expected);
        assert_eq!(w.started_at, t);
    }
    let peek = store
        .throttle_peek("login:x", t + Duration::minutes(1), window)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peek.count, 3);
    // Once the window has passed, it is gone, and the next hit starts a new one.
    assert!(store
        .throttle_peek("login:x", t + window, window)
        .await
        .unwrap()
        .is_none());
    let later = t + window + Duration::seconds(1);
    let w = store.throttle_hit("login:x", later, window).await.unwrap();
    assert_eq!((w.count, w.started_at), (1, later));

    store.throttle_clear("login:x").await.unwrap();
    assert!(store
        .throttle_peek("login:x", later, window)
        .await
        .unwrap()
        .is_none());

    store
        .throttle_hit("login:old", t - Duration::days(2), window)
        .await
        .unwrap();
    store.throttle_hit("login:new", t, window).await.unwrap();
    assert_eq!(
        store.prune_throttle(t - Duration::days(1)).await.unwrap(),
        1
    );
    assert!(store
        .throttle_peek("login:new", t, window)
        .await
        .unwrap()
        .is_some());
}

async fn concurrent_writers_wait_instead_of_failing(store: Arc<dyn Store>) {
    let t = now();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .throttle_hit("login:busy", t, Duration::minutes(15))
                    .await
                    .unwrap();
                store
                    .insert_user(&new_user(
                        &format!("user{i}"),
                        &format!("user{i}@example.org"),
                    ))
                    .await
                    .unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no writer failed");
    }
    let w = store
        .throttle_peek("login:busy", t, Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.count, 40);
}

async fn profile_changes_touch_only_what_they_name(store: Arc<dyn Store>) {
    let record = new_user("ada", "ada@example.org");
    store.insert_user(&record).await.unwrap();
    let first = ProfileChanges {
        first_name: Some(Some("Ada".into())),
        bio: Some(Some("Analyst".into())),
        birth_date: Some(Some(time::macros::date!(1815 - 12 - 10))),
        timezone: Some("Europe/London".into()),
        ..ProfileChanges::default()
    };
    store
        .update_profile(&record.id, &first, now())
        .await
        .unwrap();
    let second = ProfileChanges {
        bio: Some(None),
        language: Some("en".into()),
        ..ProfileChanges::default()
    };
    store
        .update_profile(&record.id, &second, now())
        .await
        .unwrap();
    let user = store.user_by_id(&record.id).await.unwrap().unwrap().user;
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.bio, None);
    assert_eq!(user.birth_date, Some(time::macros::date!(1815 - 12 - 10)));
    assert_eq!(user.timezone, "Europe/London");
    assert_eq!(user.language, "en");
    assert_eq!(user.last_name, None);
}

async fn pictures_are_set_replaced_and_cleared(store: Arc<dyn Store>) {
    let record = new_user("pic", "pic@example.org");
    store.insert_user(&record).await.unwrap();
    let one = PictureRef {
        key: "pictures/a/1.jpg".into(),
        etag: "1111".into(),
    };
    let two = PictureRef {
        key: "pictures/a/2.png".into(),
        etag: "2222".into(),
    };
    assert_eq!(
        store
            .set_picture(&record.id, Some(&one), now())
            .await
            .unwrap(),
        None
    );
    let stored = store.user_by_id(&record.id).await.unwrap().unwrap();
    assert_eq!(stored.picture, Some(one.clone()));
    assert_eq!(
        stored.user.picture_url.as_deref(),
        Some("/api/v1/users/pic/picture?v=1111")
    );
    assert_eq!(
        store
            .set_picture(&record.id, Some(&two), now())
            .await
            .unwrap(),
        Some(one)
    );
    assert_eq!(
        store.set_picture(&record.id, None, now()).await.unwrap(),
        Some(two)
    );
    let stored = store.user_by_id(&record.id).await.unwrap().unwrap();
    assert_eq!((stored.picture, stored.user.picture_url), (None, None));
}

async fn an_account_s_sessions_are_listed_and_ended(store: Arc<dyn Store>) {
    let ada = new_user("ada2", "ada2@example.org");
    let bob = new_user("bob2", "bob2@example.org");
    store.insert_user(&ada).await.unwrap();
    store.insert_user(&bob).await.unwrap();
    let t = now();
    let later = t + Duration::hours(1);
    for (hash, owner) in [
        ("a1", &ada.id),
        ("a2", &ada.id),
        ("a3", &ada.id),
        ("b1", &bob.id),
    ] {
        store
            .insert_session(&session(hash, Some(owner), later))
            .await
            .unwrap();
    }
    store
        .insert_session(&session("a-old", Some(&ada.id), t - Duration::seconds(1)))
        .await
        .unwrap();
    let mut live: Vec<String> = store
        .user_sessions(&ada.id, t)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    live.sort();
    assert_eq!(live, ["a1", "a2", "a3"]);

    assert!(
        !store.delete_user_session(&bob.id, "a1").await.unwrap(),
        "not bob's to end"
    );
    assert!(store.delete_user_session(&ada.id, "a1").await.unwrap());
    assert_eq!(
        store
            .delete_user_sessions_except(&ada.id, Some("a2"))
            .await
            .unwrap(),
        2
    );
    let left: Vec<String> = store
        .user_sessions(&ada.id, t)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    assert_eq!(left, ["a2"]);
    assert_eq!(store.user_sessions(&bob.id, t).await.unwrap().len(), 1);

    // Deleting an account takes its sessions with it.
    assert!(store
        .delete_user(&ada.id, "login:account:ada2")
        .await
        .unwrap());
    assert!(!store
        .delete_user(&ada.id, "login:account:ada2")
        .await
        .unwrap());
    assert_eq!(store.session("a2", t).await.unwrap(), None);
    assert!(store.user_by_id(&ada.id).await.unwrap().is_none());
    assert_eq!(store.user_sessions(&bob.id, t).await.unwrap().len(), 1);
}

fn token(
    hash: &str,
    user_id: &str,
    purpose: TokenPurpose,
    expires_at: OffsetDateTime,
) -> TokenRecord {
    TokenRecord {
        id_hash: hash.into(),
        user_id: user_id.into(),
        purpose,
        email: "t@example.org".into(),
        attempts: 0,
        created_at: now(),
        expires_at,
    }
}

async fn tokens_are_replaced_found_and_spent_once(store: Arc<dyn Store>) {
    let user = new_user("tok", "tok@example.org");
    store.insert_user(&user).await.unwrap();
    let t = now();
    let later = t + Duration::minutes(30);
    store
        .replace_token(&token("r1", &user.id, TokenPurpose::ResetPassword, later))
        .await
        .unwrap();
    store
        .replace_token(&token("v1", &user.id, TokenPurpose::VerifyEmail, later))
        .await
        .unwrap();
    // A newer token of the same purpose replaces the older; other purposes stay.
    store
        .replace_token(&token("r2", &user.id, TokenPurpose::ResetPassword, later))
        .await
        .unwrap();
    assert!(store
        .find_token("r1", TokenPurpose::ResetPassword, t)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_token("v1", TokenPurpose::VerifyEmail, t)
        .await
        .unwrap()
        .is_some());
    // Another purpose does not match.
    assert!(store
        .find_token("r2", TokenPurpose::VerifyEmail, t)
        .await
        .unwrap()
        .is_none());
    let found = store
        .find_token("r2", TokenPurpose::ResetPassword, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user_id, user.id);
    assert_eq!(found.expires_at, later);
    let active = store
        .take_token_attempt(&user.id, TokenPurpose::ResetPassword, t, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.id_hash, "r2");
    assert_eq!(active.attempts, 1);
    let again = store
        .take_token_attempt(&user.id, TokenPurpose::ResetPassword, t, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);
    let spent = store
        .consume_token("r2", TokenPurpose::ResetPassword, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.attempts, 2);
    assert!(
        store
            .consume_token("r2", TokenPurpose::ResetPassword, t)
            .await
            .unwrap()
            .is_none(),
        "once"
    );

    // Expired tokens are neither found nor spent, then swept.
    store
        .replace_token(&token(
            "old",
            &user.id,
            TokenPurpose::LoginCode,
            t - Duration::seconds(1),
        ))
        .await
        .unwrap();
    assert!(store
        .find_token("old", TokenPurpose::LoginCode, t)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .consume_token("old", TokenPurpose::LoginCode, t)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.delete_expired_tokens(t).await.unwrap(), 1);
    store
        .delete_tokens(&user.id, TokenPurpose::VerifyEmail)
        .await
        .unwrap();
    assert!(store
        .find_token("v1", TokenPurpose::VerifyEmail, t)
        .await
        .unwrap()
        .is_none());
}

async fn email_addresses_are_verified_and_changed(store: Arc<dyn Store>) {
    let ada = new_user("ev1", "ev1@example.org");
    let bob = new_user("ev2", "ev2@example.org");
    store.insert_user(&ada).await.unwrap();
    store.insert_user(&bob).await.unwrap();
    assert!(
        !store
            .mark_email_verified(&ada.id, "other@example.org")
            .await
            .unwrap(),
        "only the current address"
    );
    assert!(store
        .mark_email_verified(&ada.id, "ev1@example.org")
        .await
        .unwrap());
    assert!(
        store
            .user_by_id(&ada.id)
            .await
            .unwrap()
            .unwrap()
            .user
            .email_verified
    );
    let taken = store.change_email(&ada.id, "ev2@example.org", now()).await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(Unique::Email))),
        "{taken:?}"
    );
    store
        .change_email(&ada.id, "new@example.org", now())
        .await
        .unwrap();
    let moved = store
        .user_by_email("new@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.user.id, ada.id);
    assert!(moved.user.email_verified);
}

async fn mail_is_claimed_retried_and_removed(store: Arc<dyn Store>) {
    let t = now();
    let mail = |id: &str, due: OffsetDateTime| QueuedMail {
        id: id.into(),
        payload: vec![0, 159, 146, 150, 255],
        attempts: 0,
        next_attempt_at: due,
        created_at: t,
    };
    store.enqueue_mail(&mail("m1", t)).await.unwrap();
    store
        .enqueue_mail(&mail("m2", t + Duration::minutes(5)))
        .await
        .unwrap();
    let lease = t + Duration::minutes(2);
    let claimed = store.claim_mail(t, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, "m1");
    assert_eq!(
        claimed[0].payload,
        vec![0, 159, 146, 150, 255],
        "bytes survive"
    );
    // Claimed mail is leased: nobody else takes it before the lease ends.
    assert!(store.claim_mail(t, lease, 10).await.unwrap().is_empty());
    store
        .retry_mail("m1", 1, t + Duration::seconds(30), "connection refused")
        .await
        .unwrap();
    let later = store
        .claim_mail(t + Duration::seconds(31), lease + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].attempts, 1);
    store.delete_mail("m1").await.unwrap();
    let rest = store
        .claim_mail(t + Duration::minutes(10), t + Duration::minutes(12), 10)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m2"]
    );
}

/// Runs `count` copies of `task` at once and returns what those that answered `Some`
/// answered, sorted.
async fn all_at_once<T, F, Fut>(count: usize, task: F) -> Vec<T>
where
    T: Ord + Send + 'static,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>> + Send + 'static,
{
    let tasks: Vec<_> = (0..count).map(|_| tokio::spawn(task())).collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    answers.sort_unstable();
    answers
}

async fn throttle_slots_are_never_overbooked(store: Arc<dyn Store>) {
    let t = now();
    let window = Duration::minutes(15);
    // Fifty attempts at once against a limit of ten: exactly ten get a slot.
    let taken = all_at_once(50, || {
        let store = store.clone();
        async move {
            let taken = store.throttle_take("login:race", t, window, 10).await;
            taken.unwrap().map(|w| w.count)
        }
    })
    .await;
    assert_eq!(taken, (1..=10).collect::<Vec<u32>>());
    let full = store
        .throttle_peek("login:race", t, window)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((full.count, full.started_at), (10, t));

    // A slot given back can be taken again; a give-back for a window that has ended
    // leaves the new window alone.
    store.throttle_give_back("login:race", t).await.unwrap();
    let w = store
        .throttle_take("login:race", t, window, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.count, 10);
    assert!(store
        .throttle_take("login:race", t, window, 10)
        .await
        .unwrap()
        .is_none());
    let later = t + window + Duration::seconds(1);
    let w = store
        .throttle_take("login:race", later, window, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((w.count, w.started_at), (1, later));
    store.throttle_give_back("login:race", t).await.unwrap();
    let w = store
        .throttle_peek("login:race", later, window)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.count, 1);
}

async fn token_guesses_are_counted_before_they_are_compared(store: Arc<dyn Store>) {
    let user = new_user("guess", "guess@example.org");
    store.insert_user(&user).await.unwrap();
    let t = now();
    store
        .replace_token(&token(
            "code",
            &user.id,
            TokenPurpose::LoginCode,
            t + Duration::minutes(10),
        ))
        .await
        .unwrap();
    let attempts = all_at_once(50, || {
        let store = store.clone();
        let user_id = user.id.clone();
        async move {
            let taken = store
                .take_token_attempt(&user_id, TokenPurpose::LoginCode, t, 5)
                .await;
            taken.unwrap().map(|record| record.attempts)
        }
    })
    .await;
    assert_eq!(attempts, [1, 2, 3, 4, 5]);
    // Expired or absent codes give no attempt at all.
    assert!(store
        .take_token_attempt(&user.id, TokenPurpose::ResetPassword, t, 5)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .take_token_attempt(
            &user.id,
            TokenPurpose::LoginCode,
            t + Duration::minutes(11),
            50
        )
        .await
        .unwrap()
        .is_none());
}

/// An account with three sessions, a reset link, a sign-in code, a verification link
/// and a failed-sign-in counter: what a credential change must deal with.
async fn account_with_credentials(store: &Arc<dyn Store>, name: &str) -> (NewUserRecord, String) {
    let user = new_user(name, &format!("{name}@example.org"));
    store.insert_user(&user).await.unwrap();
    let t = now();
    let later = t + Duration::hours(1);
    for n in 1..=3 {
        store
            .insert_session(&session(&format!("{name}-s{n}"), Some(&user.id), later))
            .await
            .unwrap();
    }
    for (hash, purpose) in [
        ("reset", TokenPurpose::ResetPassword),
        ("code", TokenPurpose::LoginCode),
        ("verify", TokenPurpose::VerifyEmail),
    ] {
        store
            .replace_token(&token(&format!("{name}-{hash}"), &user.id, purpose, later))
            .await
            .unwrap();
    }
    let throttle_key = format!("login:account:{}", user.id);
    store
        .throttle_take(&throttle_key, t, Duration::minutes(15), 10)
        .await
        .unwrap();
    (user, throttle_key)
}

async fn live_sessions(store: &Arc<dyn Store>, user_id: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .user_sessions(user_id, now())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    ids.sort();
    ids
}

async fn token_is_live(store: &Arc<dyn Store>, hash: &str, purpose: TokenPurpose) -> bool {
    store
        .find_token(hash, purpose, now())
        .await
        .unwrap()
        .is_some()
}

async fn throttle_count(store: &Arc<dyn Store>, key: &str) -> Option<u32> {
    store
        .throttle_peek(key, now(), Duration::minutes(15))
        .await
        .unwrap()
        .map(|w| w.count)
}

/// Makes the database refuse to delete sessions, as a failure in the middle of a
/// credential change (after its first write).
async fn break_session_deletes(store: &Arc<dyn Store>, db: &TestDatabase) {
    if store.backend() == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .execute(&pool)
        .await
        .unwrap();
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::raw_sql(
            "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
             CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions \
               FOR EACH ROW EXECUTE FUNCTION refuse_delete();",
        )
        .execute(&pool)
        .await
        .unwrap();
    }
}

async fn a_password_change_is_all_or_nothing(store: Arc<dyn Store>, db: &TestDatabase) {
    let (user, throttle_key) = account_with_credentials(&store, "change").await;
    let ended = store
        .change_password(&NewPassword {
            user_id: &user.id,
            password_hash: "hash-2",
            keep_session: Some("change-s2"),
            throttle_key: &throttle_key,
            now: now(),
        })
        .await
        .unwrap();
    assert_eq!(ended, 2);
    let stored = store.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("hash-2"));
    assert_eq!(live_sessions(&store, &user.id).await, ["change-s2"]);
    assert!(!token_is_live(&store, "change-reset", TokenPurpose::ResetPassword).await);
    assert!(!token_is_live(&store, "change-code", TokenPurpose::LoginCode).await);
    assert!(token_is_live(&store, "change-verify", TokenPurpose::VerifyEmail).await);
    assert_eq!(throttle_count(&store, &throttle_key).await, None);

    // A failure after the new hash is written leaves the old state whole.
    let (other, other_key) = account_with_credentials(&store, "broken").await;
    break_session_deletes(&store, db).await;
    let failed = store
        .change_password(&NewPassword {
            user_id: &other.id,
            password_hash: "hash-2",
            keep_session: None,
            throttle_key: &other_key,
            now: now(),
        })
        .await;
    assert!(failed.is_err(), "{failed:?}");
    let stored = store.user_by_id(&other.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, other.password_hash);
    assert_eq!(
        live_sessions(&store, &other.id).await,
        ["broken-s1", "broken-s2", "broken-s3"]
    );
    assert!(token_is_live(&store, "broken-reset", TokenPurpose::ResetPassword).await);
    assert!(token_is_live(&store, "broken-code", TokenPurpose::LoginCode).await);
    assert_eq!(throttle_count(&store, &other_key).await, Some(1));
}

async fn a_password_reset_is_all_or_nothing(store: Arc<dyn Store>, db: &TestDatabase) {
    let (user, throttle_key) = account_with_credentials(&store, "reset").await;
    let (other, _) = account_with_credentials(&store, "bystander").await;
    let change = |user_id| NewPassword {
        user_id,
        password_hash: "hash-2",
        keep_session: None,
        throttle_key: &throttle_key,
        now: now(),
    };
    // Another account's token, another flow's token or an unknown one change nothing.
    for (hash, user_id) in [
        ("bystander-reset", &user.id),
        ("reset-verify", &user.id),
        ("nothing", &user.id),
        ("reset-reset", &other.id),
    ] {
        assert_eq!(
            store.reset_password(hash, &change(user_id)).await.unwrap(),
            None,
            "{hash}"
        );
    }
    assert_eq!(
        store
            .user_by_id(&user.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        user.password_hash
    );
    assert_eq!(
        store
            .reset_password("reset-reset", &change(&user.id))
            .await
            .unwrap(),
        Some(3)
    );
    let stored = store.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("hash-2"));
    assert!(live_sessions(&store, &user.id).await.is_empty());
    assert!(!token_is_live(&store, "reset-code", TokenPurpose::LoginCode).await);
    assert_eq!(throttle_count(&store, &throttle_key).await, None);
    assert_eq!(
        store
            .reset_password("reset-reset", &change(&user.id))
            .await
            .unwrap(),
        None,
        "a token works once"
    );
    assert_eq!(live_sessions(&store, &other.id).await.len(), 3);

    // A failure in the middle keeps the token usable and the old password in place.
    break_session_deletes(&store, db).await;
    let other_key = format!("login:account:{}", other.id);
    let failed = store
        .reset_password(
            "bystander-reset",
            &NewPassword {
                user_id: &other.id,
                password_hash: "hash-3",
                keep_session: None,
                throttle_key: &other_key,
                now: now(),
            },
        )
        .await;
    assert!(failed.is_err(), "{failed:?}");
    let stored = store.user_by_id(&other.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, other.password_hash);
    assert!(token_is_live(&store, "bystander-reset", TokenPurpose::ResetPassword).await);
    assert_eq!(live_sessions(&store, &other.id).await.len(), 3);
    assert_eq!(throttle_count(&store, &other_key).await, Some(1));
}

async fn a_deletion_is_all_or_nothing(store: Arc<dyn Store>, db: &TestDatabase) {
    let (user, throttle_key) = account_with_credentials(&store, "leaving").await;
    assert!(store.delete_user(&user.id, &throttle_key).await.unwrap());
    assert!(store.user_by_id(&user.id).await.unwrap().is_none());
    assert!(live_sessions(&store, &user.id).await.is_empty());
    assert!(!token_is_live(&store, "leaving-verify", TokenPurpose::VerifyEmail).await);
    assert_eq!(throttle_count(&store, &throttle_key).await, None);

    // The counter goes first and the sessions with the account: a failure there puts
    // the counter back too.
    let (other, other_key) = account_with_credentials(&store, "staying").await;
    break_session_deletes(&store, db).await;
    assert!(store.delete_user(&other.id, &other_key).await.is_err());
    assert!(store.user_by_id(&other.id).await.unwrap().is_some());
    assert_eq!(live_sessions(&store, &other.id).await.len(), 3);
    assert!(token_is_live(&store, "staying-reset", TokenPurpose::ResetPassword).await);
    assert_eq!(throttle_count(&store, &other_key).await, Some(1));
}

async fn api_tokens_are_listed_found_revoked_and_checked(store: Arc<dyn Store>) {
    let ada = new_user("tokenada", "tokenada@example.org");
    let bob = new_user("tokenbob", "tokenbob@example.org");
    store.insert_user(&ada).await.unwrap();
    store.insert_user(&bob).await.unwrap();
    let t = now();
    let token = |id: &str, owner: &str, hash: &str, created: OffsetDateTime| ApiTokenRecord {
        id: id.into(),
        user_id: owner.into(),
        name: format!("token {id}"),
        secret_hash: hash.into(),
        scopes: vec![Scope::Read, Scope::Write],
        created_at: created,
        expires_at: created + Duration::days(90),
        last_used_at: None,
        revoked_at: None,
    };
    let first = token("t1", &ada.id, "h1", t - Duration::minutes(2));
    let read_only = ApiTokenRecord {
        scopes: vec![Scope::Read],
        ..token("t2", &ada.id, "h2", t - Duration::minutes(1))
    };
    store.insert_api_token(&first).await.unwrap();
    store.insert_api_token(&read_only).await.unwrap();
    store
        .insert_api_token(&token("t3", &bob.id, "h3", t))
        .await
        .unwrap();
    let listed: Vec<ApiTokenRecord> = store.api_tokens_of(&ada.id).await.unwrap();
    assert_eq!(
        listed,
        [read_only.clone(), first.clone()],
        "newest first, and only ada's"
    );
    assert_eq!(
        store.api_token(&ada.id, "t1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.api_token(&ada.id, "t3").await.unwrap(), None, "bob's");

    let live = store.live_api_token("h1", t).await.unwrap().unwrap();
    assert_eq!(
        (live.id.as_str(), live.scopes, live.last_used_at),
        ("t1", first.scopes.clone(), None)
    );
    assert_eq!(
        live.holder.user.id, ada.id,
        "the token comes with its account"
    );
    assert!(store.live_api_token("nope", t).await.unwrap().is_none());
    let later = t + Duration::days(91);
    assert!(
        store.live_api_token("h1", later).await.unwrap().is_none(),
        "expired"
    );

    store.touch_api_token("t1", t).await.unwrap();
    let touched = store.api_token(&ada.id, "t1").await.unwrap().unwrap();
    assert_eq!(touched.last_used_at, Some(t));

    assert!(
        !store.revoke_api_token(&bob.id, "t1", t).await.unwrap(),
        "not bob's"
    );
    assert!(store.revoke_api_token(&ada.id, "t1", t).await.unwrap());
    assert!(store.live_api_token("h1", t).await.unwrap().is_none());
    let revoked = store.api_token(&ada.id, "t1").await.unwrap().unwrap();
    assert_eq!((revoked.revoked_at, revoked.expires_at), (Some(t), t));
    assert!(store.live_api_token("h2", t).await.unwrap().is_some());

    // A second token with the same secret hash is a conflict, never a second token.
    let clash = store.insert_api_token(&token("t4", &ada.id, "h2", t)).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    // Deleting the account takes its tokens with it.
    assert!(store.delete_user(&ada.id, "login:x").await.unwrap());
    assert!(store.api_tokens_of(&ada.id).await.unwrap().is_empty());
}

async fn grants_are_spent_once(store: Arc<dyn Store>) {
    let user = new_user("granter", "granter@example.org");
    store.insert_user(&user).await.unwrap();
    let t = now();
    let grant = |hash: &str, kind: GrantKind, target: Option<&str>| GrantRecord {
        id_hash: hash.into(),
        user_id: user.id.clone(),
        kind,
        target: target.map(str::to_owned),
        created_at: t,
        expires_at: t + Duration::seconds(30),
    };
    let signed = grant("g1", GrantKind::SignedUrl, Some("/account?x=1"));
    store.insert_grant(&signed).await.unwrap();
    store
        .insert_grant(&grant("g2", GrantKind::Ticket, None))
        .await
        .unwrap();
    assert_eq!(
        store
            .consume_grant("g1", GrantKind::Ticket, t)
            .await
            .unwrap(),
        None,
        "another kind"
    );
    assert_eq!(
        store
            .consume_grant("g1", GrantKind::SignedUrl, t)
            .await
            .unwrap(),
        Some(signed)
    );
    assert_eq!(
        store
            .consume_grant("g1", GrantKind::SignedUrl, t)
            .await
            .unwrap(),
        None,
        "once"
    );
    let late = t + Duration::seconds(30);
    assert_eq!(
        store
            .consume_grant("g2", GrantKind::Ticket, late)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.delete_expired_grants(late).await.unwrap(), 1);
}

/// A count the database holds out of range (negative, say) reads as the largest, on
/// both backends: every limit is reached, never skipped.
async fn counts_out_of_range_fail_closed(store: Arc<dyn Store>, db: &TestDatabase) {
    let t = now();
    let window = Duration::minutes(15);
    store.throttle_hit("login:odd", t, window).await.unwrap();
    let sql = "UPDATE throttle SET count = -5 WHERE key = 'login:odd'";
    if store.backend() == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let peek = store.throttle_peek("login:odd", t, window).await.unwrap();
    assert_eq!(peek.map(|w| w.count), Some(u32::MAX));
}

async fn migrations_are_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

async fn open(backend: TestBackend) -> Option<(Arc<dyn Store>, TestDatabase)> {
    let db = TestDatabase::new(backend).await?;
    let store = store::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Some((store, db))
}

/// Runs each test on both backends. Tests listed after `with_database:` also get the
/// database itself, to break it on purpose.
const ISSUER: &str = "https://idp.example.org";

fn identity(user_id: &str, subject: &str) -> IdentityRecord {
    IdentityRecord {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.into(),
        provider: "example".into(),
        issuer: ISSUER.into(),
        subject: subject.into(),
        email: Some(format!("{subject}@idp.example.org")),
        linked_at: now(),
    }
}

async fn identities_are_linked_once_and_never_the_last_unlinked(store: Arc<dyn Store>) {
    // An account made through a provider: no password, the provider's verified address.
    let mut user = new_user("ida", "ida@example.org");
    user.password_hash = None;
    user.email_verified = true;
    let first = identity(&user.id, "sub-1");
    store
        .create_user_with_identity(&user, &first)
        .await
        .unwrap();
    let stored = store.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, None);
    assert!(stored.user.email_verified);
    assert_eq!(
        store.identity_owner(ISSUER, "sub-1").await.unwrap(),
        Some(user.id.clone())
    );
    assert_eq!(store.identity_owner(ISSUER, "sub-2").await.unwrap(), None);
    assert_eq!(
        store
            .identity_owner("https://other.example.org", "sub-1")
            .await
            .unwrap(),
        None
    );

    // An identity is linked to one account at most; an account made with a taken one is
    // not made at all.
    let other = new_user("olga", "olga@example.org");
    store.insert_user(&other).await.unwrap();
    assert!(matches!(
        store.link_identity(&identity(&other.id, "sub-1")).await,
        Err(StoreError::Conflict(Unique::Identity))
    ));
    let late = new_user("late", "late@example.org");
    assert!(matches!(
        store
            .create_user_with_identity(&late, &identity(&late.id, "sub-1"))
            .await,
        Err(StoreError::Conflict(Unique::Identity))
    ));
    assert!(store.user_by_id(&late.id).await.unwrap().is_none());

    // Without a password, the last identity stays; with another one, either can go.
    assert_eq!(
        store
            .unlink_identity(&user.id, &first.id, now())
            .await
            .unwrap(),
        Unlinked::LastSignInMethod
    );
    let second = identity(&user.id, "sub-2");
    store.link_identity(&second).await.unwrap();
    let linked: Vec<String> = store
        .identities_of(&user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|identity| identity.id)
        .collect();
    assert_eq!(linked, [first.id.clone(), second.id.clone()]);
    assert_eq!(
        store
            .unlink_identity(&other.id, &first.id, now())
            .await
            .unwrap(),
        Unlinked::NotFound
    );
    assert_eq!(
        store
            .unlink_identity(&user.id, &first.id, now())
            .await
            .unwrap(),
        Unlinked::Done
    );
    assert_eq!(
        store
            .unlink_identity(&user.id, &second.id, now())
            .await
            .unwrap(),
        Unlinked::LastSignInMethod
    );
    assert_eq!(store.identities_of(&user.id).await.unwrap(), [second]);

    // An account with a password may unlink its only identity.
    let third = identity(&other.id, "sub-3");
    store.link_identity(&third).await.unwrap();
    assert_eq!(
        store
            .unlink_identity(&other.id, &third.id, now())
            .await
            .unwrap(),
        Unlinked::Done
    );
    assert!(store.identities_of(&other.id).await.unwrap().is_empty());
}

macro_rules! contract {
    ($($name:ident),* $(,)? ; with_database: $($db_name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _db) = super::open(super::TestBackend::Sqlite).await.unwrap();
                    super::$name(store).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $db_name() {
                    let (store, db) = super::open(super::TestBackend::Sqlite).await.unwrap();
                    super::$db_name(store, &db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some((store, _db)) = super::open(super::TestBackend::Postgres).await else { return };
                    super::$name(store).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $db_name() {
                    let Some((store, db)) = super::open(super::TestBackend::Postgres).await else { return };
                    super::$db_name(store, &db).await;
                }
            )*
        }
    };
}

contract!(
    users_are_found_by_id_username_and_email,
    usernames_and_emails_are_unique_ignoring_case,
    password_hash_can_be_replaced,
    sessions_live_until_they_expire,
    throttle_counts_within_a_window,
    concurrent_writers_wait_instead_of_failing,
    profile_changes_touch_only_what_they_name,
    pictures_are_set_replaced_and_cleared,
    an_account_s_sessions_are_listed_and_ended,
    tokens_are_replaced_found_and_spent_once,
    email_addresses_are_verified_and_changed,
    mail_is_claimed_retried_and_removed,
    migrations_are_idempotent,
    throttle_slots_are_never_overbooked,
    token_guesses_are_counted_before_they_are_compared,
    api_tokens_are_listed_found_revoked_and_checked,
    grants_are_spent_once,
    identities_are_linked_once_and_never_the_last_unlinked;
    with_database:
    a_password_change_is_all_or_nothing,
    a_password_reset_is_all_or_nothing,
    a_deletion_is_all_or_nothing,
    counts_out_of_range_fail_closed,
);
