// The RunExporter/RunImporter conformance suite on SqliteStore (a file per store), and SqliteRunReader's export:
// the same pages, read from the file on a read-only connection.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRunTransferConformance } from "@reprise/store-conformance";
import { encodeValue } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { expect, it } from "vitest";
import { SqliteRunReader, SqliteStore } from "../src/index.js";

function scratch(): { filename: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), "reprise-transfer-"));
  return { filename: join(directory, "reprise.db"), remove: () => rmSync(directory, { recursive: true, force: true }) };
}

describeRunTransferConformance("SqliteStore", async () => {
  const file = scratch();
  const store = await SqliteStore.open({ filename: file.filename });
  return { store, cleanup: async () => (await store.close(), file.remove()) };
});

it("SqliteRunReader exports what SqliteStore exports, without writing", async () => {
  const file = scratch();
  const store = await SqliteStore.open({ filename: file.filename });
  try {
    for (const id of ["a", "b", "c"]) {
      const startedEvent = encodeEvent(
        { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: id, formatVersion: 2 },
        "input",
        1024,
      );
      await store.createRun({ id, workflow: "w", input: encodeValue(id, "input", 1024), startedEvent, nowMs: 1 });
    }
    const reader = await SqliteRunReader.open({ filename: file.filename });
    try {
      const first = await reader.exportRuns(undefined, 2);
      expect(first).toEqual(await store.exportRuns(undefined, 2));
      expect(await reader.exportRuns(first.next, 2)).toEqual(await store.exportRuns(first.next, 2));
      expect(first.runs.map((run) => run.record.id)).toEqual(["a", "b"]);
    } finally {
      await reader.close();
    }
  } finally {
    await store.close();
    file.remove();
  }
});
