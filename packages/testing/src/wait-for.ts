// Polls a condition until it holds: for tests that wait on background work of a real-time engine.
// A generous deadline only turns a hang into a readable failure; it is not a performance assertion.

/**
 * Resolves with the first truthy value `probe` returns; rejects with `message` after `timeoutMs`.
 *
 * @example
 * const info = await waitFor(async () => (await engine.getRun(id))?.status === "waiting" && engine.getRun(id));
 */
/** What a truthy check lets through. */
type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

export async function waitFor<T>(
  probe: () => T | Promise<T>,
  {
    timeoutMs = 10_000,
    intervalMs = 10,
    message = "condition",
  }: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
