import { formatEther, type Hex, keccak256, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { InsufficientBalanceError } from '../../functions/lib/errors/errors.ts';
import { toErrorResponse } from '../../functions/lib/http/toErrorResponse.ts';
import type { SignerState } from '../../functions/lib/signers/signerStates.ts';
import {
  createSpendGuard,
  type PricedRequest,
  type SpendGuardDeps,
  signedCost,
  worstCaseCost,
} from '../../functions/lib/signers/spendGuard.ts';
import type { NonceHolder } from '../../functions/lib/store/NonceStore.ts';
import type { Transaction } from '../../functions/lib/transactions/model.ts';
import { account, chainId, recipient } from './fakes/broadcastFakes.ts';

// The balance guard refuses at the door what a signer cannot pay once its open transactions' worst cases
// are set aside, and counts what this process accepted until it is seen signed, so concurrent submissions
// cannot together promise more than the balance. A chain that does not answer in time refuses nothing.

const alice = account.address;
const bob = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d').address;
const gwei = 1_000_000_000n;
const maxFee = gwei;
/** What a plain transfer adds to its value at the world's fee: 21000 gas at 1 gwei. */
const transferGas = 21_000n * maxFee;

type FakeSigner = { address: string; balance: bigint | undefined; mined?: number; next?: number };

/**
 * The guard's world: the signers' states as signerStates would read them (each read takes a turn of the
 * event loop, so concurrent requests overlap), the nonce holders of the table by signer, the transactions
 * by id (for a guard that looks its holds up), a clock.
 */
function createGuardWorld(
  signers: FakeSigner[],
  { cacheMs = 0, waitMs = 1000 }: { cacheMs?: number; waitMs?: number } = {},
) {
  const world = {
    signers,
    holders: new Map<string, NonceHolder[]>(),
    transactions: new Map<string, Pick<Transaction, 'id' | 'status' | 'rawTx'>>(),
    reads: 0,
    /** Replaces how a read of the states answers: slow, or failing. */
    read: undefined as (() => Promise<SignerState[]>) | undefined,
    warnings: [] as Array<{ message: string; extra: unknown }>,
    at: 0,
  };
  const states: SpendGuardDeps['states'] = {
    async read() {
      world.reads++;
      if (world.read) return world.read();
      await new Promise((resolve) => setImmediate(resolve));
      return world.signers.map((s) => ({
        chainId,
        address: s.address,
        next: s.next,
        mined: s.mined ?? 0,
        inFlight: Math.max(0, (s.next ?? 0) - (s.mined ?? 0)),
        cap: 16,
        balance: s.balance,
        healthy: true,
      }));
    },
  };
  const nonces: SpendGuardDeps['nonces'] = {
    async holders(_chain, from, lowest, highest) {
      // As the table answers: the holders of these nonces only.
      return (world.holders.get(from.toLowerCase()) ?? []).filter((h) => h.nonce >= lowest && h.nonce <= highest);
    },
  };
  const logger: SpendGuardDeps['logger'] = {
    warn: (message, ...extra) => void world.warnings.push({ message: String(message), extra: extra[0] }),
  };
  const deps: SpendGuardDeps = {
    states,
    nonces,
    transactions: {
      async getMany(ids) {
        return ids.flatMap((id) => world.transactions.get(id) ?? []);
      },
    },
    maxFeePerGas: async () => maxFee,
    cacheMs,
    waitMs,
    logger,
    now: () => world.at,
  };
  return Object.assign(world, { guard: createSpendGuard(deps) });
}

const request = (value: bigint, from?: string): PricedRequest => ({
  chainId,
  value: value.toString(),
  ...(from ? { from } : {}),
});

/** A transaction of `from` signed for `nonce`, as the table holds it once the broadcaster signed it. */
async function signedHolder(id: string, nonce: number, value: bigint): Promise<Extract<NonceHolder, { kind: 'tx' }>> {
  const rawTx = await account.signTransaction({
    chainId,
    type: 'eip1559',
    to: recipient,
    value,
    gas: 21_000n,
    nonce,
    maxFeePerGas: maxFee,
    maxPriorityFeePerGas: 1n,
  });
  return {
    kind: 'tx',
    id,
    nonce,
    status: 'success',
    rawTx,
    txHash: keccak256(rawTx),
    signedAt: '2025-01-01T00:00:00.000Z',
  };
}

async function refusalOf(promise: Promise<unknown>): Promise<InsufficientBalanceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InsufficientBalanceError);
  return error as InsufficientBalanceError;
}

