import { Logger } from '@aws-lambda-powertools/logger';
import { type Hex, keccak256, type TransactionSerializable } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { BroadcastDeps, BroadcastSettings } from '../../../functions/lib/broadcast/BroadcastDeps.ts';
import type { ChainClient, ChainRegistry } from '../../../functions/lib/chain/ChainRegistry.ts';
import { type Signer, signerSet } from '../../../functions/lib/chain/Signer.ts';
import { SignerFullError, UnknownChainError } from '../../../functions/lib/errors/errors.ts';
import type { QueueSender } from '../../../functions/lib/queue/createQueueSender.ts';
import { createSignerStates } from '../../../functions/lib/signers/signerStates.ts';
import type { Filler, NonceCounter, NonceHolder, NonceStore } from '../../../functions/lib/store/NonceStore.ts';
import type { LineMarker, WaitingLine } from '../../../functions/lib/store/WaitingLine.ts';
import type { Transaction } from '../../../functions/lib/transactions/model.ts';

// Small in-memory stand-ins for what the broadcaster and the sweep talk to. Each one keeps the
// conditions of the real thing (a claim is exclusive, a nonce is taken once, a node remembers the
// bytes it took), so a test exercises the decisions of the code under test, not a fake that says yes.

/** Anvil's first dev key: a real local account, so signatures and hashes are real. */
export const devKey = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const;
export const account = privateKeyToAccount(devKey);
export const chainId = 31337;
export const recipient = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const;
export const fees = { maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };

/** An error shaped as viem throws it: the node's own sentence in `details`, and in the message. */
export function rpcError(details: string): Error {
  return Object.assign(new Error(`RPC Request failed.\n\nDetails: ${details}`), {
    shortMessage: 'RPC Request failed.',
    details,
  });
}

