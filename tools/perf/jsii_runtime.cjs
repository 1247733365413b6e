// The jsii runtime for this project's synths, in one node process (set as JSII_RUNTIME by
// tools/perf/fast_synth.py, for the verified jsii kernel only). jsii's own runtime
// script starts a second node process for its kernel, talks to it on fd 3 and relays every
// message and every line of output between the two: ~0.17 s of CPU per synth and one
// process more.
// Here the kernel (jsii's lib/program.js, copied unchanged to CDKTF_JSII_PROGRAM) runs in
// this process: its fd 3 reads are served from stdin and its fd 3 writes go to stdout, as
// the jsii client expects; anything else written to stdout or stderr reaches the client's
// stderr as the {"stdout"|"stderr": base64} lines jsii's own runtime sends.
"use strict";
const fs = require("node:fs");

const program = process.env.CDKTF_JSII_PROGRAM;
if (!program || !fs.existsSync(program)) {
  throw new Error(
    `tools/perf/jsii_runtime.cjs: CDKTF_JSII_PROGRAM=${JSON.stringify(program)} is not a file; ` +
      "set CDKTF_STOCK_RUNTIME=1 to use jsii's own runtime"
  );
}
// The kernel symlinks packages into its work directory only when node runs with
// --preserve-symlinks (tools/perf/jsii-node.sh adds it); without it, it copies them.
if (!process.execArgv.includes("--preserve-symlinks")) {
  throw new Error("tools/perf/jsii_runtime.cjs: node must run with --preserve-symlinks");
}

const KERNEL_FD = 3;
const { readSync, writeSync, readFileSync } = fs;
// fd 3 stands for the client's pipes here, so no file of this process may get it: it is
// normally libuv's own epoll descriptor; if it is free, this process holds it.
try {
  fs.fstatSync(KERNEL_FD);
} catch {
  const fd = fs.openSync("/dev/null", "r");
  if (fd !== KERNEL_FD) fs.closeSync(fd);
}
const pause = new Int32Array(new SharedArrayBuffer(4));

// Like the kernel's own writes: retry while a non-blocking pipe is full.
function writeAll(fd, buffer) {
  for (let done = 0; done < buffer.length; ) {
    try {
      done += writeSync(fd, buffer, done);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function relay(stream, data) {
  const line = JSON.stringify({ [stream]: Buffer.from(data).toString("base64") });
  writeAll(2, Buffer.from(`${line}\n`));
}

for (const stream of ["stdout", "stderr"]) {
  process[stream].write = function relayedWrite(chunk, encoding, callback) {
    const text = typeof encoding === "string" ? encoding : "utf8";
    relay(stream, typeof chunk === "string" ? Buffer.from(chunk, text) : chunk);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done);
    return true;
  };
}

fs.readSync = function kernelReadSync(fd, ...rest) {
  if (fd !== KERNEL_FD) return readSync.call(this, fd, ...rest);
  for (;;) {
    try {
      return readSync.call(this, 0, ...rest);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
};

fs.writeSync = function kernelWriteSync(fd, buffer, ...rest) {
  if (fd === KERNEL_FD) return writeSync.call(this, 1, buffer, ...rest);
  if (fd === 2 && Buffer.isBuffer(buffer) && rest.length === 1) {
    relay("stderr", buffer.subarray(rest[0])); // the kernel's own error lines
    return buffer.length - rest[0];
  }
  return writeSync.call(this, fd, buffer, ...rest);
};

// The verified kernel reads a package's whole type-definition file (32 MB for
// hashicorp/aws) on its first type lookup, only ever to decode byte ranges of it with
// toString(encoding, start, end). Reading each range from the file when asked keeps
// those 32 MB out of memory; the definitions decoded are the same bytes.
class FileRanges {
  constructor(file) {
    this.fd = fs.openSync(file, "r");
  }
  toString(encoding, start, end) {
    const buffer = Buffer.allocUnsafe(end - start);
    let done = 0;
    while (done < buffer.length) {
      const read = readSync(this.fd, buffer, done, buffer.length - done, start + done);
      if (read === 0) break;
      done += read;
    }
    return buffer.toString(encoding, 0, done);
  }
}

fs.readFileSync = function kernelReadFileSync(file, ...rest) {
  const defs = typeof file === "string" && file.endsWith(".jsii.runtime-defs.v1.jsonl");
  if (defs && rest.length === 0) {
    return new FileRanges(file);
  }
  return readFileSync.call(this, file, ...rest);
};

require(program);
