import { type Hex, parseEther, toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { apiEvent } from '../support/apiEvent.ts';
import { audit, chainTransactionsOf, expectOneEffectEach } from '../support/audit.ts';
import { boundCases, isFinal } from '../support/chainCases.ts';
import { driveUntil, type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';

// A pool of four signers (anvil's dev accounts 0-3) on a chain of one block a second, through the real
// handlers: the load spreads, a request may name its signer, an unhealthy signer takes no new work, no
// signer holds more than its cap unmined while the chain stops, and a restart keeps every assignment.
// Each case ends by reading the whole chain back, signer by signer.

const mnemonic = 'test test test test test test test test test test test junk';
const pool = [0, 1, 2, 3].map((addressIndex) => mnemonicToAccount(mnemonic, { addressIndex }));
const keyOf = (account: (typeof pool)[number]) => toHex(account.getHdKey().privateKey as Uint8Array);
const addresses = pool.map((a) => a.address);
/** Not one of the pool: dev account 9. */
const recipient = mnemonicToAccount(mnemonic, { addressIndex: 9 }).address;
const cap = 5;
const lowBalance = parseEther('1');

let stack: TestStack;
let handlers: Handlers;
const env = {
  SIGNER_PRIVATE_KEYS: pool.map(keyOf).join(','),
  MAX_IN_FLIGHT_PER_SIGNER: String(cap),
  LOW_BALANCE_WEI: lowBalance.toString(),
  BALANCE_CACHE_MS: '0',
  FEE_CACHE_MS: '0',
  CONFIRMATIONS: '1',
  TRACK_INTERVAL_SECONDS: '1',
  LOG_LEVEL: process.env.DEBUG_LOG ?? 'SILENT',
};

beforeAll(async () => {
  stack = await startTestStack({ blockTime: 1 });
  handlers = await loadHandlers(stack, env);
});

afterAll(async () => {
  await stack?.stop();
});

const { post, view, pauseMining, resumeMining } = boundCases(() => ({ stack, handlers }));
const views = (ids: string[]) => Promise.all(ids.map(view));

/** Drives every queue until each of `ids` satisfies `holds`. */
async function driveAll(ids: string[], what: string, holds: (tx: TransactionView) => boolean, timeoutMs = 60_000) {
  let last: TransactionView[] = [];
  await driveUntil(
    stack,
    handlers,
    async () => {
      last = await views(ids);
      return last.every(holds);
    },
    { timeoutMs, what },
  ).catch((error: unknown) => {
    const open = last.filter((t) => !holds(t)).map((t) => `${t.id} ${t.status} ${t.message}`);
    throw new Error(`${String(error)}; not yet: ${open.slice(0, 5).join(' | ')}`);
  });
  return last;
}

/** Unmined transactions of each signer on the chain now: its pending nonce count less its mined one. */
async function unminedOnChain(): Promise<number[]> {
  return Promise.all(
    addresses.map(async (address) => {
      const [pending, latest] = await Promise.all([
        stack.chain.getTransactionCount({ address, blockTag: 'pending' }),
        stack.chain.getTransactionCount({ address, blockTag: 'latest' }),
      ]);
      return pending - latest;
    }),
  );
}

/**
 * The whole chain read back, signer by signer: every transaction of each on chain is one record's
 * signature (or a filler), its nonces run 0, 1, 2, ... and no record has an effect under two signers.
 */
async function expectOneEffectPerIdAcrossThePool() {
  const endpoints = {
    dynamodb: String(stack.env.AWS_ENDPOINT_URL_DYNAMODB),
    sqs: String(stack.env.AWS_ENDPOINT_URL_SQS),
  };
  const owner = new Map<string, string>();
  for (const signer of addresses) {
    const a = await audit({ endpoints, tableName: stack.tableName, signer }, stack.anvil.url);
    // The table holds the whole pool's records and fillers: this signer's chain is checked against its own.
    const own = (from: string | null) => from?.toLowerCase() === signer.toLowerCase();
    expectOneEffectEach({ ...a, txs: a.txs.filter((t) => own(t.from)), fillers: a.fillers.filter((f) => own(f.from)) });
    for (const t of a.chainTxs) {
      const id = a.txs.find((x) => x.hashes.includes(t.hash))?.id;
      if (!id) continue;
      expect(owner.get(id), `${id} has an effect under one signer only`).toBeUndefined();
      owner.set(id, signer);
    }
  }
}

describe('a pool of four signers on a chain of one block a second', () => {
  it('100 transactions spread over the pool within 25% of even, each signer’s nonces consecutive, one effect each', {
    timeout: 120_000,
  }, async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await post({ to: recipient, value: String(1000 + i) }));
    const done = await driveAll(ids, 'all confirmed', (t) => t.status === 'confirmed', 100_000);
    const bySigner = new Map<string, TransactionView[]>();
    for (const tx of done) bySigner.set(String(tx.from), [...(bySigner.get(String(tx.from)) ?? []), tx]);
    expect([...bySigner.keys()].sort()).toEqual([...addresses].sort());
    for (const [signer, txs] of bySigner) {
      expect(txs.length, `${signer} carried ${txs.length} of 100`).toBeGreaterThanOrEqual(19);
      expect(txs.length, `${signer} carried ${txs.length} of 100`).toBeLessThanOrEqual(31);
      const onChain = await chainTransactionsOf(stack.anvil.url, signer);
      // Each record's sender is the one the chain shows, at the nonce the record holds.
      for (const tx of txs) expect(onChain.find((c) => c.hash === tx.txHash)?.nonce).toBe(tx.nonce);
    }
    await expectOneEffectPerIdAcrossThePool();
  });

  it('a request naming `from` is signed by it; one naming an address outside the pool is refused, naming the pool', {
    timeout: 60_000,
  }, async () => {
    const chosen = addresses[2] as Hex;
    const ids = [
      await post({ to: recipient, value: '7', from: chosen }),
      await post({ to: recipient, value: '8', from: chosen.toLowerCase() }),
    ];
    const done = await driveAll(ids, 'confirmed', (t) => t.status === 'confirmed');
    for (const tx of done) expect(tx.from).toBe(chosen);
    const onChain = await chainTransactionsOf(stack.anvil.url, chosen);
    for (const tx of done) expect(onChain.some((c) => c.hash === tx.txHash)).toBe(true);

    const refused = await handlers.api(
      apiEvent('POST', '/transactions', { to: recipient, value: '9', from: recipient }),
    );
    expect(refused.statusCode).toBe(400);
    const body = JSON.parse(refused.body ?? '{}');
    expect(body.error.details).toEqual([{ path: 'from', message: `must be one of ${addresses.join(', ')}` }]);
  });

  it('a signer drained below LOW_BALANCE_WEI gets no new transactions while the others carry on', {
    timeout: 60_000,
  }, async () => {
    const drained = addresses[3] as Hex;
    const before = await stack.chain.getBalance({ address: drained });
    await stack.testClient.setBalance({ address: drained, value: lowBalance / 2n });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await post({ to: recipient, value: String(2000 + i) }));
      const done = await driveAll(ids, 'confirmed', (t) => t.status === 'confirmed');
      expect(done.filter((t) => t.from === drained)).toEqual([]);
      expect(new Set(done.map((t) => t.from)).size).toBe(3);
    } finally {
      await stack.testClient.setBalance({ address: drained, value: before });
    }
    await expectOneEffectPerIdAcrossThePool();
  });

  it('with the chain stopped no signer holds more than its cap unmined; the rest wait, saying why, and all complete after it resumes', {
    timeout: 90_000,
  }, async () => {
    await pauseMining();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 30; i++) ids.push(await post({ to: recipient, value: String(3000 + i) }));
      // Every signer fills up to its cap; the other ten wait, unsigned, in the line.
      const seen = await driveAll(ids, 'signed or waiting', (t) => t.status === 'success' || t.waiting !== null);
      expect(seen.filter((t) => t.status === 'success')).toHaveLength(4 * cap);
      const waiting = seen.filter((t) => t.waiting !== null);
      expect(waiting).toHaveLength(30 - 4 * cap);
      for (const t of waiting) {
        expect(t).toMatchObject({ status: 'pending', nonce: null, rawTx: null });
        expect(t.message).toMatch(/^waiting for a signer: /);
        expect(t.message).toContain(`holds ${cap} unmined (the most it may)`);
      }
      expect(await unminedOnChain()).toEqual([cap, cap, cap, cap]);
      // Driving on while stopped signs nothing more: the cap holds.
      await driveUntil(stack, handlers, () => false, { timeoutMs: 2000 }).catch(() => undefined);
      expect(await unminedOnChain()).toEqual([cap, cap, cap, cap]);
    } finally {
      await resumeMining();
    }
    const done = await driveAll(ids, 'all confirmed', (t) => t.status === 'confirmed');
    for (const t of done) expect(t.waiting).toBeNull();
    await expectOneEffectPerIdAcrossThePool();
  });

  it('a restart in the middle keeps every assignment: the same records, the same signers, nothing signed twice', {
    timeout: 90_000,
  }, async () => {
    await pauseMining();
    const ids: string[] = [];
    let assigned = new Map<string, string | null>();
    try {
      for (let i = 0; i < 24; i++) ids.push(await post({ to: recipient, value: String(4000 + i) }));
      await driveAll(ids, 'signed or waiting', (t) => t.status === 'success' || t.waiting !== null);
      // An assignment is a signer and its nonce: a signer chosen with no nonce yet may still be let go.
      assigned = new Map((await views(ids)).map((t) => [t.id, t.nonce === null ? null : `${t.from}#${t.nonce}`]));
      expect([...assigned.values()].filter((f) => f !== null)).toHaveLength(4 * cap);
      // A new process: the handler modules loaded afresh, nothing of the old ones' memory kept.
      vi.resetModules();
      handlers = await loadHandlers(stack, env);
    } finally {
      await resumeMining();
    }
    const done = await driveAll(ids, 'all confirmed', isFinal);
    for (const t of done) {
      expect(t.status).toBe('confirmed');
      const before = assigned.get(t.id);
      if (before)
        expect(`${t.from}#${t.nonce}`, `${t.id} keeps the signer and nonce it had before the restart`).toBe(before);
    }
    await expectOneEffectPerIdAcrossThePool();
  });
});
