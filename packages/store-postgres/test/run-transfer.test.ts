// The RunExporter/RunImporter conformance suite (@reprise/store-conformance) on PostgresStore: a source and a
// target schema of their own per test, dropped afterwards.
import { describeRunTransferConformance } from "@reprise/store-conformance";
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
  describeRunTransferConformance("PostgresStore", async () => {
    requirePostgres();
    const schema = freshSchemaName();
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 4 });
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});
