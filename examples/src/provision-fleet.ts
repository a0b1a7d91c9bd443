// The `provision-fleet` workflow (allocate and configure machines in parallel, release them all if one fails)
// and the fake cloud it calls. The workflow never touches the cloud outside a step; the cloud never replays.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import {
  all,
  allSettled,
  NonRetryableError,
  registerErrorClass,
  step,
  workflow,
  type WorkflowDefinition,
} from "@reprise/core";

/** One machine of a fleet, as the caller asks for it. */
export interface MachineSpec {
  /** Unique within the fleet; names the machine's steps (`allocate-web-1`, `configure-web-1`, `release-web-1`). */
  readonly name: string;
  readonly role: "web" | "worker" | "db";
  readonly image: string;
}

/** The workflow's input: the machines to bring up together. */
export interface FleetInput {
  readonly fleetId: string;
  readonly machines: readonly MachineSpec[];
}

/** A machine the cloud allocated. */
export interface Machine {
  readonly name: string;
  readonly machineId: string;
  readonly address: string;
}

/** What a run returns when every machine came up. */
export interface FleetResult {
  readonly fleetId: string;
  readonly machines: readonly Machine[];
}

/**
 * The run's error when a machine could not be provisioned: by then every machine the run had allocated was
 * released again. Registered with Reprise, so `RunFailedError.cause` is an instance of it in any process.
 *
 * @example
 * try { await run.result(); }
 * catch (e) { if (e instanceof RunFailedError && e.cause instanceof FleetRolledBackError) console.log(e.cause.released); }
 */
export class FleetRolledBackError extends Error {
  override readonly name = "FleetRolledBackError";
  /** The machines that failed, with why. */
  readonly failed: readonly { readonly name: string; readonly reason: string }[];
  /** The machines that came up and were released again, in fleet order. */
  readonly released: readonly string[];
  constructor(fleetId: string, failed: FleetRolledBackError["failed"], released: readonly string[]) {
    super(
      `Fleet '${fleetId}' was rolled back: ${failed.map((f) => `${f.name} failed (${f.reason})`).join("; ")}. ` +
        `Released ${released.length === 0 ? "nothing else" : released.join(", ")}; fix the cause and start the fleet again.`,
    );
    this.failed = failed;
    this.released = released;
  }
}
registerErrorClass(FleetRolledBackError);

/** What `createProvisionFleetWorkflow` needs. */
export interface ProvisionFleetOptions {
  readonly cloud: FakeCloud;
  /** At most this many machines are being provisioned at once (the cloud's rate limit). Default 3. */
  readonly concurrency?: number;
}

/**
 * Builds the `provision-fleet` workflow around a cloud. Every machine is a sub-flow of `allSettled`: allocate,
 * then configure; a machine whose configuration fails releases itself. When every machine came up the run
 * returns them; otherwise it releases the machines that did come up, in parallel steps, and fails with a
 * FleetRolledBackError, so a failed fleet never leaves machines behind.
 *
 * @example
 * const fleet = createProvisionFleetWorkflow({ cloud: new FakeCloud(), concurrency: 2 });
 * const engine = createEngine({ store, workflows: [fleet] });
 * await engine.start(fleet, { fleetId: "eu-1", machines: [{ name: "web-1", role: "web", image: "nginx:1.27" }] });
 */
export function createProvisionFleetWorkflow(
  options: ProvisionFleetOptions,
): WorkflowDefinition<FleetInput, FleetResult> {
  const { cloud, concurrency = 3 } = options;

  /** One machine: a sub-flow that owns its own undo until it has returned. */
  function* provisionMachine(spec: MachineSpec) {
    const machine = yield* step(`allocate-${spec.name}`, (ctx) => cloud.allocate(spec, ctx.idempotencyKey));
    try {
      yield* step(`configure-${spec.name}`, (ctx) => cloud.configure(machine.machineId, spec, ctx.idempotencyKey));
    } catch (error) {
      // Nobody else knows this machine exists yet: release it here, then let the fleet see the failure.
      yield* step(`release-${spec.name}`, (ctx) => cloud.release(machine.machineId, ctx.idempotencyKey));
      throw error;
    }
    return machine;
  }

  return workflow("provision-fleet", function* (input: FleetInput) {
    // allSettled rather than all: every machine runs to its end, so the run knows exactly which ones came up.
    const settled = yield* allSettled(
      input.machines.map((spec) => provisionMachine(spec)),
      { concurrency },
    );
    const ready: Machine[] = [];
    const failed: { name: string; reason: string }[] = [];
    settled.forEach((outcome, index) => {
      const name = input.machines[index]?.name ?? String(index);
      if (outcome.status === "fulfilled") ready.push(outcome.value);
      else failed.push({ name, reason: reasonOf(outcome.error) });
    });
    if (failed.length === 0) return { fleetId: input.fleetId, machines: ready } satisfies FleetResult;

    // Compensation: release what came up, all at once. Each release is a step, so it survives a crash and is
    // retried with its own idempotency key until the cloud confirms it.
    yield* all(
      ready.map((machine) =>
        step(`release-${machine.name}`, (ctx) => cloud.release(machine.machineId, ctx.idempotencyKey)),
      ),
    );
    throw new FleetRolledBackError(
      input.fleetId,
      failed,
      ready.map((machine) => machine.name),
    );
  });
}