describe('spendGuard: whose balance judges a request', () => {
  it('a request naming its signer is judged on that signer alone, whatever the others hold', async () => {
    // prepare
    const world = createGuardWorld([
      { address: alice, balance: parseEther('1') },
      { address: bob, balance: parseEther('10') },
    ]);
    // act, assess
    await refusalOf(world.guard.reserve(request(parseEther('2'), alice)));
    await expect(world.guard.reserve(request(parseEther('2'), bob.toLowerCase()))).resolves.toBeDefined();
  });

  it('a request naming a signer the other signers could not pay for is still accepted when that one can', async () => {
    const world = createGuardWorld([
      { address: alice, balance: parseEther('3') },
      { address: bob, balance: 0n },
    ]);
    await expect(world.guard.reserve(request(parseEther('2'), alice))).resolves.toBeDefined();
  });

  it('a request naming no signer is refused when no one signer can pay it, though the pool together could', async () => {
    const world = createGuardWorld([
      { address: alice, balance: parseEther('2') },
      { address: bob, balance: parseEther('2') },
    ]);
    const error = await refusalOf(world.guard.reserve(request(parseEther('3'))));
    expect(error.message).toMatch(/^no signer of the pool can pay this transaction/);
    await expect(world.guard.reserve(request(parseEther('1.5')))).resolves.toBeDefined();
  });

  it('a balance the chain did not give refuses nothing, named or not', async () => {
    const world = createGuardWorld([{ address: alice, balance: undefined }]);
    const huge = 10n ** 30n;
    await expect(world.guard.reserve(request(huge, alice))).resolves.toBeDefined();
    await expect(world.guard.reserve(request(huge))).resolves.toBeDefined();
  });

  it('refuses with a 422 insufficient_balance naming the cost and the balance', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('1') }]);
    const value = parseEther('2');
    const cost = value + transferGas;
    const error = await refusalOf(world.guard.reserve(request(value)));
    expect(error.code).toBe('insufficient_balance');
    expect(toErrorResponse(error).statusCode).toBe(422);
    expect(error.message).toContain(
      `it may cost ${formatEther(cost)} ETH (${cost} wei: value plus 21000 gas at ${maxFee} wei per gas)`,
    );
    expect(error.message).toContain(`balance ${alice} 1 ETH`);
  });

  it('a refusal of a request naming its signer says that signer cannot pay it', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('1') }]);
    const error = await refusalOf(world.guard.reserve(request(parseEther('2'), alice)));
    expect(error.message).toMatch(new RegExp(`^signer ${alice} cannot pay this transaction`));
  });
});

