import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/lib/api/createApiHandler.ts';
import type { Route } from '../../functions/lib/api/Route.ts';
import { broadcastTransaction } from '../../functions/lib/broadcast/broadcastTransaction.ts';
import { fillGap } from '../../functions/lib/broadcast/fillGap.ts';
import { signerSet } from '../../functions/lib/chain/Signer.ts';
import { json } from '../../functions/lib/http/respond.ts';
import { createServiceMetrics, type ServiceMetricsEmitter } from '../../functions/lib/metrics/createServiceMetrics.ts';
import {
  type MetricService,
  metricsNamespace,
  type ServiceMetricKey,
  serviceMetrics,
} from '../../functions/lib/metrics/serviceMetrics.ts';
import { notify } from '../../functions/lib/notifier/notify.ts';
import type { BalanceWatch } from '../../functions/lib/store/BalanceWatch.ts';
import type { NonceWatch } from '../../functions/lib/store/NonceWatch.ts';
import { requeueStale } from '../../functions/lib/sweep/requeueStale.ts';
import { watchBalances } from '../../functions/lib/sweep/watchBalances.ts';
import { watchNonceLag } from '../../functions/lib/sweep/watchNonceLag.ts';
import { stuckMetric } from '../../functions/lib/tracker/stuckMetric.ts';
import { trackTransaction } from '../../functions/lib/tracker/trackTransaction.ts';
import { webhookIdOf } from '../../functions/lib/transactions/events.ts';
import type { ResponseMessage } from '../../functions/lib/transactions/messages.ts';
import { recordOutcome } from '../../functions/lib/updater/recordOutcome.ts';
import { createWebhookSecrets } from '../../functions/lib/webhooks/webhookSecrets.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { emfOf, linesOf } from '../support/emfOf.ts';
import { startReceiver } from '../support/webhookReceiver.ts';
import {
  account,
  chainId,
  createBroadcastWorld,
  createFakeChain,
  createFakeNonces,
  createFakeRegistry,
  createRecordingQueue,
  pendingTransaction,
  silentLogger,
} from './fakes/broadcastFakes.ts';
import { createFakeEventStore } from './fakes/eventStoreFake.ts';
import { createTrackWorld, trackedTransaction } from './fakes/trackFakes.ts';

// Every metric of serviceMetrics is emitted by the function its entry names: for each one, a scenario
// drives a domain function of that function with that function's emitter (the types let a domain function
// take no other function's), and the EMF Powertools prints must hold the metric, with its unit, under the
// `service` the list names, alone (the series the alarms read) and with the extra dimensions the list gives.

/** A scenario of function `service`: it drives one of that function's domain functions with its emitter. */
const on = <S extends MetricService>(service: S, drive: (metrics: ServiceMetricsEmitter<S>) => Promise<unknown>) => ({
  service,
  emit: async () => {
    const metrics = createServiceMetrics(service);
    await drive(metrics);
    metrics.flush();
  },
});

const gwei = (n: number) => BigInt(n) * 1_000_000_000n;
const createdAt = '2025-01-01T00:00:00.000Z';

/** The updater applying one response to a transaction created at `createdAt`: a change with a history entry. */
const applied = (response: Partial<ResponseMessage>) => (metrics: ServiceMetricsEmitter<'updater'>) =>
  recordOutcome(
    {
      transactions: {
        apply: async () => ({ result: 'applied', appended: true, tx: pendingTransaction({ createdAt }) }),
        get: async () => undefined,
        markAnnounced: async () => {},
      },
      tracking: createRecordingQueue().queue,
      staleAfterMs: 60_000,
      trackAfterSeconds: () => 1,
      metrics,
    },
    {
      id: 'tx-1',
      attempt: 1,
      at: '2025-01-01T00:00:03.000Z',
      status: 'success',
      message: 'test',
      ...response,
    },
    new Date('2025-01-01T00:00:03.000Z'),
  );

