#!/bin/sh
# JSII_NODE while tools/jsii_runtime.cjs is the jsii runtime (tools/jsii_node.py sets both):
# the kernel must run with --preserve-symlinks, which jsii's own runtime adds for it.
exec "${CDKTF_JSII_NODE:-node}" --preserve-symlinks "$@"
