// Parallel branches inside a run: `all`, `allSettled` and `race` over commands and sub-flow generators.
// These only describe the group; the replayer's branch scheduler (replay.ts) runs branches and decides the result.
import { CommandBase } from "./command-base.js";
import { isCommand } from "./command-base.js";
import { InvalidArgumentError } from "./errors.js";

/**
 * One branch of a group: a command (`step(...)`, `sleep(...)`, `child(...)`, another `all`/`race`) or a sub-flow,
 * i.e. a generator object that yields commands of its own (`(function* () { ... })()`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Branch<T = unknown> = { [Symbol.iterator](): Iterator<unknown, T, any> };

/** The value a branch produces: a command's result, or a sub-flow's return value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BranchResult<B> = B extends { [Symbol.iterator](): Iterator<unknown, infer T, any> } ? T : never;

/** How one branch of `allSettled` ended. */
export type SettledResult<T> =
  { readonly status: "fulfilled"; readonly value: T } | { readonly status: "rejected"; readonly error: unknown };

/** Options of `all()` and `allSettled()`. */
export interface AllOptions {
  /** At most this many branches run at once; the others start, in argument order, as running ones end. */
  readonly concurrency?: number;
}

/** How a group combines its branches. */
export type Combinator = "all" | "allSettled" | "race";

/**
 * A group of branches run in parallel inside one run. Created by `all()`, `allSettled()` and `race()`.
 *
 * @example
 * const group = all([step("a", fa), step("b", fb)]);
 * console.log(group.combinator, group.branches.length); // "all" 2
 */
export class BranchesCommand<T = unknown> extends CommandBase<T> {
  readonly kind = "branches";
  constructor(
    readonly combinator: Combinator,
    /** The branches in argument order. */
    readonly branches: readonly Branch[],
    /** The record form's keys, in the order of `branches`; undefined for the array form. */
    readonly keys: readonly string[] | undefined,
    /** Upper bound on branches running at once; undefined for no bound. */
    readonly concurrency: number | undefined,
  ) {
    super();
  }
}

type TupleResults<B extends readonly unknown[]> = { -readonly [K in keyof B]: BranchResult<B[K]> };
type RecordResults<B> = { -readonly [K in keyof B]: BranchResult<B[K]> };
type TupleSettled<B extends readonly unknown[]> = { -readonly [K in keyof B]: SettledResult<BranchResult<B[K]>> };
type RecordSettled<B> = { -readonly [K in keyof B]: SettledResult<BranchResult<B[K]>> };

/** What `race()` returns: which branch finished first (`key`) and its value, typed per branch. */
export type RaceResult<B> = B extends readonly unknown[]
  ? {
      [K in keyof B]: {
        readonly key: K extends `${infer N extends number}` ? N : never;
        readonly value: BranchResult<B[K]>;
      };
    }[number]
  : { [K in keyof B]: { readonly key: K; readonly value: BranchResult<B[K]> } }[keyof B];

/**
 * Runs branches in parallel and returns all their results: a tuple in argument order for an array, a record for
 * an object. Fails fast: the first branch that throws makes `all` throw that error, after the other branches
 * were cancelled (a running step's `ctx.signal` aborts, timers are withdrawn, sub-flows get a CancelledError so
 * their `finally` blocks run). An empty `all` returns `[]` / `{}` at once.
 *
 * @example
 * const [user, prefs] = yield* all([step("user", loadUser), step("prefs", loadPrefs)]);
 * const saved = yield* all(items.map((item) => (function* () {
 *   const data = yield* step(`fetch-${item.id}`, () => fetchItem(item));
 *   return yield* step(`save-${item.id}`, () => save(data));
 * })()), { concurrency: 8 });
 */
export function all<const B extends readonly Branch[]>(
  branches: B,
  options?: AllOptions,
): BranchesCommand<TupleResults<B>>;
export function all<B extends Record<string, Branch>>(
  branches: B,
  options?: AllOptions,
): BranchesCommand<RecordResults<B>>;
export function all(branches: readonly Branch[] | Record<string, Branch>, options: AllOptions = {}): BranchesCommand {
  return group("all", branches, options);
}

