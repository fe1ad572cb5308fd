import type { Logger } from '@aws-lambda-powertools/logger';
import { formatEther, type Hex, isAddressEqual, parseTransaction } from 'viem';
import { InsufficientBalanceError } from '../errors/errors.ts';
import type { NonceStore } from '../store/NonceStore.ts';
import { isTerminal, type Transaction } from '../transactions/model.ts';
import type { SignerStates } from './signerStates.ts';

/** What a transaction may cost at most: its value plus its gas limit times its max fee per gas. */
export function worstCaseCost(tx: { value: bigint; gas: bigint; maxFeePerGas: bigint }): bigint {
  return tx.value + tx.gas * tx.maxFeePerGas;
}

/** The worst case of a signed transaction's bytes (a legacy one's gas price is its max fee); 0 for bytes we cannot read. */
export function signedCost(rawTx: string): bigint {
  try {
    const tx = parseTransaction(rawTx as Hex);
    return worstCaseCost({
      value: tx.value ?? 0n,
      gas: tx.gas ?? 0n,
      maxFeePerGas: tx.maxFeePerGas ?? tx.gasPrice ?? 0n,
    });
  } catch {
    return 0n;
  }
}

/** A request as the guard prices it: its chain, its signer if it names one, its value and gas limit. */
export type PricedRequest = { chainId: number; from?: string | undefined; value: string; gas?: string | undefined };

/** A reservation the guard holds for an accepted request until its transaction is signed (then its bytes count). */
export type Reservation = { commit(id: string): void; release(): void };

export type SpendGuardDeps = {
  states: Pick<SignerStates, 'read'>;
  nonces: Pick<NonceStore, 'holders'>;
  /** Reads transactions by id: a hold whose transaction is signed, or ended, is let go. */
  transactions: { getMany(ids: readonly string[]): Promise<Array<Pick<Transaction, 'id' | 'status' | 'rawTx'>>> };
  /** The max fee per gas a transaction signed now would offer (the broadcaster's estimate). */
  maxFeePerGas: (chainId: number) => Promise<bigint>;
  /** How long one read of the open transactions serves (BALANCE_CACHE_MS). */
  cacheMs: number;
  /** The longest a request waits for the guard's reads; past it (or when they fail) it is accepted unguarded. */
  waitMs: number;
  logger: Pick<Logger, 'warn'>;
  now: () => number;
};

/** One signer's standing on a chain: its balance, and what its signed, unmined transactions may still spend. */
export type SignerSpend = { address: string; balance: bigint | undefined; openSpend: bigint };

/** An accepted request not yet seen signed: counted by this process until its bytes are. */
type Held = { id?: string; chainId: number; from?: string; cost: bigint; at: number };

/** How long an accepted request is counted at most (one whose id never came: its record failed after the hold). */
const heldForMs = 10 * 60_000;

/**
 * The balance guard of `POST /transactions`: refuses a request whose worst case is more than its signer
 * holds once what the open transactions may still spend is set aside (value plus gas times max fee of
 * each unmined one). Balances and open transactions are read at most every `cacheMs`; the requests this
 * process accepted since are counted on top, so concurrent submissions to one process cannot together
 * promise more than the balance. Processes do not see each other's (on AWS each api instance counts its
 * own): it is a guard, and the chain stays the judge.
 */
