// Loaded into jsii's node process through NODE_OPTIONS by tools/perf/jsii_node.py.
// Drops the trailing inline source map of each JavaScript module before node compiles
// it: @cdktf/provider-aws ships 123 MB of them in 177 MB of code, which node would parse
// and keep in memory on every synth. Code and behaviour are unchanged.
"use strict";
const Module = require("node:module");

const compile = Module.prototype._compile;
if (typeof compile !== "function") {
  throw new Error(
    "tools/perf/strip_sourcemaps.cjs: node has no Module.prototype._compile to wrap; " +
      "set CDKTF_KEEP_SOURCEMAPS=1 to run without this hook"
  );
}
const MARK = "\n//# sourceMappingURL=data:";
Module.prototype._compile = function compileWithoutInlineSourceMap(content, filename) {
  const at = content.lastIndexOf(MARK);
  return compile.call(this, at >= 0 ? content.slice(0, at + 1) : content, filename);
};
