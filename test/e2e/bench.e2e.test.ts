import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/BenchReport.ts';
import { handlerNames } from '../../bench/measureBundles.ts';
import { spawnCapture } from '../support/spawnCapture.ts';

/**
 * Runs `npm run bench`'s entry point and resolves with its exit code and output. The tracker looks after
 * 1 s instead of 2, so that it moves transactions on past success while the pipeline is still measured,
 * as it does in any run longer than that: the report must count them all the same.
 */
const runBench = (args: string[]) =>
  spawnCapture(process.execPath, ['bench/run.ts', ...args], { env: { ...process.env, TRACK_INTERVAL_SECONDS: '1' } });

const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

// Completeness only: timings depend on the machine, so no figure is held to a threshold here.
describe('npm run bench -- --quick', () => {
  it('measures the four phases side by side and writes a complete JSON report', async () => {
    // prepare
    const out = join(mkdtempSync(join(tmpdir(), 'bench-test-')), 'report.json');
    // Enough that the pipeline outlasts the tracker's interval (80 often did not, and hid a miscount).
    const n = 160;
    // act
    const run = await runBench(['--quick', '--n', String(n), '--warmup', '10', '--out', out]);
    // assess
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('pipeline / baseline');
    const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
    expect(report.options).toMatchObject({ n, c: 32, warmup: 10, gas: 'given', quick: true });
    for (const phase of ['ceiling', 'baseline', 'table', 'pipeline'] as const) {
      expect(finite(report.throughput[phase]) && report.throughput[phase] > 0, phase).toBe(true);
      expect(report.phases[phase]).toMatchObject({ count: n, errors: 0 });
    }
    for (const ratio of Object.values(report.ratios)) expect(finite(ratio)).toBe(true);
    for (const key of ['postP50', 'postP95', 'postP99', 'successP50', 'successP99'] as const) {
      expect(finite(report.latencyMs[key]), key).toBe(true);
    }
    const t = report.perTransaction;
    expect(t.awsRequests.byOperation).toHaveProperty(['DynamoDB.PutItem']);
    expect(t.awsRequests.byOperation).toHaveProperty(['DynamoDB.UpdateItem']);
    expect(Object.keys(t.awsRequests.byFunction)).toEqual(
      expect.arrayContaining(['api', 'broadcaster', 'updater', 'event source mappings']),
    );
    expect(t.rpcCalls.byMethod).toHaveProperty('eth_sendRawTransaction');
    expect(t.signatures).toBe(1);
    expect(t.dynamo.tableWriteUnits).toBeGreaterThan(0);
    expect(report.costPerMillion.perMillion).toBeGreaterThan(0);
    expect(Object.keys(report.costPerMillion.byItem)).toEqual(expect.arrayContaining(['KMS Sign', 'DynamoDB writes']));
    expect(report.costPerMillion.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(report.bundles).sort()).toEqual([...handlerNames].sort());
    for (const size of Object.values(report.bundles)) {
      expect(size.sdkExternal).toBeGreaterThan(0);
      expect(size.asDeployed).toBeGreaterThan(size.sdkExternal);
    }
    expect(report.verified).toEqual({ success: n, distinctNonces: n });
    expect(report.machine.cpus).toBeGreaterThan(0);
  });
});
