#!/bin/sh
# SPDX-License-Identifier: MIT
# acore_ps.sh ACORE_PS DEADLOCK - `acore-ps PID` on a hung child program
# (examples/deadlock --wait, whose loop dumps on SIGUSR1) shows its await
# tree: both workers, each waiting for a lock held by the other; --json
# gives the JSON. Exit 0 when it does.
set -u
ps_tool=$1
prog=$2
dir=$(mktemp -d)
trap 'kill "$child" 2>/dev/null; rm -rf "$dir"' EXIT
export ACORE_DUMP_DIR="$dir"
mkfifo "$dir/out"
"$prog" --wait > "$dir/out" &
child=$!
read -r word pid < "$dir/out" || { echo "acore_ps.sh: the child said nothing"; exit 1; }
[ "$word" = ready ] && [ "$pid" = "$child" ] || { echo "acore_ps.sh: got '$word $pid'"; exit 1; }
tree=$(sh "$ps_tool" "$pid") || { echo "acore_ps.sh: acore-ps failed"; exit 1; }
printf '%s\n' "$tree"
json=$(sh "$ps_tool" "$pid" --json) || { echo "acore_ps.sh: acore-ps --json failed"; exit 1; }
fail=0
printf '%s\n' "$tree" | grep -q '^acore loop: 3 tasks' || fail=1
printf '%s\n' "$tree" | grep -q '^    left (#2) waiting .* at examples/deadlock.c:' || fail=1
printf '%s\n' "$tree" | grep -q 'awaits waiter: lock 0x[0-9a-f]*, 1 of 1 waiting; held by right (#3)' || fail=1
printf '%s\n' "$tree" | grep -q 'awaits waiter: lock 0x[0-9a-f]*, 1 of 1 waiting; held by left (#2)' || fail=1
printf '%s\n' "$json" | grep -q '"awaited_by": \[1\]' || fail=1
[ "$fail" = 0 ] || { echo "acore_ps.sh: the dump is not the expected tree"; exit 1; }
echo "acore_ps.sh: acore-ps $pid showed the deadlock"
