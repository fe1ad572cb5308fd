import { serviceHooks } from '../functions/lib/services/serviceHooks.ts';
import { startLocalStack } from '../infra/local/startLocalStack.ts';
import { createCounters, type Success } from './createCounters.ts';
import type { FromStack, ToStack } from './stackMessages.ts';

// The local stack of `npm start`, in its own process (so the load the benchmark makes does not share its
// thread), with counters installed before the handlers load. Driven over the IPC channel of `fork`.

const send = (message: FromStack) => process.send?.(message);
const queueName = (url: string) => /(requests|retry|responses|tracking)(-dlq)?$/.exec(url)?.[0] ?? url;

let successes: Success[] = [];
const flush = () => {
  if (successes.length === 0) return;
  send({ type: 'successes', items: successes });
  successes = [];
};
const counters = createCounters(queueName, (s) => successes.push(s));
Object.assign(serviceHooks, counters.hooks);

try {
  const stack = await startLocalStack();
  const timer = setInterval(flush, 20);
  process.on('message', async (message: ToStack) => {
    if (message.type === 'reset') counters.reset();
    if (message.type === 'snapshot') {
      flush();
      send({ type: 'snapshot', counts: counters.snapshot() });
    }
    if (message.type === 'mark') send({ type: 'marked', us: Number(process.hrtime.bigint() / 1000n) });
    if (message.type === 'sweep') {
      const t0 = performance.now();
      await stack.sweepNow();
      send({ type: 'swept', ms: performance.now() - t0 });
    }
    if (message.type === 'stop') {
      clearInterval(timer);
      await stack.stop();
      send({ type: 'stopped' });
      process.disconnect();
    }
  });
  send({
    type: 'ready',
    url: stack.url,
    rpcUrl: stack.rpcUrl,
    signer: stack.signer,
    chainId: stack.chainId,
    startup: stack.startup,
  });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect();
}
