// The workflow definitions a command was given, by name and version: which code replays a stored run (its own
// version), and which definition new runs start on (a name's highest version). Read-only once built.
import { InvalidArgumentError, type WorkflowDefinition } from "@reprise/core";

/**
 * A workflow definition as found in a module: `workflow()` returns objects of this shape.
 *
 * @example
 * const definitions: AnyWorkflow[] = [order, workflow("order", orderV2, { version: 2 })];
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions of any input and output type are accepted
export type AnyWorkflow = WorkflowDefinition<any, any>;

/**
 * Definitions by name, then version. Several definitions may share a name when their versions differ (each run
 * is only ever replayed with the code of the version it started on); one name and version has one definition.
 *
 * @example
 * const catalog = new WorkflowCatalog([orderV1, orderV2, nap]);
 * catalog.get("order", 1); // orderV1: the code runs that started on version 1 replay with
 * catalog.latest("order"); // orderV2: what new runs of 'order' start on
 */
export class WorkflowCatalog {
  readonly #byName = new Map<string, Map<number, AnyWorkflow>>();
  readonly #definitions: AnyWorkflow[] = [];

  /** Throws InvalidArgumentError when two different definitions have the same name and version. */
  constructor(definitions: Iterable<AnyWorkflow> = []) {
    for (const definition of definitions) {
      const existing = this.add(definition);
      if (existing !== undefined) {
        throw new InvalidArgumentError(
          `Two different workflows are named '${definition.name}' with version ${definition.version}; ` +
            `give each definition that shares a name its own version (workflow(name, fn, { version })).`,
        );
      }
    }
  }

  /**
   * Adds `definition`, unless another definition has its name and version: then nothing is added and that other
   * definition is returned, so that the caller can say where both came from. Adding the same object twice is fine.
   *
   * @example
   * const clash = catalog.add(candidate);
   * if (clash !== undefined) throw new UsageError(`two definitions of '${candidate.name}' v${candidate.version}`);
   */
  add(definition: AnyWorkflow): AnyWorkflow | undefined {
    const versions = this.#byName.get(definition.name) ?? new Map<number, AnyWorkflow>();
    const existing = versions.get(definition.version);
    if (existing === definition) return undefined;
    if (existing !== undefined) return existing;
    versions.set(definition.version, definition);
    this.#byName.set(definition.name, versions);
    this.#definitions.push(definition);
    return undefined;
  }

  /**
   * Every definition, each once, in the order added: what an engine serving all of them is created with.
   *
   * @example
   * createEngine({ store, workflows: catalog.definitions() });
   */
  definitions(): AnyWorkflow[] {
    return [...this.#definitions];
  }

  /**
   * The names, in the order first added.
   *
   * @example
   * catalog.names(); // ["order", "nap"]
   */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /**
   * The definition of this name and version, if there is one.
   *
   * @example
   * const code = catalog.get(run.workflow, run.version);
   */
  get(name: string, version: number): AnyWorkflow | undefined {
    return this.#byName.get(name)?.get(version);
  }

  /**
   * The versions of a name, ascending (`[]` for a name not here).
   *
   * @example
   * catalog.versionsOf("order"); // [1, 2]
   */
  versionsOf(name: string): number[] {
    return [...(this.#byName.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * The definition with the highest version of a name: the one new runs start on.
   *
   * @example
   * await engine.start(catalog.latest("order") ?? "order", input);
   */
  latest(name: string): AnyWorkflow | undefined {
    const version = this.versionsOf(name).at(-1);
    return version === undefined ? undefined : this.get(name, version);
  }
}

/**
 * "version 2 of workflow 'order'": how the CLI names one version of a workflow in its messages.
 *
 * @example
 * describeVersion("order", 1); // "version 1 of workflow 'order'"
 */
export function describeVersion(name: string, version: number): string {
  return `version ${version} of workflow '${name}'`;
}
