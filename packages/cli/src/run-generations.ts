// A run's generations (one per `continueAsNew`, plus the first): which earlier ones are kept, and the decoded log
// of one of them, read through the store's RunReader. Shared by `reprise show --generation` and the inspector.
import type { HistoryEvent, RunReader } from "@reprise/core";
import { decodeEvent } from "@reprise/core/internal";
import { CliError } from "./errors.js";

/**
 * Where a run stands in its generations: the current one, and the earlier ones whose events are kept.
 *
 * @example
 * const generations: RunGenerations = { current: 3, kept: [1, 2] };
 */
export interface RunGenerations {
  readonly current: number;
  /** Earlier generations still readable, ascending. */
  readonly kept: readonly number[];
}

/**
 * A generation that the run does not have, or whose events are no longer kept (a CliError: exit code 1).
 *
 * @example
 * throw new GenerationNotFoundError("order-1", 4, "run order-1 has no generation 4: it is in generation 3");
 */
export class GenerationNotFoundError extends CliError {
  readonly runId: string;
  readonly generation: number;
  constructor(runId: string, generation: number, message: string) {
    super(message);
    this.runId = runId;
    this.generation = generation;
  }
}

/**
 * The run's generations: `current` from its row, `kept` from the store (RunReader.keptGenerations).
 *
 * @example
 * const { current, kept } = await runGenerations(reader, run); // { current: 3, kept: [1, 2] }
 */
export async function runGenerations(
  reader: RunReader,
  run: { id: string; generation: number },
): Promise<RunGenerations> {
  return { current: run.generation, kept: run.generation > 1 ? await reader.keptGenerations(run.id) : [] };
}

/**
 * The decoded log of an earlier generation (it ends with `run_continued`). Throws GenerationNotFoundError for
 * the current generation or a later one (the caller reads that one through the engine), or one not kept, naming
 * those the run has; CorruptEventError for an event that cannot be decoded.
 *
 * @example
 * const history = await readEarlierGeneration(reader, "order-1", { current: 3, kept: [1, 2] }, 1);
 */
export async function readEarlierGeneration(
  reader: RunReader,
  runId: string,
  generations: RunGenerations,
  generation: number,
): Promise<HistoryEvent[]> {
  const records = generation < generations.current ? await reader.readEvents(runId, 0, generation) : [];
  if (records.length === 0) {
    throw new GenerationNotFoundError(runId, generation, describeMissing(runId, generations, generation));
  }
  return records.map((record) => decodeEvent(runId, record));
}

/**
 * The version of the workflow's definition a generation ran on, as its `run_started` event records it (version
 * 1 when omitted); `fallback` when the log does not start with one.
 *
 * @example
 * const code = catalog.get(run.workflow, generationVersion(history, run.version));
 */
export function generationVersion(history: readonly HistoryEvent[], fallback: number): number {
  const first = history[0];
  return first?.type === "run_started" ? (first.version ?? 1) : fallback;
}

function describeMissing(runId: string, { current, kept }: RunGenerations, generation: number): string {
  const has =
    current === 1
      ? `it has one generation (it never continued as new)`
      : `it is in generation ${current}` +
        (kept.length === 0 ? ", and no earlier one is kept" : `; earlier generations kept: ${kept.join(", ")}`);
  if (generation > current) return `run ${runId} has no generation ${generation}: ${has}`;
  if (generation === current) return `generation ${generation} is run ${runId}'s current one, not an earlier one`;
  return `generation ${generation} of run ${runId} is not kept: ${has}`;
}
