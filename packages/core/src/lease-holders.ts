// Who this process is, as a lease holder (host, machine, boot, pid namespace, pid), and when another holder is
// provably gone. It only reads identity files and probes pids; it never decides anything about leases on guesses.
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { LeaseHolder } from "./store.js";

/**
 * Whether a process with this pid exists, as far as this process can tell: "gone" only when the kernel says
 * there is no such process (ESRCH). A process we may not signal (EPERM) exists; any other answer is "unknown".
 *
 * @example
 * probeProcess(process.pid); // "alive"
 */
export function probeProcess(pid: number): "alive" | "gone" | "unknown" {
  // process.kill(0 or negative) addresses process groups; only a single positive pid is a question about one process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return "unknown";
  try {
    process.kill(pid, 0);
    return "alive";
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ESRCH") return "gone";
    if (code === "EPERM") return "alive";
    return "unknown";
  }
}

/** The first line of a small system file, or undefined where it does not exist (other platforms) or is empty. */
function readIdentityFile(path: string): string | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    return text.length > 0 && text.length <= 200 ? text : undefined;
  } catch {
    return undefined;
  }
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

/**
 * This process as the holder of `owner`'s leases. On Linux every field is known; elsewhere only host and pid, and
 * then no other engine can ever prove it gone (its leases simply expire, as before).
 *
 * @example
 * await store.registerLeaseHolder(thisProcessAsHolder("engine-1"), clock.nowMs());
 */
export function thisProcessAsHolder(owner: string): LeaseHolder {
  return {
    owner,
    host: hostname(),
    machineId: readIdentityFile("/etc/machine-id") ?? readIdentityFile("/var/lib/dbus/machine-id"),
    bootId: readIdentityFile("/proc/sys/kernel/random/boot_id"),
    pidNamespace: pidNamespace(),
    pid: process.pid,
  };
}

/**
 * Whether `holder` is provably gone, judged from `self` (this process, on the machine doing the check). Only a
 * holder in the same boot (same host and boot id: the same running kernel) and the same pid namespace can be,
 * when no process has its pid. Across hosts, boots or namespaces, or whenever a fact is missing, the answer is
 * no and the holder's leases expire as usual. An earlier boot is not taken as proof: machines cloned from one
 * image can share a hostname and a machine id (generic hostnames such as "vm" are common), so "another boot" may be
 * another machine that is alive.
 * A reused pid makes a dead holder look alive: that only delays the takeover until the lease expires.
 *
 * @example
 * const dead = (await store.leaseHoldersOn(self.host)).filter((h) => isHolderGone(h, self));
 */
export function isHolderGone(
  holder: LeaseHolder,
  self: LeaseHolder,
  probe: (pid: number) => "alive" | "gone" | "unknown" = probeProcess,
): boolean {
  if (holder.owner === self.owner || holder.host !== self.host) return false;
  if (holder.bootId === undefined || self.bootId === undefined) return false;
  if (holder.bootId !== self.bootId) return false;
  // The same boot id is the same running kernel; its pids mean something here only in the same pid namespace.
  if (holder.pidNamespace === undefined || holder.pidNamespace !== self.pidNamespace) return false;
  if (holder.pid === self.pid) return false;
  return probe(holder.pid) === "gone";
}
