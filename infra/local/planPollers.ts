import { type FunctionName, localPool, type QueueName, queueNames, queues } from '../topology.ts';
import type { RunnerSettings } from './runnerSettings.ts';

/** One queue's stand-in for Lambda's event source mapping: the function it invokes, how, and with how many loops. */
export type PollerPlan = {
  queue: QueueName;
  consumer: FunctionName;
  pollers: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
};

/** The local runner's queue wiring: a poller per queue, and a pool per consumer that its pollers share. */
export type PollerWiring = { pollers: PollerPlan[]; pools: Map<FunctionName, number> };

/**
 * Plans the local runner's pollers from the topology, as the stack plans its event source mappings: each
 * queue to its consumer with the batch size, and one pool of `localPool.size(WORKERS)` slots per consumer.
 */
export function planPollers(
  settings: Pick<RunnerSettings, 'WORKERS' | 'BATCH_SIZE' | 'VISIBILITY_TIMEOUT_SECONDS'>,
): PollerWiring {
  const pollers = queueNames.map((queue) => ({
    queue,
    consumer: queues[queue].consumer,
    pollers: queues[queue].local.pollers,
    batchSize: settings.BATCH_SIZE,
    visibilityTimeoutSeconds: settings.VISIBILITY_TIMEOUT_SECONDS,
  }));
  const pools = new Map(pollers.map((p) => [p.consumer, localPool.size(settings.WORKERS)]));
  return { pollers, pools };
}
