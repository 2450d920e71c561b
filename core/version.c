/* SPDX-License-Identifier: MIT */
/* version.c - the run-time version of the library. */
#include "acore.h"

unsigned acore_version(void) { return ACORE_VERSION_HEX; }

const char *acore_version_string(void) { return ACORE_VERSION_STRING; }
