import { afterEach, describe, expect, it, vi } from 'vitest';
import { rebroadcastIdOf } from '../../functions/lib/api/rebroadcastIdOf.ts';
import { clientNameSchema } from '../../functions/lib/transactions/clientName.ts';
import { statuses, type TransactionView } from '../../functions/lib/transactions/model.ts';
import { balanceShortfall } from '../../web/admin/balanceShortfall.ts';
import { clientNamePattern } from '../../web/admin/clientName.ts';
import { AdminApiError, createAdminClient } from '../../web/admin/createAdminClient.ts';
import { decodeCall } from '../../web/admin/decodeCall.ts';
import { formatEth, formatWhen, revealedText, revealInvisible, shortHex } from '../../web/admin/format.ts';
import { cancelOutcome, isCancelable, isCanceled, kindLabel } from '../../web/admin/lifecycle.ts';
import { statusOrder } from '../../web/admin/statusOrder.ts';
import { resolveRange } from '../../web/admin/timeRanges.ts';

describe('formatEth', () => {
  it.each([
    ['0', '0'],
    ['1', '0.000000000000000001'],
    ['1000000000000000', '0.001'],
    ['2500000000000000000', '2.5'],
    ['1000000000000000000000', '1000'],
    [
      '115792089237316195423570985008687907853269984665640564039457584007913129639935',
      '115792089237316195423570985008687907853269984665640564039457.584007913129639935',
    ],
  ])('%s wei is %s ETH, exactly', (wei, eth) => {
    expect(formatEth(wei)).toBe(eth);
  });

  it('shows what it cannot read as it is', () => {
    expect(formatEth('lots')).toBe('lots');
  });
});

describe('shortHex and formatWhen', () => {
  it('keeps the start and end of a long hex string, and a short one whole', () => {
    expect(shortHex('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')).toBe('0x7099…79C8');
    expect(shortHex('0x1234')).toBe('0x1234');
    expect(shortHex(null)).toBe('');
  });

  it('shows the time alone for today, the date and minute before', () => {
    const now = new Date(2026, 10, 24, 15, 0, 0);
    expect(formatWhen(new Date(2026, 10, 24, 9, 5, 7).toISOString(), now)).toBe('09:05:07');
    expect(formatWhen(new Date(2026, 10, 23, 9, 5, 7).toISOString(), now)).toBe('2026-11-23 09:05');
  });
});

describe('revealInvisible', () => {
  /** The text as the page shows it, each escape in brackets. */
  const shown = (text: string) =>
    revealInvisible(text)
      .map((p) => (typeof p === 'string' ? p : `[${p.escape}]`))
      .join('');

  it('shows a bidi override as its escape, so the text after it is not reversed', () => {
    expect(shown('["invoice-7\u202e","91"]')).toBe('["invoice-7[\\u202E]","91"]');
    const [, escaped] = revealInvisible('a\u202eb');
    expect(escaped).toEqual({ escape: '\\u202E', title: expect.stringContaining('U+202E, a bidirectional control') });
  });

  it('escapes every bidi embedding, override, isolate and mark', () => {
    const controls = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c];
    for (const code of controls) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      expect(shown(`x${String.fromCodePoint(code)}y`)).toBe(`x[\\u${hex}]y`);
      expect(revealInvisible(String.fromCodePoint(code))[0]).toMatchObject({
        title: expect.stringContaining('bidirectional'),
      });
    }
  });

  it.each([
    ['a NUL', '\u0000', '\\u0000'],
    ['a newline', '\n', '\\u000A'],
    ['DEL', '\u007f', '\\u007F'],
    ['a C1 control', '\u0085', '\\u0085'],
    ['a zero-width space', '\u200b', '\\u200B'],
    ['a zero-width joiner', '\u200d', '\\u200D'],
    ['a word joiner', '\u2060', '\\u2060'],
    ['a byte order mark', '\ufeff', '\\uFEFF'],
    ['a soft hyphen', '\u00ad', '\\u00AD'],
    ['a no-break space', '\u00a0', '\\u00A0'],
    ['a line separator', '\u2028', '\\u2028'],
    ['a hangul filler', '\u3164', '\\u3164'],
    ['a variation selector', '\ufe0f', '\\uFE0F'],
    ['a tag character', '\u{e0041}', '\\u{E0041}'],
    ['a lone surrogate', '\ud800', '\\uD800'],
  ])('escapes %s', (_what, char, marker) => {
    expect(shown(`a${char}b`)).toBe(`a[${marker}]b`);
    expect(revealInvisible(char)[0]).toMatchObject({ title: expect.stringContaining('an invisible character') });
  });

  it('leaves visible text alone, right-to-left and astral letters too', () => {
    for (const text of ['', 'invoice-7', 'a b', 'שלום', 'مرحبا', '日本', '𝔘', 'an escape typed as text: \\u202e']) {
      expect(revealInvisible(text)).toEqual(text === '' ? [] : [text]);
    }
  });
});

