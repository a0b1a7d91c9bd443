// A real full disk (a 2 MiB tmpfs): a write fails with SQLITE_FULL and changes nothing, and once space is freed the
// store gives the WAL's space back and works again, with every acknowledged write still there.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "@reprise/core";
import Database from "better-sqlite3";
import { newRun } from "./new-run.js";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";

/** Mounts a 2 MiB tmpfs (needs root or CAP_SYS_ADMIN); undefined where that is not permitted. */
function mountSmallDisk(): string | undefined {
  const directory = mkdtempSync(join(tmpdir(), "reprise-small-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", directory], { stdio: "ignore" });
    return directory;
  } catch {
    rmSync(directory, { recursive: true, force: true });
    return undefined;
  }
}

const disk = mountSmallDisk();
if (disk === undefined) console.warn("skipped: the disk-full test needs to mount a 2 MiB tmpfs (run as root)");

const opened: SqliteStore[] = [];

afterAll(async () => {
  if (disk === undefined) return;
  for (const store of opened) await store.close();
  execFileSync("umount", [disk]);
  rmSync(disk, { recursive: true, force: true });
});

describe.skipIf(disk === undefined)("a full disk", () => {
  it("SQLITE_FULL is a StoreError; after space is freed the WAL is truncated and the store works, losing nothing", async () => {
    const directory = disk as string;
    const filename = join(directory, "reprise.db");
    const filler = join(directory, "filler");
    const walSize = () => (existsSync(`${filename}-wal`) ? statSync(`${filename}-wal`).size : 0);
    writeFileSync(filler, Buffer.alloc(300_000));
    // The setting docs/operations.md gives for a small disk: a WAL of about 1 MiB instead of the default 4 MiB.
    const store = await SqliteStore.open({ filename, walAutocheckpointPages: 256, journalSizeLimitBytes: 1024 * 1024 });
    opened.push(store);
    const acknowledged: string[] = [];
    let failure: unknown;
    for (let index = 0; failure === undefined && index < 10_000; index++) {
      await store.createRun(newRun(`run-${index}`, 3_000)).then(
        () => acknowledged.push(`run-${index}`),
        (error: unknown) => (failure = error),
      );
    }
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as Error).message).toContain("database or disk is full [SQLITE_FULL]");
    expect((failure as Error).message).toContain("free space and the engine resumes");
    // The bounded WAL (1 MiB) let the database itself take most of the disk: many runs fit before it filled.
    expect(acknowledged.length).toBeGreaterThan(100);
    const walWhenFull = walSize();
    expect(walWhenFull).toBeGreaterThan(512 * 1024);

    // Free 100 KB (less than the WAL holds): the next write first checkpoints and truncates the WAL, then commits.
    rmSync(filler);
    writeFileSync(filler, Buffer.alloc(200_000));
    await store.createRun(newRun("after", 3_000));
    acknowledged.push("after");
    expect(walSize()).toBeLessThan(walWhenFull / 4);
    await store.createRun(newRun("after-2", 3_000));
    acknowledged.push("after-2");
    await store.close();

    const db = new Database(filename, { readonly: true });
    const ids = (db.prepare("select id from runs").all() as { id: string }[]).map((row) => row.id);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
    expect(ids.sort()).toEqual([...acknowledged].sort());
  });
});
