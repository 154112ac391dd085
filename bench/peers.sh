#!/usr/bin/env bash
# Side-by-side: poolbench (singleton mode) against hey, wrk, bombardier and vegeta, each driving
# the same standalone mock (`poolbench serve`, its own process) at the same concurrency for the
# same duration, one after the other, in one run. Prints requests/s, p50, p99 and the ratio to hey.
#
#   bash bench/peers.sh [-c 8] [-d 10s] [-p 18443]
#
# Peers are optional; each one missing is skipped with how to install it:
#   apt-get install -y wrk
#   go install github.com/rakyll/hey@v0.1.5
#   go install github.com/codesenberg/bombardier@latest
#   go install github.com/tsenart/vegeta/v12@latest
# Only loopback is targeted. TLS: poolbench and vegeta/bombardier... see the notes printed at the end.
set -euo pipefail
conc=8 dur=10s port=18443
while getopts "c:d:p:" o; do
  case $o in
    c) conc=$OPTARG ;; d) dur=$OPTARG ;; p) port=$OPTARG ;;
    *) echo "usage: $0 [-c C] [-d DURATION] [-p PORT]" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH)/bin"
work=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/poolbench" .
"$work/poolbench" serve --addr "127.0.0.1:$port" --ca-out "$work/ca.pem" > "$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q "serving at" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "serving at" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
base="https://127.0.0.1:$port"
url="$base/api/v2/execute"
body='{"language":"python","version":"3.12.0","files":[{"name":"main.py","content":"print(1)"}]}'
printf '%s' "$body" > "$work/body.json"
secs=${dur%s}

results=()   # "tool rps p50ms p99ms"
add() { results+=("$1 $2 $3 $4"); }
ms() { awk -v v="$1" -v u="$2" 'BEGIN { f = (u=="us") ? v/1000 : (u=="s") ? v*1000 : v; printf "%.3f", f }'; }

echo "== poolbench run --target $base --modes singleton -c $conc --duration $dur"
"$work/poolbench" run --target "$base" --ca "$work/ca.pem" --modes singleton -c "$conc" --duration "$dur" --quiet --format json > "$work/pb.json"
add poolbench $(python3 - "$work/pb.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["modes"][0]
print("%.1f %.3f %.3f" % (m["throughput_rps"], m["latency_ms"]["p50"], m["latency_ms"]["p99"]))
PY
)

echo "== bare net/http (bench/bare): POST fixed bytes, drain the answer, -c $conc -d $dur"
go run ./bench/bare -ca "$work/ca.pem" -c "$conc" -d "$dur" "$url" > "$work/bare.txt"
add "net/http" "$(awk '{print $2}' "$work/bare.txt")" - -

if command -v hey >/dev/null; then
  echo "== hey -z $dur -c $conc"
  hey -z "$dur" -c "$conc" -m POST -T application/json -D "$work/body.json" "$url" > "$work/hey.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/hey.txt")
  p50=$(awk '/ 50%/ {print $3}' "$work/hey.txt"); p99=$(awk '/ 99%/ {print $3}' "$work/hey.txt")
  add hey "$rps" "$(ms "$p50" s)" "$(ms "$p99" s)"
else echo "-- hey not installed: go install github.com/rakyll/hey@v0.1.5"; fi

if command -v wrk >/dev/null; then
  echo "== wrk -t2 -c$conc -d$dur"
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA
  wrk -t2 -c"$conc" -d"$dur" --latency -s "$work/post.lua" "$url" > "$work/wrk.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  conv() { local v=$1; case $v in *us) ms "${v%us}" us;; *ms) ms "${v%ms}" ms;; *s) ms "${v%s}" s;; esac; }
  add wrk "$rps" "$(conv "$(awk '$1=="50%" {print $2}' "$work/wrk.txt")")" "$(conv "$(awk '$1=="99%" {print $2}' "$work/wrk.txt")")"
else echo "-- wrk not installed: apt-get install -y wrk"; fi

if command -v bombardier >/dev/null; then
  echo "== bombardier -c $conc -d $dur"
  bombardier -c "$conc" -d "$dur" -m POST -H "Content-Type: application/json" -f "$work/body.json" \
    -k -l -p r -o json "$url" > "$work/bomb.json" 2>/dev/null || true
  add bombardier $(python3 - "$work/bomb.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
pct = r["latency"]["percentiles"]
print("%.1f %.3f %.3f" % (r["rps"]["mean"], pct["50"] / 1000, pct["99"] / 1000))
PY
)
else echo "-- bombardier not installed: go install github.com/codesenberg/bombardier@latest"; fi

if command -v vegeta >/dev/null; then
  echo "== vegeta attack -rate=0 -max-workers=$conc -duration=$dur"
  echo "POST $url" | vegeta attack -rate=0 -workers="$conc" -max-workers="$conc" -duration="$dur" \
    -root-certs "$work/ca.pem" -header "Content-Type: application/json" -body "$work/body.json" > "$work/vegeta.bin"
  vegeta report -type=json < "$work/vegeta.bin" > "$work/vegeta.json"
  add vegeta $(python3 - "$work/vegeta.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("%.1f %.3f %.3f" % (r["throughput"], r["latencies"]["50th"] / 1e6, r["latencies"]["99th"] / 1e6))
PY
)
else echo "-- vegeta not installed: go install github.com/tsenart/vegeta/v12@latest"; fi

heyrps=""
for r in "${results[@]}"; do set -- $r; [ "$1" = hey ] && heyrps=$2; done
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); concurrency $conc, $dur each, HTTP/1.1 keep-alive, TLS 1.3"
printf '| %-10s | %12s | %9s | %9s | %8s |\n' tool "requests/s" "p50 ms" "p99 ms" "vs hey"
printf '|%s|%s|%s|%s|%s|\n' ------------ -------------- ----------- ----------- ----------
for r in "${results[@]}"; do
  set -- $r
  ratio="-"
  [ -n "$heyrps" ] && ratio=$(awk -v a="$2" -v b="$heyrps" 'BEGIN { printf "%.2fx", a/b }')
  printf '| %-10s | %12s | %9s | %9s | %8s |\n' "$1" "$2" "$3" "$4" "$ratio"
done
echo
echo "notes: net/http is bench/bare, the least a Go net/http client can do per request (no latency recorded);"
echo "       hey and bombardier (-k) skip TLS verification; poolbench, net/http and vegeta verify against the mock's CA; wrk does not verify."
