// The scheduler: where an engine's claims come from (claim sources) and when to look again. The work loop asks it
// for runs to fill free slots; a source (due runs and queues today, schedules next) never executes anything.
import type { QueueLimits, RunRecord, ServedWorkflow, Store } from "./store.js";

/**
 * One place runs to execute come from. `claim` leases up to `capacity` runs to this engine now (it may do other
 * work first, e.g. start the runs of a schedule that fell due); `nextDueAtMs` says when it may have work next.
 *
 * @example
 * const source: ClaimSource = { name: "nothing", claim: async () => [], nextDueAtMs: async () => undefined };
 */
export interface ClaimSource {
  readonly name: string;
  claim(capacity: number, nowMs: number): Promise<RunRecord[]>;
  nextDueAtMs(nowMs: number): Promise<number | undefined>;
}

/**
 * Asks its sources for runs in turn, sharing the free slots: each claim starts with the next source (round
 * robin), so that a source with a deep backlog never starves the others.
 *
 * @example
 * const scheduler = new Scheduler([storeClaimSource({ store, owner, leaseMs, served, queues })]);
 * const runs = await scheduler.claim(10, clock.nowMs());
 */
export class Scheduler {
  readonly #sources: readonly ClaimSource[];
  #first = 0;

  constructor(sources: readonly ClaimSource[]) {
    this.#sources = sources;
  }

  /** Up to `capacity` runs leased to this engine, from every source. */
  async claim(capacity: number, nowMs: number): Promise<RunRecord[]> {
    const claimed: RunRecord[] = [];
    const count = this.#sources.length;
    const first = this.#first;
    this.#first = count === 0 ? 0 : (first + 1) % count;
    for (let offset = 0; offset < count && claimed.length < capacity; offset += 1) {
      const source = this.#sources[(first + offset) % count] as ClaimSource;
      claimed.push(...(await source.claim(capacity - claimed.length, nowMs)));
    }
    return claimed;
  }

  /** The earliest time any source may have work, if any. */
  async nextDueAtMs(nowMs: number): Promise<number | undefined> {
    let earliest: number | undefined;
    for (const source of this.#sources) {
      const dueAtMs = await source.nextDueAtMs(nowMs);
      if (dueAtMs !== undefined && (earliest === undefined || dueAtMs < earliest)) earliest = dueAtMs;
    }
    return earliest;
  }
}

/**
 * The store's due runs, with and without a queue: one claim transaction applies every queue's limits
 * (ClaimRequest in store.ts has the rules), so that they hold across every engine on the store.
 *
 * @example
 * const source = storeClaimSource({ store, owner, leaseMs: 5_000, served, queues: { email: { concurrency: 20 } } });
 */
export function storeClaimSource(options: {
  readonly store: Store;
  readonly owner: string;
  readonly leaseMs: number;
  readonly served: readonly ServedWorkflow[];
  readonly queues: Readonly<Record<string, QueueLimits>>;
}): ClaimSource {
  const { store, owner, leaseMs, served } = options;
  // Stores that predate queues see the same request as before when no queue is configured.
  const queues = Object.keys(options.queues).length === 0 ? undefined : options.queues;
  return {
    name: "due runs and queues",
    claim: (capacity, nowMs) =>
      store.claimDueRuns({ owner, nowMs, leaseMs, limit: capacity, workflows: served, queues }),
    nextDueAtMs: (nowMs) => store.nextDueAtMs(served, queues === undefined ? undefined : { queues, nowMs }),
  };
}
