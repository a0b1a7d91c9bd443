// Errors crossing the log: what toErrorInfo keeps (name, message, stack, class, data fields, cause chain) and drops,
// how fromErrorInfo rebuilds them (registered classes, never calling a constructor), and logs of the old format.
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  MAX_ERROR_CAUSE_DEPTH,
  MAX_ERROR_INFO_BYTES,
  NonDeterminismError,
  StepFailedError,
  decodeValue,
  encodeValue,
  fromErrorInfo,
  registerErrorClass,
  toErrorInfo,
  type ErrorInfo,
} from "../src/index.js";
import { decodeEvent, encodeEvent } from "../src/internal.js";

const LIMIT = 1024 * 1024;

class Declined extends Error {
  code = "insufficient_funds";
  amountCents = 1250;
  retryable = false;
  detail = { gateway: "acme", at: new Date(5) };
}

class Registered extends Error {
  override name = "Registered";
  constructor(
    readonly orderId: string,
    options?: { cause?: unknown },
  ) {
    if (typeof orderId !== "string") throw new TypeError("Registered needs an order id");
    super(`order ${orderId} failed`, options);
  }
}
registerErrorClass(Registered);

/** Through the stored form and back, as a step error travels: toErrorInfo → encoded text → decoded → Error. */
function roundTrip(error: unknown): Error {
  return fromErrorInfo(decodeValue(encodeValue(toErrorInfo(error), "The error", LIMIT)) as ErrorInfo);
}

describe("errors crossing the log", () => {
  it("keep name, message, stack, code and other own data fields, and the cause chain", () => {
    const root = new TypeError("socket hang up");
    const error = new Declined("card declined", { cause: root });
    const decoded = roundTrip(error) as Declined;
    expect([decoded.name, decoded.message, decoded.stack]).toEqual(["Error", "card declined", error.stack]);
    expect(decoded.code).toBe("insufficient_funds");
    expect(decoded.amountCents).toBe(1250);
    expect(decoded.retryable).toBe(false);
    expect(decoded.detail).toEqual({ gateway: "acme", at: new Date(5) });
    expect(decoded.cause).toBeInstanceOf(TypeError);
    expect((decoded.cause as Error).message).toBe("socket hang up");
    expect((decoded.cause as Error).stack).toBe(root.stack);
    expect(toErrorInfo(error)).toMatchObject({ className: "Declined", fields: { code: "insufficient_funds" } });
  });

  it("decode as the registered class, without calling its constructor, with its fields", () => {
    const decoded = roundTrip(new Registered("o-7", { cause: "gateway timeout" }));
    expect(decoded).toBeInstanceOf(Registered);
    expect(decoded).toBeInstanceOf(Error);
    expect(decoded).toMatchObject({ name: "Registered", message: "order o-7 failed", orderId: "o-7" });
    expect((decoded.cause as Error).message).toBe("gateway timeout");
  });

  it("decode an unregistered class as a plain Error that keeps the class name when stored again", () => {
    const decoded = roundTrip(new Declined("no"));
    expect(decoded).not.toBeInstanceOf(Declined);
    expect(toErrorInfo(decoded).className).toBe("Declined");
    registerErrorClass(Declined);
    expect(roundTrip(decoded)).toBeInstanceOf(Declined);
  });

  it("decode Reprise's own errors as their classes with their structured fields", () => {
    const failure = new StepFailedError("charge", 3, new Declined("no"));
    const decoded = roundTrip(failure) as StepFailedError;
    expect(decoded).toBeInstanceOf(StepFailedError);
    expect(decoded).toMatchObject({ name: "StepFailedError", code: "STEP_FAILED", stepName: "charge", attempts: 3 });
    expect((decoded.cause as Declined).code).toBe("insufficient_funds");
    const divergence = new NonDeterminismError({ runId: "r", seq: 4, expected: "a", actual: "b" });
    expect(roundTrip(divergence)).toMatchObject({ seq: 4, expected: "a", actual: "b", code: "NON_DETERMINISM" });
  });

  it("drop fields the codec cannot store and keep the rest", () => {
    const error = Object.assign(new Error("boom"), {
      status: 503,
      retry: () => 1,
      socket: { onData: () => undefined },
      secretKey: Symbol("k"),
      huge: "x".repeat(20_000),
    });
    const self: Record<string, unknown> = {};
    self.self = self;
    Object.assign(error, { loop: self });
    expect(toErrorInfo(error).fields).toEqual({ status: 503 });
  });

  it("cut the cause chain after MAX_ERROR_CAUSE_DEPTH causes, and at a cycle", () => {
    let chain: Error = new Error("root");
    for (let i = 0; i < 20; i++) chain = new Error(`level ${i}`, { cause: chain });
    let info: ErrorInfo | undefined = toErrorInfo(chain);
    let causes = -1;
    for (; info !== undefined; info = info.cause) causes++;
    expect(causes).toBe(MAX_ERROR_CAUSE_DEPTH);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    const cyclic = toErrorInfo(a);
    expect(cyclic).toMatchObject({ message: "a", cause: { message: "b" } });
    expect(cyclic.cause).not.toHaveProperty("cause");
  });

  it("always fit in MAX_ERROR_INFO_BYTES and always encode, whatever was thrown", () => {
    let chain: Error = new Error("é".repeat(20_000));
    for (let i = 0; i < 10; i++) chain = new Error("\u0001".repeat(9_000), { cause: chain });
    const text = encodeValue(toErrorInfo(chain), "The error", LIMIT);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_ERROR_INFO_BYTES + 64);
    const lone = toErrorInfo(new Error("half an emoji: \ud83d"));
    expect(lone.message).toBe("half an emoji: \ufffd");
    expect(toErrorInfo(Symbol("thrown")).message).toContain("Non-error value thrown");
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("no");
      },
    });
    expect(toErrorInfo(hostile).message).toBe("");
  });

  it("decode fields even where the class's prototype has a getter of the same name", () => {
    class WithGetter extends Error {
      get code(): string {
        return "from-getter";
      }
    }
    registerErrorClass(WithGetter);
    const decoded = fromErrorInfo({ name: "Error", message: "m", className: "WithGetter", fields: { code: "stored" } });
    expect(decoded).toBeInstanceOf(WithGetter);
    expect((decoded as WithGetter).code).toBe("stored");
  });

  it("registerErrorClass refuses what is not an Error class", () => {
    expect(() => registerErrorClass(class NotAnError {} as never)).toThrow(InvalidArgumentError);
    expect(() => registerErrorClass(Declined, { name: "" })).toThrow(/a name of 1 to 256 well-formed characters/);
  });
});

