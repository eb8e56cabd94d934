# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the scripts in this folder.

log() { [ -n "${QUIET:-}" ] || echo "dvp: $*" >&2; }
die() { echo "dvp: error: $*" >&2; exit 1; }
