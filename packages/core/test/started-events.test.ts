// The memory of first events for runs created while every slot was busy: used once, bounded by count and size,
// and never handed out for a run whose log has moved past its first event.
import { describe, expect, it } from "vitest";
import type { EventRecord } from "../src/events.js";
import { StartedEvents } from "../src/started-events.js";

function started(data = '{"json":{"name":"w","input":1}}'): EventRecord {
  return { seq: 1, type: "run_started", atMs: 0, data };
}

describe("StartedEvents", () => {
  it("hands a remembered event out once, and only while the log still ends at it", () => {
    const events = new StartedEvents();
    const event = started();
    events.remember("a", event);
    events.remember("b", event);
    expect(events.take("a", 1)).toEqual([event]);
    expect(events.take("a", 1)).toBeUndefined();
    // Another engine moved b forward: the entry is dropped, not used.
    expect(events.take("b", 3)).toBeUndefined();
    expect(events.size).toBe(0);
  });

  it("keeps at most 10,000 entries, dropping the oldest first", () => {
    const events = new StartedEvents();
    for (let n = 0; n <= 10_000; n++) events.remember(`run-${n}`, started());
    expect(events.size).toBe(10_000);
    expect(events.take("run-0", 1)).toBeUndefined();
    expect(events.take("run-10000", 1)).toHaveLength(1);
  });

  it("keeps at most 4 Mi characters of encoded input, whatever the count", () => {
    const events = new StartedEvents();
    const big = "x".repeat(1024 * 1024 + 1);
    for (const id of ["a", "b", "c", "d"]) events.remember(id, started(big));
    expect(events.size).toBe(3);
    expect(events.take("a", 1)).toBeUndefined();
    expect(events.take("d", 1)).toHaveLength(1);
    events.remember("huge", started("x".repeat(4 * 1024 * 1024 + 1)));
    expect(events.take("huge", 1)).toBeUndefined();
    expect(events.size).toBe(2);
  });
});
