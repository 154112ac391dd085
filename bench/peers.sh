#!/usr/bin/env bash
# Side-by-side: poolbench (singleton mode) against hey, wrk, bombardier and vegeta, each driving
# the same standalone mock (`poolbench serve`, its own process) with the same request, at the
# same concurrency for the same duration, one after the other; R rounds, interleaved, so that a
# slow spell of a shared machine falls on every tool alike. Prints, per tool, the median over the
# rounds of requests/s, p50, p99, and the CPU each request cost the client and the server, and
# the ratios to hey and wrk.
#
#   bash bench/peers.sh [-c 8] [-d 10s] [-r 3] [-p 18443] [-t "poolbench net/http hey wrk bombardier vegeta"]
#
# Peers are optional; each one missing is skipped with how to install it:
#   apt-get install -y wrk time
#   go install github.com/rakyll/hey@v0.1.5
#   go install github.com/codesenberg/bombardier@latest
#   go install github.com/tsenart/vegeta/v12@latest
# Only loopback is targeted.
set -euo pipefail
conc=8 dur=10s rounds=3 port=18443 tools="poolbench net/http hey wrk bombardier vegeta"
while getopts "c:d:r:p:t:" o; do
  case $o in
    c) conc=$OPTARG ;; d) dur=$OPTARG ;; r) rounds=$OPTARG ;; p) port=$OPTARG ;; t) tools=$OPTARG ;;
    *) echo "usage: $0 [-c C] [-d DURATION] [-r ROUNDS] [-p PORT] [-t TOOLS]" >&2; exit 2 ;;
  esac
done
case $dur in *[0-9]s) ;; *) echo "peers.sh: -d $dur: want whole seconds, e.g. 10s" >&2; exit 2 ;; esac
case $rounds in ''|*[!0-9]*|0) echo "peers.sh: -r $rounds: want a number of rounds >= 1" >&2; exit 2 ;; esac
for need in go curl python3 awk; do
  command -v "$need" > /dev/null || { echo "peers.sh: needs $need" >&2; exit 2; }
done
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH)/bin"
work=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null || true; }; rm -rf "$work"' EXIT

go build -o "$work/poolbench" . && go build -o "$work/bare" ./bench/bare
"$work/poolbench" serve --addr "127.0.0.1:$port" --ca-out "$work/ca.pem" > "$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q "serving at" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "serving at" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
base="https://127.0.0.1:$port"
url="$base/api/v2/execute"

# The request poolbench sends (harness.DefaultPayload, its headers), sent by every tool, so the
# mock does the same work for each: the same body, and an id it echoes into its answer.
body=$'{"language":"python","version":"3.12.0","files":[{"name":"main.py","content":"print(\'hello from poolbench\')"}]}'
printf '%s' "$body" > "$work/body.json"
hdr_ct="Content-Type: application/json" hdr_acc="Accept: application/json" hdr_id="X-Request-Id: 1"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-Request-Id"] = "1"
wrk.body = [[$body]]
LUA
printf 'POST %s\n%s\n%s\n%s\n@%s\n' "$url" "$hdr_ct" "$hdr_acc" "$hdr_id" "$work/body.json" > "$work/targets.txt"

timer=
if [ -x /usr/bin/time ]; then timer=/usr/bin/time
else echo "-- /usr/bin/time not installed (apt-get install -y time): no client CPU column"; fi
tick=$(getconf CLK_TCK)
served() { curl -s --cacert "$work/ca.pem" "$base/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
srvcpu() { awk '{print $14 + $15}' "/proc/$srv/stat"; }
ms() { awk -v v="$1" -v u="$2" 'BEGIN { f = (u=="us") ? v/1000 : (u=="s") ? v*1000 : v; printf "%.3f", f }'; }
conv() { local v=$1; case $v in *us) ms "${v%us}" us;; *ms) ms "${v%ms}" ms;; *s) ms "${v%s}" s;; *) echo -;; esac; }

# command_for TOOL: the command line that drives the mock once with TOOL, in the array cmd; its
# standard output goes to $work/out.
command_for() {
  case $1 in
  poolbench) cmd=("$work/poolbench" run --target "$base" --ca "$work/ca.pem" --modes singleton -c "$conc" --duration "$dur" --quiet --format json) ;;
  net/http) cmd=("$work/bare" -ca "$work/ca.pem" -c "$conc" -d "$dur" -id 1 "$url") ;;
  hey) cmd=(hey -z "$dur" -c "$conc" -m POST -T application/json -A application/json -H "$hdr_id" -D "$work/body.json" "$url") ;;
  wrk) cmd=(wrk -t2 -c"$conc" -d"$dur" --latency -s "$work/post.lua" "$url") ;;
  bombardier) cmd=(bombardier -c "$conc" -d "$dur" -m POST -H "$hdr_ct" -H "$hdr_acc" -H "$hdr_id" -f "$work/body.json" -k -l -p r -o json "$url") ;;
  vegeta) cmd=(vegeta attack -targets "$work/targets.txt" -rate=0 -workers="$conc" -max-workers="$conc" -duration="$dur" -root-certs "$work/ca.pem") ;;
  esac
}

