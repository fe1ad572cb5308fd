import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { createPublicClient, type Hex, http } from 'viem';
import { expect } from 'vitest';
import { getItems } from '../../functions/lib/store/getItems.ts';
import type { Runner } from './runner.ts';

export type Audit = {
  txs: Array<{
    id: string;
    status: string;
    attempts: number;
    nonce: number | null;
    txHash: string | null;
    filledBy?: string;
    rawTx: string | null;
  }>;
  fillers: Array<{ nonce: number; txHash: string }>;
  chainTxs: Array<{ hash: string; nonce: number }>;
};

/**
 * Reads every transaction in the table (not only those a client saw answered: a request cut off by a
 * crash after its row was written is still ours to finish), every filler, and every transaction of
 * the signer on chain.
 */
export async function audit(
  runner: Pick<Runner, 'endpoints' | 'tableName' | 'signer'>,
  rpcUrl: string,
): Promise<Audit> {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: runner.endpoints.dynamodb,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
  );
  const ofKind = async (kind: string) => {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: doc },
      {
        TableName: runner.tableName,
        IndexName: 'byKind',
        KeyConditionExpression: 'kind = :k',
        ExpressionAttributeValues: { ':k': kind },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    // byKind holds keys only: the records themselves are read from the table.
    return getItems(
      doc,
      runner.tableName,
      items.map((i) => ({ pk: String(i.pk) })),
    );
  };
  const txs = (await ofKind('tx')).map((t) => ({
    id: String(t.id),
    status: String(t.status),
    attempts: Number(t.attempts),
    nonce: t.nonce === undefined ? null : Number(t.nonce),
    txHash: t.txHash === undefined ? null : String(t.txHash),
    rawTx: t.rawTx === undefined ? null : String(t.rawTx),
    ...(t.filledBy ? { filledBy: String(t.filledBy) } : {}),
  }));
  const fillers = (await ofKind('filler')).map((f) => ({ nonce: Number(f.nonce), txHash: String(f.txHash) }));
  const chain = createPublicClient({ transport: http(rpcUrl) });
  const latest = await chain.getBlockNumber();
  const chainTxs: Audit['chainTxs'] = [];
  for (let n = 0n; n <= latest; n++) {
    const block = await chain.getBlock({ blockNumber: n, includeTransactions: true });
    for (const t of block.transactions) {
      if (t.from.toLowerCase() === runner.signer.toLowerCase()) chainTxs.push({ hash: t.hash, nonce: t.nonce });
    }
  }
  return { txs, fillers, chainTxs };
}

/**
 * The invariants: every success is mined; every transaction of ours on chain is a success or a
 * recorded filler; no nonce is used twice; a failed transaction is not on chain.
 */
export function expectConsistent(a: Audit): void {
  const onChain = new Map(a.chainTxs.map((t) => [t.hash, t]));
  const successes = a.txs.filter((t) => t.status === 'success');
  for (const t of successes) {
    expect(onChain.has(t.txHash as Hex), `success ${t.id} (${t.txHash}) is mined`).toBe(true);
  }
  for (const t of a.txs.filter((x) => x.status === 'failed')) {
    expect(t.txHash && onChain.has(t.txHash), `failed ${t.id} is not on chain`).toBeFalsy();
  }
  const known = new Set([...successes.map((t) => t.txHash), ...a.fillers.map((f) => f.txHash)]);
  for (const t of a.chainTxs) {
    const ours = a.txs.find((x) => x.txHash === t.hash);
    expect(
      known.has(t.hash),
      `chain tx ${t.hash} (nonce ${t.nonce}, ${JSON.stringify(ours)}) is a success or a filler`,
    ).toBe(true);
  }
  const nonces = successes.map((t) => t.nonce);
  expect(new Set(nonces).size, 'no two successes share a nonce').toBe(nonces.length);
  expect(new Set(a.chainTxs.map((t) => t.nonce)).size).toBe(a.chainTxs.length);
}
