// The workflows an engine serves, by name and version: which code runs a stored run, and which version new runs get.
// Built once from createEngine({ workflows }); read-only afterwards.
import { InvalidArgumentError } from "./errors.js";
import type { ServedWorkflow } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";

type Definition = WorkflowDefinition<never, unknown>;

/** Definitions by name, then by version; `latest` is the version new runs of a name start on. */
export class WorkflowRegistry {
  readonly #byName = new Map<string, Map<number, Definition>>();
  /** Every (name, version) served, for the store's filters (claims, due times, blocked and parked runs). */
  readonly served: readonly ServedWorkflow[];

  constructor(definitions: readonly Definition[]) {
    for (const definition of definitions) {
      const versions = this.#byName.get(definition.name) ?? new Map<number, Definition>();
      const existing = versions.get(definition.version);
      if (existing !== undefined && existing !== definition) {
        throw new InvalidArgumentError(
          `Two different workflows are named '${definition.name}' with version ${definition.version}; give each ` +
            `definition that shares a name its own version: workflow('${definition.name}', fn, { version: 2 }).`,
        );
      }
      versions.set(definition.version, definition);
      this.#byName.set(definition.name, versions);
    }
    this.served = [...this.#byName].flatMap(([name, versions]) =>
      [...versions.keys()].map((version) => ({ name, version })),
    );
  }

  get size(): number {
    return this.#byName.size;
  }

  /** Names served, at any version. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Some version of this workflow is served here. */
  hasName(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The code of this version, if served here. */
  get(name: string, version: number): Definition | undefined {
    return this.#byName.get(name)?.get(version);
  }

  /** The versions of a name served here, ascending. */
  versionsOf(name: string): number[] {
    return [...(this.#byName.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** The highest version of a name served here: the one new runs start on. */
  latest(name: string): number | undefined {
    return this.versionsOf(name).at(-1);
  }
}

/** "version 2 of workflow 'order'", or "workflow 'order'" for version 1 (runs of unversioned definitions). */
export function describeWorkflowVersion(name: string, version: number): string {
  return version === 1 ? `workflow '${name}'` : `version ${version} of workflow '${name}'`;
}
