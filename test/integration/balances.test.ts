import { parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { anvilDevKey } from '../../functions/lib/config/loadConfig.ts';
import { callApi } from '../support/callApi.ts';
import { deliver, receiveAll } from '../support/deliver.ts';
import { driveUntil, type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { type OpenApiChecker, openApiChecker } from '../support/openApiChecker.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asAdmin as admin, asClient as client, tokenEnv } from '../support/tokens.ts';
import { type Receiver, startReceiver } from '../support/webhookReceiver.ts';

// The signer's balance: the api refuses what cannot be paid once the open transactions' worst cases are set
// aside, /health says when the signer cannot pay one transfer, and the sweep publishes every balance and tells
// the operator's webhook once when one falls below LOW_BALANCE_WEI.
const secret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const signer = privateKeyToAccount(anvilDevKey).address;
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const lowBalance = parseEther('5');

let stack: TestStack;
let handlers: Handlers;
let checker: OpenApiChecker;
let operator: Receiver;

const call = (method: string, path: string, headers: Record<string, string> = client, body?: unknown) =>
  callApi(handlers.api, method, path, { body, headers, checker });
const post = (value: bigint, extra: Record<string, unknown> = {}) =>
  call('POST', '/transactions', { ...client, prefer: 'respond-async' }, { to, value: value.toString(), ...extra });
const setBalance = (value: bigint) => stack.testClient.setBalance({ address: signer, value });

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
  operator = await startReceiver(secret);
  handlers = await loadHandlers(stack, {
    ...tokenEnv,
    WEBHOOK_SECRET: secret,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    OPERATOR_WEBHOOK_URL: operator.url,
    LOW_BALANCE_WEI: lowBalance.toString(),
    // Every read of a balance is a fresh one: what these tests set is what the next request sees.
    BALANCE_CACHE_MS: '0',
    FEE_CACHE_MS: '0',
    RETRY_BASE_SECONDS: '0',
    // The handlers print their metrics (EMF) as on Lambda.
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  checker = openApiChecker((await callApi(handlers.api, 'GET', '/openapi.json')).body);
});

afterAll(async () => {
  await operator?.stop();
  await stack?.stop();
});

describe('the balance guard', () => {
  it('of concurrent submissions takes what the balance covers and refuses the rest, 422 naming balance and cost', async () => {
    await setBalance(parseEther('10'));
    const before = await tableCounts(stack);
    // 3 ETH each and its gas: three fit in 10 ETH, a fourth does not.
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(parseEther('3'))));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 422);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const r of refused) {
      expect(r.body.error.code).toBe('insufficient_balance');
      expect(r.body.error.message).toMatch(/it may cost 3\.0\d* ETH/);
      expect(r.body.error.message).toContain(`balance ${signer} 10 ETH`);
    }
    // Nothing of a refused one is left: three rows, three messages.
    expect(await tableCounts(stack)).toEqual({ rows: before.rows + 3, messages: before.messages + 3 });
    // Not even its Idempotency-Key: the same key with a value that can be paid is a new request, not a 409.
    const keyed = (value: bigint) =>
      call(
        'POST',
        '/transactions',
        { ...client, prefer: 'respond-async', 'idempotency-key': 'balance-1' },
        { to, value: value.toString() },
      );
    const tooMuch = await keyed(parseEther('5'));
    expect(tooMuch.status).toBe(422);
    expect(await tableCounts(stack)).toEqual({ rows: before.rows + 3, messages: before.messages + 3 });
    const fits = await keyed(parseEther('0.1'));
    expect(fits.status).toBe(202);
    accepted.push(fits);
    // A repeat of an accepted one gets it back, however the balance stands.
    expect((await keyed(parseEther('0.1'))).headers['idempotent-replayed']).toBe('true');

    // Once they are signed, their bytes count (in the signers view too) until they are mined. All four are sent
    // before a block: two mined would leave the signer below LOW_BALANCE_WEI (5 ETH), and a signer below it takes
    // no new transactions, so the others would wait for it to be funded (as on a loaded machine, where the
    // broadcaster's batch did not always sign all four before the first was mined).
    const statusesOf = async () =>
      (await Promise.all(accepted.map((a) => call('GET', `/transactions/${a.body.id}`)))).map((v) => v.body.status);
    await stack.testClient.setAutomine(false);
    try {
      await driveUntil(stack, handlers, async () => (await statusesOf()).every((s) => s === 'success'), {
        what: 'the four to be sent',
      });
    } finally {
      await stack.testClient.setAutomine(true);
    }
    await stack.testClient.mine({ blocks: 1 });
    await driveUntil(
      stack,
      handlers,
      async () => (await statusesOf()).every((s) => s === 'confirmed'),
      // Confirmed comes through the tracker's delayed messages: 20 s was once not enough with other files on both cores.
      { what: 'the four to be confirmed', timeoutMs: 45_000 },
    );
    // Mined: about 1 ETH is left. 3 ETH is refused, half an ether taken.
    expect((await post(parseEther('3'))).status).toBe(422);
    expect((await post(parseEther('0.5'))).status).toBe(202);
  });

  it('counts signed, unmined transactions: their value and gas at their max fee are set aside', async () => {
    await setBalance(parseEther('10'));
    await stack.testClient.setAutomine(false);
    try {
      const first = await post(parseEther('6'));
      expect(first.status).toBe(202);
      await driveUntil(
        stack,
        handlers,
        async () => (await call('GET', `/transactions/${first.body.id}`)).body.status === 'success',
        {
          what: 'the first to be sent',
        },
      );
      const signers = await call('GET', '/admin/signers', admin);
      const row = signers.body.chains[0].signers[0];
      expect(BigInt(row.openSpend)).toBeGreaterThan(parseEther('6'));
      // Held in the pool, unmined: 6 ETH of 10 is spoken for, so 5 ETH more is refused.
      const second = await post(parseEther('5'));
      expect(second.status).toBe(422);
      // 6 ETH and its gas, and the half ether the test before accepted (signed with it here).
      expect(second.body.error.message).toMatch(/open transactions may still spend 6\.50\d* ETH/);
    } finally {
      await stack.testClient.setAutomine(true);
    }
  });
});

