import { type Hash, type Hex, keccak256, numberToHex, stringToHex } from 'viem';
import type { ChainClient } from '../../../functions/lib/chain/ChainRegistry.ts';
import type { Depth } from '../../../functions/lib/config/loadConfig.ts';
import type { LineMarker } from '../../../functions/lib/store/WaitingLine.ts';
import type { TrackDeps } from '../../../functions/lib/tracker/trackTransaction.ts';
import type { Transaction } from '../../../functions/lib/transactions/model.ts';
import {
  account,
  chainId,
  createClock,
  createFakeRegistry,
  createRecordingQueue,
  fees,
  pendingTransaction,
  signedBytes,
  silentLogger,
} from './broadcastFakes.ts';

// What the tracker talks to, in memory: a node that holds a chain of blocks (which a test may reorg),
// the receipts of what was mined in them and a pool; the record it reads; and the queues it reports to.

/** The hash of block `number` on fork `fork`: the same height on two forks has two hashes. */
export const blockHash = (number: number, fork = 'a'): Hash => keccak256(stringToHex(`${fork}#${number}`));

type MinedAt = { blockNumber: number; blockHash: Hash; status: 'success' | 'reverted' };

/**
 * One node, answering the JSON-RPC calls the tracker makes as a node does (hex strings, `null` for what
 * it does not have): receipts by hash, the canonical block at a height, the head, the pool; and the
 * sender's mined nonce count. It takes bytes sent to it into its pool. Every request is recorded.
 */
export function createFakeNode({ head = 10, latestNonce = 7 } = {}) {
  const receipts = new Map<string, MinedAt>();
  const canonical = new Map<number, Hash>();
  for (let n = 0; n <= head; n++) canonical.set(n, blockHash(n));
  const pool = new Set<string>();
  const state = {
    head,
    /** What `getTransactionCount(latest)` answers: the next nonce of the sender on the chain. */
    latestNonce,
    /** Set to make every call fail, as an unreachable node does. */
    down: undefined as Error | undefined,
    /** Set to make only `getTransactionCount` fail. */
    countDown: undefined as Error | undefined,
    /** Runs when the nonce count is asked, before it answers: what happens on the chain meanwhile. */
    onCount: () => {},
    /** The time of block `n`, in seconds: one block every 6 s from 2025-01-01T00:00:00Z (block 10 at 00:01:00). */
    timestampOf: (n: number) => Date.parse('2025-01-01T00:00:00.000Z') / 1000 + n * 6,
    /** The node's `finalized` block; unset, the node does not know the tag. */
    finalized: undefined as number | undefined,
    /** What `debug_traceTransaction` answers for a hash; unset, the node has no such method. */
    trace: undefined as ((hash: string) => unknown) | undefined,
    /** Bytes sent, in order. */
    sent: [] as Hex[],
    /** The methods asked, in order. */
    calls: [] as string[],
    /** Records `hash` as mined in canonical block `blockNumber` (with status 1 unless `status` says otherwise). */
    mine(hash: Hash, blockNumber: number, status: MinedAt['status'] = 'success') {
      const atHeight = canonical.get(blockNumber) ?? blockHash(blockNumber);
      canonical.set(blockNumber, atHeight);
      receipts.set(hash, { blockNumber, blockHash: atHeight, status });
      pool.delete(hash);
    },
    /** Replaces the blocks from `from` up with those of another fork: receipts in them no longer count. */
    reorg(from: number, fork = 'b') {
      for (const n of canonical.keys()) if (n >= from) canonical.set(n, blockHash(n, fork));
    },
    /** Forgets a receipt, as a node does once its block is gone and the transaction is not in the new one. */
    forget(hash: Hash) {
      receipts.delete(hash);
    },
    pool,
  };
  const answer = (method: string, params: unknown[]): unknown => {
    switch (method) {
      case 'eth_getTransactionReceipt': {
        const hash = String(params[0]);
        const mined = receipts.get(hash);
        if (!mined) return null;
        return {
          transactionHash: hash,
          blockNumber: numberToHex(mined.blockNumber),
          blockHash: mined.blockHash,
          status: mined.status === 'success' ? '0x1' : '0x0',
          gasUsed: numberToHex(21_000),
          effectiveGasPrice: numberToHex(fees.maxPriorityFeePerGas + 7n),
          cumulativeGasUsed: numberToHex(21_000),
          logs: [],
        };
      }
      case 'eth_getBlockByNumber': {
        if (params[0] === 'finalized' && state.finalized === undefined) throw new Error('unknown block tag finalized');
        const number = params[0] === 'finalized' ? (state.finalized ?? 0) : Number(BigInt(String(params[0])));
        const hash = number <= state.head ? canonical.get(number) : undefined;
        return hash
          ? { number: numberToHex(number), hash, timestamp: numberToHex(state.timestampOf(number)), transactions: [] }
          : null;
      }
      case 'eth_blockNumber':
        return numberToHex(state.head);
      case 'eth_getTransactionByHash': {
        // In a block, in the pool (no block yet), or unknown to the node.
        const hash = String(params[0]);
        const mined = receipts.get(hash);
        if (mined) return { hash, blockHash: mined.blockHash, blockNumber: numberToHex(mined.blockNumber) };
        return pool.has(hash) ? { hash, blockHash: null, blockNumber: null } : null;
      }
      case 'debug_traceTransaction':
        if (state.trace) return state.trace(String(params[0]));
        throw new Error('the method debug_traceTransaction does not exist/is not available');
      default:
        throw new Error(`the fake node does not answer ${method}`);
    }
  };
  const client = {
    async request({ method, params = [] }: { method: string; params?: unknown[] }) {
      state.calls.push(method);
      if (state.down) throw state.down;
      return answer(method, params);
    },
    async getTransactionCount({ blockTag }: { address: Hex; blockTag?: 'latest' | 'pending' }) {
      state.calls.push(`getTransactionCount:${blockTag ?? 'latest'}`);
      if (state.down ?? state.countDown) throw state.down ?? state.countDown;
      state.onCount();
      return state.latestNonce;
    },
    async sendRawTransaction({ serializedTransaction }: { serializedTransaction: Hex }) {
      state.calls.push('sendRawTransaction');
      if (state.down) throw state.down;
      state.sent.push(serializedTransaction);
      const hash = keccak256(serializedTransaction);
      pool.add(hash);
      return hash;
    },
  };
  // viem's client methods are overloaded generics; the fake answers the calls the tracker makes.
  return Object.assign(state, { client: client as unknown as ChainClient });
}

