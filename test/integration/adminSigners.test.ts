import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type Address, parseEther, toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/lib/api/createApiHandler.ts';
import { createApiRoutes } from '../../functions/lib/api/createApiRoutes.ts';
import { accessCheckFor } from '../../functions/lib/auth/accessCheckFor.ts';
import { loadConfig } from '../../functions/lib/config/loadConfig.ts';
import { createServices } from '../../functions/lib/services/createServices.ts';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { statuses } from '../../functions/lib/transactions/status.ts';
import { type Answer, callApi } from '../support/callApi.ts';
import { driveUntil, type Handlers, loadHandlers, pump } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { asAdmin as admin, asClient as client, tokenEnv } from '../support/tokens.ts';

// The admin's view of the signer pool (`GET /admin/signers`) and the list's filter by signer, through the
// real api handler on emulators and anvil: three of anvil's dev accounts as the pool, a cap of two in flight.

const mnemonic = 'test test test test test test test test test test test junk';
const accounts = [4, 5, 6].map((addressIndex) => mnemonicToAccount(mnemonic, { addressIndex }));
const [a, b, c] = accounts.map((account) => account.address) as [Address, Address, Address];
const recipient = mnemonicToAccount(mnemonic, { addressIndex: 9 }).address;
const cap = 2;
const lowBalance = parseEther('1');
const env = {
  ...tokenEnv,
  SIGNER_PRIVATE_KEYS: accounts.map((account) => toHex(account.getHdKey().privateKey as Uint8Array)).join(','),
  MAX_IN_FLIGHT_PER_SIGNER: String(cap),
  LOW_BALANCE_WEI: lowBalance.toString(),
  BALANCE_CACHE_MS: '0',
  FEE_CACHE_MS: '0',
  TRACK_INTERVAL_SECONDS: '1',
  CONFIRMATIONS: '1',
  RETRY_BASE_SECONDS: '0',
};

let stack: TestStack;
let handlers: Handlers;
let checker: OpenApiChecker;
/** Every transaction this file sent, by the signer it named. */
const sent: Record<string, string[]> = { [a]: [], [b]: [] };

const call = (method: string, path: string, headers: Record<string, string> = admin) =>
  callApi(handlers.api, method, path, { headers, checker });

async function post(from: Address, value: string): Promise<string> {
  const res = await callApi(handlers.api, 'POST', '/transactions', {
    headers: { ...client, prefer: 'respond-async' },
    body: { to: recipient, value, from },
    checker,
  });
  expect(res.status).toBe(202);
  sent[from]?.push(res.body.id);
  return res.body.id;
}

const view = async (id: string): Promise<TransactionView> => (await call('GET', `/transactions/${id}`)).body;

/** Runs the broadcaster and the updater until every one of `ids` satisfies `holds`. */
async function pumpUntil(ids: string[], holds: (tx: TransactionView) => boolean, what: string) {
  const deadline = Date.now() + 30_000;
  while (!(await Promise.all(ids.map(view))).every(holds)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pump(stack, handlers);
    await sleep(20);
  }
}

/** The rows of the one chain, by address. */
async function signersView() {
  const res = await call('GET', '/admin/signers');
  expect(res.status).toBe(200);
  expect(res.body.chains).toHaveLength(1);
  const [chain] = res.body.chains;
  expect(chain.chainId).toBe(31337);
  expect(chain.error).toBeNull();
  expect(chain.signers.map((s: { address: string }) => s.address)).toEqual([a, b, c]);
  const row = (address: string) => chain.signers.find((s: { address: string }) => s.address === address);
  return { chain, row };
}

/** The address with the case of its first letter turned: mixed case, and no longer its EIP-55 checksum. */
function notItsChecksum(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const ch = address.charAt(i);
  return `${address.slice(0, i)}${ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()}${address.slice(i + 1)}`;
}

/** The worst case of these transactions as signed: value plus gas times the max fee of each one's latest signature. */
async function worstCaseOf(ids: string[]): Promise<bigint> {
  const txs = await Promise.all(ids.map(view));
  return txs.reduce(
    (sum, tx) => sum + BigInt(tx.value) + BigInt(tx.gas ?? 0) * BigInt(tx.hashes.at(-1)?.maxFeePerGas ?? 0),
    0n,
  );
}

