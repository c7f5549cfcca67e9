# Shell helpers shared by bench/run and bench/compare-builds (sourced, not run). The caller
# sets: work (a folder for configs, logs and cell JSON), load (the mtedge-load binary),
# duration (measured seconds per traffic cell), perf_ok / perf_window (optional syscall
# counts), and the array pids (every process started here is appended, for cleanup).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # port pid: returns 1 if the process died or nothing listens after 10 s
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || { echo "bench: process $2 died (logs: --out DIR)" >&2; return 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on $1" >&2
  return 1
}
stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# start_echo ECHO_BIN: starts mtedge-echo on a free port; sets echo_port.
start_echo() {
  "$1" --listen 127.0.0.1:0 >"$work/echo.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$work/echo.out" && break; sleep 0.05; done
  echo_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/echo.out")
}

# One worker (nginx runs one too; WORKERS overrides it) and one listener on PORT for the two
# plain transports the load generator speaks here; the caller's heredoc (stdin) adds crypto and
# backend, and the optional third argument more [gateway] lines.
mtedge_config() {  # file port [gateway-extra]
  { cat <<TOML
[gateway]
workers = ${WORKERS:-1}
max_connections = 20000
${3:-}
[[listener]]
address = "127.0.0.1:$2"
backlog = 4096
transports = ["intermediate", "obfuscated"]
[log]
level = "warn"
TOML
    cat; } >"$1"
}

# relay_config FILE PORT UPSTREAM_PORT: mtedge in relay mode.
relay_config() {
  mtedge_config "$1" "$2" <<TOML
[crypto]
edge_decryption = false
[backend]
type = "relay"
[backend.relay]
upstream = "127.0.0.1:$3"
upstream_transport = "intermediate"
TOML
}

# terminate_config FILE PORT RSA_KEY [RATE BURST]: edge decryption + the embedded backend; the
# per-source handshake rate is off unless RATE is given (every load client is 127.0.0.1).
# HANDSHAKE_THREADS (default 2) sets crypto.handshake_threads; EMBEDDED_EXTRA, more
# [backend.embedded] lines.
terminate_config() {
  # Loopback is exempt from per-source limits unless counted: with a RATE it must be.
  local extra=""
  [[ -n ${4:-} && ${4:-0} != 0 ]] && extra="limit_loopback_sources = true"
  mtedge_config "$1" "$2" "$extra" <<TOML
[crypto]
edge_decryption = true
rsa_private_keys = ["$3"]
max_handshakes_per_ip = 4096
max_handshakes = 4096
max_handshakes_per_second_per_source = ${4:-0}
handshake_burst_per_source = ${5:-1}
handshake_threads = ${HANDSHAKE_THREADS:-2}
[backend]
type = "embedded"
[backend.embedded]
advertised_ip = "127.0.0.1"
advertised_port = $2
${EMBEDDED_EXTRA:-}
TOML
}

# start_mtedge BIN CONFIG LOG PORT: starts mtedge and waits for its port; sets mtedge_pid.
start_mtedge() {
  "$1" --config "$2" >"$3" 2>&1 &
  mtedge_pid=$!
  pids+=("$mtedge_pid")
  wait_port "$4" "$mtedge_pid"
}

# One mtedge-load run writing $work/NAME.json (and NAME.perf where perf counts syscalls).
cell() {  # name target-port transport watch-pid extra-args...
  local name=$1 port=$2 transport=$3 watch=$4
  shift 4
  local watch_args=() perf_pid=""
  [[ $watch != 0 ]] && watch_args=(--watch-pid "$watch")
  if [[ ${perf_ok:-0} == 1 && $watch != 0 && $name =~ ^(nginx|mtedge|ping)- ]]; then
    # Inside the measured window: it starts after the 1 s warmup (plus connection setup).
    (sleep 1.2; exec perf stat -e raw_syscalls:sys_enter,context-switches -p "$watch" \
      -o "$work/$name.perf" -- sleep "$perf_window") &
    perf_pid=$!
  fi
  "$load" --target "127.0.0.1:$port" --transport "$transport" --duration "$duration" --warmup 1 \
    --json "$work/$name.json" --quiet "${watch_args[@]}" "$@" || true
  [[ -z $perf_pid ]] || wait "$perf_pid" 2>/dev/null || true
}
