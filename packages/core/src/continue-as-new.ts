// Continue-as-new: `continueAsNew(input)` ends the run's current history and continues the same run id with
// fresh input and an empty log. Only a description: the replayer ends the generation, the execution commits it.
import { CommandBase } from "./command-base.js";

/**
 * Ends this generation of the run and continues the run with `input`. Created by `continueAsNew()`.
 *
 * @example
 * const command = continueAsNew({ turn: 100 });
 * console.log(command.kind, command.input); // "continueAsNew" { turn: 100 }
 */
export class ContinueAsNewCommand extends CommandBase<never> {
  readonly kind = "continueAsNew";
  constructor(readonly input: unknown) {
    super();
  }
}

/**
 * Ends the run's current history and continues the same run (same id, same inbox) with `input`, as if it had
 * just been started with it: the workflow function runs again from the top in a new generation whose log
 * starts empty, so a loop that runs for ever replays only its current generation. The run stays unfinished;
 * `result()` resolves with the final generation's result. Signals sent meanwhile stay in the inbox for the next
 * generation. Code after it, `finally` blocks around it included, does not run. Only the workflow itself can
 * yield it, with nothing else open: inside `all` / `race` branches it throws InvalidArgumentError.
 *
 * @example
 * export const agent = workflow("agent", function* (state: AgentState) {
 *   for (let i = 0; i < 100; i++) state = yield* step(`turn-${state.turn}`, () => think(state));
 *   return yield* continueAsNew(state);
 * });
 */
export function continueAsNew<I>(input: I): ContinueAsNewCommand {
  return new ContinueAsNewCommand(input);
}
