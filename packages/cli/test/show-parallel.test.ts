// `reprise show` on runs with parallel branches and children, recorded by the real engine in a real SQLite file:
// lanes under their group, answers linked to their command, parent and children named.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, parallelDatabase, runCli, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await parallelDatabase();
}, 30_000);
afterAll(() => seeded.cleanup());

const db = () => ["--db", seeded.filename];

/** The timeline's lines without their offset column, with durations and countdowns masked. */
function timelineShape(stdout: string): string[] {
  const start = stdout.indexOf("timeline (");
  const end = stdout.indexOf("\nevents\n");
  return stdout
    .slice(start, end === -1 ? undefined : end)
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((line) =>
      // Footnotes have no offset column.
      (line.startsWith("  ? =") ? line.slice(2) : line.slice(12))
        .replace(/in ≤\S+/g, "in ≤T")
        .replace(/(waiting for|wakes in) \S+( \S+s)?/g, "$1 T")
        .replace(/at \+\S+/g, "at +T")
        .replace(/until \S+Z/g, "until D"),
    );
}

describe("reprise show with parallel branches", () => {
  it("indents each branch's commands under its group from the log alone, as replay with the code does", async () => {
    const fromLog = await runCli(["show", "fanout-1", ...db()]);
    const fromCode = await runCli(["show", "fanout-1", "--workflows", FIXTURES.parallel, ...db()]);
    expect(fromLog.code).toBe(0);
    expect(timelineShape(fromLog.stdout)).toEqual(timelineShape(fromCode.stdout));
    expect(fromLog.stdout).not.toContain("? =");
  });

  it("places every command on its branch when given the code (--workflows), by replay", async () => {
    const { code, stdout } = await runCli(["show", "fanout-1", "--workflows", FIXTURES.parallel, ...db()]);
    expect(code).toBe(0);
    expect(timelineShape(stdout)).toEqual([
      "started",
      "all() of 3 branches #2",
      "  [0]",
      "    step 'fetch-5' completed in ≤T → { id: 5 }",
      "    step 'save-5' completed in ≤T → 'saved-5'",
      "  [1]",
      "    step 'fetch-6' completed in ≤T → { id: 6 }",
      "    step 'save-6' completed in ≤T → 'saved-6'",
      "  [2]",
      "    step 'fetch-7' completed in ≤T → { id: 7 }",
      "    step 'save-7' completed in ≤T → 'saved-7'",
      "wait for signal 'approve' (no timeout); waiting for T",
    ]);
  });

  it("shows the race's losing sleep as withdrawn and links each answer to its command in --events", async () => {
    const { code, stdout } = await runCli(["show", "shipping-1", "--events", ...db()]);
    expect(code).toBe(0);
    expect(timelineShape(stdout)).toEqual([
      "started",
      "race({ shipped, late }) #2",
      "  .shipped",
      "    wait for signal 'shipped' (no timeout); received at +T",
      "    signal 'shipped' received ← { carrier: 'DHL' }",
      "  .late",
      "    sleep 1h 00m until D; timer withdrawn at +T when its branch lost (another branch decided the group)",
      "step 'notify' completed in ≤T → 'shipped'",
      "completed → 'shipped'",
    ]);
    expect(stdout).toMatch(/\n {5}3 {2}\S+ {2}signal_wait_started {4}\[race\.shipped\] \{ name: 'shipped'/);
    expect(stdout).toMatch(/\n {5}4 {2}\S+ {2}timer_started {10}\[race\.late\] \{ wakeAtMs: /);
    expect(stdout).toMatch(
      /\n {5}5 {2}\S+ {2}signal_received {8}→ #3 \[race\.shipped\] \{ name: 'shipped', signalId: /,
    );
    // The workflow's own step after the race is on no lane.
    expect(stdout).toMatch(/\n {5}6 {2}\S+ {2}step_completed {9}\{ name: 'notify'/);
  });
});

describe("reprise show of a run waiting in several branches", () => {
  it("lists each open command with its lane and its own deadline", async () => {
    const { code, stdout } = await runCli(["show", "shipping-2", ...db()]);
    expect(code).toBe(0);
    const header = stdout.slice(0, stdout.indexOf("\ntimeline ("));
    expect(header).toMatch(
      /\n {2}waits for 2 commands in parallel branches:\n {14}signal 'shipped' \(no timeout\) \(race\.shipped\)\n {14}timer until \S+Z, in 59m \d\ds \(race\.late\)\n/,
    );
  });
});

describe("reprise show with child runs", () => {
  it("names the children of a parent, the parent of a child, and the child's lane and command", async () => {
    const parent = await runCli(["show", "checkout-1", "--events", ...db()]);
    expect(parent.code).toBe(0);
    expect(parent.stdout).toContain("\n  children  charge-5\n");
    expect(timelineShape(parent.stdout)).toEqual([
      "started",
      "all() of 2 branches #2",
      "  [0]",
      "    child 'charge' run charge-5 completed at +T → { receipt: 'r-5' }",
      "  [1]",
      "    step 'reserve' completed in ≤T → 'R-1'",
      "completed → { receipt: 'r-5', reserved: 'R-1' }",
    ]);
    expect(parent.stdout).toMatch(/ child_completed {8}→ #3 \[all\[0\]\] \{ childId: 'charge-5', workflow: 'charge'/);
    const child = await runCli(["show", "charge-5", ...db()]);
    expect(child.stdout).toContain("\n  parent    checkout-1\n");
    expect(child.stdout).not.toContain("children");
  });

  it("has the parent, the children and each event's command and lane in --json", async () => {
    const { stdout } = await runCli(["show", "checkout-1", "--json", ...db()]);
    const shown = JSON.parse(stdout) as {
      run: { children: string[]; parentId?: string };
      places: { seq: number; commandSeq: number | null; path: string | null }[];
    };
    expect(shown.run.children).toEqual(["charge-5"]);
    expect(shown.run.parentId).toBeUndefined();
    expect(shown.places).toEqual([
      { seq: 1, commandSeq: null, path: "" },
      { seq: 2, commandSeq: 2, path: "" },
      { seq: 3, commandSeq: 3, path: "all[0]" },
      { seq: 4, commandSeq: 4, path: "all[1]" },
      { seq: 5, commandSeq: 4, path: "all[1]" },
      { seq: 6, commandSeq: 3, path: "all[0]" },
      { seq: 7, commandSeq: null, path: "" },
    ]);
    const child = JSON.parse((await runCli(["show", "charge-5", "--json", ...db()])).stdout) as {
      run: { parentId: string };
    };
    expect(child.run.parentId).toBe("checkout-1");
  });

  it("lists a run's children with runs --parent", async () => {
    const { code, stdout } = await runCli(["runs", "--parent", "checkout-1", ...db()]);
    expect(code).toBe(0);
    expect(stdout.split("\n").filter((line) => /^\S+ {2,}charge /.test(line))).toHaveLength(1);
    expect(stdout).toMatch(/^ID +WORKFLOW/);
    expect(stdout).not.toContain("checkout-1 ");
  });
});