describe('GET /admin/health', () => {
  it('reports a signer that cannot pay one plain transfer; the open /health names no signer', async () => {
    await setBalance(parseEther('10'));
    const healthy = await call('GET', '/admin/health', admin);
    expect(healthy.status).toBe(200);
    expect(healthy.body.checks[`signer:31337:${signer}`]).toBe('ok');
    await setBalance(1000n);
    const poor = await call('GET', '/admin/health', admin);
    expect(poor.status).toBe(503);
    expect(poor.body.checks[`signer:31337:${signer}`]).toMatch(/^cannot pay one plain transfer: balance 1000 wei/);
    // Open to anyone, it says nothing of the signers (their addresses, their balances).
    const open = await call('GET', '/health', {});
    expect(JSON.stringify(open.body)).not.toContain(signer);
    expect((await call('GET', '/admin/health', client)).status).toBe(403);
    expect((await call('GET', '/admin/health', {})).status).toBe(401);
    await setBalance(parseEther('10'));
  });
});

describe('the sweep’s balance watch', () => {
  it('publishes each balance, and tells the operator once when one falls below LOW_BALANCE_WEI', async () => {
    await setBalance(parseEther('10'));
    const above = await metricsOf(() => handlers.sweep());
    expect(above.find((m) => 'SignerBalance' in m)).toMatchObject({ SignerBalance: 10, chainId: '31337', signer });
    expect(above.find((m) => 'SignersLowOnBalance' in m)).toMatchObject({ SignersLowOnBalance: 0, service: 'sweep' });
    expect(await receiveAll(stack.sqs, stack.queues.notifications)).toHaveLength(0);

    await setBalance(parseEther('1'));
    const below = await metricsOf(() => handlers.sweep());
    expect(below.find((m) => 'SignersLowOnBalance' in m)).toMatchObject({ SignersLowOnBalance: 1 });
    await deliver(stack.sqs, stack.queues.notifications, handlers.notifier);
    expect(operator.got).toHaveLength(1);
    expect(operator.got[0]?.verified).toBe(true);
    expect(JSON.parse(operator.got[0]?.body ?? '{}')).toMatchObject({
      type: 'signer.low_balance',
      data: { chainId: 31337, signer, balance: parseEther('1').toString(), threshold: lowBalance.toString() },
    });

    // Still below at the next run: a warning and the metric again, but the operator was told already.
    await handlers.sweep();
    await deliver(stack.sqs, stack.queues.notifications, handlers.notifier);
    expect(operator.got).toHaveLength(1);

    // Back above, then below again: a new fall, told again.
    await setBalance(parseEther('10'));
    await handlers.sweep();
    await setBalance(parseEther('2'));
    await handlers.sweep();
    await deliver(stack.sqs, stack.queues.notifications, handlers.notifier);
    expect(operator.got).toHaveLength(2);
    expect(operator.got[1]?.headers['webhook-id']).not.toBe(operator.got[0]?.headers['webhook-id']);
    await setBalance(parseEther('10'));
  });
});
