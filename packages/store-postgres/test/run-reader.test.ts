// The RunReader conformance suite (@reprise/store-conformance) on PostgresStore: each test in a fresh schema of
// its own (dropped afterwards), read through the store that wrote and through a second store on the same schema.
import { describeRunReaderConformance } from "@reprise/store-conformance";
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
  for (const via of ["the writing store", "another store on the schema"] as const) {
    describeRunReaderConformance(`PostgresStore (${via})`, async () => {
      requirePostgres();
      const schema = freshSchemaName();
      const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 4 });
      return {
        store,
        reader: async () =>
          via === "the writing store" ? store : PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 2 }),
        async cleanup() {
          await store.close();
          await dropSchema(schema);
        },
      };
    });
  }
});
