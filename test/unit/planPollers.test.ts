import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { handlers } from '../../infra/handlers.ts';
import { planPollers } from '../../infra/local/planPollers.ts';
import { runnerSettings } from '../../infra/local/runnerSettings.ts';
import { functionNames, localPool, queueNames, queues } from '../../infra/topology.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the local runner’s pollers', () => {
  it('are one per queue of the topology, each invoking that queue’s consumer', () => {
    const { pollers } = planPollers(runnerSettings({}));
    expect(pollers.map((p) => [p.queue, p.consumer])).toEqual(queueNames.map((q) => [q, queues[q].consumer]));
    expect(pollers.map((p) => p.pollers)).toEqual(queueNames.map((q) => queues[q].local.pollers));
  });

  it('take batch size and visibility from the runner’s settings, whose defaults are the topology’s local values', () => {
    // prepare
    const defaults = runnerSettings({});
    const set = runnerSettings({ BATCH_SIZE: '3', VISIBILITY_TIMEOUT_SECONDS: '7', WORKERS: '5' });
    // act
    const byDefault = planPollers(defaults);
    const configured = planPollers(set);
    // assess
    for (const p of byDefault.pollers) expect(p).toMatchObject({ batchSize: 10, visibilityTimeoutSeconds: 30 });
    for (const p of configured.pollers) expect(p).toMatchObject({ batchSize: 3, visibilityTimeoutSeconds: 7 });
    expect([...configured.pools]).toEqual([
      ['broadcaster', localPool.size(5)],
      ['updater', localPool.size(5)],
      ['tracker', localPool.size(5)],
      ['notifier', localPool.size(5)],
    ]);
  });

  it('give each consumer one pool, which all its queues share (the retry queue shares the broadcaster’s)', () => {
    const { pollers, pools } = planPollers(runnerSettings({ WORKERS: '8' }));
    const consumers = new Set(pollers.map((p) => p.consumer));
    expect([...pools.keys()]).toEqual([...consumers]);
    expect(pools.get('broadcaster')).toBe(8);
    expect(pollers.filter((p) => p.consumer === 'broadcaster').map((p) => p.queue)).toEqual(['requests', 'retry']);
  });
});

describe('the handler registry', () => {
  it('names a module that exists for every function of the topology, and nothing else', () => {
    expect(Object.keys(handlers)).toEqual([...functionNames]);
    for (const { entry } of Object.values(handlers)) expect(existsSync(`${root}${entry}`), entry).toBe(true);
  });
});
