// The Store conformance suite on SqliteStore: a file per test, reopened through a second connection.
// @reprise/store-conformance depends on no store, so this package runs it itself without a dependency cycle.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreConformance } from "@reprise/store-conformance";
import { SqliteStore } from "../src/index.js";

describeStoreConformance("SqliteStore", async () => {
  const directory = mkdtempSync(join(tmpdir(), "reprise-conformance-"));
  const filename = join(directory, "reprise.db");
  const opened: SqliteStore[] = [];
  const open = async () => {
    const store = await SqliteStore.open({ filename });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
});