const receipt = {
  status: 'success' as const,
  txHash: `0x${'ab'.repeat(32)}`,
  blockNumber: 5,
  blockHash: `0x${'cd'.repeat(32)}`,
  gasUsed: '21000',
  effectiveGasPrice: '1',
  confirmations: 3,
};

/** POST /transactions answering a new transaction (202 with its Location), through the api's handler. */
async function submit(metrics: ServiceMetricsEmitter<'api'>) {
  const route: Route = {
    method: 'POST',
    path: '/transactions',
    access: 'none',
    summary: 'submit',
    responses: {},
    handler: async () => json(202, { id: 'tx-1' }, { location: '/transactions/tx-1' }),
  };
  const handler = createApiHandler([route], { access: async () => undefined, logger: silentLogger(), metrics });
  return handler(apiEvent('POST', '/transactions', {}), {} as never);
}

/** The sweep's balance watch over one chain, the dev signer below the threshold. */
const balances = (metrics: ServiceMetricsEmitter<'sweep'>) => {
  const watch: BalanceWatch = { lowSince: async () => new Map(), markLow: async () => true, clearLow: async () => {} };
  return watchBalances({
    signers: async () => signerSet([account]),
    chains: createFakeRegistry({ [chainId]: createFakeChain() }),
    watch,
    lowBalanceWei: () => 10n ** 22n,
    notifications: undefined,
    metrics,
    logger: silentLogger(),
    now: () => new Date(createdAt),
  });
};

/** The sweep's nonce lag watch: the counter 3 ahead of the chain's mined nonce. */
const nonceLag = (metrics: ServiceMetricsEmitter<'sweep'>) => {
  const watch: NonceWatch = { seen: async () => new Map(), mark: async () => {}, clear: async () => {} };
  return watchNonceLag({
    signers: async () => signerSet([account]),
    chains: createFakeRegistry({ [chainId]: createFakeChain({ latest: 4 }) }),
    nonces: createFakeNonces({ counters: [{ chainId, from: account.address, next: 7, allocatedAt: 0 }] }).store,
    watch,
    stallAfterSeconds: 600,
    metrics,
    logger: silentLogger(),
    now: () => new Date(createdAt),
  });
};

/** One delivery of a transaction's webhook to a receiver answering `status`, with `maxAttempts` attempts. */
async function deliver(metrics: ServiceMetricsEmitter<'notifier'>, status: number, maxAttempts = 3) {
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  const receiver = await startReceiver(secret, () => status);
  try {
    const tx = pendingTransaction({ status: 'success', callbackUrl: receiver.url });
    return await notify(
      {
        events: createFakeEventStore().store,
        transactions: { get: async () => tx },
        notifications: createRecordingQueue().queue,
        deadLetters: createRecordingQueue().queue,
        secrets: createWebhookSecrets({ WEBHOOK_SECRET: [secret] }, async () => undefined),
        policy: { allowPrivate: true, allowHttp: true },
        operatorUrl: undefined,
        settings: { maxAttempts, baseSeconds: 1, timeoutMs: 2000 },
        metrics,
        logger: silentLogger(),
        now: () => new Date(),
      },
      {
        event: {
          kind: 'transaction',
          id: webhookIdOf(tx.id, 1),
          transactionId: tx.id,
          sequence: 1,
          type: 'transaction.success',
          at: new Date().toISOString(),
        },
      },
    );
  } finally {
    await receiver.stop();
  }
}

