// The lines of `reprise verify` about workflow versions: how many unfinished runs are on each version, and which
// exported older versions no unfinished run needs any more. Silent for modules and runs that are all version 1.
import type { VerifyVersionCount } from "./verify-runs.js";
import { describeVersion } from "./workflow-catalog.js";

type Color = (style: "green" | "gray", text: string) => string;

/**
 * `runs per version: 'order' v1 2, v2 0; 'nap' v1 1`, then one line per exported version that is not the
 * highest of its workflow and has no unfinished run; nothing when every run and definition is version 1.
 *
 * @example
 * for (const line of formatVersionCounts(report.versions, (style, text) => text)) console.log(line);
 */
export function formatVersionCounts(counts: readonly VerifyVersionCount[], color: Color): string[] {
  if (counts.every((count) => count.version === 1)) return [];
  const byWorkflow = new Map<string, VerifyVersionCount[]>();
  for (const count of counts) byWorkflow.set(count.workflow, [...(byWorkflow.get(count.workflow) ?? []), count]);
  const summary = [...byWorkflow]
    .map(([workflow, versions]) => `'${workflow}' ${versions.map((v) => `v${v.version} ${v.runs}`).join(", ")}`)
    .join("; ");
  const lines = [color("gray", `unfinished runs per version: ${summary}`)];
  for (const versions of byWorkflow.values()) {
    const highest = Math.max(...versions.filter((v) => v.exported).map((v) => v.version));
    for (const { workflow, version, runs, exported } of versions) {
      if (exported && runs === 0 && version < highest) {
        lines.push(
          `${color("green", "✓")} no unfinished run is on ${describeVersion(workflow, version)}: ` +
            `the module exports it, but no run in flight needs it any more`,
        );
      }
    }
  }
  return lines;
}
