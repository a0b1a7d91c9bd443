// The examples of docs/queues.md, run as written: only the workflows' bodies, the store and a virtual clock (set
// to the day before the example's startAt, so that the run stays delayed whatever today's date) are filled in.
// If a page example changes, change it here too; the page promises that these run.
import { createEngine, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine, VirtualClock } from "@reprise/testing";
import { temporaryStore } from "../src/temporary-store.js";

const sendEmail = workflow("docs-send-email", function* (mail: { to: string }) {
  return yield* step("send", () => `sent to ${mail.to}`);
});
const importJob = workflow("docs-import-job", function* (input: { file: string }) {
  return yield* step("import", () => `imported ${input.file}`);
});

describe("docs/queues.md", () => {
  it("the opening example, setPriority and listRuns({ queue })", async () => {
    const tmp = await temporaryStore();
    const store = tmp.store;
    const customerId = "customer-7";
    const input = { file: "orders.csv" };
    const engine = createEngine({
      clock: new VirtualClock(Date.UTC(2026, 11, 1)),
      store,
      workflows: [sendEmail, importJob],
      queues: {
        email: { concurrency: 20, rateLimit: { limit: 100, period: { minutes: 1 } } },
        imports: { concurrency: 50, perKeyConcurrency: 2 }, // at most 2 running per key
      },
    });
    try {
      await engine.start(importJob, input, {
        queue: "imports",
        key: customerId,
        priority: 10,
        startAt: "2026-12-02T03:00:00Z",
      });
      await engine.start(sendEmail, { to: "ada@example.com" }, { queue: "email", delay: { minutes: 5 } });

      await engine.start(importJob, input, { id: "import-42", queue: "imports", priority: 10, delay: { hours: 1 } });
      await engine.setPriority("import-42", 1); // runs before the priority-10 imports still waiting

      const waiting = await engine.listRuns({ queue: "imports", status: "pending" });
      for (const run of waiting) expect(run.key === customerId || run.id === "import-42").toBe(true);
      expect(waiting.map((run) => run.priority).sort()).toEqual([1, 10]);
    } finally {
      await engine.close();
      await tmp.cleanup();
    }
  });

  it("Testing queues on a virtual clock", async () => {
    const t = await createTestEngine({
      workflows: [sendEmail],
      queues: { email: { rateLimit: { limit: 2, period: { minutes: 1 } } } },
    });
    for (let i = 0; i < 5; i += 1) await t.start(sendEmail, { to: `user-${i}@example.com` }, { queue: "email" });
    expect(await t.listRuns({ queue: "email", status: "completed" })).toHaveLength(2);
    await t.advance({ minutes: 1 });
    expect(await t.listRuns({ queue: "email", status: "completed" })).toHaveLength(4);
    await t.close();
  });
});
