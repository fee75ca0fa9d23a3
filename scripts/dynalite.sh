#!/usr/bin/env bash
# Starts dynalite (an independent DynamoDB implementation on Node.js) for the storage tests and prints
# its endpoint on stdout, e.g. "http://127.0.0.1:41234". Everything else goes to stderr.
#
#   endpoint=$(scripts/dynalite.sh)              # install if missing, start on a free port
#   DYNAMODB_ENDPOINT=$endpoint go test ./dynamo/...
#   scripts/dynalite.sh stop                     # stop the instance this script started
#
# dynalite@4 is installed with npm into .cache/dynalite under the repository (gitignored) the first
# time. It binds 127.0.0.1 only (dynalite listens on every interface unless given --host) and keeps its
# data in memory, so a restart starts empty. The process id and log live next to the install:
# .cache/dynalite/dynalite.pid and .cache/dynalite/dynalite.log.
#
# Environment: DYNALITE_PORT picks the port instead of a free one; DYNALITE_CREATE_TABLE_MS sets how
# long a new table stays CREATING (default 50, so the tests' wait-for-ACTIVE path runs, but quickly).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/dynalite"
pidfile="$dir/dynalite.pid"
logfile="$dir/dynalite.log"
bin="$dir/node_modules/dynalite/cli.js"

log() { echo "dynalite.sh: $*" >&2; }

running_pid() {
	# Prints the pid of the instance this script started, if it is still alive and is dynalite.
	[ -f "$pidfile" ] || return 1
	local pid
	pid="$(cat "$pidfile")"
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dynalite "/proc/$pid/cmdline" 2>/dev/null; then
		echo "$pid"
		return 0
	fi
	return 1
}

if [ "${1:-}" = "stop" ]; then
	if pid="$(running_pid)"; then
		kill "$pid"
		log "stopped pid $pid"
	else
		log "no running instance started by this script"
	fi
	rm -f "$pidfile" "$dir/dynalite.endpoint"
	exit 0
fi

command -v node >/dev/null || { log "node is not installed; dynalite needs Node.js"; exit 1; }
command -v npm >/dev/null || { log "npm is not installed; dynalite is installed with npm"; exit 1; }

if [ ! -f "$bin" ]; then
	log "installing dynalite@4 into $dir"
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error dynalite@4 >&2
fi

if pid="$(running_pid)" && [ -f "$dir/dynalite.endpoint" ]; then
	log "already running (pid $pid)"
	cat "$dir/dynalite.endpoint"
	exit 0
fi

port="${DYNALITE_PORT:-}"
if [ -z "$port" ]; then
	# Ask the kernel for a free port on 127.0.0.1.
	port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
fi

nohup node "$bin" --host 127.0.0.1 --port "$port" --createTableMs "${DYNALITE_CREATE_TABLE_MS:-50}" \
	--deleteTableMs 0 --updateTableMs 0 >"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

# Wait (at most ~10 s) until it answers HTTP.
for _ in $(seq 1 100); do
	if ! kill -0 "$pid" 2>/dev/null; then
		log "dynalite exited; log follows"
		cat "$logfile" >&2
		rm -f "$pidfile"
		exit 1
	fi
	if node -e 'require("net").connect(+process.argv[1],"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' "$port"; then
		echo "http://127.0.0.1:$port" >"$dir/dynalite.endpoint"
		log "listening on 127.0.0.1:$port (pid $pid)"
		echo "http://127.0.0.1:$port"
		exit 0
	fi
	sleep 0.1
done
log "dynalite did not start listening on port $port; log follows"
cat "$logfile" >&2
kill "$pid" 2>/dev/null || true
rm -f "$pidfile"
exit 1
