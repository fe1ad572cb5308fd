import { type Hex, isAddressEqual } from 'viem';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import type { SignerSet } from '../chain/Signer.ts';
import type { Config } from '../config/loadConfig.ts';
import type { NonceStore } from '../store/NonceStore.ts';

/** Where one signer of the pool stands on one chain, as last read. */
export type SignerState = {
  chainId: number;
  address: string;
  /** The next nonce the counter hands out; undefined until this signer took one on this chain. */
  next: number | undefined;
  /** The chain's count of this signer's mined transactions: the nonce it mines next. */
  mined: number;
  /** Nonces taken and not mined yet: its transactions (and fillers) in flight. */
  inFlight: number;
  /** The most it may hold in flight (MAX_IN_FLIGHT_PER_SIGNER). */
  cap: number;
  /** Its balance in wei; undefined when the chain did not answer. */
  balance: bigint | undefined;
  /** False when it gets no new transactions but those that name it: the reason is `why`. */
  healthy: boolean;
  why?: string;
};

export type SignerStatesDeps = {
  signers: SignerSet;
  nonces: Pick<NonceStore, 'readCounters' | 'holders'>;
  chains: ChainRegistry;
  settings: {
    maxInFlight: (chainId: number) => number;
    lowBalanceWei: (chainId: number) => bigint;
    /** How long a read of the counters and mined nonces serves (about FEE_CACHE_MS). */
    loadTtlMs: number;
    /** How long a balance and the head's health serve (BALANCE_CACHE_MS). */
    healthTtlMs: number;
  };
  now?: () => number;
};

/** The pool's states per chain, read at most once per TTL and shared by concurrent callers. */
export type SignerStates = {
  /**
   * Every signer of the pool on `chainId`, in the pool's order; `fresh` reads again whatever the TTL.
   * Callers reading at the same time share one read (even with a TTL of 0), and the states are shared:
   * a choice counted with `taken` before the chooser awaits anything is seen by the next chooser.
   */
  read(chainId: number, options?: { fresh?: boolean }): Promise<readonly Readonly<SignerState>[]>;
  /**
   * As `read`, but read from the chain and the table after `states` were (shared with any such read under
   * way): the choices counted since then are replaced by what the counters hold, and what was mined since
   * is seen. For a chooser that found no room in states it did not read itself.
   */
  reread(chainId: number, states: readonly Readonly<SignerState>[]): Promise<readonly Readonly<SignerState>[]>;
  /**
   * States read from the chain and the table after now: for one that just parked, whose look must see
   * what was mined before its park. Those asking in one turn of the event loop share one read, which
   * starts on the next.
   */
  readAfterNow(chainId: number): Promise<readonly Readonly<SignerState>[]>;
  /** `count` nonces were just taken for `from`: the states read count them until the next read. */
  taken(chainId: number, from: string, count: number): void;
  /** `from` refused a nonce as full: the states read treat it as full until the next read. */
  full(chainId: number, from: string): void;
};

type Health = { balance: bigint | undefined; why?: string };

/** The states' settings from the configuration: the broadcaster and the admin's signers view read alike. */
export function signerStatesSettings(
  config: Pick<Config, 'MAX_IN_FLIGHT_PER_SIGNER' | 'LOW_BALANCE_WEI' | 'FEE_CACHE_MS' | 'BALANCE_CACHE_MS'>,
): SignerStatesDeps['settings'] {
  return {
    maxInFlight: config.MAX_IN_FLIGHT_PER_SIGNER,
    lowBalanceWei: config.LOW_BALANCE_WEI,
    loadTtlMs: config.FEE_CACHE_MS,
    healthTtlMs: config.BALANCE_CACHE_MS,
  };
}

