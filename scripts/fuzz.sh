#!/usr/bin/env bash
# Builds the libFuzzer target for HeaderParser.parse (Fuzz/HeaderFuzz.swift plus Sources/SeatMeterCore, compiled as
# one module with the fuzzer and address sanitizers) and runs it for N seconds (argument 1, default 600).
# Seeds: ../shared/corpus/messages and the corpus address cases; the growing corpus stays in Fuzz/corpus-work/
# (git-ignored), crashers in .build/fuzz-artifacts/. Exit status is libFuzzer's: non-zero when it found a crash.
set -euo pipefail

seconds="${1:-600}"
cd "$(dirname "$0")/.."
shared="../shared/corpus"
binary=.build/seatmeter-fuzz
work=Fuzz/corpus-work
artifacts=.build/fuzz-artifacts
mkdir -p .build "$work" "$artifacts"

echo "Building $binary ..."
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 \
    -package-name seatmeter -module-name SeatMeterFuzz \
    -enable-upcoming-feature ExistentialAny \
    -enable-upcoming-feature MemberImportVisibility \
    -enable-upcoming-feature InternalImportsByDefault \
    $(find Sources/SeatMeterCore -name '*.swift' | sort) Fuzz/HeaderFuzz.swift \
    -o "$binary"

seeds=()
if [ -d "$shared/messages" ]; then
    for dir in "$shared"/messages/cpython "$shared"/messages/rfc "$shared"/messages/mail-parser/*/; do
        [ -d "$dir" ] && seeds+=("$dir")
    done
    # Address-list inputs of the case files, each as the value of a To field.
    if [ ! -e "$work/.cases-seeded" ] && command -v python3 >/dev/null; then
        python3 - "$shared/cases" "$work" <<'PY'
import json, pathlib, sys, hashlib
cases, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for path in sorted(cases.glob("*.json")):
    for case in json.loads(path.read_text())["cases"]:
        raw = bytes.fromhex(case["input"]) if case.get("input_encoding") == "hex" else case["input"].encode()
        data = b"From: " + raw.rstrip(b"\r\n") + b"\r\nSubject: " + raw.rstrip(b"\r\n") + b"\r\n"
        (work / ("case-" + hashlib.sha1(data).hexdigest())).write_bytes(data)
PY
        touch "$work/.cases-seeded"
    fi
else
    echo "warning: $shared/messages not found; fuzzing from $work only" >&2
fi

echo "Fuzzing for $seconds s ..."
# The Swift backtracer and AddressSanitizer both trap crashes; let libFuzzer and ASan report.
export SWIFT_BACKTRACE=enable=no
exec "$binary" -max_total_time="$seconds" -max_len=32768 -timeout=10 -rss_limit_mb=4096 \
    -dict=Fuzz/header.dict -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$work" "${seeds[@]}"