const balanceOf = async (address: Address) => (await stack.chain.getBalance({ address })).toString();

beforeAll(async () => {
  stack = await startTestStack();
  handlers = await loadHandlers(stack, env);
  checker = openApiChecker((await callApi(handlers.api, 'GET', '/openapi.json')).body);
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /admin/signers', () => {
  it('is for admins only: 401 without a token, 403 for a client token', async () => {
    expect((await call('GET', '/admin/signers', {})).status).toBe(401);
    const forbidden = await call('GET', '/admin/signers', client);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });

  it('shows each signer’s balance, in flight of its cap, next and mined nonce, and health; and how many wait', async () => {
    const before = await signersView();
    for (const address of [a, b, c]) {
      expect(before.row(address)).toEqual({
        address,
        balance: await balanceOf(address),
        inFlight: 0,
        cap,
        next: null, // no nonce taken on this chain yet
        mined: 0,
        healthy: true,
        why: null,
        openSpend: '0',
      });
    }
    expect(before.chain.waiting).toBe(0);

    // No blocks: what the node takes stays in flight. A fills its cap, B holds one; a third for A waits.
    await stack.testClient.setAutomine(false);
    const held = [await post(a, '1'), await post(a, '2'), await post(b, '3')];
    await pumpUntil(held, (tx) => tx.status === 'success', 'the node to take them');
    const third = await post(a, '4');
    await pumpUntil([third], (tx) => tx.waiting !== null, 'the third of A to wait');
    // C drained below LOW_BALANCE_WEI: not healthy, and the view says why.
    await stack.testClient.setBalance({ address: c, value: parseEther('0.5') });

    const held2 = await signersView();
    expect(held2.row(a)).toEqual({
      address: a,
      balance: await balanceOf(a),
      inFlight: 2,
      cap,
      next: 2,
      mined: 0,
      healthy: true,
      why: null,
      // What the two in flight may still spend: value plus gas times the max fee each was signed with.
      openSpend: String(await worstCaseOf(held.slice(0, 2))),
    });
    expect(held2.row(b).openSpend).toBe(String(await worstCaseOf(held.slice(2))));
    expect(held2.row(b)).toMatchObject({ inFlight: 1, next: 1, mined: 0, healthy: true, balance: await balanceOf(b) });
    expect(held2.row(c)).toMatchObject({
      inFlight: 0,
      next: null,
      mined: 0,
      healthy: false,
      balance: parseEther('0.5').toString(),
    });
    expect(held2.row(c).why).toContain(`below LOW_BALANCE_WEI ${lowBalance}`);
    expect(held2.chain.waiting).toBe(1);

    // A block: their nonces are mined, their balances paid for them, nothing of A is in flight now.
    const paidBefore = BigInt(held2.row(a).balance);
    await stack.testClient.mine({ blocks: 1 });
    const mined = await signersView();
    expect(mined.row(a)).toMatchObject({ inFlight: 0, next: 2, mined: 2, balance: await balanceOf(a), openSpend: '0' });
    expect(BigInt(mined.row(a).balance)).toBeLessThan(paidBefore);
    expect(mined.row(b)).toMatchObject({ inFlight: 0, next: 1, mined: 1 });

    // Blocks again: the one that waited is woken once the tracker sees A's mined, and signed by A.
    await stack.testClient.setAutomine(true);
    await driveUntil(stack, handlers, async () => (await view(third)).status !== 'pending', {
      timeoutMs: 30_000,
      what: 'the waiting one to be signed',
    });
    const after = await signersView();
    expect(after.chain.waiting).toBe(0);
    expect(after.row(a)).toMatchObject({ next: 3, mined: 3, inFlight: 0 });
    expect((await view(third)).from).toBe(a);
  }, 90_000);

  it('a chain that does not answer is that chain’s error, and the others are still read', async () => {
    // The same table and tokens, and a second chain whose RPC refuses every connection.
    const config = loadConfig({ ...process.env, RPC_TIMEOUT_MS: '1000' });
    const services = createServices(config, 'admin-signers-test', {
      31337: [stack.anvil.url],
      99: ['http://127.0.0.1:9'],
    });
    const handler = createApiHandler(createApiRoutes(services), {
      access: accessCheckFor(config),
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    const api = (event: Parameters<typeof handler>[0]) =>
      handler(event, {} as Context) as Promise<APIGatewayProxyStructuredResultV2>;
    const res: Answer = await callApi(api, 'GET', '/admin/signers', { headers: admin, checker });
    expect(res.status).toBe(200);
    const byChain = new Map(res.body.chains.map((chain: { chainId: number }) => [chain.chainId, chain]));
    expect(byChain.get(31337)).toMatchObject({ error: null, waiting: 0 });
    expect(byChain.get(99)).toEqual({
      chainId: 99,
      waiting: 0,
      error: expect.stringMatching(/^chain 99 did not answer \(\w+\): its signers could not be read$/),
      signers: [a, b, c].map((address) => ({
        address,
        balance: null,
        inFlight: null,
        cap,
        next: null,
        mined: null,
        healthy: null,
        why: null,
        openSpend: null,
      })),
    });
    // The URL is not in it: a provider's URL carries its API key.
    expect(JSON.stringify(res.body)).not.toContain('127.0.0.1');
  });
});

describe('GET /transactions?signer=', () => {
  const idsOf = (res: Answer) => res.body.items.map((t: { id: string }) => t.id);
  const countsOf = async (ids: string[]) => {
    const counts = Object.fromEntries(statuses.map((s) => [s, 0]));
    for (const tx of await Promise.all(ids.map(view))) counts[tx.status] = (counts[tx.status] ?? 0) + 1;
    return counts;
  };

  it('lists only that signer’s transactions, in any case of its address, with its counts', async () => {
    expect(sent[a]?.length).toBe(3);
    const onlyA = await call('GET', `/transactions?signer=${a}`);
    expect(onlyA.status).toBe(200);
    expect(new Set(idsOf(onlyA))).toEqual(new Set(sent[a]));
    expect(new Set(onlyA.body.items.map((t: { from: string }) => t.from))).toEqual(new Set([a]));
    expect(onlyA.body.counts).toEqual(await countsOf(sent[a] ?? []));

    const lower = await call('GET', `/transactions?signer=${b.toLowerCase()}`);
    expect(idsOf(lower)).toEqual(sent[b]);
    expect(lower.body.counts).toEqual(await countsOf(sent[b] ?? []));

    // With a status: that signer's of that status; the counts are still of every status.
    const status = (await view(sent[a]?.[0] ?? '')).status;
    const both = await call('GET', `/transactions?signer=${a}&status=${status}`);
    expect(both.body.items.every((t: TransactionView) => t.status === status && t.from === a)).toBe(true);
    expect(both.body.counts).toEqual(onlyA.body.counts);

    // A signer with none: nothing, and zero counts.
    const none = await call('GET', `/transactions?signer=${c}`);
    expect(none.body.items).toEqual([]);
    expect(Object.values(none.body.counts)).toEqual(statuses.map(() => 0));
  });

  it('pages by the entries read: a page may come out short, the cursor goes on, nothing lost or repeated', async () => {
    const seen: string[] = [];
    let pages = 0;
    let cursor: string | null = null;
    do {
      const res: Answer = await call('GET', `/transactions?signer=${b}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...idsOf(res));
      cursor = res.body.cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(sent[b]);
    // Four transactions in all, one entry a page: the pages without B's came out empty.
    expect(pages).toBe(4);
  });

  it.each([
    ['too short', '0x1234'],
    ['not hex', `0x${'g'.repeat(40)}`],
    ['a mixed case that is not its checksum', notItsChecksum(a)],
    ['empty', ''],
  ])('400 naming `signer` for an address that is not one: %s', async (_what, signer) => {
    const res = await call('GET', `/transactions?signer=${signer}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['signer']);
  });

  it('is documented as a parameter of the list', async () => {
    const doc = (await callApi(handlers.api, 'GET', '/openapi.json')).body;
    const parameters = doc.paths['/transactions'].get.parameters.map((p: { name: string }) => p.name);
    expect(parameters).toContain('signer');
    expect(doc.paths['/admin/signers'].get['x-required-role']).toBe('admin');
  });
});

describe('the OpenAPI document', () => {
  it('every answer of GET /admin/signers was seen above, and each matched its schema', () => {
    expect(checker.unseen([' 500']).filter((k) => k.startsWith('GET /admin/signers '))).toEqual([]);
  });
});
