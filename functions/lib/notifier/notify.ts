import type { Logger } from '@aws-lambda-powertools/logger';
import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import type { EventStore, StoredEvent } from '../store/EventStore.ts';
import type { TransactionReads } from '../store/TransactionReads.ts';
import type { NotificationMessage } from '../transactions/messages.ts';
import { toView } from '../transactions/model.ts';
import type { UrlPolicy } from '../webhooks/checkCallbackUrl.ts';
import { deliverWebhook } from '../webhooks/deliverWebhook.ts';
import { webhookBackoffSeconds } from '../webhooks/deliveryPolicy.ts';
import { signWebhook } from '../webhooks/signWebhook.ts';
import type { WebhookSecrets } from '../webhooks/webhookSecrets.ts';

export type NotifyDeps = {
  events: EventStore;
  transactions: Pick<TransactionReads, 'get'>;
  /** The notifications queue (a retry comes back on it, delayed) and its dead-letter queue. */
  notifications: QueueSender<NotificationMessage>;
  deadLetters: QueueSender<NotificationMessage>;
  secrets: WebhookSecrets;
  policy: UrlPolicy;
  /** Where the operator's events go (OPERATOR_WEBHOOK_URL). */
  operatorUrl: string | undefined;
  settings: { maxAttempts: number; baseSeconds: number; timeoutMs: number };
  /** Told once of each event given up on (every attempt failed), as recorded. */
  gaveUp?: (event: StoredEvent) => void;
  /**
   * Where each attempt's end is counted: delivered, failed and tried again, or given up on (the stack's
   * alarm watches WebhookGaveUp). None: nothing is.
   */
  metrics?: Pick<ServiceMetricsSink<'notifier'>, 'count'> | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now: () => Date;
};

/** The longest body kept whole: the event's record must stay well under DynamoDB's 400 KB an item. */
const maxBodyChars = 256 * 1024;

/** What became of one notification message. */
export type NotifyResult = 'delivered' | 'retrying' | 'failed' | 'skipped';

/**
 * The event's URL and body as its first attempt records them: a transaction's event carries the
 * transaction as read now (it may be further along than the event says: a later event follows), the
 * operator's its own data. Undefined when there is nowhere to send it.
 */
async function firstRecord(
  deps: NotifyDeps,
  message: NotificationMessage,
): Promise<Pick<StoredEvent, 'id' | 'url' | 'body'> | undefined> {
  const { event } = message;
  if (event.kind === 'operator') {
    if (!deps.operatorUrl) return undefined;
    const body = JSON.stringify({ type: event.type, timestamp: event.at, data: event.data });
    return { id: event.id, url: deps.operatorUrl, body };
  }
  const tx = await deps.transactions.get(event.transactionId);
  if (!tx?.callbackUrl) return undefined;
  const body = (transaction: unknown) =>
    JSON.stringify({ type: event.type, timestamp: event.at, data: { sequence: event.sequence, transaction } });
  const full = body(toView(tx));
  if (full.length <= maxBodyChars) return { id: event.id, url: tx.callbackUrl, body: full };
  // A call with large data, signed several times: its signed bytes are left out (GET /transactions/{id} has them).
  const view = toView(tx);
  const slim = { ...view, rawTx: null, hashes: view.hashes.map(({ rawTx: _bytes, ...h }) => h) };
  return { id: event.id, url: tx.callbackUrl, body: body(slim) };
}

/**
 * Delivers one webhook event once, and arranges the next attempt: at least once, with the same
 * `webhook-id` and the same body every time. A 2xx is delivered; anything else (a status, a timeout,
 * a refused address) is retried on the notifications queue after a doubling backoff, until its last
 * attempt, and then the event goes to the dead-letter queue; moved back from there (a redrive), it gets
 * a new round of attempts. Each attempt is recorded before the next is queued, and the queuing is
 * recorded too, so a copy of a message delivered twice delivers nothing and queues nothing a second
 * time, while the copy of one whose process stopped between the two queues the next. A failure of our
 * own (the table, the queue) throws, and SQS delivers the message again.
 */
