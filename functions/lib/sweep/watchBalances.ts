import type { Logger } from '@aws-lambda-powertools/logger';
import { formatEther } from 'viem';
import type { ChainRegistry } from '../chain/ChainRegistry.ts';
import type { SignerSet } from '../chain/Signer.ts';
import type { ServiceMetricsSink } from '../metrics/createServiceMetrics.ts';
import type { QueueSender } from '../queue/createQueueSender.ts';
import { type BalanceWatch, lowKeyOf } from '../store/BalanceWatch.ts';
import { lowBalanceEventType } from '../transactions/events.ts';
import type { NotificationMessage } from '../transactions/messages.ts';

export type WatchBalancesDeps = {
  signers: () => Promise<SignerSet>;
  chains: ChainRegistry;
  watch: BalanceWatch;
  lowBalanceWei: (chainId: number) => bigint;
  /** Where the operator's `signer.low_balance` event goes; none when no operator webhook is configured. */
  notifications: QueueSender<NotificationMessage> | undefined;
  /** SignerBalance (each signer on each chain, in ether) and SignersLowOnBalance, every run. */
  metrics: Pick<ServiceMetricsSink<'sweep'>, 'count' | 'gauge'>;
  logger: Pick<Logger, 'warn' | 'info'>;
  now: () => Date;
};

/** A signer below its chain's LOW_BALANCE_WEI in this run. */
export type LowBalance = { chainId: number; address: string; balance: bigint; threshold: bigint; since: string };

/**
 * Reads every signer's balance on every configured chain and publishes it. One below its chain's
 * LOW_BALANCE_WEI (0: watch nothing) is logged as a warning on every run, and told to the operator's
 * webhook once per fall below (`signer.low_balance`): the mark in the table keeps when it fell, which
 * names the event, so the event sent on each run while it stays low is delivered once; one back above
 * loses its mark, so its next fall is a new event. A chain that does not answer is skipped this run.
 */
export async function watchBalances(deps: WatchBalancesDeps): Promise<LowBalance[]> {
  const pool = await deps.signers();
  const readings = (
    await Promise.all(
      deps.chains.chainIds().map(async (chainId) => {
        const client = deps.chains.client(chainId);
        try {
          return await Promise.all(
            pool.all.map(async (s) => ({
              chainId,
              address: s.address,
              balance: await client.getBalance({ address: s.address }),
            })),
          );
        } catch (error) {
          deps.logger.warn('balance watch: a chain did not answer', { chainId, error: (error as Error).name });
          return [];
        }
      }),
    )
  ).flat();
  const marked = await deps.watch.lowSince(readings);
  const low: LowBalance[] = [];
  for (const r of readings) {
    // In ether, as a number: a dashboard reads 1.5, not 1500000000000000000.
    deps.metrics.gauge('signerBalance', Number(formatEther(r.balance)), { chainId: r.chainId, signer: r.address });
    const threshold = deps.lowBalanceWei(r.chainId);
    const key = lowKeyOf(r.chainId, r.address);
    if (r.balance >= threshold) {
      if (marked.has(key)) await deps.watch.clearLow(r.chainId, r.address);
      continue;
    }
    const since = marked.get(key) ?? deps.now().toISOString();
    low.push({ ...r, threshold, since });
    deps.logger.warn('a signer’s balance is below LOW_BALANCE_WEI', {
      chainId: r.chainId,
      signer: r.address,
      balance: r.balance.toString(),
      threshold: threshold.toString(),
      since,
    });
    if (!marked.has(key)) await deps.watch.markLow(r.chainId, r.address, since);
    // Told on every run while it stays low, as one event (its id is the fall's): the notifier delivers it
    // once, and a run that stopped between the mark and the telling is made good by the next.
    if (deps.notifications) await tell(deps.notifications, r, threshold, since);
  }
  // 0 included, so the alarm clears.
  deps.metrics.count('lowBalance', low.length);
  return low;
}

/** Sends the operator's `signer.low_balance` event of one fall below: its id names the signer and when it fell. */
function tell(
  notifications: QueueSender<NotificationMessage>,
  r: { chainId: number; address: string; balance: bigint },
  threshold: bigint,
  since: string,
): Promise<void> {
  return notifications.send({
    event: {
      kind: 'operator',
      id: `evt_low_balance_${r.chainId}_${r.address.toLowerCase()}_${Date.parse(since)}`,
      type: lowBalanceEventType,
      at: since,
      data: {
        chainId: r.chainId,
        signer: r.address,
        balance: r.balance.toString(),
        threshold: threshold.toString(),
      },
    },
  });
}