/**
 * Runs branches in parallel and waits for every one of them, whether it succeeded or threw, returning
 * `{ status: "fulfilled", value }` or `{ status: "rejected", error }` per branch (tuple or record).
 *
 * @example
 * const results = yield* allSettled(hosts.map((host) => step(`ping-${host}`, () => ping(host))));
 * const down = results.filter((r) => r.status === "rejected").length;
 */
export function allSettled<const B extends readonly Branch[]>(
  branches: B,
  options?: AllOptions,
): BranchesCommand<TupleSettled<B>>;
export function allSettled<B extends Record<string, Branch>>(
  branches: B,
  options?: AllOptions,
): BranchesCommand<RecordSettled<B>>;
export function allSettled(
  branches: readonly Branch[] | Record<string, Branch>,
  options: AllOptions = {},
): BranchesCommand {
  return group("allSettled", branches, options);
}

/**
 * Runs branches in parallel; the first to finish (return or throw) decides. It returns `{ key, value }` of the
 * winner (the record key, or the index for an array), or throws the winner's error. Losers are cancelled
 * durably before `race` returns: a running step's `ctx.signal` aborts and its result is not used, a timer is
 * withdrawn, a signal wait consumes nothing, a child run is cancelled, a sub-flow gets a CancelledError thrown
 * in so that its `finally` blocks run. An empty race is an InvalidArgumentError.
 *
 * @example
 * const first = yield* race({ shipped: awaitSignal<Shipment>("shipped"), late: sleep({ days: 3 }) });
 * if (first.key === "shipped") console.log(first.value.carrier);
 */
export function race<const B extends readonly Branch[]>(branches: B): BranchesCommand<RaceResult<B>>;
export function race<B extends Record<string, Branch>>(branches: B): BranchesCommand<RaceResult<B>>;
export function race(branches: readonly Branch[] | Record<string, Branch>): BranchesCommand {
  return group("race", branches, {});
}

/**
 * Longest list of branches one group accepts.
 *
 * @example
 * for (let i = 0; i < ids.length; i += MAX_BRANCHES) yield* all(ids.slice(i, i + MAX_BRANCHES).map(save));
 */
export const MAX_BRANCHES = 10_000;

function group(
  combinator: Combinator,
  input: readonly Branch[] | Record<string, Branch>,
  options: AllOptions,
): BranchesCommand {
  if (typeof input !== "object" || input === null) {
    throw new InvalidArgumentError(
      `${combinator}() takes an array or an object of branches (commands or sub-flow generators); got ${String(input)}.`,
    );
  }
  const keys = Array.isArray(input) ? undefined : Object.keys(input);
  const branches: Branch[] = Array.isArray(input) ? [...(input as Branch[])] : Object.values(input);
  if (branches.length > MAX_BRANCHES) {
    throw new InvalidArgumentError(`${combinator}() takes at most ${MAX_BRANCHES} branches (got ${branches.length}).`);
  }
  if (combinator === "race" && branches.length === 0) {
    throw new InvalidArgumentError("race() needs at least one branch: an empty race would never finish.");
  }
  branches.forEach((branch, index) => {
    if (isCommand(branch) || isGenerator(branch)) return;
    const label = keys === undefined ? `[${index}]` : `.${keys[index] ?? index}`;
    throw new InvalidArgumentError(
      `${combinator}() branch ${label} is ${describe(branch)}, not a command or a sub-flow generator. Pass ` +
        `commands (\`step(...)\`, \`sleep(...)\`) or generator objects: \`(function* () { ... })()\` — note the ` +
        `call at the end.`,
    );
  });
  const { concurrency } = options;
  if (concurrency !== undefined && (!Number.isSafeInteger(concurrency) || concurrency < 1)) {
    throw new InvalidArgumentError(
      `${combinator}() option concurrency must be a positive integer (got ${String(concurrency)}).`,
    );
  }
  return new BranchesCommand(combinator, branches, keys, concurrency);
}

function isGenerator(value: unknown): value is Generator {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { next?: unknown; throw?: unknown; return?: unknown };
  return typeof candidate.next === "function" && typeof candidate.throw === "function";
}

function describe(value: unknown): string {
  if (typeof value === "function") return "a function (call the generator function to pass its generator)";
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
