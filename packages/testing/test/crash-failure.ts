// The CrashSafetyError a check must end with, for tests that show checkCrashSafety finds a broken workflow or store.
// Fails the calling test when the check passes or throws anything else.
import { expect } from "vitest";
import { CrashSafetyError } from "../src/index.js";

/** Awaits a check that must fail, and returns its CrashSafetyError. */
export async function failure(check: Promise<unknown>): Promise<CrashSafetyError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CrashSafetyError);
  return error as CrashSafetyError;
}
