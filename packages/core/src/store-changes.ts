// An engine's subscription to its store's change notifications (Store.watchChanges), when the store has them.
// Routes each StoreChange to the engine's reaction; polling stays the engine's safety net, so failures only report.
import type { ChangeSubscription, Store, StoreChange } from "./store.js";

/** What an engine does about each kind of change another process (or engine) made. */
export interface StoreChangeReactions {
  /** Runs are due now (`atMs` undefined) or at `atMs`; `workflows` limits which (undefined: any). */
  readonly runsDue: (atMs: number | undefined, workflows: readonly string[] | undefined) => void;
  readonly runsEnded: () => void;
  readonly runsWoken: (runIds: readonly string[]) => void;
  readonly cancelRequested: (runIds: readonly string[]) => void;
}

/**
 * Subscribes to the store's change notifications if it has them, and closes the subscription on `close()`.
 * A store without them, or a subscription that fails, leaves the engine on polling alone (the error goes to
 * `onError`); a change that arrives after `close()` began is dropped.
 *
 * @example
 * const changes = new StoreChangeWatch(store, { runsDue: () => loop.poke(), ... }, onError);
 * await changes.close();
 */
export class StoreChangeWatch {
  readonly #subscription: Promise<ChangeSubscription | undefined>;
  #closed = false;

  constructor(store: Store, reactions: StoreChangeReactions, onError: (error: unknown) => void) {
    this.#subscription = this.#subscribe(store, reactions, onError);
  }

  /** Whether `store` reports changes at all: then result waiters can rely on notifications, not only polls. */
  static available(store: Store): boolean {
    return typeof store.watchChanges === "function";
  }

  async #subscribe(
    store: Store,
    reactions: StoreChangeReactions,
    onError: (error: unknown) => void,
  ): Promise<ChangeSubscription | undefined> {
    if (!StoreChangeWatch.available(store)) return undefined;
    const onChange = (change: StoreChange): void => {
      if (this.#closed) return;
      try {
        route(change, reactions);
      } catch (error) {
        // A reaction must never throw into the store's notification handling (it would drop the connection).
        onError(error);
      }
    };
    try {
      return await (store.watchChanges as NonNullable<Store["watchChanges"]>).call(store, onChange, onError);
    } catch (error) {
      onError(error);
      return undefined;
    }
  }

  /** Ends the subscription (waits for it to be set up first); errors go to the caller. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const subscription = await this.#subscription;
    await subscription?.close();
  }
}

function route(change: StoreChange, reactions: StoreChangeReactions): void {
  switch (change.kind) {
    case "runsDue":
      reactions.runsDue(change.atMs, change.workflows);
      return;
    case "runsEnded":
      reactions.runsEnded();
      return;
    case "runsWoken":
      reactions.runsWoken(change.runIds);
      return;
    case "cancelRequested":
      reactions.cancelRequested(change.runIds);
      return;
  }
}
