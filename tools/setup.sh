#!/usr/bin/env bash
# Installs what Kiln needs to build, run its demo and run its tests, on Debian (bookworm).
# Idempotent: installs only what is missing. Usage: tools/setup.sh [--tests]
set -euo pipefail

want_tests=false
[[ "${1:-}" == "--tests" ]] && want_tests=true

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "setup: need root (or sudo) to run: $*" >&2; exit 1
    fi
}

# libssl-dev: OpenSSL's libcrypto, for the hooks' signatures (KilnCrypto); zlib1g-dev: gzip of
# the HTTP API's tags snapshot (KilnServer).
packages=(pkg-config libmodbus-dev libsqlite3-dev libssl-dev zlib1g-dev)
# prometheus brings promtool, which checks the metrics exposition the tests emit and
# `kiln run --metrics` writes; prometheus-alertmanager is the real Alertmanager the hooks'
# tests push alerts to; openssh-server and openssh-client are the real sshd and ssh the
# remediation transport's tests run against; systemd brings systemd-analyze, which verifies
# config/kiln.service, and systemctl, which tools/install's test enables it with in a temp root;
# passwd brings the useradd that tools/install creates its user with; curl is the HTTP API
# tests' client and openssl makes their self-signed TLS certificate; chromium is the browser the
# page's tests drive headless (Debian's build: nothing is downloaded at test time).
$want_tests && packages+=(
    python3 python3-pip procps sqlite3 prometheus prometheus-alertmanager openssh-server openssh-client
    systemd passwd curl openssl chromium
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A python3 from elsewhere (pyenv, a venv) is as good as Debian's.
if $want_tests && command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
    missing=("${missing[@]/python3-pip}")
    missing=("${missing[@]/python3}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if $want_tests; then
    if ! python3 -c 'import pymodbus, sys; sys.exit(0 if pymodbus.__version__.startswith("3.16") else 1)' 2>/dev/null; then
        echo "setup: installing pymodbus 3.16 (the independent Modbus peer the tests use)" >&2
        python3 -m pip install --quiet --disable-pip-version-check 'pymodbus>=3.16,<3.17' 2>/dev/null ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'pymodbus>=3.16,<3.17'
    fi
    # schemathesis checks the HTTP API against its OpenAPI document.
    if ! command -v schemathesis >/dev/null ||
        ! python3 -c 'import schemathesis, sys; sys.exit(0 if schemathesis.__version__.startswith("4.") else 1)' 2>/dev/null; then
        echo "setup: installing schemathesis 4 (checks the HTTP API against its OpenAPI document)" >&2
        python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5' 2>/dev/null ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'schemathesis>=4.3,<5'
    fi
    # Playwright drives Debian's chromium (executable_path=/usr/bin/chromium) in the page's tests
    # and tools/bench/page-first-paint.sh; its own browser download is never used.
    if ! python3 -c 'import playwright.sync_api' 2>/dev/null; then
        echo "setup: installing playwright (drives the page's tests in Debian's chromium)" >&2
        python3 -m pip install --quiet --disable-pip-version-check 'playwright>=1.49,<2' 2>/dev/null ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'playwright>=1.49,<2'
    fi
fi
