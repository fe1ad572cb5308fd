import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChainRegistry } from '../../functions/lib/chain/ChainRegistry.ts';
import { signerSet } from '../../functions/lib/chain/Signer.ts';
import { anvilDevKey } from '../../functions/lib/config/loadConfig.ts';
import { createNonceStore } from '../../functions/lib/store/NonceStore.ts';
import { createNonceWatch, nonceWatchKeyOf } from '../../functions/lib/store/NonceWatch.ts';
import { type WatchNonceLagDeps, watchNonceLag } from '../../functions/lib/sweep/watchNonceLag.ts';
import { callApi } from '../support/callApi.ts';
import { type Handlers, loadHandlers, pump } from '../support/loadHandlers.ts';
import { recordingMetrics } from '../support/recordingMetrics.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { asClient as client } from '../support/tokens.ts';

// The sweep's nonce lag watch against a chain that accepts transactions and does not mine them: the lag
// (the table's counter minus the chain's mined nonce) shows at once, the signer is stalled once the mined
// nonce has stood still STALL_AFTER_SECONDS, and both clear once the chain mines.
const account = privateKeyToAccount(anvilDevKey);
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const chainId = 31337;
const stallAfterSeconds = 600;

let stack: TestStack;
let handlers: Handlers;

/** A clock that stands still until the test moves it. */
function createClock() {
  let at = Date.now();
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

/** The watch over the stack's table and chain, with the clock given; what it publishes and warns is kept. */
function watchOf(clock: ReturnType<typeof createClock>) {
  const metrics = recordingMetrics<'sweep'>();
  const warnings: unknown[] = [];
  const chains: ChainRegistry = { chainIds: () => [chainId], client: () => stack.chain };
  const deps: WatchNonceLagDeps = {
    signers: async () => signerSet([account]),
    chains,
    nonces: createNonceStore(stack.doc, stack.tableName),
    watch: createNonceWatch(stack.doc, stack.tableName),
    stallAfterSeconds,
    metrics: metrics.sink,
    logger: {
      warn(_message: string, ...extra: unknown[]) {
        warnings.push(extra[0]);
      },
    },
    now: clock.now,
  };
  const seen = {
    get lags() {
      return metrics.values('nonceLag');
    },
    get stalled() {
      return metrics.values('stalledSigners');
    },
    warnings,
  };
  return { run: () => watchNonceLag(deps), seen };
}

/** The EMF lines (CloudWatch metrics) a call printed, parsed. */
async function metricsOf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  stack = await startTestStack();
  handlers = await loadHandlers(stack, {
    FEE_CACHE_MS: '0',
    BALANCE_CACHE_MS: '0',
    // The handlers print their metrics (EMF) as on Lambda.
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
});

afterAll(async () => {
  await stack?.testClient.setAutomine(true);
  await stack?.stop();
});

describe('the nonce lag watch', () => {
  it('sees the lag of a chain that accepts and does not mine, calls it stalled after the stall time, and clears once mined', async () => {
    // prepare: the chain takes transactions into its pool and mines none.
    await stack.testClient.setAutomine(false);
    await stack.testClient.setIntervalMining({ interval: 0 });
    const posted = await Promise.all(
      [1, 2, 3].map((value) =>
        callApi(handlers.api, 'POST', '/transactions', {
          headers: { ...client, prefer: 'respond-async' },
          body: { to, value: String(value) },
        }),
      ),
    );
    expect(posted.map((p) => p.status)).toEqual([202, 202, 202]);
    await pump(stack, handlers);
    const views = await Promise.all(
      posted.map((p) => callApi(handlers.api, 'GET', `/transactions/${p.body.id}`, { headers: client })),
    );
    // Sent and accepted by the node, none mined.
    expect(views.map((v) => v.body.status)).toEqual(['success', 'success', 'success']);
    expect(await stack.chain.getTransactionCount({ address: account.address, blockTag: 'latest' })).toBe(0);
    const clock = createClock();
    const watch = watchOf(clock);

    // act, assess: the lag shows at once, not stalled yet.
    expect(await watch.run()).toEqual([
      { chainId, address: account.address, lag: 3, mined: 0, since: clock.now().toISOString(), stalled: false },
    ]);
    expect(watch.seen).toMatchObject({ lags: [3], stalled: [0], warnings: [] });

    // The sweep itself publishes it: per signer, and without dimensions (its Maximum: the largest).
    const emitted = await metricsOf(() => handlers.sweep());
    expect(emitted.find((m) => 'NonceLag' in m && 'signer' in m)).toMatchObject({
      NonceLag: 3,
      chainId: String(chainId),
      signer: account.address,
    });
    expect(emitted.find((m) => 'NonceLag' in m && !('signer' in m))).toMatchObject({ NonceLag: 3, service: 'sweep' });
    expect(emitted.find((m) => 'SignersStalled' in m)).toMatchObject({ SignersStalled: 0, service: 'sweep' });

    // Just short of the stall time: not stalled; at it: stalled, with one warning naming it.
    clock.advance((stallAfterSeconds - 1) * 1000);
    expect((await watch.run())[0]?.stalled).toBe(false);
    const stalledSince = new Date(clock.now().getTime() - (stallAfterSeconds - 1) * 1000).toISOString();
    clock.advance(1000);
    expect(await watch.run()).toEqual([
      { chainId, address: account.address, lag: 3, mined: 0, since: stalledSince, stalled: true },
    ]);
    expect(watch.seen.stalled).toEqual([0, 0, 1]);
    expect(watch.seen.warnings).toEqual([{ chainId, signer: account.address, lag: 3, mined: 0, since: stalledSince }]);

    // The chain mines what it holds: the lag drops to 0, the stall clears, the mark is gone.
    await stack.testClient.mine({ blocks: 1 });
    expect(await stack.chain.getTransactionCount({ address: account.address, blockTag: 'latest' })).toBe(3);
    clock.advance(60_000);
    expect(await watch.run()).toEqual([{ chainId, address: account.address, lag: 0, mined: 3, stalled: false }]);
    expect(watch.seen).toMatchObject({ lags: [3, 3, 3, 0], stalled: [0, 0, 1, 0] });
    const mark = await stack.doc.send(
      new GetCommand({ TableName: stack.tableName, Key: { pk: nonceWatchKeyOf(chainId, account.address) } }),
    );
    expect(mark.Item).toBeUndefined();
  });
});
