#!/usr/bin/env node
// The `reprise` executable as installed: runs the compiled CLI (dist/bin.js), or says how to get it when missing.
// Only locates and loads dist/bin.js; all of the CLI lives in src/, which `pnpm build` compiles to dist/.
import { existsSync } from "node:fs";
import process from "node:process";
import { URL, fileURLToPath } from "node:url";

const entry = new URL("../dist/bin.js", import.meta.url);
if (existsSync(fileURLToPath(entry))) {
  await import(entry.href);
} else {
  // A clone of the Reprise repository has no dist/ until it is built; a published package always has it.
  process.stderr.write(
    `error: the reprise CLI is not built (${fileURLToPath(entry)} is missing). In the Reprise repository, ` +
      "run `pnpm build` once, or run the CLI from its sources without building: `pnpm reprise <command>`\n",
  );
  process.exitCode = 1;
}
