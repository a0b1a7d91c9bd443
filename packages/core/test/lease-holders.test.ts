// When another lease holder is provably gone: only on the same machine, and only on facts (a missing pid in the same
// boot and pid namespace). A live pid, another host, another boot or another namespace is never "gone".
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isHolderGone, probeProcess, thisProcessAsHolder } from "../src/lease-holders.js";
import type { LeaseHolder } from "../src/store.js";

const self: LeaseHolder = {
  owner: "engine-self",
  host: "worker-1",
  machineId: "machine-a",
  bootId: "boot-1",
  pidNamespace: "pid:[4026531836]",
  pid: 100,
};
const other = (fields: Partial<LeaseHolder>): LeaseHolder => ({ ...self, owner: "engine-other", pid: 200, ...fields });
const gone = () => "gone" as const;
const alive = () => "alive" as const;
const unknown = () => "unknown" as const;

describe("isHolderGone", () => {
  it("is true for a holder on this machine, boot and pid namespace whose pid does not exist", () => {
    expect(isHolderGone(other({}), self, gone)).toBe(true);
  });

  it("is never true for a holder of another boot, even with this machine's id (cloned images share it)", () => {
    expect(isHolderGone(other({ bootId: "boot-0" }), self, gone)).toBe(false);
  });

  it("is never true for a live pid, or a pid the probe cannot judge (EPERM counts as alive)", () => {
    expect(isHolderGone(other({}), self, alive)).toBe(false);
    expect(isHolderGone(other({}), self, unknown)).toBe(false);
  });

  it("is never true for a holder on another host, whatever its pid", () => {
    expect(isHolderGone(other({ host: "worker-2" }), self, gone)).toBe(false);
    expect(isHolderGone(other({ host: "worker-2", bootId: "boot-9" }), self, gone)).toBe(false);
  });

  it("is never true where a fact is missing or does not match: boot id, pid namespace, machine id", () => {
    expect(isHolderGone(other({ bootId: undefined }), self, gone)).toBe(false);
    expect(isHolderGone(other({}), { ...self, bootId: undefined }, gone)).toBe(false);
    expect(isHolderGone(other({ pidNamespace: "pid:[4026532000]" }), self, gone)).toBe(false);
    expect(isHolderGone(other({ pidNamespace: undefined }), self, gone)).toBe(false);
    // Another boot id under the same hostname may be another machine, whatever the machine ids say.
    expect(isHolderGone(other({ bootId: "boot-0", machineId: "machine-b" }), self, gone)).toBe(false);
    expect(isHolderGone(other({ bootId: "boot-0", machineId: undefined }), self, gone)).toBe(false);
  });

  it("is never true for this engine itself, nor for another engine in this same process", () => {
    expect(isHolderGone({ ...self }, self, gone)).toBe(false);
    expect(isHolderGone(other({ pid: self.pid }), self, gone)).toBe(false);
  });
});

describe("probeProcess and thisProcessAsHolder", () => {
  it("knows this process is alive and an exited child is gone; never asks about process groups", () => {
    expect(probeProcess(process.pid)).toBe("alive");
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    });
    expect(probeProcess(Number(child.stdout))).toBe("gone");
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(probeProcess(pid)).toBe("unknown");
  });

  it("describes this process with its hostname and pid, and on Linux its boot and pid namespace", () => {
    const holder = thisProcessAsHolder("engine-x");
    expect(holder).toMatchObject({ owner: "engine-x", pid: process.pid });
    expect(holder.host.length).toBeGreaterThan(0);
    if (process.platform === "linux") {
      expect(holder.bootId).toMatch(/^[0-9a-f-]{36}$/);
      expect(holder.pidNamespace).toMatch(/^pid:\[\d+\]$/);
    }
    expect(isHolderGone(thisProcessAsHolder("engine-y"), holder)).toBe(false);
  });
});
