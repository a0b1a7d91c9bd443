// Rewrites the commands a workflow yields without touching its code: step stubs and step-call recording.
// The wrapped workflow yields the same commands in the same order, so replay sees no difference.
import { StepCommand, type StepContext, type WorkflowDefinition } from "@reprise/core";

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
}

/**
 * Returns a workflow with the same name and commands whose step functions are replaced by `stubs`
 * (by step name) and reported to `onStepCall`. Workflow code is unchanged.
 *
 * @example
 * const offline = instrumentWorkflow(order, { stubs: { charge: () => ({ id: "ch_test" }) } });
 * const t = await createTestEngine({ workflows: [offline] });
 */
export function instrumentWorkflow<I, O>(
  definition: WorkflowDefinition<I, O>,
  options: InstrumentOptions,
): WorkflowDefinition<I, O> {
  const { stubs = {}, onStepCall } = options;
  const rewrite = (command: unknown): unknown => {
    if (!(command instanceof StepCommand)) return command;
    const original = command.fn as StepStub;
    const stub = Object.hasOwn(stubs, command.name) ? stubs[command.name] : undefined;
    const fn = (ctx: StepContext): unknown => {
      onStepCall?.({ workflow: definition.name, step: command.name, ...pick(ctx) });
      return (stub ?? original)(ctx);
    };
    return new StepCommand(command.name, fn, command.options);
  };
  return {
    name: definition.name,
    *fn(input: I): Generator<unknown, O, unknown> {
      const inner = definition.fn(input);
      let result = inner.next();
      while (result.done !== true) {
        let answer: { value: unknown } | { error: unknown };
        try {
          answer = { value: yield rewrite(result.value) };
        } catch (error) {
          answer = { error };
        }
        result = "error" in answer ? inner.throw(answer.error) : inner.next(answer.value);
      }
      return result.value;
    },
  };
}

function pick(ctx: StepContext): Omit<StepCall, "workflow" | "step"> {
  return { runId: ctx.runId, seq: ctx.seq, attempt: ctx.attempt, idempotencyKey: ctx.idempotencyKey };
}
