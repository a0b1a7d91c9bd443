// describeStoreConformance: one behavioural vitest suite that every Store implementation must pass.
// It checks the Store interface's contract only (through its methods), never a backend's tables or SQL. Also
// describeRunReaderConformance, the suite of the read interface tools use (run-reader-conformance.ts).
import { afterEach, beforeEach, describe } from "vitest";
import { describeBatchCreation } from "./conformance/batch-creation.js";
import { describeBlockedEpisodes } from "./conformance/blocked-episodes.js";
import { describeCancellation } from "./conformance/cancellation.js";
import { describeCommit } from "./conformance/commit.js";
import { describeFinishedRuns } from "./conformance/finished-runs.js";
import { describeVersionsAndGenerations } from "./conformance/generations.js";
import type { ConformanceContext, StoreConformanceTarget } from "./conformance/harness.js";
import { describeLeaseHolders } from "./conformance/lease-holders.js";
import { describeLeases } from "./conformance/leases.js";
import { describeRegistryAndLifecycle } from "./conformance/registry.js";
import { describeQueues } from "./conformance/queues.js";
import { describeRuns } from "./conformance/runs.js";
import { describeScheduling } from "./conformance/scheduling.js";
import { describeSchedules } from "./conformance/schedules.js";
import { describeSignals } from "./conformance/signals.js";
import { describeWakeSet } from "./conformance/wake-set.js";
import { describeTagsAndFilters } from "./conformance/tags-and-filters.js";
import { describeBulkCancel } from "./conformance/bulk-cancel.js";
import { describePurge } from "./conformance/purge.js";

export type { StoreConformanceTarget } from "./conformance/harness.js";
export { describeRunReaderConformance, type RunReaderConformanceTarget } from "./run-reader-conformance.js";
export {
  describeRunTransferConformance,
  type RunTransferConformanceTarget,
  type TransferStore,
} from "./run-transfer-conformance.js";

/**
 * Declares the Store conformance suite (about 80 vitest tests) for one store implementation. Call it at the
 * top level of a test file. `makeStore` runs before every test and must return an empty store; `cleanup`
 * runs after it. Pass `reopen` (another handle on the same data) to also check durability across close and
 * concurrent handles; without it those tests are reported as skipped.
 *
 * Due times and timestamps are passed to the store as arguments (from 2030-01-01), so a store must not read a
 * clock of its own for them. Lease expiry may be judged by the store's own clock (see Store): the few tests that
 * cross a lease's end wait for real (leases of SHORT_LEASE_MS), passing times that follow real time, so they
 * hold either way. Errors are matched by their `code` ("LEASE_LOST",
 * "RUN_NOT_FOUND", "RUN_FINISHED", "STORE_ERROR").
 *
 * @example
 * // test/store-conformance.test.ts of a store package (a devDependency on @reprise/store-conformance)
 * import { describeStoreConformance } from "@reprise/store-conformance";
 *
 * describeStoreConformance("SqliteStore", async () => {
 *   const dir = mkdtempSync(join(tmpdir(), "conformance-"));
 *   const filename = join(dir, "reprise.db");
 *   return {
 *     store: await SqliteStore.open({ filename }),
 *     reopen: () => SqliteStore.open({ filename }),
 *     cleanup: async () => rmSync(dir, { recursive: true, force: true }),
 *   };
 * });
 */
export function describeStoreConformance(name: string, makeStore: () => Promise<StoreConformanceTarget>): void {
  describe(`Store conformance: ${name}`, () => {
    let current: StoreConformanceTarget | undefined;
    const ctx: ConformanceContext = {
      target() {
        if (current === undefined) {
          throw new Error("describeStoreConformance: the store is only available inside a test.");
        }
        return current;
      },
    };

    beforeEach(async () => {
      const target = await makeStore();
      if (typeof target?.store !== "object" || typeof target.cleanup !== "function") {
        throw new TypeError(
          `describeStoreConformance('${name}'): makeStore() must resolve to { store, cleanup, reopen? } ` +
            `(got ${describeValue(target)}). Return a fresh, empty store for every test.`,
        );
      }
      current = target;
    });

    afterEach(async () => {
      const target = current;
      current = undefined;
      await target?.cleanup();
    });

    describeRuns(ctx);
    describeQueues(ctx);
    describeBatchCreation(ctx);
    describeFinishedRuns(ctx);
    describeCommit(ctx);
    describeScheduling(ctx);
    describeLeases(ctx);
    describeLeaseHolders(ctx);
    describeSignals(ctx);
    describeCancellation(ctx);
    describeVersionsAndGenerations(ctx);
    describeRegistryAndLifecycle(ctx);
    describeBlockedEpisodes(ctx);
    describeWakeSet(ctx);
    describeTagsAndFilters(ctx);
    describeBulkCancel(ctx);
    describePurge(ctx);
    describeSchedules(ctx);
  });
}

function describeValue(value: unknown): string {
  if (value === null || typeof value !== "object") return String(value);
  return `an object with keys ${Object.keys(value).join(", ") || "(none)"}`;
}
