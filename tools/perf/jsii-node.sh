#!/bin/sh
# JSII_NODE while tools/perf/jsii_runtime.cjs is the jsii runtime (tools/perf/fast_synth.py
# sets both): the kernel needs --preserve-symlinks, which jsii's own runtime adds for it.
exec "${CDKTF_JSII_NODE:-node}" --preserve-symlinks "$@"
