// The listening connection behind PostgresStore.watchChanges: one per store, outside the pool, LISTENing on the
// schema's channel; it reconnects with backoff when it drops, and tells subscribers to catch up when it is back.
import type { ChangeSubscription, StoreChange } from "@reprise/core";
import { StoreError } from "@reprise/core";
import type pg from "pg";
import { CATCH_UP, decodeChanges } from "./change-notifications.js";
import { describePgError } from "./pool.js";

/** The connection a listener runs on: a client of its own, or one held out of the caller's pool. */
export interface ListenConnection {
  readonly client: pg.Client;
  /** Gives the connection up for good (ends it, or destroys it instead of returning it to a pool). */
  close(): Promise<void>;
}

/** What a ChangeListener needs. */
export interface ChangeListenerOptions {
  /** Opens a fresh connection (not connected to LISTEN yet). */
  readonly connect: () => Promise<ListenConnection>;
  readonly channel: string;
  /** Shown in pg_stat_activity.application_name, so operators (and tests) can tell the connection apart. */
  readonly applicationName: string;
  /** Where messages say the server is (never credentials). */
  readonly target: string;
  /** First wait before reconnecting; doubles per failure up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * How often the connection is checked with a `select 1` that must answer within this time too: a connection
   * that died silently (a network partition) would otherwise never report it.
   */
  readonly pingIntervalMs?: number;
}

interface Subscriber {
  readonly onChange: (change: StoreChange) => void;
  readonly onError: (error: unknown) => void;
}

/**
 * Turns PostgreSQL notifications on one channel into StoreChanges for any number of subscribers. The
 * connection is opened with the first subscriber and closed with the last (or `close()`).
 *
 * @example
 * const listener = new ChangeListener({ connect, channel: "reprise_reprise", applicationName, target });
 * const subscription = await listener.subscribe((change) => console.log(change), console.error);
 * await subscription.close();
 */
export class ChangeListener {
  readonly #options: Required<ChangeListenerOptions>;
  readonly #subscribers = new Set<Subscriber>();
  /** The connection loop while it runs. */
  #running: Promise<void> | undefined;
  #stopping = false;
  /** Interrupts the loop's waits (backoff, the connection's life) when it must stop. */
  #interrupt: (() => void) | undefined;
  #connected = false;
  #processId: number | undefined;
  /** A failure was reported since the connection was last up: a server that stays down is reported once. */
  #reported = false;

  constructor(options: ChangeListenerOptions) {
    this.#options = { minBackoffMs: 100, maxBackoffMs: 5_000, pingIntervalMs: 15_000, ...options };
  }

  /** The server process id of the listening connection while it is up (pg_terminate_backend takes it). */
  get processId(): number | undefined {
    return this.#connected ? this.#processId : undefined;
  }

  /**
   * Adds a subscriber; see Store.watchChanges for what it receives. A subscriber added while the connection is
   * up gets the catch-up changes at once (in a later task, never inside this call).
   */
  async subscribe(
    onChange: (change: StoreChange) => void,
    onError: (error: unknown) => void,
  ): Promise<ChangeSubscription> {
    const subscriber: Subscriber = { onChange, onError };
    this.#subscribers.add(subscriber);
    if (this.#connected) queueMicrotask(() => this.#deliver([subscriber], CATCH_UP));
    this.#start();
    let closed = false;
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        this.#subscribers.delete(subscriber);
        if (this.#subscribers.size === 0) await this.close();
      },
    };
  }

  /** Closes the connection and waits for the loop to end; a later subscriber opens it again. */
  async close(): Promise<void> {
    if (this.#running === undefined) return;
    this.#stopping = true;
    this.#interrupt?.();
    await this.#running;
  }

  #start(): void {
    if (this.#running !== undefined) return;
    this.#stopping = false;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(): Promise<void> {
    let backoffMs = this.#options.minBackoffMs;
    while (!this.#stopping) {
      const startedAt = Date.now();
      const error = await this.#listenUntilDropped();
      if (this.#stopping) return;
      if (error !== undefined) this.#reportError(error);
      // A connection that lived a while starts the backoff over; one that keeps failing backs off further.
      if (Date.now() - startedAt > this.#options.maxBackoffMs) backoffMs = this.#options.minBackoffMs;
      await this.#wait(backoffMs);
      backoffMs = Math.min(backoffMs * 2, this.#options.maxBackoffMs);
    }
  }

  /** One connection's life: connect, LISTEN, deliver notifications until it drops; returns why it dropped. */
  async #listenUntilDropped(): Promise<unknown> {
    let connection: ListenConnection | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;
    try {
      connection = await this.#options.connect();
      const { client } = connection;
      const dropped = new Promise<unknown>((resolve) => {
        this.#interrupt = () => resolve(undefined);
        client.on("error", (error) => resolve(error));
        client.on("end", () => resolve(new Error("the listening connection ended")));
      });
      if (this.#stopping) return undefined;
      client.on("notification", (message) => {
        if (message.channel !== this.#options.channel) return;
        this.#deliver([...this.#subscribers], decodeChanges(message.payload ?? "") ?? CATCH_UP);
      });
      // A connection that drops (or a close) while LISTEN is on its way ends the wait too.
      const droppedEarly = dropped.then((error) => {
        throw error instanceof Error ? error : new Error("the listener stopped before LISTEN answered");
      });
      droppedEarly.catch(() => {}); // once LISTEN answered, nobody waits for this one
      await Promise.race([
        (async () => {
          await client.query("select set_config('application_name', $1, false)", [this.#options.applicationName]);
          await client.query(`listen "${this.#options.channel}"`);
        })(),
        droppedEarly,
      ]);
      this.#processId = (client as unknown as { processID?: number }).processID;
      this.#connected = true;
      this.#reported = false;
      // Anything may have changed while nobody listened: every subscriber looks again.
      this.#deliver([...this.#subscribers], CATCH_UP);
      ping = setInterval(() => {
        const timeout = setTimeout(
          () => client.emit("error", new Error("the listening connection stopped answering")),
          this.#options.pingIntervalMs,
        );
        client.query("select 1").then(
          () => clearTimeout(timeout),
          () => clearTimeout(timeout),
        );
      }, this.#options.pingIntervalMs);
      ping.unref();
      return await dropped;
    } catch (error) {
      return this.#stopping ? undefined : error;
    } finally {
      this.#connected = false;
      this.#interrupt = undefined;
      if (ping !== undefined) clearInterval(ping);
      await connection?.close().catch(() => {});
    }
  }

  /** Waits `ms`, or less if the listener is closed meanwhile. */
  async #wait(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#interrupt = undefined;
  }

  #deliver(subscribers: readonly Subscriber[], changes: readonly StoreChange[]): void {
    for (const subscriber of subscribers) {
      if (!this.#subscribers.has(subscriber)) continue;
      for (const change of changes) {
        try {
          subscriber.onChange(change);
        } catch (error) {
          subscriber.onError(error);
        }
      }
    }
  }

  #reportError(error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    const problem = new StoreError(
      `The change notifications of ${this.#options.target} (channel '${this.#options.channel}') stopped: ` +
        `${describePgError(error)}; reconnecting, and polling meanwhile.`,
      { cause: error },
    );
    for (const subscriber of this.#subscribers) subscriber.onError(problem);
  }
}
