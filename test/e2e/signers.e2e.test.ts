import { toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnvil } from '../../infra/local/emulators.ts';
import { audit, expectOneEffectEach } from '../support/audit.ts';
import { eventually, inFlight, request, startRunner, tempDataDir } from '../support/runner.ts';

// The runner (npm start) with a pool of four signers on a chain of one block a second, killed with
// SIGKILL while transactions are signed, waiting for a signer and in flight: after a restart on the same
// data every transaction ends, each keeps the signer it had been given, and the chain agrees, signer by
// signer.

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

const mnemonic = 'test test test test test test test test test test test junk';
const pool = [0, 1, 2, 3].map((addressIndex) => mnemonicToAccount(mnemonic, { addressIndex }));
const keys = pool.map((a) => toHex(a.getHdKey().privateKey as Uint8Array)).join(',');
const recipient = (i: number) => `0xcc${i.toString(16).padStart(38, '0')}`;

describe('a crash of the runner with a pool of signers', () => {
  it('SIGKILL while transactions wait for a signer: after a restart every assignment is kept and each signer’s nonces run on', {
    timeout: 240_000,
  }, async () => {
    const dataDir = tempDataDir();
    const anvil = await startAnvil({ chainId: 31337, blockTime: 1, statePath: `${dataDir}/chain.json` });
    cleanup.push(() => anvil.stop());
    const env = {
      DATA_DIR: dataDir,
      RPC_URL: anvil.url,
      BROADCAST_WAIT_MS: '0',
      SIGNER_PRIVATE_KEYS: keys,
      MAX_IN_FLIGHT_PER_SIGNER: '3',
      CONFIRMATIONS: '1',
      TRACK_INTERVAL_SECONDS: '1',
      STALE_AFTER_SECONDS: '3',
      SWEEP_INTERVAL_SECONDS: '2',
      SIGNING_LEASE_SECONDS: '2',
    };
    const runner = await startRunner(env);
    cleanup.push(() => runner.stop());
    const accepted: string[] = [];
    const posting = inFlight(8, 80, async (i) => {
      const res = await request(
        runner,
        'POST',
        '/transactions',
        { to: recipient(i), value: String(i + 1) },
        {
          prefer: 'respond-async',
        },
      ).catch(() => undefined);
      if (res?.status === 202 || res?.status === 200) accepted.push(res.body.id);
    });
    // Twelve in flight at most (four signers, three each): the rest wait for a signer when the runner dies.
    await eventually(async () => (accepted.length >= 50 ? true : undefined), 60_000, '50 accepted');
    // What each had been given just before the crash: a signer and its nonce (an assignment made after this
    // read is kept all the same). A signer chosen with no nonce yet may still be let go within its attempt
    // (it turned out full), so only one with its nonce is an assignment.
    const seen = await Promise.all(accepted.map((id) => request(runner, 'GET', `/transactions/${id}`)));
    const assigned = new Map(
      seen.filter((r) => r.body.nonce !== null).map((r) => [r.body.id as string, `${r.body.from}#${r.body.nonce}`]),
    );
    const waitingAtCrash = seen.filter((r) => r.body.waiting !== null).length;
    await runner.kill();
    await posting;
    expect(assigned.size).toBeGreaterThan(0);
    expect(waitingAtCrash, 'some were waiting for a signer when it died').toBeGreaterThan(0);

    const again = await startRunner(env);
    cleanup.push(() => again.stop());
    const done = await eventually(
      async () => {
        const all = await Promise.all(accepted.map((id) => request(again, 'GET', `/transactions/${id}`)));
        return all.every((r) => ['confirmed', 'failed'].includes(r.body.status)) ? all.map((r) => r.body) : undefined;
      },
      150_000,
      `${accepted.length} transactions to end`,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${again.output().slice(-4000)}`);
    });
    expect(done.filter((t) => t.status !== 'confirmed')).toEqual([]);
    for (const t of done) {
      const had = assigned.get(t.id);
      if (had) expect(`${t.from}#${t.nonce}`, `${t.id} keeps its signer and nonce across the crash`).toBe(had);
    }
    // Every record in the table (a request cut off by the crash included) ends, and each signer's chain
    // holds one effect per record, with its nonces consecutive.
    await eventually(
      async () => {
        for (const signer of pool.map((a) => a.address)) {
          const a = await audit({ ...again, signer }, anvil.url);
          if (!a.txs.every((t) => t.status === 'confirmed' || t.status === 'failed')) return undefined;
          const own = (from: string | null) => from?.toLowerCase() === signer.toLowerCase();
          expectOneEffectEach({
            ...a,
            txs: a.txs.filter((t) => own(t.from)),
            fillers: a.fillers.filter((f) => own(f.from)),
          });
        }
        return true;
      },
      60_000,
      'every record to end, one effect each',
    );
  });
});
