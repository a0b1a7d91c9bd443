// The replayer and setTags(): a tags_set event answers the command that set the same keys, keeps the run's tags
// as history has them (start tags included), and a history that disagrees is a NonDeterminismError.
import { describe, expect, it } from "vitest";
import {
  EVENT_LOG_FORMAT_VERSION,
  InvalidArgumentError,
  NonDeterminismError,
  MAX_TAGS,
  setTags,
  step,
  workflow,
  type WorkflowDefinition,
} from "../src/index.js";
import { Replayer } from "../src/internal.js";
import { history } from "./history-builder.js";

const tagged = workflow("tagged", function* () {
  yield* setTags({ stage: "charging" });
  const receipt = yield* step("charge", () => "r-1");
  yield* setTags({ stage: "charged", receipt });
  return receipt;
});

function replay(
  definition: WorkflowDefinition<never, unknown>,
  events: readonly Parameters<Replayer["apply"]>[0][],
): Replayer {
  const replayer = new Replayer("run-1", definition);
  for (const event of events) replayer.apply(event);
  return replayer;
}

describe("Replayer and setTags()", () => {
  it("answers setTags() from its tags_set events and keeps the tags history has, start tags first", () => {
    const events = history("tagged").events.map((event) =>
      event.type === "run_started" ? { ...event, tags: { customer: "42" } } : event,
    );
    const done = replay(tagged, [
      ...events,
      ...history("tagged")
        .add({ type: "tags_set", tags: { stage: "charging" } })
        .step("charge", "r-1")
        .add({ type: "tags_set", tags: { stage: "charged", receipt: "r-1" } })
        .add({ type: "run_completed", result: "r-1" })
        .events.slice(1),
    ]);
    expect(done.state).toEqual({ type: "finished", outcome: { status: "completed", result: "r-1" } });
    expect(done.tags).toEqual({ customer: "42", stage: "charged", receipt: "r-1" });
  });

  it("asks for the tags_set event of a setTags() reached live, and takes the history's values on replay", () => {
    const first = replay(tagged, history("tagged").events);
    expect(first.next?.command).toMatchObject({ kind: "tags", changes: { stage: "charging" } });
    const reworded = replay(tagged, history("tagged").add({ type: "tags_set", tags: { stage: "started" } }).events);
    expect(reworded.tags).toEqual({ stage: "started" });
    expect(reworded.next?.command.kind).toBe("step");
  });

  it("a history whose tags_set names other keys, or that has another event there, diverges", () => {
    const otherKeys = history("tagged").add({ type: "tags_set", tags: { phase: "charging" } }).events;
    expect(() => replay(tagged, otherKeys)).toThrow(NonDeterminismError);
    const aStep = history("tagged").step("charge", "r-1").events;
    expect(() => replay(tagged, aStep)).toThrow(/setTags\(\{ stage \}\)/);
    const untagged = workflow("tagged", function* () {
      return yield* step("charge", () => "r-1");
    });
    const extra = history("tagged").add({ type: "tags_set", tags: { stage: "charging" } }).events;
    expect(() => replay(untagged, extra)).toThrow(NonDeterminismError);
  });

  it("throws InvalidArgumentError at a setTags() beyond MAX_TAGS, from history alone, recording nothing", () => {
    const full = Object.fromEntries(Array.from({ length: MAX_TAGS }, (_, i) => [`k${i}`, "v"]));
    const overflow = workflow("overflow", function* () {
      try {
        yield* setTags({ extra: "v" });
      } catch (error) {
        return error instanceof InvalidArgumentError ? "refused" : "other";
      }
      return "accepted";
    });
    const started = {
      type: "run_started" as const,
      seq: 1,
      atMs: 1,
      workflow: "overflow",
      input: undefined,
      formatVersion: EVENT_LOG_FORMAT_VERSION,
      tags: full,
    };
    const replayer = replay(overflow, [started]);
    expect(replayer.state).toEqual({ type: "finished", outcome: { status: "completed", result: "refused" } });
    expect(replayer.lastSeq).toBe(1);
  });
});
