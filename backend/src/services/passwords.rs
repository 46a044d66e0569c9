//! Password hashing: argon2id with OWASP's parameters, on the bounded CPU pool so that
//! hashing never stalls the async workers that serve everything else.

use crate::cpu::CpuPool;
use crate::internal_error;
use argon2::password_hash::{
    self, Decimal, Ident, Output, ParamsString, PasswordHash, PasswordHasher as _,
    PasswordVerifier as _, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use domain::AppError;
use domain::Password;
use std::sync::{Mutex, OnceLock, PoisonError};
use unicode_normalization::UnicodeNormalization;

/// OWASP (2023): argon2id, m = 19 MiB, t = 2, p = 1. About 20 ms of one core.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// Hashes and checks passwords on the CPU pool. Cheap to clone: clones share the
/// pool.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: CpuPool,
}

/// The outcome of checking a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The password matches the stored hash.
    pub valid: bool,
    /// The stored hash uses other parameters than today's: store a fresh one.
    pub needs_rehash: bool,
}

/// argon2 that keeps its working memory (19 MiB a hash) between hashes instead of
/// allocating it for each: the memory the server holds for hashing is one buffer per
/// hash running at once (the CPU pool bounds them), and no allocator sees 19 MiB come and
/// go with every sign-in (glibc's malloc grew to 494 MB under a sign-in flood; mimalloc
/// kept 30 MB more than the buffers). The hashes are the `argon2` crate's own, and
/// `verify_password` compares them as it does (in constant time).
struct PooledArgon2;

/// Buffers of `MEMORY_KIB` blocks, free for the next hash.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `work` with at least `blocks` blocks of working memory: a kept buffer when the
/// parameters are today's, else one of its own (a hash stored with other parameters).
fn with_memory<R>(blocks: usize, work: impl FnOnce(&mut [Block]) -> R) -> R {
    let keep = MEMORY_KIB as usize;
    let kept = if blocks <= keep {
        MEMORY.lock().unwrap_or_else(PoisonError::into_inner).pop()
    } else {
        None
    };
    let mut memory = kept.unwrap_or_else(|| vec![Block::default(); blocks.max(keep)]);
    let result = work(&mut memory);
    if memory.len() == keep {
        MEMORY
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(memory);
    }
    result
}

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("constant parameters are valid")
}

impl argon2::password_hash::PasswordHasher for PooledArgon2 {
    type Params = Params;

    /// A new hash: argon2id with today's parameters.
    fn hash_password<'a>(
        &self,
        password: &[u8],
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        self.hash_password_customized(password, None, None, params(), salt)
    }

    /// The hash with the given algorithm, version and parameters (those of a stored hash,
    /// when one is verified), as `Argon2::hash_password` makes it.
    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or(Algorithm::Argon2id);
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or(Version::V0x13);
        let salt = salt.into();
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let output = Output::init_with(output_len, |out| {
            with_memory(params.block_count(), |memory| {
                argon2.hash_password_into_with_memory(password, salt_bytes, out, memory)
            })
            .map_err(Into::into)
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

/// Passwords are NFKC-normalised before hashing, so the same password typed on two
/// keyboards (composed or decomposed accents, full-width digits) matches.
fn normalised(password: &Password) -> String {
    password.expose().nfkc().collect()
}

/// A hash of a random password, verified against when the account does not exist so that
/// an unknown name costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        PooledArgon2
            .hash_password(uuid::Uuid::new_v4().as_bytes(), &salt)
            .expect("hashing a random password with valid parameters succeeds")
            .to_string()
    })
}

impl PasswordHasher {
    /// A hasher that runs its work on `pool`.
    pub fn new(pool: CpuPool) -> PasswordHasher {
        PasswordHasher { pool }
    }

    /// Hashes a new password for storage, with a fresh salt.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let clear = normalised(password);
        self.pool
            .run(move || {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                PooledArgon2
                    .hash_password(clear.as_bytes(), &salt)
                    .map(|h| h.to_string())
            })
            .await?
            .map_err(internal_error)
    }

    /// Checks `password` against `stored`; with no stored hash (unknown account) it checks
    /// against a dummy hash and reports invalid, taking the same time.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verification, AppError> {
        let clear = normalised(password);
        let stored = stored.map(str::to_owned);
        self.pool
            .run(move || {
                let Some(stored) = stored else {
                    let dummy = PasswordHash::new(dummy_hash()).expect("the dummy hash parses");
                    let _ = PooledArgon2.verify_password(clear.as_bytes(), &dummy);
                    return Verification {
                        valid: false,
                        needs_rehash: false,
                    };
                };
                match PasswordHash::new(&stored) {
                    Ok(parsed) => Verification {
                        valid: PooledArgon2
                            .verify_password(clear.as_bytes(), &parsed)
                            .is_ok(),
                        needs_rehash: !uses_current_parameters(&parsed),
                    },
                    Err(error) => {
                        tracing::error!(%error, "unreadable password hash in the database");
                        Verification {
                            valid: false,
                            needs_rehash: false,
                        }
                    }
                }
            })
            .await
    }

    /// How many password checks a second this hasher does with `workers` of them at once
    /// for `duration`: the ceiling for sign-ins on this machine (`latchkey hash-rate`).
    pub async fn checks_per_second(&self, workers: usize, duration: std::time::Duration) -> f64 {
        let password =
            Password::for_sign_in("a-password-to-measure-with").expect("a valid sign-in password");
        let start = std::time::Instant::now();
        let loops = (0..workers.max(1)).map(|_| {
            let (hasher, password) = (self.clone(), password.clone());
            tokio::spawn(async move {
                let mut checks = 0u64;
                while start.elapsed() < duration {
                    let _ = hasher.verify(&password, None).await;
                    checks += 1;
                }
                checks
            })
        });
        let loops: Vec<_> = loops.collect();
        let mut checks = 0;
        for done in loops {
            checks += done.await.unwrap_or(0);
        }
        checks as f64 / start.elapsed().as_secs_f64()
    }
}

