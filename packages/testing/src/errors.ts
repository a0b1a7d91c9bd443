// Errors @reprise/testing raises about the code under test (rather than about the test tools themselves).
// Each carries structured fields and a message with the fix; none holds live handles (runs record them).
import { RepriseError } from "@reprise/core";

/**
 * A clock or randomness read that workflow code must not make directly, as the error names it.
 *
 * @example
 * if (error instanceof NondeterministicCallError && error.call === "Date.now()") console.log(error.replacement); // "now()"
 */
export type NondeterministicCall =
  | "Date.now()"
  | "new Date()"
  | "Date()"
  | "Math.random()"
  | "crypto.randomUUID()"
  | "crypto.getRandomValues()"
  | "performance.now()";

/**
 * The @reprise/core command that records the value instead, so that replay sees the same one.
 *
 * @example
 * const replacement: DeterministicReplacement = "now()"; // use `yield* now()` instead of Date.now()
 */
export type DeterministicReplacement = "now()" | "random()" | "uuid()";

const REPLACEMENTS: Readonly<Record<NondeterministicCall, DeterministicReplacement>> = {
  "Date.now()": "now()",
  "new Date()": "now()",
  "Date()": "now()",
  "performance.now()": "now()",
  "Math.random()": "random()",
  "crypto.getRandomValues()": "random()",
  "crypto.randomUUID()": "uuid()",
};

/**
 * Workflow code (the generator body between two yields, not a step function) read the clock or randomness
 * directly. Workflow code runs again on every replay, so the value differs after a restart and the run can
 * take another path than the one its history recorded. The test engine and `checkCrashSafety` throw it into
 * the workflow at the call and fail the run with it, even if the workflow catches it. `code` is
 * `NONDETERMINISTIC_CALL`.
 *
 * @example
 * const t = await createTestEngine({ workflows: [budget] });
 * await expect(t.start(budget, 5)).rejects.toMatchObject({ name: "NondeterministicCallError", call: "Date.now()" });
 */
export class NondeterministicCallError extends RepriseError {
  readonly workflow: string;
  readonly call: NondeterministicCall;
  readonly replacement: DeterministicReplacement;
  constructor(fields: { workflow: string; call: NondeterministicCall }) {
    const replacement = REPLACEMENTS[fields.call];
    super(
      "NONDETERMINISTIC_CALL",
      `Workflow '${fields.workflow}' called ${fields.call} in workflow code (outside a step). Workflow code runs ` +
        `again on every replay, so this value differs after a restart and the run can take another path than ` +
        `its history recorded. Use \`yield* ${replacement}\` from @reprise/core (recorded once, the same on ` +
        `every replay), or make the call inside a step. (@reprise/testing checks this; ` +
        `detectNondeterminism: false turns the check off.)`,
    );
    this.workflow = fields.workflow;
    this.call = fields.call;
    this.replacement = replacement;
  }
}

/**
 * `checkCrashSafety`'s workflow started a child whose workflow the check was not given, so the child would never
 * run and the parent would wait for ever in both plays, proving nothing. `code` is `MISSING_CHILD_WORKFLOW`.
 *
 * @example
 * await expect(checkCrashSafety(checkout, { input: 5 })).rejects.toMatchObject({ childWorkflow: "charge" });
 * await checkCrashSafety(checkout, { input: 5, workflows: [charge] }); // the fix
 */
export class MissingChildWorkflowError extends RepriseError {
  readonly workflow: string;
  readonly childWorkflow: string;
  readonly childId: string;
  constructor(fields: { workflow: string; childWorkflow: string; childId: string }) {
    super(
      "MISSING_CHILD_WORKFLOW",
      `checkCrashSafety('${fields.workflow}') started child '${fields.childId}' of workflow ` +
        `'${fields.childWorkflow}', which it was not given, so the child never ran and the check would prove ` +
        `nothing. Pass the definition of '${fields.childWorkflow}', and of every workflow its runs start as ` +
        `children, in the \`workflows\` option: checkCrashSafety(workflow, { ...options, workflows: [...] }).`,
    );
    this.workflow = fields.workflow;
    this.childWorkflow = fields.childWorkflow;
    this.childId = fields.childId;
  }
}
