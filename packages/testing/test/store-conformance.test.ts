// The Store conformance suite on SqliteStore (a file per test, reopened through a second connection), and on
// a FaultyStore without faults, which must be invisible. This is also the docs/testing.md "Store conformance" example.
// Lives here rather than in store-sqlite: a devDependency from store-sqlite back to @reprise/testing is a pnpm cycle.
import { FaultyStore } from "@reprise/testing";
import { describeStoreConformance } from "@reprise/testing/conformance";
import { temporaryStore } from "../src/temporary-store.js";

describeStoreConformance("SqliteStore", async () => {
  const tmp = await temporaryStore();
  return { store: tmp.store, reopen: () => tmp.open(), cleanup: () => tmp.cleanup() };
});

describeStoreConformance("FaultyStore without a fault plan, over SqliteStore", async () => {
  const tmp = await temporaryStore();
  return { store: new FaultyStore(tmp.store), reopen: () => tmp.open(), cleanup: () => tmp.cleanup() };
});