/// The characters a generated password is made of: letters and digits without the ones
/// people confuse (0/O, 1/l/I), and a few symbols that survive copy and paste.
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!";

/// A strong random password that `rules` accept: 24 characters from a 61-character
/// alphabet (about 142 bits) unless the rules ask for another length.
pub fn generate(rules: &domain::PasswordRules) -> String {
    use rand::Rng;
    let length = 24.clamp(rules.min_length, rules.max_length);
    loop {
        let password: String = (0..length)
            .map(|_| char::from(ALPHABET[rand::rngs::OsRng.gen_range(0..ALPHABET.len())]))
            .collect();
        // A random 24 characters is never common, but the rule is the rule.
        if Password::parse(&password, rules, &[]).is_ok() {
            return password;
        }
    }
}

fn uses_current_parameters(hash: &PasswordHash<'_>) -> bool {
    hash.algorithm == argon2::ARGON2ID_IDENT
        && Params::try_from(hash).is_ok_and(|p| {
            p.m_cost() == MEMORY_KIB && p.t_cost() == ITERATIONS && p.p_cost() == PARALLELISM
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(s: &str) -> Password {
        Password::for_sign_in(s).unwrap()
    }

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let hasher = PasswordHasher::new(CpuPool::new(2));
        let hash = hasher.hash(&password("violet-anchor-92")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let ok = hasher
            .verify(&password("violet-anchor-92"), Some(&hash))
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verification {
                valid: true,
                needs_rehash: false
            }
        );
        let wrong = hasher
            .verify(&password("violet-anchor-93"), Some(&hash))
            .await
            .unwrap();
        assert!(!wrong.valid);
    }

    #[test]
    fn kept_memory_makes_the_argon2_crate_s_own_hashes() {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let ours = PooledArgon2
            .hash_password(b"violet-anchor-92", &salt)
            .unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"violet-anchor-92", &salt)
            .unwrap();
        assert_eq!(ours.to_string(), theirs.to_string());
        // A hash stored with other parameters, smaller or larger, still verifies.
        for m_cost in [8_192, 24_576] {
            let other = Params::new(m_cost, 1, 1, None).unwrap();
            let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, other)
                .hash_password(b"violet-anchor-92", &salt)
                .unwrap();
            assert!(PooledArgon2
                .verify_password(b"violet-anchor-92", &stored)
                .is_ok());
            assert!(PooledArgon2
                .verify_password(b"violet-anchor-93", &stored)
                .is_err());
        }
        // Only buffers of today's size are kept.
        assert!(MEMORY
            .lock()
            .unwrap()
            .iter()
            .all(|memory| memory.len() == MEMORY_KIB as usize));
    }

    #[test]
    fn generated_passwords_satisfy_the_policy() {
        let rules = domain::PasswordRules::default();
        let first = generate(&rules);
        assert_eq!(first.chars().count(), 24);
        assert!(Password::parse(&first, &rules, &[]).is_ok());
        assert_ne!(first, generate(&rules));
        let long = domain::PasswordRules {
            min_length: 40,
            ..rules
        };
        assert_eq!(generate(&long).chars().count(), 40);
    }

    #[tokio::test]
    async fn unknown_account_is_never_valid() {
        let hasher = PasswordHasher::new(CpuPool::new(1));
        let result = hasher.verify(&password("anything"), None).await.unwrap();
        assert!(!result.valid);
    }

    #[tokio::test]
    async fn normalises_before_hashing() {
        let hasher = PasswordHasher::new(CpuPool::new(1));
        // "é" precomposed versus "e" + combining acute accent.
        let hash = hasher.hash(&password("caf\u{e9}-latte-92")).await.unwrap();
        let decomposed = hasher
            .verify(&password("cafe\u{301}-latte-92"), Some(&hash))
            .await
            .unwrap();
        assert!(decomposed.valid);
    }

    #[tokio::test]
    async fn weaker_parameters_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = weak
            .hash_password(b"violet-anchor-92", &salt)
            .unwrap()
            .to_string();
        let result = PasswordHasher::new(CpuPool::new(1))
            .verify(&password("violet-anchor-92"), Some(&hash))
            .await
            .unwrap();
        assert_eq!(
            result,
            Verification {
                valid: true,
                needs_rehash: true
            }
        );
    }
}