describe('decodeCall', () => {
  const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

  it('names each argument with its parameter name and type', () => {
    expect(decodeCall('transfer(address to, uint256 amount)', [to, '1000'])).toEqual({
      name: 'transfer',
      args: [
        { name: 'to', type: 'address', value: to },
        { name: 'amount', type: 'uint256', value: '1000' },
      ],
    });
  });

  it('quotes strings, so their ends show, and leaves their characters for revealInvisible', () => {
    expect(decodeCall('note(string memo, uint256 n)', ['invoice-7\u202e', '91'])?.args).toEqual([
      { name: 'memo', type: 'string', value: '"invoice-7\u202e"' },
      { name: 'n', type: 'uint256', value: '91' },
    ]);
  });

  it('reads `function`, data locations, modifiers and returns, and numbers unnamed parameters', () => {
    expect(
      decodeCall('function f(string calldata s, bytes memory b, uint8) external payable returns (uint256)', [
        'x',
        '0xab',
        '7',
      ]),
    ).toEqual({
      name: 'f',
      args: [
        { name: 's', type: 'string', value: '"x"' },
        { name: 'b', type: 'bytes', value: '0xab' },
        { name: '[2]', type: 'uint8', value: '7' },
      ],
    });
    expect(decodeCall('ping()', [])).toEqual({ name: 'ping', args: [] });
    expect(decodeCall('  ping ( ) ', [])).toEqual({ name: 'ping', args: [] });
  });

  it('shows arrays and tuples as their JSON, with the tuple type as written', () => {
    expect(
      decodeCall('multi((address to, uint256 v)[] calls, bool[2] flags, tuple(uint8,string) t)', [
        [[to, '1']],
        [true, false],
        ['1', 'a'],
      ])?.args,
    ).toEqual([
      { name: 'calls', type: '(address to, uint256 v)[]', value: `[["${to}","1"]]` },
      { name: 'flags', type: 'bool[2]', value: '[true,false]' },
      { name: 't', type: 'tuple(uint8,string)', value: '["1","a"]' },
    ]);
  });

  it('gives up on what it cannot read, or on arguments that do not match', () => {
    expect(decodeCall('transfer(address to, uint256 amount)', [to])).toBeUndefined();
    expect(decodeCall('transfer(address to', [to])).toBeUndefined();
    expect(decodeCall('f((uint8 a)', ['1'])).toBeUndefined();
    expect(decodeCall('f(uint8 a))', ['1'])?.name).toBe('f');
    expect(decodeCall('f(uint8 a-b)', ['1'])).toBeUndefined();
    expect(decodeCall('0x12345678', [])).toBeUndefined();
    expect(decodeCall('', [])).toBeUndefined();
  });
});

describe('resolveRange', () => {
  const now = new Date('2026-11-24T12:00:00.000Z');
  it('turns a relative range into a `from` instant at the time it is asked', () => {
    expect(resolveRange('all', { from: '', to: '' }, now)).toEqual({});
    expect(resolveRange('1h', { from: '', to: '' }, now)).toEqual({ from: '2026-11-24T11:00:00.000Z' });
    expect(resolveRange('7d', { from: '', to: '' }, now)).toEqual({ from: '2026-11-17T12:00:00.000Z' });
    const today = resolveRange('today', { from: '', to: '' }, now).from ?? '';
    expect(new Date(today).getHours()).toBe(0);
    expect(Date.parse(today)).toBeLessThanOrEqual(now.getTime());
  });

  it('reads a custom range in local time, and leaves out an empty end', () => {
    const from = '2026-11-20T08:30';
    expect(resolveRange('custom', { from, to: '' }, now)).toEqual({ from: new Date(from).toISOString() });
    expect(resolveRange('custom', { from: 'nonsense', to: '' }, now)).toEqual({});
  });
});

