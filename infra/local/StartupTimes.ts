/**
 * When a start's parts were done, in ms from its beginning. The emulators start side by side; what comes
 * after them is the broadcaster's own start-up (the table and its mending after a kill, the queues, the
 * handlers, the first sweep, the HTTP server). The local chain's share grows with the chain it loads.
 */
export type StartupTimes = {
  /** The local chain answered, its state loaded (absent when `RPC_URL` names a node). */
  chainMs?: number;
  /** Every emulator this start runs answered. */
  emulatorsMs: number;
  /** The whole start, ready to serve. */
  totalMs: number;
};

/** A start's own part, ms: from its emulators answering to ready (the table's mending after a kill among it). */
export const ownStartMs = (t: StartupTimes): number => t.totalMs - t.emulatorsMs;
