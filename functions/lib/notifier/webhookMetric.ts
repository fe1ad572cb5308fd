/**
 * The metric the notifier emits (CloudWatch EMF, in its log) each time it gives up on a webhook event
 * (every attempt failed; the event goes to the notifications dead-letter queue). The stack's alarm watches it.
 */
export const webhookGaveUpMetric = {
  namespace: 'TransactionBroadcaster',
  name: 'WebhookGaveUp',
  service: 'notifier',
} as const;
