#!/usr/bin/env bash
# The whole test suite: installs what the tests need (libmodbus, pymodbus), builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh --tests
swift build --build-tests
swift test --skip-build
