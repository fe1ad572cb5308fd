import { describe, expect, it, vi } from 'vitest';
import { createServiceMetrics } from '../../functions/lib/metrics/createServiceMetrics.ts';
import { emfOf, linesOf } from '../support/emfOf.ts';

// The emitter over Powertools Metrics: a point without dimensions waits for the invocation's flush (one
// EMF line); one with dimensions is printed at once on a line of its own, and also kept under `service`
// alone for the flush, unless the list says the metric exists only with its dimensions.

const signer = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

describe('createServiceMetrics', () => {
  it('writes the points without dimensions at the flush, in one line under `service`, and nothing before', async () => {
    // prepare
    const metrics = createServiceMetrics('updater');
    // act
    const before = await emfOf(() => {
      metrics.count('broadcast', 1);
      metrics.count('broadcast', 1);
      metrics.timing('timeToBroadcast', 1500);
    });
    const flushed = await emfOf(() => metrics.flush());
    // assess
    expect(before).toEqual([]);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({
      service: 'updater',
      Broadcast: [1, 1],
      TimeToBroadcast: 1500,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'TransactionBroadcaster',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'Broadcast', Unit: 'Count' },
              { Name: 'TimeToBroadcast', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
    });
    // Written once: the next flush has nothing to write.
    expect(await emfOf(() => metrics.flush())).toEqual([]);
  });

  it('writes a point with dimensions at once by them, and keeps it under `service` alone for the total', async () => {
    const metrics = createServiceMetrics('updater');
    const at = await emfOf(() => {
      metrics.count('failed', 1, { reason: 'insufficient_funds' });
      metrics.count('failed', 1, { reason: 'nonce_taken' });
    });
    expect(at.map((l) => [l.reason, l.Failed, l._aws.CloudWatchMetrics[0]?.Dimensions])).toEqual([
      ['insufficient_funds', 1, [['service', 'reason']]],
      ['nonce_taken', 1, [['service', 'reason']]],
    ]);
    const total = await emfOf(() => metrics.flush());
    expect(linesOf(total, 'Failed').map((f) => [f.dimensions, f.line.Failed])).toEqual([[['service'], [1, 1]]]);
  });

  it('writes a metric that exists only with its dimensions (SignerBalance) by them alone', async () => {
    const metrics = createServiceMetrics('sweep');
    const at = await emfOf(() => metrics.gauge('signerBalance', 1.5, { chainId: 31337, signer }));
    expect(at).toEqual([expect.objectContaining({ SignerBalance: 1.5, chainId: '31337', signer, service: 'sweep' })]);
    expect(at[0]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'SignerBalance', Unit: 'None' }]);
    expect(await emfOf(() => metrics.flush())).toEqual([]);
  });

  it('keeps each signer’s NonceLag under `service` alone too: its Maximum is the largest', async () => {
    const metrics = createServiceMetrics('sweep');
    await emfOf(() => {
      metrics.count('nonceLag', 2, { chainId: 1, signer });
      metrics.count('nonceLag', 7, { chainId: 137, signer });
      metrics.count('nonceLag', 0, { chainId: 10, signer });
    });
    const [total] = await emfOf(() => metrics.flush());
    expect(Math.max(...[total?.NonceLag].flat().map(Number))).toBe(7);
  });

  it('writes nothing, and warns of nothing, for an invocation that emitted nothing', async () => {
    // Powertools warns on every publish with nothing stored; most invocations of most functions store nothing.
    const logger = { warn: vi.fn(), info: vi.fn(), error: vi.fn(), debug: vi.fn() };
    const metrics = createServiceMetrics('api', { logger });
    expect(await emfOf(() => metrics.flush())).toEqual([]);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
