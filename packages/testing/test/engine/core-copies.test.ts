// A workflow written against another copy of @reprise/core (a CommonJS/ESM pair, or two versions in one app)
// runs in this engine: commands are recognised by their Symbol.for("reprise.command") brand, never instanceof.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as core from "@reprise/core";
import { isCommand, StepCommand } from "@reprise/core";
import { afterAll, describe, expect, it } from "vitest";
import { fixture } from "../fixtures.js";
import { installedPackagesProject } from "../processes/installed-packages.js";

// A second copy: @reprise/core compiled into a throwaway node_modules, loaded beside the one the engine uses.
const project = installedPackagesProject();
afterAll(() => rmSync(project, { recursive: true, force: true }));
const otherEntry = pathToFileURL(join(project, "node_modules/@reprise/core/dist/index.js")).href;
const other = (await import(otherEntry)) as typeof core;

describe("commands from another copy of @reprise/core", () => {
  it("are separate classes, yet recognised as commands", () => {
    const command = other.step("s", () => 1);
    expect(command instanceof StepCommand).toBe(false);
    expect(isCommand(command)).toBe(true);
    expect(isCommand({ kind: "step", name: "s" })).toBe(false);
  });

  it("run a workflow to the end: steps, timers, signals and recorded values", async () => {
    const f = await fixture();
    const mixed = other.workflow("mixed", function* (n: number) {
      const doubled = yield* other.step("double", () => n * 2);
      yield* other.sleep(1);
      const id = yield* other.uuid();
      const reply = yield* other.awaitSignal<string>("reply");
      return { doubled, reply, hasId: typeof id === "string" };
    });
    const engine = f.engine({ workflows: [mixed] });
    const run = await engine.start(mixed, 21, { id: "mixed-1" });
    await engine.signal("mixed-1", "reply", "hi");
    expect(await run.result()).toEqual({ doubled: 42, reply: "hi", hasId: true });
  });
});
