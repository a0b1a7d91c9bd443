// Rewrites the commands a workflow yields, its parallel branches' included, without touching its code: step stubs,
// step-call recording and, optionally, a guard on clock and randomness reads. The commands yielded stay the same.
import {
  BranchesCommand,
  isCommand,
  StepCommand,
  type Branch,
  type StepContext,
  type WorkflowDefinition,
} from "@reprise/core";
import type { NondeterministicCallError } from "./errors.js";
import { NondeterminismGuard } from "./nondeterminism-guard.js";

/** A replacement for a step function, chosen by step name. */
export type StepStub = (ctx: StepContext) => unknown;

/** One call of a step function, as seen by `onStepCall`. */
export interface StepCall {
  readonly workflow: string;
  readonly step: string;
  readonly runId: string;
  readonly seq: number;
  readonly attempt: number;
  readonly idempotencyKey: string;
}

/** How to rewrite a workflow's steps. */
export interface InstrumentOptions {
  /** Step functions to use instead of the workflow's own, by step name. */
  readonly stubs?: Readonly<Record<string, StepStub>>;
  /** Called before every step function call (stubbed or not). */
  readonly onStepCall?: (call: StepCall) => void;
  /**
   * Given, workflow code (not step functions) that calls `Date.now()`, `new Date()`, `Math.random()`,
   * `crypto.randomUUID()`, `crypto.getRandomValues()` or `performance.now()` gets a NondeterministicCallError
   * thrown at the call, the run fails with it (even if the workflow catches it), and this is told of it.
   */
  readonly onNondeterministicCall?: (error: NondeterministicCallError) => void;
}

/**
 * Returns a workflow with the same name and commands whose step functions are replaced by `stubs`
 * (by step name) and reported to `onStepCall`, in the branches of `all`/`allSettled`/`race` and their sub-flows
 * as well. Workflow code is unchanged; with `onNondeterministicCall` it runs guarded against direct clock and
 * randomness reads. A child workflow's steps are its own: instrument the child's definition too.
 *
 * @example
 * const offline = instrumentWorkflow(order, { stubs: { charge: () => ({ id: "ch_test" }) } });
 * const t = await createTestEngine({ workflows: [offline] });
 */
export function instrumentWorkflow<I, O>(
  definition: WorkflowDefinition<I, O>,
  options: InstrumentOptions,
): WorkflowDefinition<I, O> {
  const { stubs = {}, onStepCall, onNondeterministicCall } = options;
  return {
    name: definition.name,
    version: definition.version,
    *fn(input: I): Generator<unknown, O, unknown> {
      const guard =
        onNondeterministicCall === undefined
          ? undefined
          : new NondeterminismGuard(definition.name, onNondeterministicCall);
      const workflowCode = <T>(body: () => T): T => (guard === undefined ? body() : guard.run(body));
      const rewrite = (command: unknown): unknown => {
        if (!isCommand(command)) return command;
        if (command.kind === "branches") {
          // The replayer drives each branch itself: its commands never pass through this generator, so the
          // branches are rewritten here, sub-flows wrapped so that their steps are stubbed, recorded and guarded.
          const branches = command.branches.map((branch) =>
            isCommand(branch) ? (rewrite(branch) as Branch) : drive(() => branch[Symbol.iterator]()),
          );
          return new BranchesCommand(command.combinator, branches, command.keys, command.concurrency);
        }
        if (command.kind !== "step") return command;
        const original: StepStub = command.fn;
        const stub = Object.hasOwn(stubs, command.name) ? stubs[command.name] : undefined;
        const fn = (ctx: StepContext): unknown => {
          onStepCall?.({ workflow: definition.name, step: command.name, ...pick(ctx) });
          return (stub ?? original)(ctx);
        };
        return new StepCommand(command.name, fn, command.options);
      };
      /** Runs a generator (the workflow's, or a sub-flow's) as workflow code, rewriting what it yields. */
      function* drive<T>(start: () => Iterator<unknown, T, unknown>): Generator<unknown, T, unknown> {
        const inner = workflowCode(start);
        let result = workflowCode(() => inner.next());
        let finished = false;
        try {
          while (result.done !== true) {
            let answer: { value: unknown } | { error: unknown };
            try {
              answer = { value: yield rewrite(result.value) };
            } catch (error) {
              answer = { error };
            }
            result = workflowCode(() => {
              if (!("error" in answer)) return inner.next(answer.value);
              if (inner.throw === undefined) throw answer.error;
              return inner.throw(answer.error);
            });
          }
          finished = true;
          return result.value;
        } finally {
          // Closed early (return(), or a guard violation): let the workflow's own finally blocks run, guarded as
          // well. Whatever they throw is dropped so the first error stands (a violation there is still reported).
          if (!finished) {
            try {
              workflowCode(() => inner.return?.(undefined as T));
            } catch {
              // the error that ended the wrapper is the one to report
            }
          }
        }
      }
      return yield* drive(() => definition.fn(input));
    },
  };
}

function pick(ctx: StepContext): Omit<StepCall, "workflow" | "step"> {
  return { runId: ctx.runId, seq: ctx.seq, attempt: ctx.attempt, idempotencyKey: ctx.idempotencyKey };
}
