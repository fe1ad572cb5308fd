import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keccak256 } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { wakeWaiting } from '../functions/lib/signers/wakeWaiting.ts';
import { createTransactionStore } from '../functions/lib/store/TransactionStore.ts';
import { createWaitingLine } from '../functions/lib/store/WaitingLine.ts';
import { ensureTable } from '../infra/local/createResources.ts';
import { startDynalite } from '../infra/local/emulators.ts';
import { devAccountKey } from './devAccount.ts';
import type { PhaseOptions } from './runCeiling.ts';
import { type Throughput, timePhase } from './Throughput.ts';

/**
 * The table's floor: each transaction's table requests on the happy path, made with the stores the
 * handlers use, against a dynalite of its own on disk, as the local stack runs it, with `c` transactions
 * in flight: the api's put (`pending` has no day count); the broadcaster's claim and signature; the updater's
 * `success` (its count kept for the batch); the tracker's read of the row with its chain's line marker
 * (and the wake, which reads the line only while the marker says someone may wait); the updater's
 * `confirmed`; and one flush of the updater's counts per ten transactions, as a batch makes it. No queue, no chain, no signing, no HTTP: the most transactions a second the local table can
 * carry on this machine, whatever else the pipeline does.
 */
export async function runTable(chainId: number, options: PhaseOptions): Promise<Throughput> {
  const dir = mkdtempSync(join(os.tmpdir(), 'broadcaster-bench-table-'));
  const dynalite = await startDynalite(join(dir, 'dynamodb'));
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynalite.url,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const tableName = 'bench-table';
    await ensureTable(dynamo, tableName);
    const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
    // The api's and the broadcaster's store change no counted status; the updater's keeps its counts for the batch.
    const store = createTransactionStore(doc, tableName);
    const updater = createTransactionStore(doc, tableName, { deferred: true });
    const waiting = createWaitingLine(doc, tableName);
    // Nobody waits in the floor, so a wake sends nothing: it reads the line only until the marker says so.
    const noSends = { send: async () => Promise.reject(new Error('nobody waits in the table phase')) };
    const wake = { waiting, requests: noSends as never, logger: new Logger({ logLevel: 'SILENT' }) };
    let finished = 0;
    // Real signed bytes of a transfer, so that every item is the size it is in the pipeline.
    const account = privateKeyToAccount(devAccountKey(4));
    const rawTx = await account.signTransaction({
      chainId,
      type: 'eip1559',
      to: options.to,
      value: 1n,
      gas: 21_000n,
      nonce: 0,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    const lifecycle = async (nonce: number) => {
      const id = randomUUID();
      const now = Date.now();
      await store.create(
        {
          id,
          chainId,
          to: options.to,
          value: '1',
          data: '0x',
          gas: '21000',
          message: 'accepted',
          createdAt: new Date().toISOString(),
        },
        now + 30_000,
      );
      const token = randomUUID();
      const claimed = await store.claimForSigning(id, { token, until: now + 30_000 }, now);
      const txHash = keccak256(`${rawTx}${nonce.toString(16).padStart(8, '0')}`);
      const fees = { maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1000000000' };
      const signature = { chainId, from: account.address, nonce, rawTx, txHash, gas: '21000', ...fees };
      const saved = claimed ? await store.saveSignature(id, token, signature, new Date()) : false;
      const at = new Date().toISOString();
      const outcome = { id, status: 'success', attempt: 1, at, message: 'accepted by the node', txHash } as const;
      const applied = saved ? await updater.applyOutcome(outcome, now + 60_000) : 'ignored';
      if (applied !== 'applied') return false;
      // The tracker's look: the row, the receipt (from the chain), the signer's line (the wake); then confirmed.
      const { line } = await store.getWithLine(id, chainId);
      await wakeWaiting(wake, chainId, account.address, line);
      const receipt = {
        status: 'success',
        txHash,
        blockNumber: nonce + 1,
        blockHash: keccak256(txHash),
        gasUsed: '21000',
        effectiveGasPrice: '1000000000',
        confirmations: 1,
      } as const;
      const confirmed = {
        id,
        status: 'confirmed',
        attempt: 1,
        at: new Date().toISOString(),
        message: 'confirmed',
        receipt,
      } as const;
      const settled = await updater.applyOutcome(confirmed, now + 60_000);
      if (++finished % 10 === 0) await updater.flushCounts();
      return settled === 'applied';
    };
    return await timePhase(options, lifecycle);
  } finally {
    dynamo.destroy();
    await dynalite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
