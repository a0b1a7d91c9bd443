// Loads the module named by `--workflows` and collects the workflow definitions it exports.
// TypeScript modules load through tsx when Node cannot import them itself; nothing else is executed.
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError, UsageError } from "./errors.js";
import { describeVersion, WorkflowCatalog, type AnyWorkflow } from "./workflow-catalog.js";

export type { AnyWorkflow } from "./workflow-catalog.js";

/** The workflows a module exports, by name and version. */
export interface LoadedWorkflows {
  /** The module as the user named it. */
  readonly module: string;
  readonly catalog: WorkflowCatalog;
}

const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/**
 * Imports `modulePath` (relative to `cwd`) and returns every workflow definition among its exports, including
 * definitions inside exported arrays or objects (`export const workflows = [order, invoice]`). Several
 * definitions may share a name when their versions differ; two different ones with the same name and version
 * are refused (UsageError), since a run of that version could then replay with either.
 *
 * @example
 * const { catalog } = await loadWorkflows("./dist/workflows.js", process.cwd());
 * const order = catalog.latest("order");
 */
export async function loadWorkflows(modulePath: string, cwd: string): Promise<LoadedWorkflows> {
  const filename = resolve(cwd, modulePath);
  const exports = await importModule(filename, modulePath);
  assertSameCore(filename, modulePath);
  const catalog = new WorkflowCatalog();
  const add = (candidate: unknown, exportName: string) => {
    if (!isWorkflowDefinition(candidate)) return false;
    if (catalog.add(candidate) !== undefined) {
      const { name, version } = candidate;
      throw new UsageError(
        `${modulePath} exports two different definitions of ${describeVersion(name, version)} (one as ` +
          `'${exportName}'); give each definition that shares a name its own version: ` +
          `workflow('${name}', fn, { version: ${Math.max(...catalog.versionsOf(name)) + 1} })`,
      );
    }
    return true;
  };
  for (const [exportName, value] of Object.entries(exports)) {
    if (add(value, exportName)) continue;
    const nested = Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : [];
    for (const entry of nested) add(entry, exportName);
  }
  if (catalog.names().length === 0) {
    throw new UsageError(
      `${modulePath} exports no workflow definitions; export the values returned by workflow() from @reprise/core`,
    );
  }
  return { module: modulePath, catalog };
}

/**
 * The definition named `name`: at `version` when given, else its highest version (the one new runs start on).
 * A UsageError lists what the module does export when it lacks the name or that version.
 *
 * @example
 * const order = pickWorkflow(await loadWorkflows("./workflows.js", cwd), "order"); // the latest version
 * const orderV1 = pickWorkflow(loaded, "order", 1);
 */
export function pickWorkflow(loaded: LoadedWorkflows, name: string, version?: number): AnyWorkflow {
  const { catalog } = loaded;
  const latest = catalog.latest(name);
  if (latest === undefined) {
    throw new UsageError(
      `unknown workflow '${name}': ${loaded.module} exports ${catalog
        .names()
        .map((n) => `'${n}'`)
        .join(", ")}`,
    );
  }
  if (version === undefined) return latest;
  const definition = catalog.get(name, version);
  if (definition === undefined) {
    const versions = catalog.versionsOf(name);
    throw new UsageError(
      `${loaded.module} does not export ${describeVersion(name, version)}; it exports ` +
        `version${versions.length === 1 ? "" : "s"} ${versions.join(", ")}`,
    );
  }
  return definition;
}

/**
 * Whether a value is a workflow definition: an object with a string `name` and a function `fn`.
 *
 * @example
 * isWorkflowDefinition(workflow("order", function* () {})); // true
 */
export function isWorkflowDefinition(value: unknown): value is AnyWorkflow {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { name?: unknown }).name === "string" &&
    typeof (value as { fn?: unknown }).fn === "function"
  );
}

async function importModule(filename: string, shownAs: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(filename).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_UNKNOWN_FILE_EXTENSION" && TYPESCRIPT_EXTENSIONS.has(extname(filename))) {
      await registerTypeScript(shownAs);
      try {
        return (await import(`${url}?typescript`)) as Record<string, unknown>;
      } catch (retryError) {
        throw loadFailure(retryError, filename, shownAs);
      }
    }
    throw loadFailure(error, filename, shownAs);
  }
}

/** Node 20 cannot import .ts files; tsx (an optional peer dependency) teaches it to. */
async function registerTypeScript(shownAs: string): Promise<void> {
  let api: { register: () => unknown };
  try {
    api = await import("tsx/esm/api");
  } catch (error) {
    throw new CliError(
      `${shownAs} is TypeScript; install tsx next to @reprise/cli (npm install --save-dev tsx) or point --workflows at compiled JavaScript`,
      { cause: error },
    );
  }
  api.register();
}

function loadFailure(error: unknown, filename: string, shownAs: string): CliError {
  const code = (error as { code?: unknown }).code;
  if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(filename)) {
    return new CliError(`cannot load workflows: no module at ${shownAs}; check --workflows`, { cause: error });
  }
  const message = error instanceof Error ? `${error.name}: ${error.message.split("\n")[0]}` : String(error);
  return new CliError(`cannot load workflows from ${shownAs}: ${message}`, { cause: error });
}

/**
 * Workflows built with another copy of @reprise/core would run (commands are recognised by their brand), but not
 * the same: the errors thrown into them (StepFailedError, CancelledError) are the CLI copy's classes, so their
 * `instanceof` checks fail, and error classes they register go to the other copy's registry. A verify or a worker
 * that behaves unlike the app is worse than none: refuse it up front, naming both copies.
 */
function assertSameCore(filename: string, shownAs: string): void {
  let theirs: string;
  try {
    theirs = realpathSync(createRequire(filename).resolve("@reprise/core"));
  } catch {
    return; // The module does not resolve @reprise/core itself (e.g. it re-exports a bundle); nothing to compare.
  }
  const ours = realpathSync(fileURLToPath(import.meta.resolve("@reprise/core")));
  if (theirs !== ours) {
    throw new CliError(
      `${shownAs} uses another copy of @reprise/core (${theirs}) than the reprise CLI (${ours}); ` +
        `install @reprise/cli in the same project as your workflows so that both use one @reprise/core`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
