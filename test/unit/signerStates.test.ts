import { afterEach, describe, expect, it } from 'vitest';
import { signerSet } from '../../functions/lib/chain/Signer.ts';
import { createSignerStates } from '../../functions/lib/signers/signerStates.ts';
import { createFakeChain, createFakeNonces, createFakeRegistry, createFakeSigner } from './fakes/broadcastFakes.ts';

// A choice counted (`taken`, `full`) while a read of the states is under way must not leave a promise
// nobody holds: when that read fails, an unhandled rejection ends a Node 22 process (the local runner, or
// a Lambda instance with every message of its batch).
describe('signerStates: a choice counted while a read that fails is under way', () => {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => void seen.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('a choice counted (taken/full) while a fresh read is under way leaves no unhandled rejection when that read fails', async () => {
    // Vitest's own listener would fail the run anyway; this one lets the test say what it saw.
    process.on('unhandledRejection', onUnhandled);
    const chain = createFakeChain({ latest: 7, pending: 7 });
    const nonces = createFakeNonces();
    const signer = createFakeSigner();
    const signers = signerSet([signer.signer]);
    const states = createSignerStates({
      signers,
      nonces: nonces.store,
      chains: createFakeRegistry({ 31337: chain }),
      settings: { maxInFlight: () => 16, lowBalanceWei: () => 0n, loadTtlMs: 60_000, healthTtlMs: 0 },
    });
    await states.read(31337); // a chooser's read, settled
    chain.down = new Error('connection refused'); // the RPC goes away
    // Another worker of the process parks and reads fresh (waitForSigner), which will fail...
    const fresh = states.read(31337, { fresh: true });
    // ...while a worker whose allocate was refused marks its signer full (signOnce), or one counts a choice.
    states.full(31337, signer.signer.address);
    states.taken(31337, signer.signer.address, 1);
    await expect(fresh).rejects.toThrow('connection refused'); // the caller of the read handles its failure
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
  });
});

describe('signerStates: the look after parking', () => {
  it('reads after the call, on the next turn, and those asking in one turn share that one read', async () => {
    const chain = createFakeChain({ latest: 7, pending: 7 });
    let counts = 0;
    const count = chain.client.getTransactionCount;
    chain.client.getTransactionCount = ((args: never) => {
      counts++;
      return count(args);
    }) as typeof count;
    const signer = createFakeSigner();
    const states = createSignerStates({
      signers: signerSet([signer.signer]),
      nonces: createFakeNonces().store,
      chains: createFakeRegistry({ 31337: chain }),
      settings: { maxInFlight: () => 16, lowBalanceWei: () => 0n, loadTtlMs: 60_000, healthTtlMs: 0 },
    });
    await states.read(31337);
    expect(counts).toBe(1);
    const first = states.readAfterNow(31337);
    const second = states.readAfterNow(31337);
    chain.latest = 9; // mined after both asked, before the next turn: both see it
    const [a, b] = await Promise.all([first, second]);
    expect(counts).toBe(2);
    expect(a[0]?.mined).toBe(9);
    expect(b).toBe(a);
    // Asked again later: a new read.
    await states.readAfterNow(31337);
    expect(counts).toBe(3);
  });
});