/** The innermost message of an error: a StepFailedError's cause says what the cloud answered. */
function reasonOf(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** One call that reached the cloud. */
export interface CloudCall {
  readonly op: "allocate" | "configure" | "release";
  /** The machine's name from its spec. */
  readonly name: string;
  readonly machineId: string;
  readonly idempotencyKey: string;
  /** "ok", "already released", or the error the cloud answered with. */
  readonly outcome: string;
}

/** A machine the cloud holds, as `FakeCloud.machines()` lists it. */
export interface CloudMachine extends Machine {
  readonly state: "allocated" | "configured" | "released";
}

/** What the fake cloud keeps: its machines and every call, optionally in a JSON file. */
interface CloudState {
  machines: CloudMachine[];
  calls: CloudCall[];
}

/** How the fake cloud behaves. */
export interface FakeCloudOptions {
  /** Configuring any of these machines (by name) fails for good, as a broken image would. */
  readonly failConfigure?: readonly string[];
  /** Keeps the cloud's state in this JSON file, so that a restarted demo sees the machines it allocated. */
  readonly file?: string;
  /** Simulated latency of every call, in ms. Default 20. */
  readonly latencyMs?: number;
}

/**
 * A cloud API that allocates, configures and releases machines. Like a real one it de-duplicates by idempotency
 * key (the same allocation request gets the same machine) and releasing is idempotent. It remembers every call,
 * so a test or the demo can tell which side effects really happened, and counts calls in flight at once.
 *
 * @example
 * const cloud = new FakeCloud({ failConfigure: ["db-1"] });
 * // ...run the workflow...
 * console.log(cloud.machines().filter((m) => m.state !== "released")); // [] after a rollback
 */
export class FakeCloud {
  readonly #failConfigure: ReadonlySet<string>;
  readonly #file: string | undefined;
  readonly #latencyMs: number;
  readonly #state: CloudState;
  #inFlight = 0;
  #maxInFlight = 0;

  constructor(options: FakeCloudOptions = {}) {
    this.#failConfigure = new Set(options.failConfigure ?? []);
    this.#file = options.file;
    this.#latencyMs = options.latencyMs ?? 20;
    this.#state =
      this.#file !== undefined && existsSync(this.#file)
        ? (JSON.parse(readFileSync(this.#file, "utf8")) as CloudState)
        : { machines: [], calls: [] };
  }

  /** Allocates a machine for `spec`; a repeated request (same idempotency key) returns the same machine. */
  async allocate(spec: MachineSpec, idempotencyKey: string): Promise<Machine> {
    return this.#call(async () => {
      const machineId = idFor("m", idempotencyKey);
      let machine = this.#state.machines.find((m) => m.machineId === machineId);
      if (machine === undefined) {
        const address = `10.0.0.${this.#state.machines.length + 10}`;
        machine = { name: spec.name, machineId, address, state: "allocated" };
        this.#state.machines.push(machine);
      }
      this.#record({ op: "allocate", name: spec.name, machineId, idempotencyKey, outcome: "ok" });
      return { name: machine.name, machineId, address: machine.address };
    });
  }

  /** Installs the spec's image on the machine; fails for good for the machines named in `failConfigure`. */
  async configure(machineId: string, spec: MachineSpec, idempotencyKey: string): Promise<{ image: string }> {
    return this.#call(async () => {
      const machine = this.#machine(machineId);
      if (this.#failConfigure.has(spec.name)) {
        const reason = `image ${spec.image} does not boot`;
        this.#record({ op: "configure", name: spec.name, machineId, idempotencyKey, outcome: reason });
        // Retrying would not make the image boot: fail the step at once.
        throw new NonRetryableError(reason);
      }
      this.#set(machine, "configured");
      this.#record({ op: "configure", name: spec.name, machineId, idempotencyKey, outcome: "ok" });
      return { image: spec.image };
    });
  }

  /** Gives the machine back; releasing it again is harmless. */
  async release(machineId: string, idempotencyKey: string): Promise<{ released: string }> {
    return this.#call(async () => {
      const machine = this.#machine(machineId);
      const outcome = machine.state === "released" ? "already released" : "ok";
      this.#set(machine, "released");
      this.#record({ op: "release", name: machine.name, machineId, idempotencyKey, outcome });
      return { released: machineId };
    });
  }

  /** Every machine the cloud ever allocated, with its current state. */
  machines(): readonly CloudMachine[] {
    return this.#state.machines;
  }

  /** Every call that reached the cloud, oldest first. */
  calls(): readonly CloudCall[] {
    return this.#state.calls;
  }

  /** The most calls that were in progress at the same time: how much of the fleet was provisioned in parallel. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  async #call<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight += 1;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.#latencyMs));
      return await work();
    } finally {
      this.#inFlight -= 1;
    }
  }

  #machine(machineId: string): CloudMachine {
    const machine = this.#state.machines.find((m) => m.machineId === machineId);
    if (machine === undefined) throw new NonRetryableError(`no machine ${machineId} in this cloud`);
    return machine;
  }

  #set(machine: CloudMachine, state: CloudMachine["state"]): void {
    const index = this.#state.machines.indexOf(machine);
    this.#state.machines[index] = { ...machine, state };
  }

  #record(call: CloudCall): void {
    this.#state.calls.push(call);
    // Written synchronously, so the file shows a side effect even if the process dies right after it.
    if (this.#file !== undefined) writeFileSync(this.#file, `${JSON.stringify(this.#state, null, 2)}\n`);
  }
}

/** A short stable id derived from an idempotency key: the same request always gets the same answer. */
function idFor(prefix: string, idempotencyKey: string): string {
  return `${prefix}_${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 10)}`;
}