/** A transaction as the api records it: pending, no attempt yet, never signed. */
export function pendingTransaction(overrides: Partial<Transaction> = {}): Transaction {
  return {
    id: 'tx-1',
    status: 'pending',
    message: 'accepted',
    attempts: 0,
    chainId,
    to: recipient,
    value: '1',
    data: '0x',
    history: [],
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Signs `tx` with the dev account: the bytes and the hash a record signed earlier would hold. */
export async function signedBytes(tx: { nonce: number; gas?: bigint; to?: Hex; value?: bigint; data?: Hex }) {
  const rawTx = await account.signTransaction({
    chainId,
    type: 'eip1559',
    to: tx.to ?? recipient,
    value: tx.value ?? 1n,
    data: tx.data ?? '0x',
    gas: tx.gas ?? 21_000n,
    nonce: tx.nonce,
    ...fees,
  });
  return { rawTx, txHash: keccak256(rawTx) };
}

type StoredTransaction = Transaction & {
  leaseToken?: string;
  leaseUntil?: number;
  /** In its chain's waiting line since (ms), as the `waiting` index holds it. */
  waitChain?: string;
  waitSince?: number;
  dueAt?: number;
};

const isOpen = (tx: Transaction) => tx.status === 'pending' || tx.status === 'retrying';

/**
 * The broadcaster's view of the transactions table, in memory, with the conditions of the DynamoDB
 * store: one claim at a time, a signature stored once and only under a live claim of its own, a
 * reserved nonce the only one that may be signed with, a transaction closed unsigned never signed.
 */
export function createFakeTransactions(initial: Transaction[] = []) {
  const records = new Map<string, StoredTransaction>(initial.map((tx) => [tx.id, structuredClone(tx)]));
  /** The record as the table holds it, lease included. */
  const record = (id: string): StoredTransaction | undefined => records.get(id);
  const view = (stored: StoredTransaction): Transaction => {
    // The store parses items with the transaction schema, which does not carry the lease.
    const { leaseToken: _token, leaseUntil: _until, waitChain: _chain, waitSince: _since, dueAt: _due, ...tx } = stored;
    return structuredClone(tx);
  };
  const store: BroadcastDeps['transactions'] = {
    async get(id) {
      const stored = records.get(id);
      return stored && view(stored);
    },
    async claimForSigning(id, lease, now) {
      const stored = records.get(id);
      if (!stored) return undefined;
      if (stored.rawTx !== undefined) return undefined; // a transaction is signed once
      if (stored.signingClosed !== undefined) return undefined; // one that failed unsigned is never signed later
      if (!isOpen(stored)) return undefined; // terminal transactions are left alone
      if (stored.leaseUntil !== undefined && stored.leaseUntil >= now) return undefined; // one signer at a time
      stored.leaseToken = lease.token;
      stored.leaseUntil = lease.until;
      return view(stored);
    },
    async saveSignature(id, token, signed, now) {
      const stored = records.get(id);
      if (!stored || stored.rawTx !== undefined) return false; // a transaction is signed once
      if (stored.signingClosed !== undefined) return false; // a cancel that came while it was being signed wins
      if (stored.leaseToken !== token) return false; // only the worker that claimed it may sign it
      if (stored.leaseUntil === undefined || stored.leaseUntil <= now.getTime()) return false; // a live claim
      if (!isOpen(stored)) return false; // a terminal transaction is never signed
      if (stored.nonce !== undefined && stored.nonce !== signed.nonce) return false; // the reserved nonce
      if (stored.from !== undefined && stored.from !== signed.from) return false; // the signer chosen signs
      leaveLine(stored);
      Object.assign(stored, {
        from: signed.from,
        nonce: signed.nonce,
        rawTx: signed.rawTx,
        txHash: signed.txHash,
        gas: signed.gas,
        signedAt: now.toISOString(),
        hashes: [
          ...(stored.hashes ?? []),
          {
            txHash: signed.txHash,
            maxFeePerGas: signed.maxFeePerGas,
            maxPriorityFeePerGas: signed.maxPriorityFeePerGas,
            signedAt: now.toISOString(),
          },
        ],
      });
      return true;
    },
    async saveReplacement(id, count, replacement, now) {
      const stored = records.get(id);
      if (!stored?.rawTx) return false; // only a signed transaction has a nonce to replace
      const hashes = stored.hashes ?? [];
      if (hashes.length !== count) return false; // the latest signature is still the one this replaces
      if (!isOpen(stored) && stored.status !== 'success') return false; // not yet in a block, not terminal
      const latest = hashes[count - 1];
      if (latest) latest.rawTx = stored.rawTx;
      hashes.push({
        txHash: replacement.txHash,
        maxFeePerGas: replacement.maxFeePerGas,
        maxPriorityFeePerGas: replacement.maxPriorityFeePerGas,
        signedAt: now.toISOString(),
        kind: replacement.kind,
      });
      Object.assign(stored, { hashes, rawTx: replacement.rawTx, txHash: replacement.txHash });
      if (replacement.cancel && !stored.cancel) stored.cancel = replacement.cancel;
      return true;
    },
    async releaseClaim(id, token) {
      const stored = records.get(id);
      if (stored?.leaseToken !== token) return; // only our own claim
      delete stored.leaseToken;
      delete stored.leaseUntil;
    },
    async reserveNonce(id, token, reservation) {
      const stored = records.get(id);
      if (!stored || stored.leaseToken !== token) return false; // only the worker that took the nonce
      if (stored.nonce !== undefined) return false; // a transaction holds one nonce, ever
      stored.nonce = reservation.nonce;
      stored.from = reservation.from;
      return true;
    },
    async assignSigner(id, token, from) {
      const stored = records.get(id);
      if (!stored || stored.leaseToken !== token) return false; // only the worker that holds the claim
      if (stored.from !== undefined) return false; // chosen once
      stored.from = from;
      return true;
    },
    async unassignSigner(id, token, from) {
      const stored = records.get(id);
      if (!stored || stored.leaseToken !== token) return false; // only the worker that chose it
      if (stored.nonce !== undefined) return false; // a nonce was taken: it belongs to that sender
      if (stored.from !== undefined && stored.from !== from) return false;
      delete stored.from;
      return true;
    },
    async park(id, token, wait, now, dueAt) {
      const stored = records.get(id);
      if (!stored || stored.leaseToken !== token) return false; // we hold the claim
      if (stored.rawTx !== undefined || stored.signingClosed !== undefined) return false;
      Object.assign(stored, {
        message: wait.reason,
        waiting: { since: wait.since ?? now.toISOString(), reason: wait.reason },
        waitChain: String(wait.chainId),
        waitSince: stored.waitSince ?? now.getTime(),
        dueAt,
      });
      delete stored.leaseToken;
      delete stored.leaseUntil;
      return true;
    },
    async closeUnsigned(id, token, reason) {
      const stored = records.get(id);
      if (!stored || stored.leaseToken !== token) return false; // we hold the claim
      if (stored.rawTx !== undefined) return false; // nothing was signed that could still land
      leaveLine(stored);
      stored.signingClosed = reason;
      delete stored.leaseToken;
      delete stored.leaseUntil;
      return true;
    },
  };
  /** The chains' line markers, as `WaitingLine.markParked` and `markDrained` keep them. */
  const markers = new Map<number, LineMarker>();
  /** The `waiting` index over these records. */
  const waiting: WaitingLine = {
    async markParked(chain) {
      const m = markers.get(chain);
      markers.set(chain, { ...m, parked: (m?.parked ?? 0) + 1, parkedAt: Date.now() });
    },
    async markDrained(chain, parked) {
      const m = markers.get(chain);
      if (m?.drained === undefined || m.drained < parked)
        markers.set(chain, { parked: m?.parked ?? 0, ...m, drained: parked });
    },
    async *line(chain) {
      const inLine = [...records.values()]
        .filter((r) => r.waitChain === String(chain))
        .sort((a, b) => (a.waitSince ?? 0) - (b.waitSince ?? 0));
      for (const r of inLine) yield { id: r.id, attempts: r.attempts, ...(r.from ? { from: r.from } : {}) };
    },
    async take(id) {
      const stored = records.get(id);
      if (stored?.waitChain === undefined) return false; // one waker per waiter
      delete stored.waitChain; // its waitSince stays: its place in the line
      return true;
    },
  };
  return { store, record, waiting, markers };
}

function leaveLine(stored: StoredTransaction) {
  delete stored.waiting;
  delete stored.waitChain;
  delete stored.waitSince;
}

const senderKey = (chain: number, from: string) => `${chain}#${from.toLowerCase()}`;

/**
 * Nonce counters and fillers in memory, as the DynamoDB store keeps them: a counter seeded from the
 * chain once, moved up only; one filler per nonce. `holders` answers from the seeded holders and the
 * fillers made since. Every call that matters is recorded.
 */
export function createFakeNonces(seed: { counters?: NonceCounter[]; holders?: Record<string, NonceHolder[]> } = {}) {
  const counters = new Map((seed.counters ?? []).map((c) => [senderKey(c.chainId, c.from), structuredClone(c)]));
  const fillers = new Map<string, Filler>();
  const calls = {
    allocate: [] as Array<{ chainId: number; from: string; nonce: number }>,
    raiseFloor: [] as Array<{ chainId: number; from: string; floor: number }>,
    createFiller: [] as Filler[],
  };
  const store: NonceStore = {
    async allocate(chain, from, seedFromChain, now, count = 1, limit = undefined) {
      const key = senderKey(chain, from);
      let counter = counters.get(key);
      if (!counter) {
        counter = { chainId: chain, from, next: await seedFromChain(), allocatedAt: now };
        counters.set(key, counter);
      }
      if (limit !== undefined && counter.next + count > limit) throw new SignerFullError(chain, from, limit);
      const first = counter.next;
      counter.next += count;
      counter.allocatedAt = now;
      calls.allocate.push({ chainId: chain, from, nonce: first });
      return first;
    },
    async raiseFloor(chain, from, floor) {
      calls.raiseFloor.push({ chainId: chain, from, floor });
      const counter = counters.get(senderKey(chain, from));
      if (!counter || counter.next >= floor) return; // the counter only moves up
      counter.external = { from: counter.next, to: floor };
      counter.next = floor;
    },
    async counters() {
      return [...counters.values()].map((c) => structuredClone(c));
    },
    async readCounters(chain, senders) {
      return senders.flatMap((from) => {
        const c = counters.get(senderKey(chain, from));
        return c ? [structuredClone(c)] : [];
      });
    },
    async holders(chain, from, lowest, highest) {
      const key = senderKey(chain, from);
      const made: NonceHolder[] = [...fillers.entries()]
        .filter(([k]) => k.startsWith(`${key}#`))
        .map(([, f]) => ({
          kind: 'filler',
          nonce: f.nonce,
          rawTx: f.rawTx,
          txHash: f.txHash,
          createdAt: f.createdAt,
          ...(f.repricedAt ? { repricedAt: f.repricedAt } : {}),
        }));
      return [...(seed.holders?.[key] ?? []), ...made].filter((h) => h.nonce >= lowest && h.nonce <= highest);
    },
    async createFiller(filler) {
      calls.createFiller.push(filler);
      const key = `${senderKey(filler.chainId, filler.from)}#${filler.nonce}`;
      const existing = fillers.get(key); // one filler per nonce, signed once
      if (existing) return { filler: existing, created: false };
      fillers.set(key, filler);
      return { filler, created: true };
    },
    async findFiller(chain, from, nonce) {
      return fillers.get(`${senderKey(chain, from)}#${nonce}`);
    },
    async replaceFiller(filler, replaces, next) {
      const key = `${senderKey(filler.chainId, filler.from)}#${filler.nonce}`;
      const existing = fillers.get(key);
      if (!existing || existing.txHash !== replaces) return false; // one replacement at a time
      fillers.set(key, {
        ...existing,
        rawTx: next.rawTx,
        txHash: next.txHash,
        repricedAt: next.at,
        previous: [...(existing.previous ?? []), replaces],
      });
      return true;
    },
  };
  return { store, calls, counter: (chain: number, from: string) => counters.get(senderKey(chain, from)) };
}

/**
 * One node of one chain. It takes the bytes it is sent (and answers `already known` to bytes it
 * took before), unless an answer was queued with `refuse`; it knows, by hash, the transactions it
 * took, unless `lookup` is replaced. Every send and every lookup is recorded.
 */
export function createFakeChain(counts: { latest?: number; pending?: number } = {}) {
  const taken = new Set<Hex>();
  const refusals: Error[] = [];
  const state = {
    latest: counts.latest ?? 0,
    pending: counts.pending ?? counts.latest ?? 0,
    /** Every account's balance, in wei, unless `balances` names it (lower-case address). */
    balance: 10n ** 21n,
    balances: new Map<string, bigint>(),
    /** Set to make `getTransactionCount` fail, as an unreachable node does. */
    down: undefined as Error | undefined,
    /** Bytes sent, in order, whatever the answer. */
    sent: [] as Hex[],
    lookups: 0,
    /** What `eth_getTransactionByHash` answers: by default the pooled transaction for a hash taken, else null. */
    lookup: (hash: Hex): unknown => (taken.has(hash) ? { hash, blockHash: null } : null),
    /** Runs on each send, before the node answers: what a test sees of the world at that moment. */
    beforeSend: (_rawTx: Hex) => {},
    /** Queues answers for the next sends: each one is refused with the next error. */
    refuse(...errors: Error[]) {
      refusals.push(...errors);
    },
  };
  const client = {
    async request({ method, params }: { method: string; params: [Hex] }) {
      if (method !== 'eth_getTransactionByHash') throw new Error(`the fake node does not answer ${method}`);
      state.lookups++;
      return state.lookup(params[0]);
    },
    async sendRawTransaction({ serializedTransaction }: { serializedTransaction: Hex }) {
      state.sent.push(serializedTransaction);
      state.beforeSend(serializedTransaction);
      const refusal = refusals.shift();
      if (refusal) throw refusal;
      const hash = keccak256(serializedTransaction);
      if (taken.has(hash)) throw rpcError('already known');
      taken.add(hash);
      return hash;
    },
    async getTransactionCount({ blockTag }: { address: Hex; blockTag?: 'latest' | 'pending' }) {
      if (state.down) throw state.down;
      return blockTag === 'pending' ? state.pending : state.latest;
    },
    async estimateGas() {
      return 21_000n;
    },
    async getBalance({ address }: { address: Hex }) {
      return state.balances.get(address.toLowerCase()) ?? state.balance;
    },
    async estimateFeesPerGas() {
      return fees;
    },
    async getChainId() {
      return chainId;
    },
  };
  // viem's client methods are overloaded generics; the fake answers the calls this service makes.
  return Object.assign(state, { client: client as unknown as ChainClient });
}

/** A registry of the fake chains given, by chain id; any other id is an unknown chain, as configured ones are. */
export function createFakeRegistry(chains: Record<number, { client: ChainClient }>): ChainRegistry {
  return {
    chainIds: () => Object.keys(chains).map(Number),
    client(id) {
      const chain = chains[id];
      if (!chain) throw new UnknownChainError(id);
      return chain.client;
    },
  };
}

/** The dev account as the signer, recording each transaction it is asked to sign; queued errors fail the next calls. */
export function createFakeSigner() {
  const requests: TransactionSerializable[] = [];
  const failures: unknown[] = [];
  const hooks = { beforeSign: () => {} };
  const signer: Signer = {
    address: account.address,
    signTransaction: async (tx) => {
      requests.push(tx);
      hooks.beforeSign();
      if (failures.length > 0) throw failures.shift();
      return account.signTransaction(tx);
    },
  };
  return { signer, requests, hooks, fail: (...errors: unknown[]) => failures.push(...errors) };
}

/** A queue that records what is sent to it. */
export function createRecordingQueue() {
  const sent: Array<{ body: unknown; delaySeconds: number | undefined }> = [];
  const queue: QueueSender = {
    async send(body, delaySeconds) {
      sent.push({ body, delaySeconds });
    },
  };
  return { queue, sent };
}

/** A clock that stands still until a test moves it. */
export function createClock(start = '2025-01-01T00:00:00.000Z') {
  let at = Date.parse(start);
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

export const silentLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

export const settings: BroadcastSettings = {
  maxAttempts: 3,
  retryBaseSeconds: 10,
  retryCapSeconds: 300,
  preSendBudgetMs: 120_000,
  leaseSeconds: 60,
  staleAfterMs: 60_000,
  feeCapWei: () => 1000n * 1_000_000_000n,
};

/**
 * A broadcaster's world of fakes around the transactions given: one chain (31337) whose next nonce
 * is 7 unless `chain` says otherwise, the dev signer, nonce counters seeded with `counters`.
 */
export function createBroadcastWorld(
  transactions: Transaction[],
  {
    chain = createFakeChain({ latest: 7, pending: 7 }),
    counters = [] as NonceCounter[],
    /** MAX_IN_FLIGHT_PER_SIGNER: by default more than any test holds. */
    maxInFlight = 1000,
    lowBalanceWei = 0n,
    /** FEE_CACHE_MS for the signers' states: by default every choice reads them. */
    loadTtlMs = 0,
    /** More signers of the pool besides the dev account's. */
    extraSigners = [] as Signer[],
  } = {},
) {
  const store = createFakeTransactions(transactions);
  const nonces = createFakeNonces({ counters });
  const signer = createFakeSigner();
  const signers = signerSet([signer.signer, ...extraSigners]);
  const chains = createFakeRegistry({ [chainId]: chain });
  const retries = createRecordingQueue();
  const responses = createRecordingQueue();
  const clock = createClock();
  const deps: BroadcastDeps = {
    transactions: store.store,
    nonces: nonces.store,
    chains,
    fees: { get: async () => fees },
    signers,
    signerStates: createSignerStates({
      signers,
      nonces: nonces.store,
      chains,
      settings: { maxInFlight: () => maxInFlight, lowBalanceWei: () => lowBalanceWei, loadTtlMs, healthTtlMs: 0 },
      now: () => clock.now().getTime(),
    }),
    waiting: store.waiting,
    retryQueue: retries.queue,
    responses: responses.queue,
    settings,
    logger: silentLogger(),
    now: clock.now,
    random: () => 0.5,
  };
  return { deps, store, nonces, chain, signer, retries, responses, clock };
}