describe('spendGuard: what this process accepted is held', () => {
  it.each([
    ['naming their signer', alice],
    ['naming none', undefined],
  ])('eight concurrent requests %s against 10 ETH: three of 3 ETH are taken, five refused', async (_what, from) => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10') }]);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => world.guard.reserve(request(parseEther('3'), from))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r.reason).toBeInstanceOf(InsufficientBalanceError);
  });

  it('concurrent requests naming no signer, over a pool of two, never promise more than the pool holds', async () => {
    const world = createGuardWorld([
      { address: alice, balance: parseEther('5') },
      { address: bob, balance: parseEther('5') },
    ]);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => world.guard.reserve(request(parseEther('2')))),
    );
    const taken = results.filter((r) => r.status === 'fulfilled').length;
    expect(taken).toBe(4);
    expect(BigInt(taken) * (parseEther('2') + transferGas)).toBeLessThanOrEqual(parseEther('10'));
  });

  it('release gives the hold back', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10') }]);
    const first = await world.guard.reserve(request(parseEther('6'), alice));
    await refusalOf(world.guard.reserve(request(parseEther('6'), alice)));
    first.release();
    await expect(world.guard.reserve(request(parseEther('6'), alice))).resolves.toBeDefined();
  });

  it('a hold is dropped at the first read that sees its transaction signed, however young; its bytes count instead', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10'), mined: 5, next: 5 }], {
      cacheMs: 60_000,
    });
    const accepted = await world.guard.reserve(request(parseEther('6'), alice));
    accepted.commit('tx-1');
    // The broadcaster signed it for nonce 5, for 1 ETH (the request asked less than it was held for).
    const signed = await signedHolder('tx-1', 5, parseEther('1'));
    world.holders.set(alice.toLowerCase(), [signed]);
    world.transactions.set('tx-1', { id: 'tx-1', status: 'success', rawTx: signed.rawTx });
    (world.signers[0] as FakeSigner).next = 6;
    const [spend] = await world.guard.spendOf(chainId, { fresh: true });
    expect(spend).toEqual({ address: alice, balance: parseEther('10'), openSpend: signedCost(signed.rawTx) });
    // 10 - 1 (signed, unmined) leaves 9: the 6 held are no longer counted.
    await expect(world.guard.reserve(request(parseEther('8'), alice))).resolves.toBeDefined();
  });

  it('a hold whose id is another transaction’s is not dropped', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10'), mined: 5, next: 5 }]);
    const accepted = await world.guard.reserve(request(parseEther('6'), alice));
    accepted.commit('tx-1');
    world.transactions.set('tx-1', { id: 'tx-1', status: 'pending' }); // recorded, not signed yet
    world.holders.set(alice.toLowerCase(), [await signedHolder('tx-other', 5, parseEther('1'))]);
    (world.signers[0] as FakeSigner).next = 6;
    await refusalOf(world.guard.reserve(request(parseEther('8'), alice)));
  });

  it('signed ones already mined do not count (the holders asked are those from the mined nonce up), and their holds are let go', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10'), mined: 3, next: 3 }]);
    for (const id of ['tx-a', 'tx-b']) (await world.guard.reserve(request(parseEther('4'), alice))).commit(id);
    // Both were signed (nonces 3 and 4) and mined since; a third, nonce 5, waits unmined.
    const signed = [
      await signedHolder('tx-a', 3, parseEther('4')),
      await signedHolder('tx-b', 4, parseEther('4')),
      await signedHolder('tx-c', 5, parseEther('1')),
    ];
    world.holders.set(alice.toLowerCase(), signed);
    for (const h of signed.slice(0, 2)) world.transactions.set(h.id, { id: h.id, status: 'mined', rawTx: h.rawTx });
    Object.assign(world.signers[0] as FakeSigner, { mined: 5, next: 6 });
    await expect(world.guard.reserve(request(parseEther('8'), alice))).resolves.toBeDefined();
  });

  it('a nonce reserved for the held transaction but not signed yet (no bytes) keeps its hold', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10'), mined: 5, next: 5 }]);
    (await world.guard.reserve(request(parseEther('6'), alice))).commit('tx-1');
    world.transactions.set('tx-1', { id: 'tx-1', status: 'pending' });
    const reserved = { ...(await signedHolder('tx-1', 5, 0n)), rawTx: '', txHash: '' };
    world.holders.set(alice.toLowerCase(), [reserved]);
    (world.signers[0] as FakeSigner).next = 6;
    await refusalOf(world.guard.reserve(request(parseEther('8'), alice)));
  });

  it.each([
    ['ended unsigned', { id: 'tx-1', status: 'failed' as const }],
    ['signed, its nonce out of sight', { id: 'tx-1', status: 'confirmed' as const, rawTx: '0x02' }],
    ['not found', undefined],
  ])('a hold whose transaction is %s is let go once it is older than a read (cacheMs)', async (_what, found) => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10') }], { cacheMs: 1000 });
    (await world.guard.reserve(request(parseEther('6'), alice))).commit('tx-1');
    if (found) world.transactions.set('tx-1', found);
    // Younger than a read: counted still.
    world.at = 999;
    await world.guard.spendOf(chainId, { fresh: true });
    await refusalOf(world.guard.reserve(request(parseEther('6'), alice)));
    // As old as a read: the next read looks it up.
    world.at = 1000;
    await world.guard.spendOf(chainId, { fresh: true });
    await expect(world.guard.reserve(request(parseEther('6'), alice))).resolves.toBeDefined();
  });
});

