// The Store conformance suite (@reprise/store-conformance), unchanged, on PostgresStore: each test in a fresh schema of its
// own (dropped afterwards), `reopen` a second store (and pool) on the same schema.
import { describeStoreConformance } from "@reprise/store-conformance";
import { describe } from "vitest";
import { PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "./postgres-server.js";

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "PostgresStore", () => {
  describeStoreConformance("PostgresStore", async () => {
    requirePostgres();
    const schema = freshSchemaName();
    const opened: PostgresStore[] = [];
    const open = async (): Promise<PostgresStore> => {
      const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 4 });
      opened.push(store);
      return store;
    };
    const store = await open();
    return {
      store,
      reopen: open,
      async cleanup() {
        for (const handle of opened) await handle.close();
        await dropSchema(schema);
      },
    };
  });
});
