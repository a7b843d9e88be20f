#!/usr/bin/env bash
# Smoke-test the built bundle (dist/BatchLab by default) as a user would meet it, without a display:
# it starts, runs the Demo job headless and exports it, prepares and prices an OpenAI job offline,
# renders the screens to PNG, and the window stays up offscreen. Exits non-zero at the first thing
# that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-dist/BatchLab}
exe="$bundle/BatchLab"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BATCHLAB_HOME="$work/home" QT_QPA_PLATFORM=offscreen BATCHLAB_DEMO_STEP_SECONDS=0.2

"$exe" --version
"$exe" doctor >"$work/doctor.txt" || { cat "$work/doctor.txt"; exit 1; }

"$exe" run examples/demo-reviews.json --wait --poll 1 | tee "$work/run.txt"
job=$(awk '/^Job .* created/ {print $2; exit}' "$work/run.txt")
"$exe" export "$job" --out "$work/coded.csv"
coded=$(grep -cE ',"?coded"?,' "$work/coded.csv" || true)
[ "$coded" -eq 40 ] || { echo "expected 40 coded rows in the export, found $coded"; exit 1; }

# a real model's request files offline: its tokenizer and its published prices, as the Review step needs them
"$exe" prepare examples/reviews-openai.json --out "$work/prepared" | tee "$work/prepare.txt"
grep -qF 'Estimated cost at batch prices: $' "$work/prepare.txt" || { echo "prepare gave no cost estimate"; exit 1; }

"$exe" screenshots --out "$work/shots" >/dev/null
shots=$(find "$work/shots" -name '*.png' -size +5k | wc -l)
[ "$shots" -ge 3 ] || { echo "expected rendered screenshots, found $shots"; exit 1; }
mkdir -p dist/smoke && cp "$work"/shots/*.png dist/smoke/

"$exe" >"$work/window.log" 2>&1 &
pid=$!
sleep 8
kill -0 "$pid" 2>/dev/null || { echo "the window did not stay up:"; cat "$work/window.log"; exit 1; }
kill "$pid"
wait "$pid" 2>/dev/null || true
echo "Smoke test passed: started, ran the Demo job ($coded rows coded), priced an OpenAI job offline, rendered $shots screens, window stayed up."
