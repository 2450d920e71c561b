#!/bin/sh
# SPDX-License-Identifier: MIT
# update.sh - regenerate acore's ABI files ON PURPOSE, after changing the API:
#   abi/acore.map      (the version script, from the ACORE_API declarations)
#   abi/symbols.txt    (the exported symbols of the relinked library)
#   abi/acore.abi.xml  (the abidw baseline)
#   abi/constants.txt  (every public constant, as the compiler sees it)
# Everything is computed and checked first (also against every release
# baseline in abi/released/); a run that fails writes nothing. Review
# `git diff abi/` and commit it.
#
# Usage: abi/tools/update.sh [--new-node ACORE_1.<n>] [--release] <builddir>
#   --new-node  open a new version node (needed for the first addition after
#               a release: released nodes are frozen)
#   --release   mark the open node released and write the release baseline
#               abi/released/<version>/ (never rewritten afterwards)
# See abi/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/abi.py" update "$@"
