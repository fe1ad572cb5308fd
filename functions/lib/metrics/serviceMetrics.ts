// No AWS SDK, no Powertools here: the CDK stack imports this list to build its dashboard and alarms,
// and the functions import it to emit, so a name cannot differ between the two.

/** The CloudWatch namespace of every metric the functions emit (EMF, in their logs, through Powertools Metrics). */
export const metricsNamespace = 'TransactionBroadcaster';

/** The functions that emit metrics: each metric carries the emitter's name as its `service` dimension. */
export type MetricService = 'api' | 'broadcaster' | 'updater' | 'tracker' | 'sweep' | 'notifier';

/** A metric the service emits: its name, unit, the function that emits it, and what one data point means. */
export type ServiceMetric = {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds' | 'None';
  readonly service: MetricService;
  /**
   * Dimensions besides `service`, on a line of their own (Powertools' single metric): `chainId`, `signer`,
   * `reason`. The alarms and the dashboard's totals read the `service`-only series, so every metric with
   * extra dimensions is also emitted without them, unless `only` says it is emitted with them alone.
   */
  readonly dimensions?: readonly ('chainId' | 'signer' | 'reason')[];
  /** True when the metric exists only with its extra dimensions (per signer: a total would mean nothing). */
  readonly only?: true;
  readonly description: string;
};

/**
 * Every metric of the service, by key. The emitters and the stack both read this list; a test checks
 * that each one is emitted by the function named here and that every dashboard widget and alarm names
 * one of them.
 */
export const serviceMetrics = {
  submitted: {
    name: 'Submitted',
    unit: 'Count',
    service: 'api',
    description: 'A new transaction accepted by POST /transactions (an idempotent repeat is not counted)',
  },
  broadcast: {
    name: 'Broadcast',
    unit: 'Count',
    service: 'updater',
    description: 'A transaction the node accepted for the first time (status success)',
  },
  mined: { name: 'Mined', unit: 'Count', service: 'updater', description: 'A transaction seen in a block' },
  confirmed: {
    name: 'Confirmed',
    unit: 'Count',
    service: 'updater',
    description: 'A transaction at depth with receipt status 1',
  },
  reverted: {
    name: 'Reverted',
    unit: 'Count',
    service: 'updater',
    description: 'A transaction at depth with receipt status 0',
  },
  failed: {
    name: 'Failed',
    unit: 'Count',
    service: 'updater',
    dimensions: ['reason'],
    description: 'A transaction ended failed; `reason` is the error class (rejected, insufficient_funds, ...)',
  },
  retried: {
    name: 'Retried',
    unit: 'Count',
    service: 'updater',
    description: 'A broadcast attempt that failed and will be tried again (status retrying)',
  },
  repriced: {
    name: 'Repriced',
    unit: 'Count',
    // The broadcaster's: a replacement is signed and stored by it; most are never reported to the updater.
    service: 'broadcaster',
    description: 'A replacement at higher fees broadcast for a stuck transaction (or a cancel)',
  },
  stuck: {
    name: 'StuckAtFeeCap',
    unit: 'Count',
    service: 'tracker',
    description: 'A look that found a transaction unmined with its fees at the cap: it cannot be re-priced further',
  },
  fillers: {
    name: 'FillersSent',
    unit: 'Count',
    service: 'broadcaster',
    description: 'A zero-value self-transfer broadcast to fill a nonce a failed transaction left open',
  },
  requeued: {
    name: 'Requeued',
    unit: 'Count',
    service: 'sweep',
    description: 'Stalled transactions the sweep put back on a queue, per run',
  },
  webhookDelivered: {
    name: 'WebhookDelivered',
    unit: 'Count',
    service: 'notifier',
    description: 'A webhook the receiver answered 2xx',
  },
  webhookFailed: {
    name: 'WebhookAttemptFailed',
    unit: 'Count',
    service: 'notifier',
    description: 'A webhook attempt that failed (non-2xx, timeout, refused address); it is tried again',
  },
  webhookGaveUp: {
    name: 'WebhookGaveUp',
    unit: 'Count',
    service: 'notifier',
    description: 'A webhook event whose every attempt failed: it went to the notifications dead-letter queue',
  },
  signerBalance: {
    name: 'SignerBalance',
    unit: 'None',
    service: 'sweep',
    dimensions: ['chainId', 'signer'],
    only: true,
    description: "A signer's balance on a chain, in ether, each sweep run",
  },
  lowBalance: {
    name: 'SignersLowOnBalance',
    unit: 'Count',
    service: 'sweep',
    description: 'Signers below their chain’s LOW_BALANCE_WEI, each sweep run',
  },
  nonceLag: {
    name: 'NonceLag',
    unit: 'Count',
    service: 'sweep',
    dimensions: ['chainId', 'signer'],
    description:
      "The signer's next nonce (the table's counter) minus the chain's mined nonce, each sweep run; without dimensions, the largest",
  },
  stalledSigners: {
    name: 'SignersStalled',
    unit: 'Count',
    service: 'sweep',
    description: 'Signers with nonces taken but unmined whose mined nonce has not moved for STALL_AFTER_SECONDS',
  },
  timeToBroadcast: {
    name: 'TimeToBroadcast',
    unit: 'Milliseconds',
    service: 'updater',
    description: 'From a transaction’s creation to the node accepting it',
  },
  timeToConfirm: {
    name: 'TimeToConfirm',
    unit: 'Milliseconds',
    service: 'updater',
    description: 'From a transaction’s creation to its confirmation (or revert) at depth',
  },
} as const satisfies Record<string, ServiceMetric>;

export type ServiceMetricKey = keyof typeof serviceMetrics;
