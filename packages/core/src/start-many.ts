// The shape and checks of `engine.startMany(items)`: the item type, the typed handles it returns, the batch limit,
// and how an item's error names its index. It writes nothing; engine.ts validates every item before any write.
import { InvalidArgumentError, RepriseError } from "./errors.js";
import type { QueueStartOptions } from "./queue-options.js";
import type { RunHandle } from "./run-handle.js";
import type { WorkflowDefinition } from "./workflow.js";
import type { RunTags } from "./tags.js";

/** Most runs one `startMany()` call creates (one store write); split larger batches into several calls. */
export const MAX_START_MANY_ITEMS = 10_000;

/**
 * One run for `engine.startMany()`: the workflow (a definition, or the name of a workflow some engine serves),
 * its input, and optionally its id (default: a random UUID). An id already taken by the same workflow gives
 * back that run, as `start()` does.
 *
 * @example
 * const item: StartManyItem = { workflow: order, input: { sku: "MUG" }, id: "order-7", queue: "orders", priority: 5 };
 */
export interface StartManyItem extends QueueStartOptions {
  readonly workflow: WorkflowDefinition<never, unknown> | string;
  readonly input: unknown;
  readonly id?: string | undefined;
  /** The version to start on, as `start(workflow, input, { version })`. */
  readonly version?: number | undefined;
  /** The run's tags, as `start(workflow, input, { tags })`. */
  readonly tags?: RunTags | undefined;
}

/** An item with its input checked against its definition's input type (distributes over a union of items). */
type CheckedItem<Item> = Item extends { readonly workflow: WorkflowDefinition<infer I, unknown> }
  ? Item & { readonly input: I }
  : Item;

/** A definition's output type, `unknown` for a workflow given by name (distributes over a union of items). */
type OutputOf<Item> = Item extends { readonly workflow: WorkflowDefinition<never, infer O> } ? O : unknown;

/** The items of `startMany(items)`, each item's input checked against its workflow definition's input type. */
export type CheckedStartManyItems<T extends readonly StartManyItem[]> = {
  readonly [K in keyof T]: CheckedItem<T[K]>;
};

/** The handles `startMany(items)` resolves with: one per item, in order, typed by each item's workflow output. */
export type StartManyHandles<T extends readonly StartManyItem[]> = {
  -readonly [K in keyof T]: RunHandle<OutputOf<T[K]>>;
};

/**
 * Throws InvalidArgumentError unless `items` is an array of at most MAX_START_MANY_ITEMS objects.
 *
 * @example
 * assertStartManyItems([{ workflow: order, input: 1 }]); // passes
 */
export function assertStartManyItems(items: unknown): asserts items is readonly StartManyItem[] {
  if (!Array.isArray(items)) {
    throw new InvalidArgumentError(
      `startMany() takes an array of { workflow, input, id? } (got ${items === null ? "null" : typeof items}).`,
    );
  }
  if (items.length > MAX_START_MANY_ITEMS) {
    throw new InvalidArgumentError(
      `startMany() creates at most ${MAX_START_MANY_ITEMS} runs per call (got ${items.length}); ` +
        `split the batch into several calls.`,
    );
  }
  items.forEach((item: unknown, index) => {
    if (typeof item !== "object" || item === null || !("workflow" in item)) {
      throw new InvalidArgumentError(
        `startMany() item ${index} must be an object { workflow, input, id? } (got ${JSON.stringify(item) ?? typeof item}). ` +
          `Nothing was started.`,
      );
    }
  });
}

/**
 * The error `start()` would throw for this item, with the item's index: same class and code, its message
 * prefixed with "startMany() item <index>:" and ending with "Nothing was started.", and an `itemIndex` field.
 * Other errors (not Reprise's) pass through unchanged.
 *
 * @example
 * throw forStartManyItem(new UnknownWorkflowError("nope"), 3); // "startMany() item 3: No engine on this store ..."
 */
export function forStartManyItem(error: unknown, index: number): unknown {
  if (!(error instanceof RepriseError) || "itemIndex" in error) return error;
  const original = error.message;
  error.message = `startMany() item ${index}: ${original} Nothing was started.`;
  if (typeof error.stack === "string") error.stack = error.stack.replace(original, error.message);
  Object.defineProperty(error, "itemIndex", { value: index, enumerable: true });
  return error;
}
