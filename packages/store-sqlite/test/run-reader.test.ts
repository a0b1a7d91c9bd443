// The RunReader conformance suite on SQLite, twice: SqliteStore reading through its own connection, and
// SqliteRunReader reading the same file read-only; plus what SqliteRunReader.open refuses, and that it never writes.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRunReaderConformance } from "@reprise/store-conformance";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteRunReader, SqliteStore, StoreFileUnreadableError } from "../src/index.js";

/** A fresh directory with a store file in it; `remove` deletes both. */
function scratch(): { filename: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), "reprise-reader-"));
  return { filename: join(directory, "reprise.db"), remove: () => rmSync(directory, { recursive: true, force: true }) };
}

describeRunReaderConformance("SqliteStore", async () => {
  const file = scratch();
  const store = await SqliteStore.open({ filename: file.filename });
  return { store, reader: async () => store, cleanup: async () => (await store.close(), file.remove()) };
});

describeRunReaderConformance("SqliteRunReader (read-only)", async () => {
  const file = scratch();
  const store = await SqliteStore.open({ filename: file.filename });
  return {
    store,
    reader: () => SqliteRunReader.open({ filename: file.filename }),
    cleanup: async () => (await store.close(), file.remove()),
  };
});

describe("SqliteRunReader.open", () => {
  const files: { remove(): void }[] = [];
  afterEach(() => {
    for (const file of files.splice(0)) file.remove();
  });
  const file = () => {
    const made = scratch();
    files.push(made);
    return made.filename;
  };
  const problemOf = async (filename: string) => {
    const error = await SqliteRunReader.open({ filename }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreFileUnreadableError);
    return (error as StoreFileUnreadableError).problem;
  };

  it("refuses a missing file without creating one", async () => {
    const filename = file();
    expect(await problemOf(filename)).toBe("missing");
    expect(statSync(filename, { throwIfNoEntry: false })).toBeUndefined();
  });

  it("refuses files that are not stores of its schema version, naming why", async () => {
    const text = file();
    writeFileSync(text, "not a database at all, just text that is long enough to not look like a header ".repeat(20));
    expect(await problemOf(text)).toBe("not-sqlite");
    const empty = file();
    new Database(empty).close();
    expect(await problemOf(empty)).toBe("empty");
    const foreign = file();
    const other = new Database(foreign);
    other.exec("create table notes (body text)");
    other.close();
    expect(await problemOf(foreign)).toBe("foreign");
    const newer = file();
    await (await SqliteStore.open({ filename: newer })).close();
    const bumped = new Database(newer);
    bumped.pragma(`user_version = ${(bumped.pragma("user_version", { simple: true }) as number) + 1}`);
    bumped.close();
    expect(await problemOf(newer)).toBe("newer");
    await expect(SqliteRunReader.open({ filename: ":memory:" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("reads without writing: the file is unchanged and a closed reader refuses to read", async () => {
    const filename = file();
    const store = await SqliteStore.open({ filename });
    await store.close();
    const before = statSync(filename).mtimeMs;
    const reader = await SqliteRunReader.open({ filename });
    expect(await reader.countRunsByStatus()).toMatchObject({ pending: 0 });
    await reader.close();
    expect(statSync(filename).mtimeMs).toBe(before);
    await expect(reader.runsPage({ limit: 1 })).rejects.toMatchObject({ code: "STORE_ERROR" });
  });
});