describe('the page and the model agree', () => {
  it('the page offers every status the model has', () => {
    expect([...statusOrder].sort()).toEqual([...statuses].sort());
  });

  it('the client filter takes the names the API takes, and no other', () => {
    const names = ['a', 'default', 'team-b', 'Team_B.2', '9lives', 'a'.repeat(64)];
    const notNames = ['', '-team', '_x', '.x', 'a b', 'a/b', 'ä', 'a'.repeat(65), 'team-b\u202e', 'x\n'];
    for (const name of [...names, ...notNames]) {
      expect(clientNamePattern.test(name), name).toBe(clientNameSchema.safeParse(name).success);
    }
    expect(names.every((n) => clientNamePattern.test(n))).toBe(true);
  });
});

describe('rebroadcastIdOf', () => {
  it('is the same for the same transaction, different for another, and shaped like a UUID', () => {
    const id = rebroadcastIdOf('0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d11');
    expect(rebroadcastIdOf('0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d11')).toBe(id);
    expect(rebroadcastIdOf('0b8e3a53-6b0e-4b8e-9d0e-2b8f0e6f0d12')).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A rebroadcast of a rebroadcast is another transaction again.
    expect(rebroadcastIdOf(id)).not.toBe(id);
  });
});

describe('the cancel', () => {
  it('is offered only before a transaction is in a block, and not once it failed', () => {
    const offered = statuses.filter(isCancelable);
    expect(offered).toEqual(['pending', 'retrying', 'success']);
  });

  /** The calls the client made, and a fetch that answers each with `status` and `body`. */
  function answering(status: number, body: unknown) {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    });
    return calls;
  }
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is a POST to transactions/{id}/cancel with the admin token and no body; 200 is final, 202 on its way', async () => {
    const client = createAdminClient('admin-token', '/base/');
    const calls = answering(200, { id: 'a/b', status: 'failed' });
    expect(await client.cancel('a/b')).toEqual({ tx: { id: 'a/b', status: 'failed' }, final: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('/base/transactions/a%2Fb/cancel');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.body).toBeUndefined();
    expect(new Headers(calls[0]?.init.headers).get('authorization')).toBe('Bearer admin-token');

    answering(202, { id: 'x', status: 'success' });
    expect((await client.cancel('x')).final).toBe(false);
  });

  it('reads what the service lacks from GET /admin/health: its 503 is an answer, a configured one is nothing', async () => {
    const client = createAdminClient('admin-token');
    const missing = 'not configured: CHAINS_SECRET_ARN: the secret arn:x holds no RPC URLs yet';
    const calls = answering(503, { ok: false, checks: { table: 'ok', configuration: missing } });
    expect(await client.unconfigured()).toBe(missing);
    expect(calls[0]?.url).toBe('admin/health');
    // Another check's 503 (a chain down) is not "unconfigured".
    answering(503, { ok: false, checks: { table: 'ok', 'chain:1': 'unavailable (TimeoutError)' } });
    expect(await client.unconfigured()).toBeUndefined();
    answering(200, { ok: true, checks: { table: 'ok' } });
    expect(await client.unconfigured()).toBeUndefined();
    // A refused token is still the token's problem.
    answering(401, { error: { code: 'unauthorized', message: 'no', details: [] } });
    expect(await client.unconfigured().catch((e: unknown) => e)).toMatchObject({ status: 401, auth: true });
  });

  it('gives a 409 as an error with the server’s words, not as a token problem', async () => {
    const message = 'it was mined in block 12: the original’s outcome stands';
    answering(409, { error: { code: 'not_cancelable', message, details: [] } });
    const refused = await createAdminClient('t')
      .cancel('x')
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AdminApiError);
    expect(refused).toMatchObject({ status: 409, message, auth: false });
  });

  /** A view with only what these tests read set; the rest as a fresh transaction has it. */
  const view = (over: Partial<TransactionView>): TransactionView => ({
    id: 'x',
    status: 'success',
    message: '',
    attempts: 1,
    chainId: 31337,
    to: '0x0',
    value: '0',
    data: '0x',
    gas: null,
    from: null,
    nonce: null,
    txHash: null,
    rawTx: null,
    signedAt: null,
    receipt: null,
    hashes: [],
    history: [],
    validUntil: null,
    callbackUrl: null,
    cancel: null,
    stuck: null,
    waiting: null,
    createdAt: '',
    updatedAt: '',
    ...over,
  });
  const asked = { requestedAt: '2026-01-01T00:00:00.000Z', by: 'admin', reason: 'requested' } as const;
  const receipt = (txHash: string) => ({
    status: 'success' as const,
    txHash,
    blockNumber: 9,
    blockHash: '0xb',
    gasUsed: '21000',
    effectiveGasPrice: '1',
    confirmations: 2,
  });
  const signature = (txHash: string, kind?: 'original' | 'reprice' | 'cancel') => ({
    txHash,
    maxFeePerGas: '2',
    maxPriorityFeePerGas: '1',
    signedAt: '2026-01-01T00:00:00.000Z',
    ...(kind ? { kind } : {}),
  });

  it('reads what an asked-for cancel came to from the status, the history and the receipt', () => {
    const canceledEntry = { attempt: 1, at: '', outcome: 'failed' as const, error: 'canceled: asked for by admin' };
    const canceled = view({ status: 'failed', cancel: asked, history: [canceledEntry] });
    expect(isCanceled(canceled)).toBe(true);
    expect(cancelOutcome(canceled)).toMatch(/^canceled/);
    // Failed for another reason, a cancel asked for or not: not canceled.
    expect(
      isCanceled(view({ status: 'failed', cancel: asked, history: [{ ...canceledEntry, error: 'nonce used' }] })),
    ).toBe(false);
    expect(isCanceled(view({ status: 'failed', history: [canceledEntry] }))).toBe(false);

    const hashes = [signature('0x1'), signature('0x2', 'cancel')];
    expect(cancelOutcome(view({ status: 'confirmed', cancel: asked, hashes, receipt: receipt('0x1') }))).toMatch(
      /original was mined first and its outcome stands/,
    );
    expect(cancelOutcome(view({ status: 'mined', cancel: asked, hashes, receipt: receipt('0x2') }))).toBe(
      'the cancel transfer is in a block',
    );
    expect(cancelOutcome(view({ status: 'success', cancel: asked, hashes }))).toMatch(/^on its way/);
  });

  it('names each kind of signature', () => {
    expect(kindLabel).toEqual({ original: 'original', reprice: 're-priced', cancel: 'cancel' });
  });

  it('escapes a stuck reason for a title as the page escapes text', () => {
    expect(revealedText('fees\u202e above the cap')).toBe('fees\\u202E above the cap');
  });
});

