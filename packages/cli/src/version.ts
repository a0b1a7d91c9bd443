// The CLI's version, read from its package.json so `reprise --version` and the package never disagree.
// package.json sits two levels above both src/version.ts and dist/version.js.
import { readFileSync } from "node:fs";

/**
 * The version of @reprise/cli.
 *
 * @example
 * console.log(CLI_VERSION); // "0.1.0"
 */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