export type FakeNode = ReturnType<typeof createFakeNode>;

/**
 * A transaction the node took: signed with nonce 7 by the dev account, its bytes stored, `token-1` the
 * tracking that follows it. `older` adds an earlier signature of the same nonce before the latest one.
 */
export async function trackedTransaction(overrides: Partial<Transaction> = {}, { older = false } = {}) {
  const latest = await signedBytes({ nonce: 7 });
  const earlier = await signedBytes({ nonce: 7, value: 2n });
  const signature = (txHash: Hex, signedAt: string) => ({
    txHash,
    maxFeePerGas: fees.maxFeePerGas.toString(),
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
    signedAt,
  });
  const tx = pendingTransaction({
    status: 'success',
    message: 'accepted by the node',
    attempts: 1,
    from: account.address,
    nonce: 7,
    gas: '21000',
    rawTx: latest.rawTx,
    txHash: latest.txHash,
    signedAt: '2025-01-01T00:00:01.000Z',
    hashes: [
      ...(older ? [signature(earlier.txHash, '2025-01-01T00:00:00.000Z')] : []),
      signature(latest.txHash, '2025-01-01T00:00:01.000Z'),
    ],
    trackToken: 'token-1',
    history: [{ attempt: 1, at: '2025-01-01T00:00:01.000Z', outcome: 'success' }],
    ...overrides,
  });
  return { tx, rawTx: latest.rawTx, txHash: latest.txHash, olderHash: earlier.txHash, olderRawTx: earlier.rawTx };
}

/** The tracker's world: the record(s) given, one node on chain 31337, the depth and the interval asked. */
export function createTrackWorld(
  transactions: Transaction[],
  { node = createFakeNode(), depth = 2 as Depth, intervalSeconds = 5, stuckAfterBlocks = 3, feeCapGwei = 100 } = {},
) {
  const records = new Map(transactions.map((tx) => [tx.id, structuredClone(tx)]));
  const responses = createRecordingQueue();
  const tracking = createRecordingQueue();
  const clock = createClock('2025-01-01T00:01:00.000Z');
  const requests = createRecordingQueue();
  /** The market's fees, as the fee cache would answer them; a test raises them to make a spike. */
  const market = { ...fees };
  const stuck: number[] = [];
  /** What the look read: a record alone (its id) or with its chain's line marker (`id+line#chain`). */
  const reads: string[] = [];
  /** The chain's line marker as the table holds it (none unless a test sets it). */
  const line: { marker?: LineMarker } = {};
  const deps: TrackDeps = {
    transactions: {
      get: async (id) => {
        reads.push(id);
        return structuredClone(records.get(id));
      },
      getWithLine: async (id, chain) => {
        reads.push(`${id}+line#${chain}`);
        const tx = structuredClone(records.get(id));
        return { ...(tx ? { tx } : {}), ...(line.marker ? { line: line.marker } : {}) };
      },
    },
    chains: createFakeRegistry({ [chainId]: node }),
    responses: responses.queue,
    tracking: tracking.queue,
    requests: requests.queue,
    fees: { get: async () => ({ ...market }) },
    settings: {
      confirmations: () => depth,
      intervalSeconds: () => intervalSeconds,
      stuckAfterBlocks: () => stuckAfterBlocks,
      feeCapWei: () => BigInt(feeCapGwei) * 1_000_000_000n,
    },
    metrics: { stuck: (id) => stuck.push(id) },
    logger: silentLogger(),
    now: clock.now,
  };
  return { deps, node, records, responses, tracking, requests, market, stuck, clock, reads, line };
}
