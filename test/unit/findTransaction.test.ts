import type { PublicClient } from 'viem';
import { describe, expect, it } from 'vitest';
import { findTransaction } from '../../functions/lib/chain/findTransaction.ts';

/** A node that answers `eth_getTransactionByHash` from a script, one answer per call. */
function node(answers: Array<unknown | Error>) {
  let calls = 0;
  const client = {
    request: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as PublicClient;
  return { client, calls: () => calls };
}

const hash = `0x${'ab'.repeat(32)}` as const;

describe('findTransaction', () => {
  it('one empty answer does not decide: a second read finds it', async () => {
    const n = node([null, { blockHash: null }]);
    expect(await findTransaction(n.client, hash, { spacingMs: 1 })).toBe('pooled');
    expect(n.calls()).toBe(2);
  });

  it('answers unseen only after every read came back empty', async () => {
    const n = node([null, null, null]);
    expect(await findTransaction(n.client, hash, { reads: 3, spacingMs: 1 })).toBe('unseen');
    expect(n.calls()).toBe(3);
  });

  it('tells mined from pooled', async () => {
    expect(await findTransaction(node([{ blockHash: '0x01' }]).client, hash)).toBe('mined');
  });

  it('a node that never answers is unreachable, not unseen', async () => {
    expect(await findTransaction(node([new Error('ECONNREFUSED')]).client, hash, { spacingMs: 1 })).toBe('unreachable');
  });

  it('a single empty answer among failed reads decides nothing', async () => {
    const n = node([new Error('timeout'), null, new Error('timeout')]);
    expect(await findTransaction(n.client, hash, { spacingMs: 1 })).toBe('unreachable');
    expect(n.calls()).toBe(4);
  });

  it('failed reads are made up for by extra tries', async () => {
    expect(await findTransaction(node([new Error('timeout'), null, null]).client, hash, { spacingMs: 1 })).toBe(
      'unseen',
    );
  });
});
