import type { EventStore } from '../store/EventStore.ts';
import { type TransactionEvents, transactionEventTypes, webhookIdOf } from '../transactions/events.ts';
import type { Transaction } from '../transactions/model.ts';

/**
 * The events of a transaction: one per entry of its history, in order (its place is its sequence
 * number), each with its webhook delivery as the notifier recorded it (null without a callback URL, or
 * before the first attempt).
 */
export async function readTransactionEvents(
  events: Pick<EventStore, 'read'>,
  tx: Pick<Transaction, 'id' | 'history' | 'callbackUrl'>,
): Promise<TransactionEvents> {
  const ids = tx.history.map((_, i) => webhookIdOf(tx.id, i + 1));
  const deliveries = tx.callbackUrl && ids.length > 0 ? await events.read(ids) : new Map();
  return {
    items: tx.history.map((entry, i) => {
      const id = ids[i] as string;
      const d = deliveries.get(id);
      return {
        id,
        sequence: i + 1,
        type: transactionEventTypes[entry.outcome],
        at: entry.at,
        delivery: d
          ? {
              url: d.url,
              state: d.state,
              attempts: d.attempts,
              lastAnswer: d.lastAnswer ?? null,
              nextAttemptAt: d.nextAttemptAt ?? null,
              deliveredAt: d.deliveredAt ?? null,
            }
          : null,
      };
    }),
  };
}
