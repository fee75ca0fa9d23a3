#!/usr/bin/env bash
# Installs (if missing) and starts stripe-mock, Stripe's stateless API mock, for the Stripe adapter's
# tests (payment/stripepay). Prints the HTTP endpoint on stdout, e.g. http://127.0.0.1:12111, so that
#   export STRIPE_MOCK_URL=$(scripts/stripe-mock.sh)
# works. Everything else goes to stderr.
#
#   scripts/stripe-mock.sh             install if needed, start in the background, print the endpoint
#   scripts/stripe-mock.sh --install   only install; print the binary's path
#   scripts/stripe-mock.sh --foreground  run in the foreground (Ctrl-C stops it)
#   scripts/stripe-mock.sh --stop      stop the instance this script started
#
# The binary goes to .cache/bin (gitignored) via `go install github.com/stripe/stripe-mock@latest`.
# Ports: STRIPE_MOCK_HTTP_PORT and STRIPE_MOCK_HTTPS_PORT (default: chosen by the system). stripe-mock
# needs both -http-addr and -https-addr, each on 127.0.0.1, or it listens on every interface.
# The tests themselves also start .cache/bin/stripe-mock on their own if STRIPE_MOCK_URL is unset.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
bin="$cache/bin/stripe-mock"
pidfile="$cache/stripe-mock.pid"
log="$cache/stripe-mock.log"

install() {
  if [ -x "$bin" ]; then return; fi
  mkdir -p "$cache/bin"
  echo "installing stripe-mock into $cache/bin" >&2
  GOBIN="$cache/bin" go install github.com/stripe/stripe-mock@latest >&2
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

endpoint_from_log() {
  sed -n 's/^Listening for HTTP at address: \(.*\)$/http:\/\/\1/p' "$log" | head -n 1
}

http_addr="127.0.0.1:${STRIPE_MOCK_HTTP_PORT:-}"
https_addr="127.0.0.1:${STRIPE_MOCK_HTTPS_PORT:-}"

case "${1:-}" in
  --install)
    install
    echo "$bin"
    ;;
  --foreground)
    install
    exec "$bin" -http-addr "$http_addr" -https-addr "$https_addr"
    ;;
  --stop)
    if running; then
      kill "$(cat "$pidfile")"
      echo "stopped stripe-mock (pid $(cat "$pidfile"))" >&2
    fi
    rm -f "$pidfile"
    ;;
  "")
    install
    if running && [ -n "$(endpoint_from_log)" ]; then
      endpoint_from_log
      exit 0
    fi
    : >"$log"
    # setsid + nohup: the mock outlives this script and the shell that called it.
    setsid nohup "$bin" -http-addr "$http_addr" -https-addr "$https_addr" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
      url="$(endpoint_from_log)"
      if [ -n "$url" ]; then
        echo "stripe-mock running (pid $(cat "$pidfile")), log $log" >&2
        echo "$url"
        exit 0
      fi
      if ! running; then break; fi
      sleep 0.1
    done
    echo "stripe-mock did not start; its log:" >&2
    cat "$log" >&2
    exit 1
    ;;
  *)
    echo "usage: $0 [--install|--foreground|--stop]" >&2
    exit 2
    ;;
esac
