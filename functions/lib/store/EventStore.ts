import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryAnswer, deliveryStates } from '../transactions/events.ts';
import { conditionalPut, conditionalUpdate, raiseNumber } from './conditionalWrite.ts';
import { getItems } from './getItems.ts';

/** Where one webhook event's delivery stands, with the body every attempt sends (the same bytes each time). */
export type StoredEvent = {
  id: string;
  url: string;
  body: string;
  state: (typeof deliveryStates)[number];
  attempts: number;
  lastAnswer?: DeliveryAnswer;
  nextAttemptAt?: string;
  deliveredAt?: string;
  /** The attempt after which it is given up on: WEBHOOK_MAX_ATTEMPTS, raised by as many each time it is redriven. */
  budget?: number;
  /** The attempt whose message is on the queue (sent after the attempt before it was recorded). */
  queuedNext?: number;
};

/** The notifier's records of its deliveries, one item per event (`event#<webhook-id>`, in no index). */
export type EventStore = {
  /**
   * The event `id` as first recorded: this call's url and body when it is the first, else the ones an
   * earlier delivery recorded, so every retry sends what the first attempt sent.
   */
  begin(event: Pick<StoredEvent, 'id' | 'url' | 'body'>): Promise<StoredEvent>;
  /**
   * Records attempt `attempt` and its answer; false when that attempt (or a later one) is recorded
   * already: another copy of the same queue message made it, and goes on with it.
   */
  recordAttempt(
    id: string,
    attempt: number,
    answer: DeliveryAnswer,
    state: StoredEvent['state'],
    nextAttemptAt?: string,
  ): Promise<boolean>;
  /** The event `id` as recorded, if it is. */
  get(id: string): Promise<StoredEvent | undefined>;
  /** Records that the message of attempt `next` is on the queue; never lowers it. */
  markQueued(id: string, next: number): Promise<void>;
  /**
   * A given-up event redriven from the dead-letter queue: retrying again, with `budget` as its new last
   * attempt; false when it is not `failed` (another copy rearmed it already).
   */
  rearm(id: string, budget: number): Promise<boolean>;
  /** The events of these ids that were recorded, by id. */
  read(ids: readonly string[]): Promise<Map<string, StoredEvent>>;
};

const keyOf = (id: string) => ({ pk: `event#${id}` });

function toStored(item: Record<string, unknown>): StoredEvent {
  const { pk: _pk, ...rest } = item;
  return rest as StoredEvent;
}

export function createEventStore(doc: DynamoDBDocumentClient, TableName: string): EventStore {
  return {
    async begin(event) {
      const fresh: StoredEvent = { ...event, state: 'retrying', attempts: 0 };
      const created = await conditionalPut(doc, {
        TableName,
        Item: { ...keyOf(event.id), ...fresh },
        ConditionExpression: 'attribute_not_exists(pk)', // -- the first body recorded is the one sent
      });
      if (created) return fresh;
      const out = await doc.send(new GetCommand({ TableName, Key: keyOf(event.id), ConsistentRead: true }));
      if (!out.Item) throw new Error(`event ${event.id} exists and cannot be read`);
      return toStored(out.Item);
    },

    async recordAttempt(id, attempt, answer, state, nextAttemptAt) {
      const written = await conditionalUpdate(doc, {
        TableName,
        Key: keyOf(id),
        UpdateExpression: `SET attempts = :n, lastAnswer = :answer, #state = :state${
          state === 'delivered' ? ', deliveredAt = :at' : ''
        }${nextAttemptAt ? ', nextAttemptAt = :next' : ''}${nextAttemptAt ? '' : ' REMOVE nextAttemptAt'}`,
        ConditionExpression: [
          'attempts < :n', // -- each attempt recorded once; a repeated message's copy stops here
          '#state = :retrying', // -- nothing after delivered, or after it was given up
        ].join(' AND '),
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':n': attempt,
          ':answer': answer,
          ':state': state,
          ':retrying': 'retrying',
          ...(state === 'delivered' ? { ':at': answer.at } : {}),
          ...(nextAttemptAt ? { ':next': nextAttemptAt } : {}),
        },
      });
      return written !== undefined;
    },

    markQueued(id, next) {
      return raiseNumber(doc, TableName, keyOf(id), 'queuedNext', next);
    },

    async get(id) {
      const out = await doc.send(new GetCommand({ TableName, Key: keyOf(id), ConsistentRead: true }));
      return out.Item ? toStored(out.Item) : undefined;
    },

    async rearm(id, budget) {
      const written = await conditionalUpdate(doc, {
        TableName,
        Key: keyOf(id),
        UpdateExpression: 'SET #state = :retrying, budget = :budget',
        ConditionExpression: '#state = :failed', // -- one redrive rearms it once
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':retrying': 'retrying', ':failed': 'failed', ':budget': budget },
      });
      return written !== undefined;
    },

    async read(ids) {
      const items = await getItems(doc, TableName, ids.map(keyOf));
      return new Map(items.map((item) => [String(item.pk).slice('event#'.length), toStored(item)]));
    },
  };
}