export function createSpendGuard(deps: SpendGuardDeps) {
  const reads = new Map<number, { at: number; spend: Promise<SignerSpend[]> }>();
  const held: Held[] = [];

  async function readSpend(chainId: number, fresh: boolean): Promise<SignerSpend[]> {
    const states = await deps.states.read(chainId, { fresh });
    // The holds of this chain older than a read: each is looked up, and let go once its transaction is
    // signed (its bytes count below while unmined) or has ended, whoever signed it and whenever it was mined.
    const before = deps.now() - deps.cacheMs;
    const old = held.filter((h) => h.chainId === chainId && h.id !== undefined && h.at <= before);
    const [spend, looked] = await Promise.all([
      Promise.all(
        states.map(async (s) => {
          const holders =
            s.next === undefined || s.next <= s.mined
              ? []
              : await deps.nonces.holders(chainId, s.address, s.mined, s.next - 1);
          // Signed (its bytes are there): they count now, so this process stops counting it as accepted.
          for (const h of holders) if (h.kind === 'tx' && h.rawTx) letGo(h.id);
          const openSpend = holders.reduce((sum, h) => sum + (h.rawTx ? signedCost(h.rawTx) : 0n), 0n);
          return { address: s.address, balance: s.balance, openSpend };
        }),
      ),
      old.length > 0 ? deps.transactions.getMany(old.map((h) => h.id as string)) : Promise.resolve([]),
    ]);
    const found = new Map(looked.map((tx) => [tx.id, tx]));
    for (const h of old) {
      const tx = found.get(h.id as string);
      if (!tx || tx.rawTx || isTerminal(tx.status)) letGo(h.id as string);
    }
    return spend;
  }

  /** Stops counting the accepted request with this id. */
  function letGo(id: string) {
    const at = held.findIndex((entry) => entry.id === id);
    if (at >= 0) held.splice(at, 1);
  }

  /** Every signer's balance and open spend on a chain, at most `cacheMs` old (`fresh`: read now). */
  function spendOf(chainId: number, options?: { fresh?: boolean }): Promise<SignerSpend[]> {
    const entry = reads.get(chainId);
    if (!options?.fresh && entry && deps.now() - entry.at < deps.cacheMs) return entry.spend;
    const spend = readSpend(chainId, options?.fresh === true);
    reads.set(chainId, { at: deps.now(), spend });
    spend.catch(() => {
      if (reads.get(chainId)?.spend === spend) reads.delete(chainId);
    });
    return spend;
  }

  const heldBy = (chainId: number, from: string | undefined) =>
    held
      .filter(
        (h) =>
          h.chainId === chainId &&
          (from === undefined
            ? h.from === undefined
            : h.from !== undefined && isAddressEqual(h.from as Hex, from as Hex)),
      )
      .reduce((sum, h) => sum + h.cost, 0n);

  return {
    spendOf,

    /**
     * Prices a request and, when its signer (or, unnamed, one signer of the pool with the pool as a whole)
     * can pay it, holds its cost until it is signed; throws InsufficientBalanceError, naming the balance
     * and the cost, when not. A balance the chain did not give refuses nothing.
     */
    async reserve(request: PricedRequest): Promise<Reservation> {
      const gas = BigInt(request.gas ?? 21_000);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), deps.waitMs);
      });
      const read = Promise.all([deps.maxFeePerGas(request.chainId), spendOf(request.chainId)]);
      const answer = await Promise.race([read, late]).catch((error: unknown) => error);
      clearTimeout(timer);
      if (!Array.isArray(answer)) {
        // A chain that does not answer (or not in time) refuses nothing: the broadcaster and the chain decide.
        read.catch(() => undefined);
        deps.logger.warn('balance guard skipped: the chain did not answer in time', {
          chainId: request.chainId,
          error: answer === 'late' ? `no answer within ${deps.waitMs} ms` : (answer as Error)?.name,
        });
        return { commit() {}, release() {} };
      }
      const [maxFee, signers] = answer as [bigint, SignerSpend[]];
      // From here to the hold, nothing awaits: concurrent requests see each other's holds.
      const now = deps.now();
      for (let i = held.length - 1; i >= 0; i--) if (now - (held[i] as Held).at > heldForMs) held.splice(i, 1);
      const cost = worstCaseCost({ value: BigInt(request.value), gas, maxFeePerGas: maxFee });
      const free = (s: SignerSpend) =>
        s.balance === undefined ? undefined : s.balance - s.openSpend - heldBy(request.chainId, s.address);
      const candidates = request.from
        ? signers.filter((s) => isAddressEqual(s.address as Hex, request.from as Hex))
        : signers;
      const known = candidates.map(free);
      if (!known.includes(undefined)) {
        const frees = known as bigint[];
        // Bigints: Math.max and Math.min take numbers only.
        const larger = (a: bigint, b: bigint) => (b > a ? b : a);
        const best = frees.reduce(larger, frees[0] ?? 0n);
        const pool = frees.reduce((sum, f) => sum + larger(f, 0n), 0n) - heldBy(request.chainId, undefined);
        // Unnamed: one signer must pay it alone, and the pool must still cover what waits unassigned.
        const room = request.from || best < pool ? best : pool;
        if (cost > room) {
          const whose = request.from ? `signer ${request.from} cannot` : 'no signer of the pool can';
          const balances = candidates.map((s) => `${s.address} ${formatEther(s.balance ?? 0n)}`).join(', ');
          const reserved = candidates.reduce((sum, s) => sum + s.openSpend + heldBy(request.chainId, s.address), 0n);
          throw new InsufficientBalanceError(
            'insufficient_balance',
            `${whose} pay this transaction on chain ${request.chainId}: it may cost ${formatEther(cost)} ETH (${cost} wei: value plus ${gas} gas at ${maxFee} wei per gas), and ${room > 0n ? formatEther(room) : '0'} ETH is free (balance ${balances} ETH; open transactions may still spend ${formatEther(reserved)} ETH)`,
          );
        }
      }
      const hold: Held = { chainId: request.chainId, cost, at: now, ...(request.from ? { from: request.from } : {}) };
      held.push(hold);
      return {
        commit(id) {
          hold.id = id;
        },
        release() {
          const at = held.indexOf(hold);
          if (at >= 0) held.splice(at, 1);
        },
      };
    },
  };
}

export type SpendGuard = ReturnType<typeof createSpendGuard>;
