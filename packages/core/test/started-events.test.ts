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
    const events = new StartedEvents(10);
    const event = started();
    events.remember("a", event);
    events.remember("b", event);
    expect(events.take("a", 1)).toEqual([event]);
    expect(events.take("a", 1)).toBeUndefined();
    // Another engine moved b forward: the entry is dropped, not used.
    expect(events.take("b", 3)).toBeUndefined();
    expect(events.size).toBe(0);
  });

  it("keeps at most `capacity` entries, dropping the oldest first; capacity 0 keeps none", () => {
    const events = new StartedEvents(2);
    for (const id of ["a", "b", "c"]) events.remember(id, started());
    expect(events.take("a", 1)).toBeUndefined();
    expect(events.take("b", 1)).toHaveLength(1);
    expect(events.take("c", 1)).toHaveLength(1);
    const none = new StartedEvents(0);
    none.remember("a", started());
    expect(none.size).toBe(0);
  });

  it("keeps at most 4 Mi characters of encoded input, whatever the count", () => {
    const events = new StartedEvents(1_000);
    const big = "x".repeat(1024 * 1024 + 1);
    for (const id of ["a", "b", "c", "d"]) events.remember(id, started(big));
    expect(events.size).toBe(3);
    expect(events.take("a", 1)).toBeUndefined();
    events.remember("huge", started("x".repeat(4 * 1024 * 1024 + 1)));
    expect(events.take("huge", 1)).toBeUndefined();
    expect(events.size).toBe(3);
  });
});
