// Where the demo keeps its files: reprise.db (or $REPRISE_DB) in the directory the command was typed in,
// with the side-effect ledger next to it. Shared by the demo, the ship script and the end-to-end test.
import path from "node:path";

/** The files the demo reads and writes, as absolute paths. */
export interface DemoPaths {
  /** The SQLite event log. */
  readonly db: string;
  /** The ledger of step side effects, next to the database. */
  readonly ledger: string;
  /** The directory the user typed the command in; paths are shown relative to it. */
  readonly cwd: string;
}

/**
 * Resolves the demo's files. `pnpm --filter` runs scripts inside examples/, so the directory the user
 * typed the command in comes from INIT_CWD (set by pnpm and npm), else the current directory.
 * REPRISE_DB overrides the database path; a relative one is taken from that same directory.
 *
 * @example
 * const { db, ledger } = demoPaths(); // e.g. /home/ada/reprise/reprise.db, /home/ada/reprise/reprise-demo-ledger.log
 */
export function demoPaths(env: NodeJS.ProcessEnv = process.env): DemoPaths {
  const cwd = env.INIT_CWD || process.cwd();
  const db = path.resolve(cwd, env.REPRISE_DB || "reprise.db");
  const ledger = path.join(path.dirname(db), `${path.parse(db).name}-demo-ledger.log`);
  return { db, ledger, cwd };
}

/**
 * A file's path as the user would type it from the directory they ran the command in.
 *
 * @example
 * shownPath(paths, paths.db); // "reprise.db"
 */
export function shownPath(paths: DemoPaths, file: string): string {
  const relative = path.relative(paths.cwd, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
