// How `reprise show` names a run's generations: the header's generation field, and the header printed above an
// earlier generation's timeline (`--generation <n>`). Text only; colour comes in through the painter.
import type { HistoryEvent, RunInfo } from "@reprise/core";
import type { Style } from "./cli-io.js";
import { formatTime, formatValue } from "./format.js";
import type { RunGenerations } from "./run-generations.js";

/** Applies a style to text (timeline-text.ts's Painter; not imported, since that file imports this one). */
type Painter = (style: Style, text: string) => string;

/**
 * The header's `earlier` value: which earlier generations are kept and how to read one; undefined for a run that
 * never continued as new.
 *
 * @example
 * formatEarlierGenerations("order-1", { current: 3, kept: [1, 2] });
 * // "generations 1-2 kept; read one with reprise show order-1 --generation <n>"
 */
export function formatEarlierGenerations(runId: string, generations: RunGenerations): string | undefined {
  const { current, kept } = generations;
  if (current === 1) return undefined;
  if (kept.length === 0) return `generations before ${current} are not kept`;
  const which = kept.length === 1 ? `generation ${kept[0]}` : `generations ${describeNumbers(kept)}`;
  const example = kept.length === 1 ? String(kept[0]) : "<n>";
  return `${which} kept; read ${kept.length === 1 ? "it" : "one"} with reprise show ${runId} --generation ${example}`;
}

/** "1-4" for consecutive numbers, else "1, 3, 4". */
function describeNumbers(numbers: readonly number[]): string {
  const first = numbers[0] ?? 0;
  const consecutive = numbers.every((n, index) => n === first + index);
  return consecutive ? `${first}-${numbers.at(-1)}` : numbers.join(", ");
}

/**
 * The header above an earlier generation's timeline: which generation of how many, when it started and with
 * which input, when it continued as new, and where the run is now.
 *
 * @example
 * process.stdout.write(formatEarlierGenerationHeader(run, 1, history, { current: 3, kept: [1, 2] }, plain));
 */
export function formatEarlierGenerationHeader(
  run: RunInfo,
  generation: number,
  history: readonly HistoryEvent[],
  generations: RunGenerations,
  paint: Painter,
): string {
  const started = history[0]?.type === "run_started" ? history[0] : undefined;
  const continued = history.at(-1)?.type === "run_continued" ? history.at(-1) : undefined;
  const version = started?.version ?? run.version;
  const lines = [
    `${paint("bold", run.id)}  ${run.workflow}  ${paint("cyan", `generation ${generation} of ${generations.current}`)}`,
  ];
  const field = (label: string, value: string) => lines.push(`  ${paint("gray", label.padEnd(10))}${value}`);
  field("version", String(version));
  if (started !== undefined) {
    field("started", formatTime(started.atMs));
    field("input", formatValue(started.input));
  }
  if (continued !== undefined) field("continued", formatTime(continued.atMs));
  field("now", `${paint("bold", run.status)} in generation ${generations.current} (reprise show ${run.id})`);
  return `${lines.join("\n")}\n`;
}
