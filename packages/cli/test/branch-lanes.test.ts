// Lanes of parallel branches: where each event belongs, from the log alone and by replaying the code.
// Histories are built by hand and checked against the core's Replayer with the workflow that would record them.
import {
  all,
  awaitSignal,
  EVENT_LOG_FORMAT_VERSION,
  race,
  sleep,
  step,
  workflow,
  type HistoryEvent,
  type NewEvent,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { lanesFromLog, lanesFromReplay, type BranchLanes } from "../src/branch-lanes.js";
import { formatTimeline } from "../src/timeline-text.js";
import { buildTimeline } from "../src/timeline.js";

/** A history of workflow `name` where the n-th given event happens at n * 10 ms; seq is filled in. */
function history(name: string, ...events: NewEvent[]): HistoryEvent[] {
  const started: NewEvent = {
    type: "run_started",
    workflow: name,
    input: null,
    formatVersion: EVENT_LOG_FORMAT_VERSION,
  };
  return [started, ...events].map((event, index) => ({ ...event, seq: index + 1, atMs: index * 10 }));
}

/** seq → "path" or "path #commandSeq" for answers, "?" for an unknown lane; run-level events left out. */
function placesOf(lanes: BranchLanes): Record<number, string> {
  const out: Record<number, string> = {};
  lanes.places.forEach((place, seq) => {
    if (place?.commandSeq === undefined) return;
    const path = place.path ?? "?";
    out[seq] = place.commandSeq === seq ? path : `${path} #${place.commandSeq}`;
  });
  return out;
}

const plain = (_style: unknown, text: string) => text;
const ok = (name: string, commandSeq: number, result: unknown = name): NewEvent => ({
  type: "step_completed",
  name,
  attempt: 1,
  result,
  commandSeq,
});

describe("lanes from the log alone", () => {
  it("gives a group's first commands to its branches in order, and answers to their command", () => {
    const fanOut = workflow("fan-out", function* () {
      yield* all([step("a", () => 1), step("b", () => 2)]);
      return yield* step("c", () => 3);
    });
    const log = history(
      "fan-out",
      { type: "branches_started", combinator: "all", count: 2 },
      { type: "step_started", name: "a", path: "all[0]" },
      { type: "step_started", name: "b", path: "all[1]" },
      ok("b", 4),
      ok("a", 3),
      { type: "step_completed", name: "c", attempt: 1, result: 3 },
      { type: "run_completed", result: 3 },
    );
    const expected = { 2: "", 3: "all[0]", 4: "all[1]", 5: "all[1] #4", 6: "all[0] #3", 7: "" };
    expect(placesOf(lanesFromLog(log))).toEqual(expected);
    expect(placesOf(lanesFromReplay("r-1", log, fanOut))).toEqual(expected);
  });

  it("queues a nested group's branches behind the commands that already waited", () => {
    const nested = workflow("nested", function* () {
      yield* all([all([step("a", () => 1), step("b", () => 2)]), step("c", () => 3)]);
    });
    const log = history(
      "nested",
      { type: "branches_started", combinator: "all", count: 2 },
      { type: "branches_started", combinator: "all", count: 2, path: "all[0]" },
      { type: "step_started", name: "c", path: "all[1]" },
      { type: "step_started", name: "a", path: "all[0] > all[0]" },
      { type: "step_started", name: "b", path: "all[0] > all[1]" },
    );
    const expected = { 2: "", 3: "all[0]", 4: "all[1]", 5: "all[0] > all[0]", 6: "all[0] > all[1]" };
    expect(placesOf(lanesFromLog(log))).toEqual(expected);
    expect(placesOf(lanesFromReplay("r-1", log, nested))).toEqual(expected);
  });

  it("places a sub-flow's later commands on their branch, by the path their first event recorded", () => {
    const subFlow = workflow("sub-flow", function* () {
      yield* all([
        (function* () {
          yield* step("a", () => 1);
          yield* sleep(1000);
        })(),
        step("b", () => 2),
      ]);
    });
    const log = history(
      "sub-flow",
      { type: "branches_started", combinator: "all", count: 2 },
      { type: "step_started", name: "a", path: "all[0]" },
      { type: "step_started", name: "b", path: "all[1]" },
      ok("a", 3),
      { type: "timer_started", wakeAtMs: 1040, path: "all[0]" },
      ok("b", 4),
      { type: "timer_fired", commandSeq: 6 },
    );
    const expected = { 2: "", 3: "all[0]", 4: "all[1]", 5: "all[0] #3", 6: "all[0]", 7: "all[1] #4", 8: "all[0] #6" };
    expect(placesOf(lanesFromLog(log))).toEqual(expected);
    expect(placesOf(lanesFromReplay("r-1", log, subFlow))).toEqual(expected);
  });

  it("a branch answered at once decides its race; the workflow's next command is its own", () => {
    // The signal was in the inbox: `shipped` won at once, and `late` never yielded its sleep.
    const shipping = workflow("shipping", function* () {
      yield* race({ shipped: awaitSignal("shipped"), late: sleep(60_000) });
      yield* sleep(1000);
    });
    const log = history(
      "shipping",
      { type: "branches_started", combinator: "race", count: 2, keys: ["shipped", "late"] },
      { type: "signal_received", name: "shipped", signalId: "s-1", payload: null, commandSeq: 3, path: "race.shipped" },
      { type: "timer_started", wakeAtMs: 1040 },
    );
    const expected = { 2: "", 3: "race.shipped", 4: "" };
    expect(placesOf(lanesFromLog(log))).toEqual(expected);
    expect(placesOf(lanesFromReplay("r-1", log, shipping))).toEqual(expected);
  });

  it("a format 1 log: every command is the workflow's own, and an answer is the open command's", () => {
    const log = history(
      "sequential",
      { type: "step_failed", name: "a", attempt: 1, error: { name: "Error", message: "503" }, retryAtMs: 5 },
      { type: "step_completed", name: "a", attempt: 2, result: 1 },
      { type: "timer_started", wakeAtMs: 90 },
      { type: "timer_fired" },
    );
    expect(placesOf(lanesFromLog(log))).toEqual({ 2: "", 3: " #2", 4: "", 5: " #4" });
  });
});

describe("lanes by replay with code that no longer matches", () => {
  it("places what replayed, then the rest from the log, and says why replay stopped", () => {
    const renamed = workflow("fan-out", function* () {
      yield* all([step("a", () => 1), step("b-renamed", () => 2)]);
    });
    const log = history(
      "fan-out",
      { type: "branches_started", combinator: "all", count: 2 },
      { type: "step_started", name: "a", path: "all[0]" },
      { type: "step_started", name: "b", path: "all[1]" },
      ok("b", 4),
    );
    const lanes = lanesFromReplay("r-1", log, renamed);
    expect(lanes.replayProblem).toMatch(
      /^Run 'r-1' diverged from its history at seq 4: history has step_started 'b' at all\[1\], but the workflow code now yields all\[1\] > step 'b-renamed'/,
    );
    // Seq 4 onwards comes from the log alone.
    expect(placesOf(lanes)).toEqual({ 2: "", 3: "all[0]", 4: "all[1]", 5: "all[1] #4" });
    const text = formatTimeline(buildTimeline(log, 100, undefined, lanes), 100, plain);
    expect(text).toContain("lanes: replay with the code stopped (Run 'r-1' diverged from its history at seq 4:");
  });
});

describe("a timeline with lanes", () => {
  const raceWorkflow = workflow("shipping", function* () {
    const first = yield* race({ shipped: awaitSignal("shipped"), late: sleep(30) });
    return first.key;
  });
  const raceLog = history(
    "shipping",
    { type: "branches_started", combinator: "race", count: 2, keys: ["shipped", "late"] },
    { type: "signal_wait_started", name: "shipped", path: "race.shipped" },
    { type: "timer_started", wakeAtMs: 50, path: "race.late" },
    { type: "timer_fired", commandSeq: 4 },
    { type: "run_completed", result: "late" },
  );

  it("indents each branch's items under its group, by branch label", () => {
    const timeline = buildTimeline(raceLog, 1_000);
    expect(formatTimeline(timeline, 1_000, plain)).toBe(
      "timeline (offsets from 1970-01-01T00:00:00.000Z)\n" +
        "  +0ms      started\n" +
        "  +10ms     race({ shipped, late }) #2\n" +
        "              .shipped\n" +
        "  +20ms         wait for signal 'shipped' (no timeout); withdrawn at +50ms when the run completed\n" +
        "              .late\n" +
        "  +30ms         sleep 20ms until 1970-01-01T00:00:00.050Z; fired at +40ms\n" +
        "  +50ms     completed → 'late'\n",
    );
    expect(timeline.items.find((item) => item.kind === "group")).toMatchObject({
      paths: ["race.shipped", "race.late"],
      endMs: 50,
    });
  });

  it("knows from replay that the losing branch's wait was withdrawn when the timer fired", () => {
    const timeline = buildTimeline(raceLog, 1_000, undefined, lanesFromReplay("r-1", raceLog, raceWorkflow));
    expect(timeline.lanes).toBe("replay");
    expect(timeline.items.find((item) => item.kind === "wait")).toMatchObject({
      lane: "race.shipped",
      outcome: "withdrawn",
      withdrawnBy: "branch",
      endMs: 40,
    });
    expect(formatTimeline(timeline, 1_000, plain)).toContain(
      "wait for signal 'shipped' (no timeout); withdrawn at +40ms when its branch lost (another branch decided the group)",
    );
  });
});
