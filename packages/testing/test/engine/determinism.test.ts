// Replay safety: code that diverges from history blocks its run (and runs nothing); unknown workflows are left alone.
import { awaitSignal, step, workflow } from "@reprise/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { counter, fixture } from "../fixtures.js";

describe("non-determinism", () => {
  it("a step renamed between two engines blocks the run with NonDeterminismError and runs no new side effect", async () => {
    const f = await fixture();
    const v1 = workflow("order", function* () {
      yield* step("charge", () => "charged");
      yield* awaitSignal("shipped");
      return yield* step("notify", () => "notified");
    });
    const first = f.engine({ workflows: [v1] });
    await first.start(v1, undefined, { id: "o-1" });
    await waitFor(async () => (await first.getRun("o-1"))?.status === "waiting");
    await first.close();

    const sideEffects = counter();
    const v2 = workflow("order", function* () {
      yield* step("charge-card", () => sideEffects.bump());
      yield* awaitSignal("shipped");
      return yield* step("notify", () => sideEffects.bump());
    });
    const second = f.engine({ workflows: [v2] });
    await second.signal("o-1", "shipped", { carrier: "DHL" });
    const blocked = await waitFor(async () => {
      const info = await second.getRun("o-1");
      return info?.status === "blocked" && info;
    });
    expect(sideEffects.count).toBe(0);
    expect(blocked.reason).toContain("NonDeterminismError");
    expect(blocked.reason).toContain("seq 2");
    expect(blocked.reason).toContain("step_completed 'charge'");
    expect(blocked.reason).toContain("step 'charge-card'");
    expect(blocked.error?.name).toBe("NonDeterminismError");
    expect((await second.history("o-1")).map((e) => e.type)).toEqual([
      "run_started",
      "step_completed",
      "signal_wait_started",
    ]);
    await second.close();

    // The signal sent while blocked waits; restoring matching code resumes the run from where it stopped.
    const notified = counter();
    const v1again = workflow("order", function* () {
      yield* step("charge", () => "charged again?");
      yield* awaitSignal("shipped");
      return yield* step("notify", () => `notified ${notified.bump()}`);
    });
    const third = f.engine({ workflows: [v1again] });
    expect(await (await third.start(v1again, undefined, { id: "o-1" })).result()).toBe("notified 1");
    expect(notified.count).toBe(1);
  });

  it("a workflow that returns early while history has more commands is blocked", async () => {
    const f = await fixture();
    const long = workflow("shrinking", function* () {
      yield* step("a", () => 1);
      yield* step("b", () => 2);
      yield* awaitSignal("wait");
    });
    const first = f.engine({ workflows: [long] });
    await first.start(long, undefined, { id: "s-1" });
    await waitFor(async () => (await first.getRun("s-1"))?.status === "waiting");
    await first.close();
    const short = workflow("shrinking", function* () {
      yield* step("a", () => 1);
      return "done early";
    });
    const second = f.engine({ workflows: [short] });
    await second.signal("s-1", "wait", "wake up"); // parked runs are replayed when they wake
    const info = await waitFor(async () => {
      const run = await second.getRun("s-1");
      return run?.status === "blocked" && run;
    });
    expect(info.reason).toContain("history has step_completed 'b'");
    expect(info.reason).toContain("the end of the workflow");
  });
});

describe("unregistered workflows", () => {
  it("a run whose workflow no engine serves is left pending with a reason, and other runs continue", async () => {
    const f = await fixture();
    const known = workflow("known", function* () {
      return "ran";
    });
    const unknown = workflow("unknown", function* () {
      return "finally ran";
    });
    const engine = f.engine({ workflows: [known] });
    await engine.start(unknown, undefined, { id: "u-1" });
    expect(await (await engine.start(known, undefined, { id: "k-1" })).result()).toBe("ran");
    const info = await engine.getRun("u-1");
    expect(info?.status).toBe("pending");
    expect(info?.reason).toContain("No running engine serves workflow 'unknown'");
    expect(info?.lastSeq).toBe(1);

    const other = f.engine({ workflows: [unknown] });
    expect(await (await other.start(unknown, undefined, { id: "u-1" })).result()).toBe("finally ran");
  });
});

describe("corrupt events", () => {
  it("a corrupted event row blocks only its run, with a clear reason", async () => {
    const f = await fixture();
    const waits = workflow("waits", function* (n: number) {
      yield* step("first", () => n);
      return yield* awaitSignal<number>("go");
    });
    const first = f.engine({ workflows: [waits] });
    await first.start(waits, 1, { id: "bad" });
    await first.start(waits, 2, { id: "good" });
    await waitFor(async () => (await first.listRuns({ status: "waiting" })).length === 2);
    await first.close();

    const raw = new Database(f.tmp.filename);
    raw
      .prepare(
        "update events set data = '{not json' where run_key = (select run_key from runs where id = 'bad') and seq = 2",
      )
      .run();
    raw.close();

    const second = f.engine({ workflows: [waits] });
    await second.signal("bad", "go", 1);
    await second.signal("good", "go", 2);
    expect(await (await second.start(waits, 2, { id: "good" })).result()).toBe(2);
    const info = await waitFor(async () => {
      const run = await second.getRun("bad");
      return run?.status === "blocked" && run;
    });
    expect(info.reason).toContain("CorruptEventError");
    expect(info.reason).toContain("Event 2 of run 'bad' is corrupt");
  });
});
