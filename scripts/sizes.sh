#!/usr/bin/env bash
# Prints each function's bootstrap and zip size and the totals; fails if a bootstrap is 12 MB or more.
set -euo pipefail
dir=${1:-dist}
limit=$((12 * 1000 * 1000))
total=0; ztotal=0; over=0
printf '%-22s %12s %12s\n' function bootstrap zip
for b in "$dir"/*/bootstrap; do
  f=$(basename "$(dirname "$b")")
  s=$(stat -c %s "$b"); z=$(stat -c %s "$dir/$f.zip" 2>/dev/null || echo 0)
  total=$((total + s)); ztotal=$((ztotal + z))
  printf '%-22s %12s %12s\n' "$f" "$s" "$z"
  if [ "$s" -ge "$limit" ]; then echo "  ^ $f is over the 12 MB target"; over=1; fi
done
printf '%-22s %12s %12s\n' total "$total" "$ztotal"
exit $over