describe('balanceShortfall', () => {
  it('is what the open transactions may still spend beyond the balance, and nothing when it covers them', () => {
    expect(balanceShortfall({ balance: '100', openSpend: '250' })).toBe(150n);
    expect(balanceShortfall({ balance: '250', openSpend: '250' })).toBeUndefined();
    expect(balanceShortfall({ balance: '1000000000000000000000', openSpend: '1' })).toBeUndefined();
  });

  it('says nothing when either amount is unknown or not a whole number of wei', () => {
    expect(balanceShortfall({ balance: null, openSpend: '1' })).toBeUndefined();
    expect(balanceShortfall({ balance: '1', openSpend: null })).toBeUndefined();
    // BigInt would read '' as 0 and '0x10' as 16.
    expect(balanceShortfall({ balance: '', openSpend: '1' })).toBeUndefined();
    expect(balanceShortfall({ balance: '0x10', openSpend: '100' })).toBeUndefined();
    expect(balanceShortfall({ balance: '1', openSpend: '-5' })).toBeUndefined();
  });
});

describe('the events', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('are a GET of transactions/{id}/events with the admin token', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ items: [] }), { status: 200 });
    });
    expect(await createAdminClient('admin-token', '/base/').events('a/b')).toEqual({ items: [] });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('/base/transactions/a%2Fb/events');
    expect(calls[0]?.init.method).toBe('GET');
    expect(new Headers(calls[0]?.init.headers).get('authorization')).toBe('Bearer admin-token');
  });
});
