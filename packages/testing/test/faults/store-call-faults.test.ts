// A store fault at every call N (transient and persistent, before and after the store applies it): the engine
// surfaces or retries it, never records a step twice, never loses what it acknowledged, and the run completes.
import { beforeAll, describe, expect, it } from "vitest";
import { runFaultScenario, type ScenarioEnding, type ScenarioReport } from "./fault-scenario.js";

const baselines = new Map<ScenarioEnding, ScenarioReport>();

beforeAll(async () => {
  for (const ending of ["signal", "cancel"] as const) {
    baselines.set(ending, await runFaultScenario(`no fault (${ending})`, undefined, ending));
  }
});

async function sweep(ending: ScenarioEnding, mode: "transient" | "persistent", timing: "before" | "after") {
  const reports: ScenarioReport[] = [];
  const calls = (baselines.get(ending) as ScenarioReport).calls;
  for (let at = 1; at <= calls + 2; at++) {
    reports.push(await runFaultScenario(`${ending}: ${mode} fault ${timing} call ${at}`, { at, mode, timing }, ending));
  }
  return reports;
}

const violations = (reports: readonly ScenarioReport[]) =>
  reports.flatMap((report) => report.violations.map((violation) => `${report.label}: ${violation}`));

describe("a store fault at every call", () => {
  it("the fault-free scenarios end as expected and satisfy every invariant", () => {
    for (const report of baselines.values()) {
      expect(report.violations).toEqual([]);
      expect(report.calls).toBeGreaterThan(15);
      // The engine's start-up calls (announcing workflows, retrying blocked runs) come before its first claim,
      // so the sweep below faults them too.
      const firstClaim = report.methods.indexOf("claimDueRuns");
      expect(report.methods.slice(0, firstClaim)).toEqual(
        expect.arrayContaining(["registerWorkflows", "retryBlockedRuns"]),
      );
    }
  });

  for (const ending of ["signal", "cancel"] as const) {
    for (const mode of ["transient", "persistent"] as const) {
      for (const timing of ["before", "after"] as const) {
        it(`${ending}, ${mode} faults ${timing} the store applies the call: surfaced or retried, nothing lost or recorded twice`, async () => {
          const calls = (baselines.get(ending) as ScenarioReport).calls;
          const reports = await sweep(ending, mode, timing);
          expect(reports.length).toBe(calls + 2);
          expect(reports.filter((report) => report.faults > 0).length).toBeGreaterThanOrEqual(calls - 3);
          expect(violations(reports)).toEqual([]);
        });
      }
    }
  }
});
