import { afterEach, describe, expect, it } from 'vitest';
import { devAccountKey } from '../../bench/devAccount.ts';
import { createLocalSigner } from '../../functions/lib/chain/createLocalSigner.ts';
import { type Anvil, startAnvil } from '../../infra/local/emulators.ts';

// The local chain's mend for anvil's pool holding the next nonce as queued and never mining it
// (infra/local/anvilPool.ts, foundry-rs/foundry#10122). The stuck state is made on purpose: a transaction
// queued behind a missing nonce, then the account's nonce set past the gap with `anvil_setNonce`, leaves
// it queued at the next nonce exactly as the race does.

const chainId = 31337;
const chains: Anvil[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.stop();
});

async function chain(options: { repairPool?: boolean } = {}) {
  const anvil = await startAnvil({ chainId, ...options });
  chains.push(anvil);
  return anvil;
}

async function rpc(anvil: Anvil, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

function account(index: number) {
  const signer = createLocalSigner(devAccountKey(index));
  return {
    address: signer.address,
    transfer: (nonce: number) =>
      signer.signTransaction({
        chainId,
        to: '0x000000000000000000000000000000000000beef',
        value: BigInt(nonce + 1),
        gas: 21_000n,
        nonce,
        maxFeePerGas: 10_000_000_000n,
        maxPriorityFeePerGas: 1_000_000n,
        type: 'eip1559',
      }),
  };
}

const minedNonce = async (anvil: Anvil, address: string) =>
  Number(BigInt((await rpc(anvil, 'eth_getTransactionCount', [address, 'latest'])) as string));
const queued = async (anvil: Anvil) =>
  Number(BigInt(((await rpc(anvil, 'txpool_status')) as { queued: string }).queued));

/** Queues nonces 1..count of `who` behind the missing 0, then moves the account's nonce to 1. */
async function stickAtNextNonce(anvil: Anvil, who: ReturnType<typeof account>, count: number) {
  const hashes: string[] = [];
  for (let nonce = 1; nonce <= count; nonce++)
    hashes.push((await rpc(anvil, 'eth_sendRawTransaction', [await who.transfer(nonce)])) as string);
  await rpc(anvil, 'anvil_setNonce', [who.address, '0x1']);
  return hashes;
}

async function waitFor<T>(what: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (value !== undefined || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the local chain's pool watch", () => {
  it('without it, a transaction queued at the next nonce is never mined: this is the state it mends', async () => {
    // prepare
    const anvil = await chain({ repairPool: false });
    const who = account(6);
    await stickAtNextNonce(anvil, who, 2);
    // act
    await rpc(anvil, 'evm_mine');
    await new Promise((r) => setTimeout(r, 2500));
    // assess
    expect(await minedNonce(anvil, who.address)).toBe(1);
    expect(await queued(anvil)).toBe(2);
    expect(anvil.poolRepairs).toEqual([]);
  });

  it('sends the stuck transactions again in nonce order, and the chain mines each of them once', async () => {
    // prepare
    const anvil = await chain();
    const who = account(6);
    const hashes = await stickAtNextNonce(anvil, who, 3);
    // act
    const mined = await waitFor(async () => ((await minedNonce(anvil, who.address)) === 4 ? true : undefined), 8000);
    // assess
    expect(mined).toBe(true);
    for (const hash of hashes) {
      const receipt = (await rpc(anvil, 'eth_getTransactionReceipt', [hash])) as { status: string } | null;
      expect(receipt?.status).toBe('0x1');
    }
    expect(anvil.poolRepairs).toEqual([{ sender: who.address.toLowerCase(), nonce: 1, resent: 3, refused: 0 }]);
    expect(await queued(anvil)).toBe(0);
  });

  it('mends a large pool while its sender goes on sending, and what came in the mend is sent again as the tracker would', async () => {
    // prepare: 1,500 stuck behind the next nonce, and the sender still sending one every 10 ms
    const anvil = await chain();
    const who = account(8);
    const signed = new Map<number, `0x${string}`>();
    const sign = async (nonce: number) => {
      const raw = await who.transfer(nonce);
      signed.set(nonce, raw);
      return raw;
    };
    for (let nonce = 1; nonce <= 1500; nonce++) await rpc(anvil, 'eth_sendRawTransaction', [await sign(nonce)]);
    await rpc(anvil, 'anvil_setNonce', [who.address, '0x1']);
    // act: the sender goes on until the stuck ones are mined (or 40 s), then resends what the chain lacks
    let next = 1501;
    const until = Date.now() + 40_000;
    while ((await minedNonce(anvil, who.address)) <= 1500 && Date.now() < until) {
      await rpc(anvil, 'eth_sendRawTransaction', [await sign(next++)]);
      await new Promise((r) => setTimeout(r, 10));
    }
    const minedWhileSending = await minedNonce(anvil, who.address);
    for (let nonce = 1; nonce < next; nonce++)
      await rpc(anvil, 'eth_sendRawTransaction', [signed.get(nonce)]).catch(() => undefined); // already known or mined
    const all = await waitFor(async () => ((await minedNonce(anvil, who.address)) === next ? true : undefined), 20_000);
    // assess
    expect(minedWhileSending).toBeGreaterThan(1500);
    expect(all).toBe(true);
    expect(anvil.poolRepairs.length).toBeGreaterThan(0);
  });

  it('leaves a real gap alone: a nonce above the mined one waits, untouched, for the one below', async () => {
    // prepare
    const anvil = await chain();
    const who = account(7);
    const later = (await rpc(anvil, 'eth_sendRawTransaction', [await who.transfer(1)])) as string;
    // act
    await new Promise((r) => setTimeout(r, 3000));
    // assess
    expect(anvil.poolRepairs).toEqual([]);
    expect(await queued(anvil)).toBe(1);
    await rpc(anvil, 'eth_sendRawTransaction', [await who.transfer(0)]);
    const receipt = await waitFor(
      async () => ((await rpc(anvil, 'eth_getTransactionReceipt', [later])) as { status: string } | null) ?? undefined,
      5000,
    );
    expect(receipt?.status).toBe('0x1');
    expect(anvil.poolRepairs).toEqual([]);
  });
});