describe('spendGuard: reads', () => {
  it('a read slower than waitMs accepts the request unguarded, and says so in a warning', async () => {
    const world = createGuardWorld([{ address: alice, balance: 0n }], { waitMs: 20 });
    world.read = () => new Promise((resolve) => setTimeout(() => resolve([]), 500));
    const started = Date.now();
    const reservation = await world.guard.reserve(request(parseEther('1'), alice));
    expect(Date.now() - started).toBeLessThan(400);
    expect(reservation).toBeDefined();
    expect(world.warnings).toEqual([
      {
        message: 'balance guard skipped: the chain did not answer in time',
        extra: { chainId, error: 'no answer within 20 ms' },
      },
    ]);
  });

  it('a read that fails accepts the request unguarded, and is not kept for the next request', async () => {
    const world = createGuardWorld([{ address: alice, balance: 0n }], { cacheMs: 60_000 });
    world.read = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(world.guard.reserve(request(parseEther('1'), alice))).resolves.toBeDefined();
    expect(world.warnings[0]?.extra).toEqual({ chainId, error: 'TypeError' });
    world.read = undefined;
    await refusalOf(world.guard.reserve(request(parseEther('1'), alice)));
    expect(world.reads).toBe(2);
  });

  it('reads the states at most once per cacheMs', async () => {
    const world = createGuardWorld([{ address: alice, balance: parseEther('10') }], { cacheMs: 1000 });
    await world.guard.reserve(request(1n, alice));
    world.at += 999;
    await world.guard.reserve(request(1n, alice));
    expect(world.reads).toBe(1);
    world.at += 1;
    await world.guard.reserve(request(1n, alice));
    expect(world.reads).toBe(2);
  });
});

describe('worstCaseCost and signedCost', () => {
  it('worstCaseCost is the value plus the gas limit times the max fee per gas', () => {
    expect(worstCaseCost({ value: 5n, gas: 21_000n, maxFeePerGas: 2n })).toBe(42_005n);
  });

  it('signedCost of a legacy transaction prices its gas at its gas price', async () => {
    const rawTx = await account.signTransaction({
      chainId,
      type: 'legacy',
      to: recipient,
      value: 3n,
      gas: 30_000n,
      gasPrice: 5n,
      nonce: 0,
    });
    expect(signedCost(rawTx)).toBe(3n + 30_000n * 5n);
  });

  it('signedCost of an EIP-1559 transaction prices its gas at its max fee, not its tip', async () => {
    const rawTx = await account.signTransaction({
      chainId,
      type: 'eip1559',
      to: recipient,
      value: 3n,
      gas: 30_000n,
      maxFeePerGas: 7n,
      maxPriorityFeePerGas: 2n,
      nonce: 0,
    });
    expect(signedCost(rawTx)).toBe(3n + 30_000n * 7n);
  });

  it.each(['0xdeadbeef', '0x', 'not hex'])('signedCost of bytes it cannot read (%s) is 0', (rawTx) => {
    expect(signedCost(rawTx as Hex)).toBe(0n);
  });
});
