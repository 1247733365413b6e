// Loaded into jsii's node process through NODE_OPTIONS by tools/perf/jsii_node.py, before the
// other hooks. Node 20 compiles every module from source on every start; this hook keeps
// V8's code cache of each module it compiles under CDKTF_CODE_CACHE (the project's
// .cache/node-code-cache/), keyed by a digest of the module's text and the node build and flags,
// and hands it to V8 on the next start. V8 checks every cache entry against the source and
// its own version and compiles from source when one does not fit; the code that runs is
// the same. A module that uses import() is compiled the stock way (its import() needs
// node's own loader). Entries are written, each atomically, when the process exits.
"use strict";
const Module = require("node:module");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const v8 = require("node:v8");
const vm = require("node:vm");

const stockCompile = Module.prototype._compile;
const root = process.env.CDKTF_CODE_CACHE;
// V8's tag for code caches it accepts: its version, its flags and the CPU's features.
const directory = path.join(root || "", `${process.version}-${v8.cachedDataVersionTag()}`);
const toWrite = [];

function makeRequire(module) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

function readEntry(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function compileWithCodeCache(content, filename) {
  if (content.includes("import(")) return stockCompile.call(this, content, filename);
  // A hashbang line is legal only at the very start of a script: node's own compile step
  // takes it, the wrapper below would not. It becomes a comment of the same length.
  const text = content.startsWith("#!") ? `//${content.slice(2)}` : content;
  const key = crypto.createHash("sha256").update(text).digest("hex");
  const entry = path.join(directory, key.slice(0, 2), key);
  const cachedData = readEntry(entry);
  const script = new vm.Script(Module.wrap(text), { filename, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) toWrite.push([entry, script]);
  const wrapper = script.runInThisContext({ displayErrors: true });
  const args = [this.exports, makeRequire(this), this, filename, path.dirname(filename)];
  return wrapper.apply(this.exports, args);
}

function writeEntries() {
  for (const [entry, script] of toWrite) {
    try {
      fs.mkdirSync(path.dirname(entry), { recursive: true });
      const staging = `${entry}.${process.pid}.tmp`;
      fs.writeFileSync(staging, script.createCachedData());
      fs.renameSync(staging, entry);
    } catch {
      // An entry that cannot be written only costs the next start its compile time.
    }
  }
}

// Compiling here replaces node's own compile step: only while nothing wraps it yet (the
// project's other hooks load after this one), so that no other hook is skipped.
const nodesOwn = typeof stockCompile === "function" && /\bwrapSafe\(/.test(String(stockCompile));
if (nodesOwn && root) {
  Module.prototype._compile = compileWithCodeCache;
  process.on("exit", writeEntries);
} else {
  const why = root
    ? "another hook already wraps Module.prototype._compile"
    : "CDKTF_CODE_CACHE is not set";
  process.stderr.write(
    `warning: tools/perf/code_cache.cjs: ${why}; modules compile from source ` +
      "(the synth is unchanged, only slower).\n"
  );
}
