import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devAccountKey } from '../../bench/devAccount.ts';
import { type FaultProxy, startFaultProxy } from '../../bench/faultProxy.ts';
import { createChainRegistry, type RpcSettings } from '../../functions/lib/chain/ChainRegistry.ts';
import { classifyRpcError } from '../../functions/lib/chain/classifyRpcError.ts';
import { createLocalSigner } from '../../functions/lib/chain/createLocalSigner.ts';
import { type Anvil, startAnvil } from '../../infra/local/emulators.ts';

// Several RPC URLs per chain and retries within a call (issue 17), against a real anvil behind proxies
// that fail the way providers do.

const chainId = 31337;
const settings: RpcSettings = { timeoutMs: 2000, retries: 2, budgetMs: 8000 };
const healthy = { failRate: 0, holdRate: 0, holdMs: 0, seed: 1 };
let anvil: Anvil;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  anvil = await startAnvil({ chainId });
});
afterAll(async () => {
  for (const p of proxies) await p.stop();
  await anvil.stop();
});

async function proxy(plan: Partial<typeof healthy> & { first?: Array<'fail' | 'hold' | 'pass'> } = {}) {
  const p = await startFaultProxy(anvil.url, { ...healthy, ...plan });
  proxies.push(p);
  return p;
}

/** A raw transfer from dev account 5 at `nonce`, signed the way the service signs. */
async function signedTransfer(nonce: number) {
  const signer = createLocalSigner(devAccountKey(5));
  return signer.signTransaction({
    chainId,
    to: '0x000000000000000000000000000000000000beef',
    value: 1n,
    gas: 21_000n,
    nonce,
    maxFeePerGas: 10_000_000_000n,
    maxPriorityFeePerGas: 1_000_000n,
    type: 'eip1559',
  });
}

describe('a chain over several RPC URLs', () => {
  it('asks the next URL when the first answers 503 on everything, and the call succeeds', async () => {
    // prepare
    const down = await proxy({ failRate: 1 });
    const up = await proxy();
    const chains = createChainRegistry({ [chainId]: [down.url, up.url] }, settings);
    // act
    const id = await chains.client(chainId).getChainId();
    // assess
    expect(id).toBe(chainId);
    expect(down.counts.fail).toBe(1);
    expect(up.forwarded).toEqual(['eth_chainId']);
  });

  it('sends a raw transaction once through the URL that works, and it is mined', async () => {
    // prepare
    const down = await proxy({ failRate: 1 });
    const up = await proxy();
    const client = createChainRegistry({ [chainId]: [down.url, up.url] }, settings).client(chainId);
    const nonce = await client.getTransactionCount({ address: createLocalSigner(devAccountKey(5)).address });
    // act
    const hash = await client.sendRawTransaction({ serializedTransaction: await signedTransfer(nonce) });
    // assess
    expect(up.forwarded.filter((m) => m === 'eth_sendRawTransaction')).toHaveLength(1);
    expect(down.forwarded).toEqual([]);
    const receipt = await client.request({ method: 'eth_getTransactionReceipt', params: [hash] });
    expect(receipt?.status).toBe('0x1');
  });

  it('takes a node’s answer as final: a nonce too low or an undecodable transaction is not put to the next URL', async () => {
    for (const serializedTransaction of [await signedTransfer(0), '0x1234' as const]) {
      // prepare
      const first = await proxy();
      const second = await proxy();
      const client = createChainRegistry({ [chainId]: [first.url, second.url] }, settings).client(chainId);
      // act
      const error = await client.sendRawTransaction({ serializedTransaction }).catch((e: unknown) => e);
      // assess
      expect(classifyRpcError(error).class, serializedTransaction).not.toBe('transient');
      expect(first.forwarded, serializedTransaction).toEqual(['eth_sendRawTransaction']);
      expect(second.forwarded, serializedTransaction).toEqual([]);
    }
  });
});

describe('retries within a call', () => {
  it('rides out two 503s from its one URL and answers from the third try', async () => {
    // prepare
    const flaky = await proxy({ first: ['fail', 'fail'] });
    const client = createChainRegistry({ [chainId]: [flaky.url] }, settings).client(chainId);
    // act
    const id = await client.getChainId();
    // assess
    expect(id).toBe(chainId);
    expect(flaky.counts).toEqual({ fail: 2, hold: 0, pass: 1 });
  });

  it('goes round the list again when every URL failed, after a pause', async () => {
    // prepare
    const a = await proxy({ first: ['fail'] });
    const b = await proxy({ first: ['fail'] });
    const client = createChainRegistry({ [chainId]: [a.url, b.url] }, settings).client(chainId);
    // act
    const id = await client.getChainId();
    // assess
    expect(id).toBe(chainId);
    expect(a.counts).toEqual({ fail: 1, hold: 0, pass: 1 });
    expect(b.counts).toEqual({ fail: 1, hold: 0, pass: 0 });
  });

  it('gives up after its retries with a transient failure, the caller’s to count', async () => {
    // prepare
    const down = await proxy({ failRate: 1 });
    const client = createChainRegistry({ [chainId]: [down.url] }, settings).client(chainId);
    // act
    const error = await client.getChainId().catch((e: unknown) => e);
    // assess
    expect(down.counts.fail).toBe(1 + settings.retries);
    expect(classifyRpcError(error).class).toBe('transient');
  });

  it('fails as a timeout once its budget is spent, however long the provider holds it', async () => {
    // prepare: every request held 5 s, each try's timeout 2 s, the whole call's budget 1 s.
    const slow = await proxy({ holdRate: 1, holdMs: 5000 });
    const client = createChainRegistry({ [chainId]: [slow.url] }, { ...settings, budgetMs: 1000 }).client(chainId);
    const start = Date.now();
    // act
    const error = await client.getChainId().catch((e: unknown) => e);
    // assess
    expect(Date.now() - start).toBeLessThan(4000);
    expect(classifyRpcError(error)).toMatchObject({ class: 'transient', label: 'timeout' });
  });
});
