// Waits for SIGINT or SIGTERM so long-running commands (worker, ui) can shut down gracefully.
// A second signal while shutting down exits at once with code 130: the operator insists.
import { EXIT_CODES } from "./errors.js";

/**
 * Resolves with the name of the first SIGINT/SIGTERM received. After that, another one ends the process.
 *
 * @example
 * const signal = await untilShutdownSignal(() => io.stderr.write("forced exit\n"));
 * await engine.close();
 */
export function untilShutdownSignal(onForcedExit: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const again = () => {
        onForcedExit();
        process.exit(EXIT_CODES.interrupted);
      };
      process.once("SIGINT", again);
      process.once("SIGTERM", again);
      resolve(signal);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}
