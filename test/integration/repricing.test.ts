import { setTimeout as sleep } from 'node:timers/promises';
import { type Hash, parseGwei, parseTransaction } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { boundCases, devRecipient, devSigner, isFinal } from '../support/chainCases.ts';
import { driveUntil, type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

// Fee spikes, the fee cap, cancel and expiry, on a chain of one block a second at depth 2, through the
// real handlers (the tracker included). A spike is held by setting each next block's base fee; every
// case ends by reading the whole chain back: no id has two on-chain effects, the nonces run on.

let stack: TestStack;
let handlers: Handlers;

const signer = devSigner;
const recipient = devRecipient;
const { post, view, pauseMining, resumeMining, expectOneEffectPerId } = boundCases(() => ({ stack, handlers }));

/** FEE_CAP_GWEI of this file: a spike of 30 gwei is under it, one of 300 above. */
const capGwei = 100;

async function cancel(id: string): Promise<{ status: number; body: TransactionView & { error?: { code: string } } }> {
  const res = await handlers.api(apiEvent('POST', `/transactions/${id}/cancel`));
  return { status: res.statusCode ?? 0, body: JSON.parse(res.body ?? '{}') };
}

/** Drives every queue until each of `ids` satisfies `holds`; returns them then. */
async function driveAll(ids: string[], what: string, holds: (tx: TransactionView) => boolean, timeoutMs = 30_000) {
  let last: TransactionView[] = [];
  try {
    await driveUntil(
      stack,
      handlers,
      async () => {
        last = await Promise.all(ids.map(view));
        return last.every(holds);
      },
      { timeoutMs, what },
    );
  } catch (error) {
    const seen = last.map((t) => `${t.status} after ${t.history.map((h) => h.outcome).join(', ')}`).join('; ');
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen: ${seen}`, { cause: error });
  }
  return last;
}

/** Holds the base fee of every next block at `gwei` until the returned stop is called. */
function holdBaseFee(gwei: string): () => Promise<void> {
  let held = true;
  const wei = parseGwei(gwei);
  const loop = (async () => {
    while (held) {
      await stack.testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: wei });
      await sleep(150);
    }
  })();
  return async () => {
    held = false;
    await loop;
  };
}

/** Sends nothing, mines nothing: the chain as a test left it, for the next. */
let release: (() => Promise<void>) | undefined;
afterEach(async () => {
  await release?.();
  release = undefined;
  await stack.testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: parseGwei('1') });
  await resumeMining();
});

/** Posts one transfer with mining paused and drives it to success: signed at the fees of a calm market. */
async function sentWhilePaused(value: string): Promise<TransactionView> {
  await pauseMining();
  const id = await post({ to: recipient, value });
  const [tx] = await driveAll([id], 'success', (t) => t.status === 'success');
  if (!tx) throw new Error('not read');
  return tx;
}

beforeAll(async () => {
  stack = await startTestStack({ blockTime: 1 });
  handlers = await loadHandlers(stack, {
    CONFIRMATIONS: '2',
    TRACK_INTERVAL_SECONDS: '1',
    STUCK_AFTER_BLOCKS: '2',
    FEE_CAP_GWEI: String(capGwei),
    FEE_CACHE_MS: '0',
    // Each signer's health (its balance, a stuck head) read afresh at every choice: the test flags one and sends at once.
    BALANCE_CACHE_MS: '0',
    LOG_LEVEL: process.env.DEBUG_LOG ?? 'SILENT',
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('re-pricing on a chain of one block a second', () => {
  it('a held fee spike below the cap is outbid: a replacement is mined during the spike', {
    timeout: 60_000,
  }, async () => {
    const sent = await sentWhilePaused('4000');
    const first = parseTransaction(sent.rawTx as `0x${string}`);
    expect(first.maxFeePerGas, 'signed well under the spike').toBeLessThan(parseGwei('30'));
    release = holdBaseFee('30');
    await resumeMining();

    const [tx] = await driveAll([sent.id], 'a terminal status', isFinal);
    if (!tx?.receipt) throw new Error('no receipt');

    expect(tx.status).toBe('confirmed');
    expect(tx.hashes.length, 'more than one signature').toBeGreaterThan(1);
    expect(tx.hashes.at(-1)?.kind).toBe('reprice');
    // Mined during the spike: it paid at least the held base fee, which the first signature could not.
    expect(BigInt(tx.receipt.effectiveGasPrice)).toBeGreaterThanOrEqual(parseGwei('30'));
    const mined = tx.hashes.find((h) => h.txHash === tx.txHash);
    expect(mined?.kind).toBe('reprice');
    // Each replacement bids at least 12.5% over the one before, for the same nonce and request.
    for (let i = 1; i < tx.hashes.length; i++) {
      const [a, b] = [tx.hashes[i - 1], tx.hashes[i]];
      if (!a || !b) throw new Error('missing signature');
      expect(BigInt(b.maxFeePerGas) * 1000n).toBeGreaterThanOrEqual(BigInt(a.maxFeePerGas) * 1125n);
      expect(BigInt(b.maxPriorityFeePerGas) * 1000n).toBeGreaterThanOrEqual(BigInt(a.maxPriorityFeePerGas) * 1125n);
    }
    const onChain = await stack.chain.getTransaction({ hash: tx.txHash as Hash });
    expect(onChain).toMatchObject({ nonce: sent.nonce, to: recipient.toLowerCase(), value: 4000n });
    expect(tx.rawTx && parseTransaction(tx.rawTx as `0x${string}`).maxFeePerGas).toBe(onChain.maxFeePerGas);
    await expectOneEffectPerId();
  });

  it('a spike above the cap leaves it stuck and flagged, then mined when the spike ends, and the one behind it after', {
    timeout: 90_000,
  }, async () => {
    const stuck = await sentWhilePaused('5000');
    release = holdBaseFee('300');
    await resumeMining();

    const [flagged] = await driveAll([stuck.id], 'stuck', (t) => t.stuck !== null);
    if (!flagged?.stuck) throw new Error('not flagged');
    expect(flagged.status).toBe('success');
    expect(flagged.stuck.reason).toContain(`fee cap of ${capGwei} gwei`);
    expect(flagged.history.map((h) => h.outcome)).toContain('stuck');
    // Never above the cap, whatever the market asked.
    for (const h of flagged.hashes) expect(BigInt(h.maxFeePerGas)).toBeLessThanOrEqual(parseGwei(String(capGwei)));
    // The one behind it: its signer's next transaction waits at the cap, so the signer is unhealthy and it
    // takes no new one: it waits, unsigned, no nonce taken, saying why, until the stuck one is mined.
    const behind = await post({ to: recipient, value: '5001' });
    const [waiting] = await driveAll([behind], 'waiting', (t) => t.waiting !== null);
    expect(waiting).toMatchObject({ status: 'pending', nonce: null, rawTx: null });
    expect(waiting?.waiting?.reason).toContain(
      `its next transaction (nonce ${flagged.nonce}, ${stuck.id}) waits at the fee cap`,
    );
    expect(waiting?.message).toBe(waiting?.waiting?.reason);

    await release();
    release = undefined;
    await stack.testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: parseGwei('1') });

    const [a, b] = await driveAll([stuck.id, behind], 'both terminal', isFinal, 40_000);
    if (!a?.receipt || !b?.receipt) throw new Error('no receipts');
    expect([a.status, b.status]).toEqual(['confirmed', 'confirmed']);
    expect(a.stuck, 'mined: no longer stuck').toBeNull();
    // Woken when the stuck one was mined, it took the next nonce.
    expect(b.nonce).toBe((a.nonce ?? -1) + 1);
    expect(b.waiting).toBeNull();
    expect(b.receipt.blockNumber).toBeGreaterThanOrEqual(a.receipt.blockNumber);
    await expectOneEffectPerId();
  });
});

describe('cancel and expiry', () => {
  it('a cancel before signing ends it failed at once, never signed, whatever is delivered late', {
    timeout: 30_000,
  }, async () => {
    const id = await post({ to: recipient, value: '6000' });
    const answer = await cancel(id);
    expect([200, 202]).toContain(answer.status);
    expect(answer.body.cancel).toMatchObject({ by: 'default', reason: 'requested' });

    // The request's own message is still on the queue: delivering it signs nothing.
    const [tx] = await driveAll([id], 'failed', (t) => t.status === 'failed');
    expect(tx?.rawTx).toBeNull();
    expect(tx?.hashes).toEqual([]);
    expect(tx?.history.at(-1)?.error).toMatch(/^canceled/);
    expect((await cancel(id)).status, 'a repeat answers the same').toBe(200);
    await expectOneEffectPerId();
  });

  it('a cancel of a signed transaction replaces its nonce with a zero-value transfer to the sender', {
    timeout: 60_000,
  }, async () => {
    const sent = await sentWhilePaused('7000');
    const answer = await cancel(sent.id);
    expect(answer.status).toBe(202);
    await driveAll([sent.id], 'a cancel signed', (t) => t.hashes.some((h) => h.kind === 'cancel'));
    await resumeMining();
    // Its cancel in a block short of depth: a cancel asked again is on its way, not too late.
    await driveAll([sent.id], 'its cancel mined', (t) => t.status === 'mined' || isFinal(t));
    expect([200, 202]).toContain((await cancel(sent.id)).status);

    const [tx] = await driveAll([sent.id], 'a terminal status', isFinal);
    if (!tx?.receipt) throw new Error('no receipt');
    expect(tx.status).toBe('failed');
    expect(tx.cancel).toMatchObject({ by: 'default', reason: 'requested' });
    expect(tx.hashes.find((h) => h.txHash === tx.txHash)?.kind).toBe('cancel');
    const onChain = await stack.chain.getTransaction({ hash: tx.txHash as Hash });
    expect(onChain).toMatchObject({ nonce: sent.nonce, to: signer.toLowerCase(), value: 0n, input: '0x' });
    expect(tx.receipt.confirmations).toBeGreaterThanOrEqual(2);
    const again = await cancel(sent.id);
    expect(again.status).toBe(200);
    expect(again.body.hashes).toHaveLength(tx.hashes.length);
    await expectOneEffectPerId();
  });

  it('a cancel that loses the race to the original tells the original outcome', { timeout: 60_000 }, async () => {
    const sent = await sentWhilePaused('8000');
    // The cancel is asked for, and before the broadcaster can replace it the original is mined.
    const answer = await cancel(sent.id);
    expect(answer.status).toBe(202);
    await stack.testClient.mine({ blocks: 1 });
    await resumeMining();

    const [tx] = await driveAll([sent.id], 'a terminal status', isFinal);
    expect(tx?.status).toBe('confirmed');
    expect(tx?.txHash).toBe(sent.txHash);
    const again = await cancel(sent.id);
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('not_cancelable');
    await expectOneEffectPerId();
  });

  it('validUntil passed before signing: it is never signed', { timeout: 30_000 }, async () => {
    const id = await post({ to: recipient, value: '9000', validUntil: new Date(Date.now() + 1500).toISOString() });
    await sleep(2000);
    const [tx] = await driveAll([id], 'failed', (t) => t.status === 'failed');
    expect(tx?.rawTx).toBeNull();
    expect(tx?.history.at(-1)?.error).toMatch(/^canceled: not sent by validUntil/);
    await expectOneEffectPerId();
  });

  it('validUntil passed while it waits unmined: its cancel is mined instead', { timeout: 60_000 }, async () => {
    const validUntil = new Date(Date.now() + 3000).toISOString();
    await pauseMining();
    const id = await post({ to: recipient, value: '9100', validUntil });
    // No block until validUntil has passed and its cancel is signed, at fees over its own.
    await driveAll([id], 'a cancel signed', (t) => t.hashes.some((h) => h.kind === 'cancel'));
    await resumeMining();

    const [tx] = await driveAll([id], 'a terminal status', isFinal);
    expect(tx?.status).toBe('failed');
    expect(tx?.cancel).toMatchObject({ by: 'validUntil', reason: 'expired' });
    expect(tx?.hashes.find((h) => h.txHash === tx.txHash)?.kind).toBe('cancel');
    await expectOneEffectPerId();
  });

  it('refuses a validUntil in the past, naming the field, and records nothing', async () => {
    const res = await handlers.api(
      apiEvent('POST', '/transactions', { to: recipient, validUntil: '2020-01-01T00:00:00Z' }),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body ?? '{}').error.details[0].path).toBe('validUntil');
  });
});
