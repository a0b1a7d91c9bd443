// The Store conformance suite on a FaultyStore without faults over SqliteStore: fault injection must be invisible
// when no fault is planned. SqliteStore itself runs the suite in packages/store-sqlite/test.
import { FaultyStore } from "@reprise/testing";
import { describeStoreConformance } from "@reprise/testing/conformance";
import { temporaryStore } from "../src/temporary-store.js";

describeStoreConformance("FaultyStore without a fault plan, over SqliteStore", async () => {
  const tmp = await temporaryStore();
  return { store: new FaultyStore(tmp.store), reopen: () => tmp.open(), cleanup: () => tmp.cleanup() };
});
