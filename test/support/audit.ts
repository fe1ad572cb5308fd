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
    /** Its sender, once one was named, chosen or signed with. */
    from: string | null;
    txHash: string | null;
    filledBy?: string;
    rawTx: string | null;
    /** Every signature made for it (its `hashes`, and `txHash`): any one of them may be the one mined. */
    hashes: string[];
  }>;
  fillers: Array<{ nonce: number; txHash: string; from: string }>;
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
    from: t.from === undefined ? null : String(t.from),
    txHash: t.txHash === undefined ? null : String(t.txHash),
    rawTx: t.rawTx === undefined ? null : String(t.rawTx),
    hashes: signaturesOf(t),
    ...(t.filledBy ? { filledBy: String(t.filledBy) } : {}),
  }));
  // A re-priced filler names the signatures it replaced too: any one of them may be the one mined.
  const fillers = (await ofKind('filler')).flatMap((f) =>
    [String(f.txHash), ...(Array.isArray(f.previous) ? f.previous.map(String) : [])].map((txHash) => ({
      nonce: Number(f.nonce),
      txHash,
      from: String(f.from),
    })),
  );
  const chainTxs = (await chainTransactionsOf(rpcUrl, runner.signer)).map(({ hash, nonce }) => ({ hash, nonce }));
  return { txs, fillers, chainTxs };
}

/** The hashes of every signature a stored record names: its `hashes` entries and its `txHash`. */
function signaturesOf(t: Record<string, unknown>): string[] {
  const listed = Array.isArray(t.hashes) ? t.hashes.map((h: { txHash?: unknown }) => String(h.txHash)) : [];
  const latest = t.txHash === undefined ? [] : [String(t.txHash)];
  return [...new Set([...listed, ...latest])];
}

/** Every transaction `sender` has on the canonical chain behind `rpcUrl`, block by block from genesis. */
export async function chainTransactionsOf(
  rpcUrl: string,
  sender: string,
): Promise<Array<{ hash: Hex; nonce: number; blockNumber: number; blockHash: Hex }>> {
  const chain = createPublicClient({ transport: http(rpcUrl) });
  const latest = await chain.getBlockNumber();
  const found: Array<{ hash: Hex; nonce: number; blockNumber: number; blockHash: Hex }> = [];
  for (let n = 0n; n <= latest; n++) {
    const block = await chain.getBlock({ blockNumber: n, includeTransactions: true });
    for (const t of block.transactions) {
      if (t.from.toLowerCase() === sender.toLowerCase()) {
        found.push({ hash: t.hash, nonce: t.nonce, blockNumber: Number(n), blockHash: block.hash });
      }
    }
  }
  return found;
}

/**
 * The lifecycle's invariants over a settled audit: every transaction of the signer on chain is one
 * signature of exactly one record (or a filler); no record has two on chain; the signer's nonces on
 * chain run 0, 1, 2, ... without a gap or a repeat; and a record that says it is confirmed or
 * reverted has its `txHash` on the canonical chain.
 */
export function expectOneEffectEach(a: Audit): void {
  const effects = new Map<string, string[]>();
  for (const t of a.chainTxs) {
    const owners = a.txs.filter((x) => x.hashes.includes(t.hash)).map((x) => x.id);
    const filler = a.fillers.some((f) => f.txHash === t.hash);
    expect(owners.length + (filler ? 1 : 0), `chain tx ${t.hash} (nonce ${t.nonce}) is one record's or a filler`).toBe(
      1,
    );
    for (const id of owners) effects.set(id, [...(effects.get(id) ?? []), t.hash]);
  }
  for (const [id, hashes] of effects) expect(hashes, `${id} has one on-chain effect`).toHaveLength(1);
  const nonces = a.chainTxs.map((t) => t.nonce).sort((x, y) => x - y);
  expect(nonces, "the signer's nonces on chain are consecutive from 0").toEqual(nonces.map((_, i) => i));
  const onChain = new Set(a.chainTxs.map((t) => t.hash));
  for (const t of a.txs.filter((x) => x.status === 'confirmed' || x.status === 'reverted')) {
    expect(t.txHash && onChain.has(t.txHash), `${t.status} ${t.id} (${t.txHash}) is on the canonical chain`).toBe(true);
  }
}

/** What the node took: accepted (success), in a block (mined), or at depth (confirmed, reverted: mined, its execution failed). */
const landedStatuses = new Set(['success', 'mined', 'confirmed', 'reverted']);

/**
 * The invariants: every landed transaction (success, mined, confirmed, reverted) is on chain with its
 * `txHash`; every transaction of ours on chain is a landed one or a recorded filler; no nonce is used
 * twice; a failed transaction is not on chain.
 */
export function expectConsistent(a: Audit): void {
  const onChain = new Map(a.chainTxs.map((t) => [t.hash, t]));
  const landed = a.txs.filter((t) => landedStatuses.has(t.status));
  for (const t of landed) {
    expect(onChain.has(t.txHash as Hex), `${t.status} ${t.id} (${t.txHash}) is on chain`).toBe(true);
  }
  for (const t of a.txs.filter((x) => x.status === 'failed')) {
    expect(t.txHash && onChain.has(t.txHash), `failed ${t.id} is not on chain`).toBeFalsy();
  }
  const known = new Set([...landed.map((t) => t.txHash), ...a.fillers.map((f) => f.txHash)]);
  for (const t of a.chainTxs) {
    const ours = a.txs.find((x) => x.txHash === t.hash);
    expect(
      known.has(t.hash),
      `chain tx ${t.hash} (nonce ${t.nonce}, ${JSON.stringify(ours)}) is a landed transaction or a filler`,
    ).toBe(true);
  }
  const nonces = landed.map((t) => t.nonce);
  expect(new Set(nonces).size, 'no two landed transactions share a nonce').toBe(nonces.length);
  expect(new Set(a.chainTxs.map((t) => t.nonce)).size).toBe(a.chainTxs.length);
}
