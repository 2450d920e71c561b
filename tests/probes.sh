#!/bin/sh
# SPDX-License-Identifier: MIT
# probes.sh LIB - acore's static probes (core/trace.h) are in LIB: readelf -n
# lists a stapsdt note of provider "acore" for each of them.
set -u
notes=$(readelf -n --wide "$1") || exit 1
missing=0
for p in task_create step_start step_end task_finish future_done; do
  if ! printf '%s\n' "$notes" | grep -A2 'NT_STAPSDT' |
       grep -A1 'Provider: acore' | grep -q "Name: $p\$"; then
    echo "probes.sh: $1 has no stapsdt note acore:$p"
    missing=1
  fi
done
[ "$missing" = 0 ] && echo "probes.sh: acore's 5 static probes are in $1"
exit "$missing"