describe("logs written before errors kept their fields", () => {
  it("decode old step_failed and run_failed events (name, message and stack only)", () => {
    const stepFailed = decodeEvent("r", {
      seq: 2,
      type: "step_failed",
      atMs: 1,
      data: '{"json":{"name":"charge","attempt":1,"error":{"name":"TypeError","message":"declined","stack":"TypeError: declined\\n    at x"}}}',
    });
    expect(stepFailed).toMatchObject({ type: "step_failed", error: { name: "TypeError", message: "declined" } });
    const decoded = fromErrorInfo((stepFailed as { error: ErrorInfo }).error);
    expect(decoded).toBeInstanceOf(TypeError);
    expect([decoded.message, decoded.stack]).toEqual(["declined", "TypeError: declined\n    at x"]);
    const runFailed = decodeEvent("r", {
      seq: 3,
      type: "run_failed",
      atMs: 1,
      data: '{"json":{"error":{"name":"StepFailedError","message":"Step \'charge\' failed after 1 attempt: TypeError: declined"}}}',
    });
    const runError = fromErrorInfo((runFailed as { error: ErrorInfo }).error);
    expect(runError).toBeInstanceOf(StepFailedError);
    expect(runError.message).toContain("TypeError: declined");
  });

  it("refuse an event whose error has the wrong shape, naming the run and seq", () => {
    const record = encodeEvent(
      { type: "run_failed", seq: 5, atMs: 1, error: { name: "E", message: "m", cause: { name: 1 } } as never },
      "e",
      LIMIT,
    );
    expect(() => decodeEvent("r", record)).toThrow(/Event 5 of run 'r' is corrupt \(a 'run_failed' event/);
  });
});
