import * as z from 'zod';
import { ConfigError } from '../../functions/lib/errors/errors.ts';
import { batchSize, sweepSchedule, visibility, workers } from '../topology.ts';

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

// What only the local runner reads: where it listens and keeps its data, and what stands in locally for
// the stack's worker pool, event source mappings and schedule. The handlers read loadConfig.ts instead.
const schema = z.object({
  /** The HTTP API's port (`0`: any free port). */
  PORT: intFrom(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Each consumer's pool: its concurrent invocations, over all the queues it consumes. */
  WORKERS: intFrom(workers.local.min, workers.local.max).default(workers.default),
  BATCH_SIZE: intFrom(batchSize.min, batchSize.max).default(batchSize.default),
  SWEEP_INTERVAL_SECONDS: intFrom(1, 3600).default(sweepSchedule.local.everySeconds),
  // SQS's own bounds (12 hours at most).
  VISIBILITY_TIMEOUT_SECONDS: intFrom(1, 43_200).default(visibility.local.seconds),
  /** Where the local table and the chain's state live, kept across restarts. */
  DATA_DIR: z.string().min(1).default('.data'),
});

/** The local runner's settings, defaults filled. */
export type RunnerSettings = z.infer<typeof schema>;

/** Parses the local runner's settings from the environment once; a wrong value throws a ConfigError naming it. */
export function runnerSettings(env: Record<string, string | undefined> = process.env): RunnerSettings {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid local runner settings:\n${lines.join('\n')}`);
}
