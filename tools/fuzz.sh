#!/usr/bin/env bash
# Runs Kiln's libFuzzer targets for a bounded time each.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]   (default: 600 s each, every target)
# Builds kiln-fuzz with -sanitize=fuzzer,address into .build-fuzz; new inputs grow a working
# corpus in .build-fuzz/corpus/TARGET, seeded from Tests/KilnFuzzingTests/Corpus/TARGET; a crash
# is saved under Tests/KilnFuzzingTests/Crashers/TARGET/, where the test suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift || true
tools/setup.sh
swift build -c release --scratch-path .build-fuzz --product kiln-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
    -Xcc -fsanitize=fuzzer-no-link,address -Xlinker --undefined=LLVMFuzzerRunDriver
bin=.build-fuzz/release/kiln-fuzz

targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=($(ls Tests/KilnFuzzingTests/Corpus))
fi
status=0
for target in "${targets[@]}"; do
    work=.build-fuzz/corpus/$target
    crashers=Tests/KilnFuzzingTests/Crashers/$target
    mkdir -p "$work" "$crashers"
    echo "fuzz: $target for ${seconds}s" >&2
    if ! "$bin" "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -artifact_prefix="$crashers/" -print_final_stats=1 "$work" "Tests/KilnFuzzingTests/Corpus/$target"; then
        echo "fuzz: $target found a failure; its input is in $crashers" >&2
        status=1
    fi
done
exit $status