export function createSignerStates(deps: SignerStatesDeps): SignerStates {
  const now = deps.now ?? Date.now;
  /** One read of a chain's states; changes counted while it is under way are applied when it settles. */
  type Load = {
    at: number;
    /** Set until its reads start (on the next turn): any caller until then may share it. */
    deferred?: boolean;
    states: Promise<SignerState[]>;
    settled?: SignerState[];
    changes: Array<(s: SignerState[]) => void>;
  };
  const loads = new Map<number, Load>();
  const health = new Map<string, { at: number; health: Promise<Health> }>();

  async function healthOf(chainId: number, address: string, mined: number, next: number | undefined) {
    // Per mined nonce: once the head is mined, what held it (stuck or not) is read again at once.
    const key = `${chainId}#${address.toLowerCase()}#${mined}`;
    const cached = health.get(key);
    if (cached && now() - cached.at < deps.settings.healthTtlMs) return cached.health;
    const read = readHealth(chainId, address, mined, next);
    for (const k of health.keys()) if (k.startsWith(`${chainId}#${address.toLowerCase()}#`)) health.delete(k);
    health.set(key, { at: now(), health: read });
    read.catch(() => {
      if (health.get(key)?.health === read) health.delete(key);
    });
    return read;
  }

  async function readHealth(
    chainId: number,
    address: string,
    mined: number,
    next: number | undefined,
  ): Promise<Health> {
    const client = deps.chains.client(chainId);
    const low = deps.settings.lowBalanceWei(chainId);
    const [balance, head] = await Promise.all([
      client.getBalance({ address: address as Hex, blockTag: 'latest' }).catch(() => undefined),
      // The transaction its next nonce holds, if it waits at the fee cap: everything of this signer waits behind it.
      next !== undefined && next > mined ? deps.nonces.holders(chainId, address, mined, mined) : Promise.resolve([]),
    ]);
    const stuck = head.find((h) => h.kind === 'tx' && h.stuckSince !== undefined);
    if (stuck?.kind === 'tx') {
      return {
        balance,
        why: `its next transaction (nonce ${mined}, ${stuck.id}) waits at the fee cap since ${stuck.stuckSince}`,
      };
    }
    if (low > 0n && balance !== undefined && balance < low) {
      return { balance, why: `its balance ${balance} wei is below LOW_BALANCE_WEI ${low}` };
    }
    return { balance };
  }

  async function readStates(chainId: number): Promise<SignerState[]> {
    const client = deps.chains.client(chainId);
    const addresses = deps.signers.all.map((s) => s.address);
    const [counters, mined] = await Promise.all([
      deps.nonces.readCounters(chainId, addresses),
      Promise.all(addresses.map((address) => client.getTransactionCount({ address, blockTag: 'latest' }))),
    ]);
    const cap = deps.settings.maxInFlight(chainId);
    return Promise.all(
      addresses.map(async (address, i) => {
        const minedNonce = mined[i] as number;
        const next = counters.find((c) => isAddressEqual(c.from as Hex, address))?.next;
        const { balance, why } = await healthOf(chainId, address, minedNonce, next);
        return {
          chainId,
          address,
          next,
          mined: minedNonce,
          inFlight: Math.max(0, (next ?? minedNonce) - minedNonce),
          cap,
          balance,
          healthy: why === undefined,
          ...(why === undefined ? {} : { why }),
        };
      }),
    );
  }

  /** Applies a change to the states of a chain as read last, if any: the next callers see it. */
  function adjust(chainId: number, from: string, change: (s: SignerState) => void) {
    const entry = loads.get(chainId);
    const apply = (states: SignerState[]) => {
      for (const s of states) if (isAddressEqual(s.address as Hex, from as Hex)) change(s);
      return states;
    };
    if (entry?.settled) apply(entry.settled);
    else entry?.changes.push(apply);
  }

  /** Makes `reading` the chain's latest load: the next callers share it; changes counted meanwhile apply when it settles. */
  function start(chainId: number, reading: Promise<SignerState[]>): Load {
    const load: Load = { at: now(), states: reading, changes: [] };
    loads.set(chainId, load);
    load.states = reading.then((states) => {
      for (const change of load.changes) change(states);
      load.settled = states;
      return states;
    });
    load.states.catch(() => {
      if (loads.get(chainId) === load) loads.delete(chainId);
    });
    return load;
  }

  return {
    read(chainId, options) {
      const entry = loads.get(chainId);
      const shared = entry && (entry.settled === undefined || now() - entry.at < deps.settings.loadTtlMs);
      if (!options?.fresh && entry && shared) return entry.states;
      return start(chainId, readStates(chainId)).states;
    },
    readAfterNow(chainId) {
      const entry = loads.get(chainId);
      if (entry?.deferred) return entry.states;
      const turn = new Promise<void>((resolve) => setImmediate(resolve));
      const load = start(
        chainId,
        turn.then(() => {
          load.deferred = false;
          load.at = now();
          return readStates(chainId);
        }),
      );
      load.deferred = true;
      return load.states;
    },
    reread(chainId, states) {
      const entry = loads.get(chainId);
      // A read that started after `states` were read (under way or done) answers for a newer one.
      if (entry && entry.settled !== states) return entry.states;
      return this.read(chainId, { fresh: true });
    },
    taken(chainId, from, count) {
      adjust(chainId, from, (s) => {
        s.next = (s.next ?? s.mined) + count;
        s.inFlight += count;
      });
    },
    full(chainId, from) {
      adjust(chainId, from, (s) => {
        s.inFlight = Math.max(s.inFlight, s.cap);
      });
    },
  };
}

/**
 * The choice among the pool: the healthy signer with room and the fewest in flight; among those, the one
 * that has sent the fewest (its lowest next nonce), so the load evens out over time too; then at random.
 * Or why none can take one.
 */
export function chooseSigner(
  states: readonly SignerState[],
  random: () => number = Math.random,
): { chosen: SignerState } | { none: string } {
  const open = states.filter((s) => s.healthy && s.inFlight < s.cap);
  if (open.length === 0) return { none: whyNone(states) };
  const fewest = Math.min(...open.map((s) => s.inFlight));
  const sentOf = (s: SignerState) => s.next ?? s.mined;
  const least = Math.min(...open.filter((s) => s.inFlight === fewest).map(sentOf));
  const ties = open.filter((s) => s.inFlight === fewest && sentOf(s) === least);
  return { chosen: ties[Math.floor(random() * ties.length)] as SignerState };
}

/** Why no signer can take a transaction now, one reason per signer. */
export function whyNone(states: readonly SignerState[]): string {
  const each = states.map((s) =>
    s.inFlight >= s.cap
      ? `${s.address} holds ${s.inFlight} unmined (the most it may)`
      : `${s.address}: ${s.why ?? 'unavailable'}`,
  );
  return `waiting for a signer: ${each.join('; ')}`;
}