export async function notify(deps: NotifyDeps, message: NotificationMessage): Promise<NotifyResult> {
  // A retry finds its event recorded, and sends what was recorded: only a first attempt reads the rest.
  let stored = await deps.events.get(message.event.id);
  if (!stored) {
    const first = await firstRecord(deps, message);
    if (!first) {
      deps.logger.info('no webhook URL for this event; nothing to deliver', { eventId: message.event.id });
      return 'skipped';
    }
    stored = await deps.events.begin(first);
  }
  let attempt = message.attempt ?? 1;
  if (stored.state === 'failed' && message.redriven) {
    // Redriven from the dead-letter queue: a new round, as many attempts as the first.
    const budget = stored.attempts + deps.settings.maxAttempts;
    if (!(await deps.events.rearm(stored.id, budget))) return 'skipped';
    stored = { ...stored, state: 'retrying', budget };
    attempt = stored.attempts + 1;
    deps.logger.info('webhook redriven: a new round of attempts', { eventId: stored.id, attempt });
  }
  if (stored.state !== 'retrying') return 'skipped';
  if (stored.attempts > attempt) return 'skipped'; // -- an older attempt's message, delivered again
  if (stored.attempts === attempt) {
    // This attempt was made and recorded. Its next is on the queue, unless the process stopped first.
    if ((stored.queuedNext ?? 0) <= attempt) await queueNext(deps, message.event, attempt + 1, stored.nextAttemptAt);
    return 'skipped';
  }
  const at = deps.now();
  const headers = signWebhook(await deps.secrets.secrets(), stored.id, at, stored.body);
  const result = await deliverWebhook(stored.url, headers, stored.body, {
    policy: deps.policy,
    timeoutMs: deps.settings.timeoutMs,
    now: () => at,
  });
  const budget = stored.budget ?? deps.settings.maxAttempts;
  const state = result.delivered ? 'delivered' : attempt >= budget ? 'failed' : 'retrying';
  // The backoff starts again with each round (a redrive's first retry waits as the first one did).
  const inRound = attempt - (budget - deps.settings.maxAttempts);
  const delay = webhookBackoffSeconds(inRound + 1, deps.settings.baseSeconds);
  const nextAt = state === 'retrying' ? new Date(at.getTime() + delay * 1000).toISOString() : undefined;
  const where = { eventId: stored.id, attempt, status: result.answer.status, error: result.answer.error };
  if (state === 'failed') {
    // Into the dead-letter queue before it is recorded as given up: a stop in between delivers this
    // message again, which tries once more and gets here again, rather than leave it nowhere.
    await deps.deadLetters.send({ event: message.event, attempt, redriven: true });
    deps.logger.error('webhook not delivered after its last attempt; sent to the dead-letter queue', where);
  }
  if (!(await deps.events.recordAttempt(stored.id, attempt, result.answer, state, nextAt))) return 'skipped';
  // Counted once the attempt is recorded: a copy of this message delivered again is skipped above.
  if (state === 'delivered') {
    deps.metrics?.count('webhookDelivered', 1);
    deps.logger.info('webhook delivered', where);
  } else if (state === 'retrying') {
    deps.metrics?.count('webhookFailed', 1);
    deps.logger.warn('webhook not delivered; retrying', { ...where, nextAttemptAt: nextAt });
    await deps.notifications.send({ event: message.event, attempt: attempt + 1 }, delay);
    await deps.events.markQueued(stored.id, attempt + 1);
  } else {
    deps.metrics?.count('webhookGaveUp', 1);
    deps.gaveUp?.({ ...stored, state, attempts: attempt, lastAnswer: result.answer });
  }
  return state;
}

/** Queues attempt `next` of an event, due at `dueAt` (or now), and records that it is queued. */
async function queueNext(deps: NotifyDeps, event: NotificationMessage['event'], next: number, dueAt?: string) {
  const wait = dueAt ? Math.ceil((Date.parse(dueAt) - deps.now().getTime()) / 1000) : 0;
  await deps.notifications.send({ event, attempt: next }, Math.max(0, Math.min(900, wait)));
  await deps.events.markQueued(event.id, next);
}
