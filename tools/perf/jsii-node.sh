#!/bin/sh
# JSII_NODE while tools/perf/jsii_runtime.cjs is the jsii runtime (tools/perf/jsii_runtime.py
# sets both).
# --preserve-symlinks: the kernel needs it (jsii's own runtime adds it for its kernel).
# --max-semi-space-size=1 --single-threaded-gc: a synth is one short run; a 1 MB young
# generation and no GC helper threads take ~40 MB less memory and no more time
# (docs/performance.md).
exec "${CDKTF_JSII_NODE:-node}" --preserve-symlinks --max-semi-space-size=1 \
  --single-threaded-gc "$@"