const scenarios: Record<ServiceMetricKey, ReturnType<typeof on>> = {
  submitted: on('api', submit),
  broadcast: on('updater', applied({ status: 'success' })),
  mined: on('updater', applied({ status: 'mined', receipt: { ...receipt, confirmations: 1 } })),
  confirmed: on('updater', applied({ status: 'confirmed', receipt })),
  reverted: on('updater', applied({ status: 'reverted', receipt: { ...receipt, status: 'reverted' } })),
  failed: on('updater', applied({ status: 'failed', error: 'insufficient funds for gas * price + value' })),
  retried: on('updater', applied({ status: 'retrying', attempt: 2, error: 'timeout' })),
  timeToBroadcast: on('updater', applied({ status: 'success' })),
  timeToConfirm: on('updater', applied({ status: 'confirmed', receipt })),
  repriced: on('broadcaster', async (metrics) => {
    const { tx, txHash } = await trackedTransaction();
    const world = createBroadcastWorld([tx]);
    await broadcastTransaction(
      { ...world.deps, metrics },
      { id: tx.id, attempt: 1, phase: 'reprice', replaces: txHash },
    );
  }),
  fillers: on('broadcaster', async (metrics) => {
    const world = createBroadcastWorld([]);
    await fillGap({ ...world.deps, metrics }, { fill: { chainId, from: account.address, nonce: 3, reason: 'test' } });
  }),
  stuck: on('tracker', async (metrics) => {
    // Its latest signature at the cap (100 gwei), the market at 500: no bump fits under the cap.
    const { tx, txHash } = await trackedTransaction();
    const latest = tx.hashes?.at(-1);
    if (latest) Object.assign(latest, { maxFeePerGas: gwei(100).toString(), maxPriorityFeePerGas: gwei(2).toString() });
    const world = createTrackWorld([tx], { feeCapGwei: 100 });
    world.node.pool.add(txHash);
    world.market.maxFeePerGas = gwei(500);
    await trackTransaction(
      { ...world.deps, metrics: stuckMetric(metrics) },
      { id: tx.id, token: 'token-1', misses: 1 },
    );
  }),
  requeued: on('sweep', (metrics) =>
    requeueStale(
      {
        transactions: {
          findStale: async () => [{ id: 'tx-1', attempts: 1, status: 'pending' }],
          get: async () => pendingTransaction(),
          postpone: async () => {},
          postponeForBacklog: async () => ({ times: 1, previousBacklog: undefined }),
          restartTracking: async () => false,
        },
        requests: createRecordingQueue().queue,
        tracking: createRecordingQueue().queue,
        logger: silentLogger(),
        metrics,
      },
      { now: Date.parse(createdAt), staleAfterMs: 60_000, maxAttempts: 3 },
    ),
  ),
  signerBalance: on('sweep', balances),
  lowBalance: on('sweep', balances),
  nonceLag: on('sweep', nonceLag),
  stalledSigners: on('sweep', nonceLag),
  webhookDelivered: on('notifier', (metrics) => deliver(metrics, 204)),
  webhookFailed: on('notifier', (metrics) => deliver(metrics, 500)),
  webhookGaveUp: on('notifier', (metrics) => deliver(metrics, 500, 1)),
};

describe('every metric of serviceMetrics', () => {
  it.each(Object.keys(serviceMetrics) as ServiceMetricKey[])(
    '%s is emitted by the function its entry names',
    async (key) => {
      // prepare
      const metric = serviceMetrics[key];
      // act
      const lines = await emfOf(scenarios[key].emit);
      // assess
      const found = linesOf(lines, metric.name);
      expect(found.length, `${metric.name} printed`).toBeGreaterThan(0);
      for (const { line } of found) {
        expect(line.service).toBe(metric.service);
        expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe(metricsNamespace);
        const unit = line._aws.CloudWatchMetrics[0]?.Metrics.find((m) => m.Name === metric.name)?.Unit;
        expect(unit).toBe(metric.unit);
      }
      const sets = found.map((f) => f.dimensions.join(','));
      const extra = 'dimensions' in metric ? [...metric.dimensions] : [];
      if (extra.length > 0) expect(sets).toContain(['service', ...extra].sort().join(','));
      if ('only' in metric && metric.only) expect(sets).not.toContain('service');
      else expect(sets).toContain('service');
    },
  );
});
