import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getItems } from '../../functions/lib/store/getItems.ts';

type Key = { pk: string };
type BatchInput = { RequestItems: Record<string, { Keys: Key[] }> };

/**
 * A table that answers BatchGetItem like DynamoDB under throttling: of each request it serves at most
 * `serve` keys and leaves the rest unprocessed. dynalite never does this, so it is stubbed here.
 */
function throttledTable(items: Map<string, Record<string, unknown>>, serve: number) {
  const requests: Key[][] = [];
  const doc = {
    send: async (command: { input: BatchInput }) => {
      const [[table, { Keys }]] = Object.entries(command.input.RequestItems) as [[string, { Keys: Key[] }]];
      requests.push(Keys);
      const served = Keys.slice(0, serve);
      const left = Keys.slice(serve);
      return {
        Responses: { [table]: served.flatMap((k) => (items.has(k.pk) ? [items.get(k.pk)] : [])) },
        ...(left.length > 0 ? { UnprocessedKeys: { [table]: { Keys: left } } } : {}),
      };
    },
  } as unknown as DynamoDBDocumentClient;
  return { doc, requests };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('getItems', () => {
  it('asks again for the keys DynamoDB left unprocessed until every one is read', async () => {
    vi.useFakeTimers();
    const items = new Map(['a', 'b', 'c', 'd', 'e'].map((k) => [k, { pk: k, n: k.charCodeAt(0) }]));
    const { doc, requests } = throttledTable(items, 2);
    const read = getItems(
      doc,
      't',
      ['e', 'a', 'x', 'c', 'b', 'd'].map((pk) => ({ pk })),
    );
    await vi.runAllTimersAsync();
    expect((await read).map((i) => i.pk)).toEqual(['e', 'a', 'c', 'b', 'd']);
    expect(requests.map((keys) => keys.map((k) => k.pk))).toEqual([
      ['e', 'a', 'x', 'c', 'b', 'd'],
      ['x', 'c', 'b', 'd'],
      ['b', 'd'],
    ]);
  });

  it('gives up with an error, not a short answer, when keys stay unprocessed', async () => {
    vi.useFakeTimers();
    const { doc, requests } = throttledTable(new Map([['a', { pk: 'a' }]]), 0);
    const read = getItems(doc, 't', [{ pk: 'a' }]);
    const failed = expect(read).rejects.toThrow(/unprocessed/);
    await vi.runAllTimersAsync();
    await failed;
    expect(requests).toHaveLength(8);
  });

  it('reads 100 keys a request at most, each key once', async () => {
    const keys = Array.from({ length: 230 }, (_, i) => ({ pk: `k${i}` }));
    const items = new Map(keys.map((k) => [k.pk, { pk: k.pk }]));
    const { doc, requests } = throttledTable(items, 100);
    const read = await getItems(doc, 't', [...keys, { pk: 'k0' }]);
    expect(requests.map((r) => r.length)).toEqual([100, 100, 30]);
    expect(read).toHaveLength(231); // -- a key asked twice is answered twice, from one read
  });
});
