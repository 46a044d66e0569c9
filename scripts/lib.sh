# Shared by scripts/serve, scripts/test and scripts/bench: install whatever is missing,
# skip whatever is there, and say what is happening. Source it; don't run it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

# Each step says how long the script has been running, so slow steps show in CI logs.
step() { printf '\n\033[1m==> [%dm%02ds] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

APT_UPDATED=0
# ensure_apt PACKAGE... : installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    note "apt: $* already installed"
    return
  fi
  step "Installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is missing: install it with rustup (https://rustup.rs), then run this again."
  note "$(cargo --version)"
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    note "wasm32-unknown-unknown target already installed"
  else
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    note "cargo-leptos $CARGO_LEPTOS_VERSION already installed"
    return
  fi
  step "Building cargo-leptos $CARGO_LEPTOS_VERSION (once per machine; 20-40 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
}

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  [ -n "$want" ] || die "cannot find wasm-bindgen in Cargo.lock"
  if wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    note "wasm-bindgen-cli $want already installed"
    return
  fi
  step "Building wasm-bindgen-cli $want (matches Cargo.lock)"
  cargo install wasm-bindgen-cli --version "=$want"
}

# npm_ci DIR : installs DIR's npm packages from its lock file, unless they already are.
npm_ci() {
  local dir="$1"
  command -v npm >/dev/null || ensure_apt nodejs npm
  local stamp="$dir/node_modules/.latchkey-lock" name="${dir#"$ROOT"}"
  name="./${name#/}"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    note "npm packages in $name already installed"
    return
  fi
  step "Installing npm packages in $name"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  cp "$dir/package-lock.json" "$stamp"
}

ensure_build_tools() {
  ensure_apt ca-certificates pkg-config gcc
  ensure_rust
  ensure_cargo_leptos
  ensure_wasm_bindgen
  npm_ci "$ROOT"
  note "$(wasm-opt --version)"
}

target_dir() {
  if [ -n "${CARGO_TARGET_DIR:-}" ]; then echo "$CARGO_TARGET_DIR"; else echo "$ROOT/target"; fi
}

# Builds the release binary and the size-optimised WASM bundle (with .br/.gz copies).
build_release() {
  step "Building Latchkey (release: server binary + WASM bundle)"
  # --split: each island of the pages is its own chunk of the bundle, loaded only by a
  # page that has it.
  (cd "$ROOT" && cargo leptos build --release --precompress --split)
  export LATCHKEY_SITE_ROOT="$ROOT/target/site"
  SERVER_BIN="$(target_dir)/release/latchkey"
  export SERVER_BIN
  [ -x "$SERVER_BIN" ] || die "the build did not produce $SERVER_BIN"
}

# A real SMTP server for the mail tests: aiosmtpd (PyPI) in a virtual environment under
# .tools/. The tests start and stop their own instances with it (one per test, so that a
# test can take "the mail server" down and bring it back).
ensure_smtp_sink() {
  ensure_apt python3 python3-venv
  local venv="$ROOT/.tools/python" version="1.4.6"
  if [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$version')" 2>/dev/null; then
    note "aiosmtpd $version already installed in .tools/python"
  else
    step "Installing aiosmtpd $version (the SMTP server the mail tests talk to)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$version"
  fi
  export LATCHKEY_TEST_SMTP_PYTHON="$venv/bin/python"
}

# A real OpenID provider for the sign-in tests: oidc-provider (OpenID Certified, from the
# npm registry) in node. The tests start their own instances of it
# (scripts/oidc-provider/provider.mjs); this installs its packages.
ensure_oidc_provider() {
  npm_ci "$ROOT/scripts/oidc-provider"
  export LATCHKEY_TEST_REQUIRE_OIDC=1
}

# Starts a throwaway Postgres cluster on loopback in a temporary directory (no system
# service) and exports LATCHKEY_TEST_POSTGRES_URL. It is stopped and removed on exit.
start_postgres() {
  ensure_apt postgresql
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [ -x "$bin/initdb" ] || die "postgresql is installed but initdb is not in $bin"
  PG_DIR="$(mktemp -d /tmp/latchkey-pg.XXXXXX)"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  step "Starting a throwaway Postgres on 127.0.0.1:$port"
  "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 >"$PG_DIR/initdb.log"
  "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  trap 'stop_postgres' EXIT
  export LATCHKEY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  note "LATCHKEY_TEST_POSTGRES_URL=$LATCHKEY_TEST_POSTGRES_URL"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

# Schemathesis (PyPI) for the API conformance run, in the same virtual environment as
# aiosmtpd.
ensure_schemathesis() {
  ensure_apt python3 python3-venv curl
  local venv="$ROOT/.tools/python" version="4.32.5"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  if "$venv/bin/schemathesis" --version 2>/dev/null | grep -q " $version\$"; then
    note "schemathesis $version already installed in .tools/python"
  else
    step "Installing schemathesis $version (checks the API against its OpenAPI document)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
  fi
  export PATH="$venv/bin:$PATH"
}