# parse TOOL: print "rps p50_ms p99_ms" from what TOOL wrote to $work/out.
parse() {
  case $1 in
  poolbench) python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["modes"][0]
print("%.1f %.3f %.3f" % (m["throughput_rps"], m["latency_ms"]["p50"], m["latency_ms"]["p99"]))' "$work/out" ;;
  net/http) echo "$(awk '{print $2}' "$work/out") - -" ;;
  hey) echo "$(awk '/Requests\/sec/ {print $2}' "$work/out") $(ms "$(awk '/ 50%/ {print $3}' "$work/out")" s) $(ms "$(awk '/ 99%/ {print $3}' "$work/out")" s)" ;;
  wrk) echo "$(awk '/Requests\/sec/ {print $2}' "$work/out") $(conv "$(awk '$1=="50%" {print $2}' "$work/out")") $(conv "$(awk '$1=="99%" {print $2}' "$work/out")")" ;;
  bombardier) python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["result"]
pct = r["latency"]["percentiles"]
print("%.1f %.3f %.3f" % (r["rps"]["mean"], pct["50"] / 1000, pct["99"] / 1000))' "$work/out" ;;
  vegeta) vegeta report -type=json < "$work/out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("%.1f %.3f %.3f" % (r["throughput"], r["latencies"]["50th"] / 1e6, r["latencies"]["99th"] / 1e6))' ;;
  esac
}

hint() {
  case $1 in
  hey) echo "go install github.com/rakyll/hey@v0.1.5" ;;
  wrk) echo "apt-get install -y wrk" ;;
  bombardier) echo "go install github.com/codesenberg/bombardier@latest" ;;
  vegeta) echo "go install github.com/tsenart/vegeta/v12@latest" ;;
  esac
}
present=()
for t in $tools; do
  case $t in
  poolbench|net/http) present+=("$t") ;;
  hey|wrk|bombardier|vegeta)
    if command -v "$t" > /dev/null; then present+=("$t"); else echo "-- $t not installed: $(hint "$t")"; fi ;;
  *) echo "peers.sh: -t: unknown tool $t" >&2; exit 2 ;;
  esac
done

: > "$work/rows"   # tool round rps p50 p99 client_us server_us
for round in $(seq "$rounds"); do
  for t in "${present[@]}"; do
    echo "== round $round/$rounds: $t, -c $conc for $dur"
    r0=$(served) s0=$(srvcpu)
    command_for "$t"
    timed=()
    [ -n "$timer" ] && timed=("$timer" -f "%U %S" -o "$work/time")
    "${timed[@]}" "${cmd[@]}" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
    r1=$(served) s1=$(srvcpu)
    # poolbench resets the mock's counters when its mode starts: then r1 is its count.
    n=$(( r1 >= r0 ? r1 - r0 : r1 ))
    cpu=-
    [ -n "$timer" ] && cpu=$(awk -v n="$n" '{ printf "%.1f", ($1 + $2) * 1e6 / n }' "$work/time")
    scpu=$(awk -v d="$((s1 - s0))" -v t="$tick" -v n="$n" 'BEGIN { printf "%.1f", d / t * 1e6 / n }')
    row="$t $round $(parse "$t") $cpu $scpu"
    echo "   requests/s p50 p99 client-µs server-µs: ${row#* * }"
    echo "$row" >> "$work/rows"
  done
done

median() { # tool column: the median of the rounds' values ("-" if none)
  awk -v t="$1" -v c="$2" '$1 == t && $c != "-" { v[n++] = $c }
    END { if (!n) { print "-"; exit } for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
          print (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$work/rows"
}
ratio() { [ "$2" = - ] && { echo -; return; }; awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
heyrps=$(median hey 3) wrkrps=$(median wrk 3)
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); concurrency $conc, $dur each, $rounds round(s), HTTP/1.1 keep-alive, TLS 1.3"
echo "each column: the median over the rounds; CPU per request = CPU time (user + system) / requests the mock served"
printf '| %-10s | %10s | %7s | %7s | %11s | %11s | %7s | %7s |\n' tool "requests/s" "p50 ms" "p99 ms" "client µs" "server µs" "vs hey" "vs wrk"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ------------ --------- --------- ------------ ------------ --------- ---------
for t in "${present[@]}"; do
  rps=$(median "$t" 3)
  [ "$rps" != - ] && rps=$(printf '%.1f' "$rps")
  printf '| %-10s | %10s | %7s | %7s | %10s | %10s | %7s | %7s |\n' "$t" "$rps" "$(median "$t" 4)" "$(median "$t" 5)" \
    "$(median "$t" 6)" "$(median "$t" 7)" "$(ratio "$rps" "${heyrps:--}")" "$(ratio "$rps" "${wrkrps:--}")"
done
echo
echo "every tool sends poolbench's request (same body, Content-Type, Accept and X-Request-Id headers);"
echo "net/http is bench/bare, the least a Go net/http client can do per request (no latency recorded);"
echo "hey and bombardier (-k) and wrk do not verify TLS; poolbench, net/http and vegeta verify against the mock's CA."
