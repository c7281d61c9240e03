#!/usr/bin/env bash
# `make fuzz`: libFuzzer with AddressSanitizer on every file reader (npy, npz, idx, gzip, png, jpeg,
# safetensors, the model JSON), RUNS executions each (default 10 million), from seeds the normal
# build writes (JPEG seeds: the system's own .jpg files). A crash, a trap, a leak, a hang over
# 10 s or an allocation over 2 GiB stops that reader with its input saved in fuzz/crashes/READER/;
# replay it under the normal build with `.build/release/latentot-fuzz READER FILE`.
set -euo pipefail
RUNS=${RUNS:-10000000}
READERS=${READERS:-npy npz idx gzip png jpeg safetensors json}
WORK=${FUZZ_DIR:-fuzz}
SWIFT=${SWIFT:-swift}

$SWIFT build -c release --product latentot-fuzz
$SWIFT build -c release --product latentot-fuzz --build-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLATENTOT_FUZZ -Xcc -fsanitize=fuzzer-no-link,address
mkdir -p "$WORK/seeds" "$WORK/corpus" "$WORK/crashes"
.build/release/latentot-fuzz seeds "$WORK/seeds"
mkdir -p "$WORK/seeds/jpeg"
find /usr/share -iname '*.jpg' -size -64k 2>/dev/null | head -5 | while read -r f; do cp "$f" "$WORK/seeds/jpeg/"; done

status=0
for reader in $READERS; do
  mkdir -p "$WORK/corpus/$reader" "$WORK/crashes/$reader"
  echo "== $reader: $RUNS runs"
  if ! LATENTOT_FUZZ_READER=$reader .build-fuzz/release/latentot-fuzz -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 \
       -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$WORK/crashes/$reader/" \
       "$WORK/corpus/$reader" "$WORK/seeds/$reader" > "$WORK/$reader.log" 2>&1; then
    echo "$reader: FINDING (see $WORK/$reader.log and $WORK/crashes/$reader/)"; status=1
  fi
  grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "$WORK/$reader.log" | tr '\n' ' '; echo
done
exit $status
