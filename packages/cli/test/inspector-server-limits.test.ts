// `reprise ui`'s server against slow and greedy clients: raw sockets that never finish their headers or body,
// connections beyond the cap; and `--token` values too weak to guard it. Short limits make the tests quick.
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { InvalidArgumentError } from "@reprise/core";
import { temporaryStore, type TemporaryStore } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createInspectorHandler,
  DEFAULT_INSPECTOR_SERVER_LIMITS,
  EXIT_CODES,
  main,
  startInspectorServer,
  type CliIo,
  type InspectorServer,
} from "../src/index.js";

let tmp: TemporaryStore;
beforeAll(async () => {
  tmp = await temporaryStore();
});
afterAll(() => tmp.cleanup());

/** A raw connection that records what the server sent and whether it has closed. */
async function rawSocket(
  server: InspectorServer,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(server.port, "127.0.0.1");
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
  // A connection the server drops at once may end in a reset; closing is what the tests watch for.
  socket.on("error", () => undefined);
  const closed = once(socket, "close").then(() => undefined);
  await once(socket, "connect");
  return { socket, received: () => text, closed };
}

async function withServer(
  limits: Parameters<typeof startInspectorServer>[0]["limits"],
  body: (server: InspectorServer) => Promise<void>,
) {
  const server = await startInspectorServer({ filename: tmp.filename, port: 0, limits });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe("the inspector's server", () => {
  it("closes a connection whose headers never finish", async () => {
    await withServer({ headersTimeoutMs: 100, requestTimeoutMs: 200 }, async (server) => {
      const slow = await rawSocket(server);
      slow.socket.write("GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ");
      await slow.closed;
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    });
  });

  it("closes a connection whose request body never finishes", async () => {
    await withServer({ headersTimeoutMs: 100, requestTimeoutMs: 200 }, async (server) => {
      // With the page's CSRF secret the handler accepts the action and waits for its body.
      const page = await (await fetch(`http://127.0.0.1:${server.port}/`)).text();
      const csrf = /name="reprise-csrf" content="([^"]+)"/.exec(page)?.[1] ?? "";
      const slow = await rawSocket(server);
      slow.socket.write(
        "POST /api/runs/x/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
          `X-Reprise-CSRF: ${csrf}\r\nContent-Length: 1000\r\n\r\n{`,
      );
      await slow.closed;
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    });
  });

  it("closes connections beyond its cap and keeps serving the ones it holds", async () => {
    await withServer({ maxConnections: 2 }, async (server) => {
      const first = await rawSocket(server);
      const second = await rawSocket(server);
      const third = await rawSocket(server);
      await third.closed;
      expect(third.received()).toBe("");
      for (const held of [first, second]) {
        expect(held.socket.destroyed).toBe(false);
        held.socket.write("GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        await held.closed;
        expect(held.received()).toMatch(/^HTTP\/1\.1 200 OK/);
      }
    });
  });

  it("has documented defaults a browser stays well inside", () => {
    expect(DEFAULT_INSPECTOR_SERVER_LIMITS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 60_000,
      maxConnections: 64,
    });
  });

  it("refuses limits that cannot work", async () => {
    await expect(
      startInspectorServer({ filename: tmp.filename, port: 0, limits: { maxConnections: 0 } }),
    ).rejects.toThrow("Inspector server limit maxConnections must be a whole number of 1 or more (got 0).");
  });
});

describe("reprise ui --token", () => {
  async function ui(token: string) {
    let stderr = "";
    const io: CliIo = {
      stdout: { write: () => true, isTTY: false },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
      env: {},
      cwd: process.cwd(),
      readStdin: async () => "",
    };
    const code = await main(["ui", "--db", tmp.filename, "--port", "0", "--token", token], io);
    return { code, stderr };
  }

  it.each([
    [" ".repeat(24), "is empty or only spaces"],
    ["short-token", "is only 11 characters long"],
    ["with spaces in the middle", "has spaces or characters that are not printable ASCII"],
    ["abababababababababab", "repeats too few characters (2 different ones)"],
  ])("refuses %j with exit code 2 and the rule a token must follow", async (token, weakness) => {
    const { code, stderr } = await ui(token);
    expect(code).toBe(EXIT_CODES.usage);
    expect(stderr).toBe(
      `error: the access token given with --token (or REPRISE_UI_TOKEN) ${weakness}; it must be at least 16 ` +
        "printable ASCII characters, no spaces, with at least 8 different characters, e.g. --token $(openssl rand -hex 16)\n",
    );
  });

  it("is refused by createInspectorHandler too, with a typed error", async () => {
    const refused = createInspectorHandler({ filename: tmp.filename, token: "\t".repeat(20) });
    await expect(refused).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(refused).rejects.toThrow(/^The inspector token is empty or only spaces; it must be at least 16 /);
  });
});
