// The demo's ledger: a text file that gets one line per step attempt, i.e. per call to the outside world.
// Unlike the event log it is never replayed or rolled back, so it shows exactly which side effects ran.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

/** One side effect: which step attempt of which run did it, with which idempotency key, and what happened. */
export interface LedgerEntry {
  /** ISO-8601 time the line was written. */
  readonly at: string;
  readonly runId: string;
  readonly step: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  /** What the outside world answered, e.g. "charged €57.50 as ch_1a2b3c4d" or "FAILED gateway timeout". */
  readonly outcome: string;
}

const LINE = /^(\S+)\s+(\S+)\s+(\S+)\s+attempt=(\d+)\s+key=(\S+)\s+(.*)$/;

/**
 * An append-only text file of side effects. Appends are synchronous, so a line is in the file before
 * the step that wrote it returns, even if the process is killed right after.
 *
 * @example
 * const ledger = new Ledger("reprise-demo-ledger.log");
 * ledger.append({ runId: "order-1001", step: "reserve", attempt: 1, idempotencyKey: "order-1001:2", outcome: "ok" });
 */
export class Ledger {
  constructor(readonly file: string) {}

  /** Starts an empty ledger for a new run (a fresh database means earlier lines describe a run that is gone). */
  reset(runId: string): void {
    writeFileSync(this.file, `# side effects of run ${runId}, one line per step attempt\n`);
  }

  /** Appends one side effect. */
  append(entry: Omit<LedgerEntry, "at">): void {
    const { runId, step, attempt, idempotencyKey, outcome } = entry;
    const at = new Date().toISOString();
    appendFileSync(
      this.file,
      `${at}  ${runId}  ${step.padEnd(9)}  attempt=${attempt}  key=${idempotencyKey}  ${outcome}\n`,
    );
  }

  /** Every entry so far, oldest first (none if the file does not exist yet). */
  read(): LedgerEntry[] {
    if (!existsSync(this.file)) return [];
    const entries: LedgerEntry[] = [];
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      const match = LINE.exec(line);
      if (match === null) continue;
      const [, at = "", runId = "", step = "", attempt = "", idempotencyKey = "", outcome = ""] = match;
      entries.push({ at, runId, step, attempt: Number(attempt), idempotencyKey, outcome });
    }
    return entries;
  }
}
