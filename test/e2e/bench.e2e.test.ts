import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/BenchReport.ts';
import { handlerNames } from '../../bench/measureBundles.ts';
import type { GrowthPoint } from '../../bench/runGrowth.ts';
import { spawnCapture } from '../support/spawnCapture.ts';

/**
 * Runs `npm run bench`'s entry point and resolves with its exit code and output. The tracker looks after
 * 1 s instead of 2, so that it moves transactions on past success while the pipeline is still measured,
 * as it does in any run longer than that: the report must count them all the same.
 */
const runBench = (args: string[]) =>
  spawnCapture(process.execPath, ['bench/run.ts', ...args], { env: { ...process.env, TRACK_INTERVAL_SECONDS: '1' } });

const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

// Enough that the pipeline outlasts the tracker's interval (80 often did not, and hid a miscount).
const n = 160;
// One round timed per run of the signers phase (after one untimed): 16 transactions per signer.
const rounds = 1;
// Transfers per sender of the faults phase.
const faultsN = 32;
// Requests each side of the latency phase, and of the blocks phase.
const latencyN = 30;
const blocksN = 8;
// Posted per run of the overload phase.
const overloadN = 120;
// The sizes of the growth phase.
const growthSizes = [60, 180];
// Transactions profiled for the CPU split.
const cpuN = 60;

/** One run of `npm run bench -- --quick` for the whole file, made by the first test that asks for it. */
let benchRun: Promise<{ code: number | null; output: string; report: BenchReport }> | undefined;
const quickBench = () => {
  benchRun ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-test-')), 'report.json');
    const args = [
      '--quick',
      '--n',
      String(n),
      '--warmup',
      '10',
      '--signer-rounds',
      String(rounds),
      '--faults-n',
      String(faultsN),
      '--latency-n',
      String(latencyN),
      '--blocks-n',
      String(blocksN),
      '--overload-n',
      String(overloadN),
      '--growth-sizes',
      growthSizes.join(','),
      '--cpu-n',
      String(cpuN),
      '--out',
      out,
    ];
    const run = await runBench(args);
    if (run.code !== 0) throw new Error(`npm run bench exited with ${run.code}:\n${run.output}`);
    return { ...run, report: JSON.parse(readFileSync(out, 'utf8')) as BenchReport };
  })();
  return benchRun;
};

// Completeness only: timings depend on the machine, so no figure is held to a threshold here.
// Every phase, small: about three minutes here, more under CI's load.
describe('npm run bench -- --quick', { timeout: 480_000 }, () => {
  it('measures the four phases side by side and writes a complete JSON report', async () => {
    // act
    const run = await quickBench();
    const report = run.report;
    // assess
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('pipeline / baseline');
    expect(report.options).toMatchObject({ n, c: 32, warmup: 10, gas: 'given', quick: true, signerRounds: rounds });
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
    // Every phase ran, in this order, and says how long it took.
    expect(Object.keys(report.phaseSeconds)).toEqual([
      'ceiling',
      'baseline',
      'table',
      'pipeline',
      'latency',
      'cpu',
      'signers',
      'blocks',
      'faults',
      'overload',
      'growth',
    ]);
    for (const seconds of Object.values(report.phaseSeconds)) expect(seconds).toBeGreaterThan(0);
  });

  it('measures 1, 2 and 4 signers and the one-key script to mined, under the cap, with ratios from them', async () => {
    // prepare
    const cap = 16;
    // act
    const { output, report } = await quickBench();
    const s = report.blocks.signers;
    // assess
    expect(output).toContain('4 signers / viem one key');
    expect(s).toMatchObject({ blockTimeSeconds: 1, maxInFlightPerSigner: cap, rounds: 1, measuredTo: 'mined' });
    const runs = [
      ['one', 1],
      ['two', 2],
      ['four', 4],
      ['viemOneKey', 1],
    ] as const;
    for (const [name, signers] of runs) {
      const run = s.runs[name];
      expect(finite(s.throughput[name]) && s.throughput[name] > 0, name).toBe(true);
      expect(run.perSecond, name).toBe(s.throughput[name]);
      expect(run, name).toMatchObject({ count: cap * signers * s.rounds, errors: 0, signers });
      // Every one sent (the untimed round too) is mined, each signer's nonces without a gap, and no signer
      // ever held more unmined at the node than the cap.
      expect(run.verified, name).toEqual({
        mined: name === 'viemOneKey' ? run.count : run.count + cap * signers,
        consecutiveNonces: true,
      });
      expect(Object.keys(run.perSigner), name).toHaveLength(signers);
      const sent = Object.values(run.perSigner).reduce((a, b) => a + b, 0);
      expect(sent, name).toBe(run.count + cap * signers);
      expect(run.maxUnminedSeen, name).toBeGreaterThan(0);
      expect(run.maxUnminedSeen, name).toBeLessThanOrEqual(cap);
      expect(run.slotHeldMs.p50, name).toBeGreaterThan(0);
      expect(run.slotCycleMs, name).toBeCloseTo((signers * cap * 1000) / run.perSecond, 6);
    }
    expect(s.ratios.twoToOne).toBeCloseTo(s.throughput.two / s.throughput.one, 9);
    expect(s.ratios.fourToOne).toBeCloseTo(s.throughput.four / s.throughput.one, 9);
    expect(s.ratios.fourToViemOneKey).toBeCloseTo(s.throughput.four / s.throughput.viemOneKey, 9);
    expect(s.targets).toEqual({
      fourToOne: { atLeast: 3.5, met: s.ratios.fourToOne >= 3.5 },
      fourToViemOneKey: { atLeast: 3, met: s.ratios.fourToViemOneKey >= 3 },
    });
  });

  it('sends the same transfers through faulty providers by the script, the careful script and the pipeline, and reads the chain back', async () => {
    // act
    const { output, report } = await quickBench();
    const f = report.faults;
    // assess
    expect(output).toContain('pipeline, two providers');
    expect(f).toMatchObject({
      n: faultsN,
      c: 16,
      plan: { failRate: 0.1, holdRate: 0.05, holdMs: 12_000 },
      together: true,
    });
    for (const name of ['script', 'carefulScript', 'pipeline'] as const) {
      const run = f[name];
      expect(run.n, name).toBe(faultsN);
      for (const figure of [run.landed, run.duplicates, run.stuck, run.failed]) {
        expect(Number.isInteger(figure) && figure >= 0 && figure <= faultsN, name).toBe(true);
      }
      // Each transfer was answered as failed, or the node took it: mined, or queued behind a gap. (The script
      // may land none: a first nonce lost leaves every later one queued behind it.)
      expect(run.landed + run.stuck + run.failed, name).toBeGreaterThanOrEqual(faultsN);
      expect(finite(run.wallSeconds) && run.wallSeconds > 0, name).toBe(true);
      // The providers were in the way: every sender's requests met them, and some were refused.
      expect(run.proxied.pass, name).toBeGreaterThan(0);
      expect(run.proxied.fail + run.proxied.hold + run.proxied.pass, name).toBeGreaterThanOrEqual(run.landed);
    }
    // Nothing accepted is lost and nothing is doubled: whatever the providers did, the pipeline's transfers
    // all ended, each either on chain once or failed with its nonce filled.
    expect(f.pipeline.duplicates).toBe(0);
    expect(f.pipeline.stuck).toBe(0);
    expect(f.pipeline.landed + f.pipeline.failed).toBe(faultsN);
    expect(f.pipeline.landed).toBeGreaterThan(0);
  });

  it("times POST to its 200 against the script's send one at a time, and says what the pipeline adds", async () => {
    const { output, report } = await quickBench();
    const l = report.latency;
    expect(output).toContain('added at p50');
    expect(l).toMatchObject({ n: latencyN, notBroadcast: 0 });
    for (const key of ['postP50', 'postP95', 'postP99', 'scriptP50', 'scriptP95', 'scriptP99'] as const) {
      expect(finite(l[key]) && l[key] > 0, key).toBe(true);
    }
    expect(l.postP50).toBeLessThanOrEqual(l.postP95);
    expect(l.postP95).toBeLessThanOrEqual(l.postP99);
    expect(l.addedP50).toBeCloseTo(l.postP50 - l.scriptP50, 9);
    expect(l.addedP99).toBeCloseTo(l.postP99 - l.scriptP99, 9);
    expect(l.targets.addedP50).toEqual({ atMost: 25, met: l.addedP50 <= 25 });
    expect(l.targets.addedP99).toEqual({ atMost: 60, met: l.addedP99 <= 60 });
    // Every answer was a 200: the wait read the row at least once for each, and the api wrote it once.
    expect(l.apiReadsPerTx).toBeGreaterThanOrEqual(1);
    expect(l.apiRequestsPerTx).toBeGreaterThan(l.apiReadsPerTx);
  });

  it("times POST to mined and to depth against the script's send to its receipt, on one-second blocks", async () => {
    const { output, report } = await quickBench();
    const b = report.blocks;
    expect(output).toContain('POST to mined');
    expect(b).toMatchObject({ n: blocksN, c: 4, blockTimeSeconds: 1, confirmations: 2, errors: 0 });
    // Nothing is in a block before the next block, and depth 2 is a block later still, on either side.
    for (const [name, inBlock, atDepth] of [
      ['pipeline', b.postToMinedP50, b.postToConfirmedP50],
      ['script', b.scriptToReceiptP50, b.scriptToConfirmedP50],
    ] as const) {
      expect(inBlock, name).toBeGreaterThan(0);
      expect(atDepth, name).toBeGreaterThan(inBlock);
    }
    expect(b.postToMinedP99).toBeGreaterThanOrEqual(b.postToMinedP50);
    expect(b.targets.minedP50).toEqual({
      atMostMs: b.scriptToReceiptP50 + 1000,
      met: b.postToMinedP50 <= b.scriptToReceiptP50 + 1000,
    });
    expect(b.signers.throughput.one).toBeGreaterThan(0);
  });

  it('posts faster than one worker goes, with an eager sweep and without, and counts the messages each made', async () => {
    const { output, report } = await quickBench();
    const o = report.overload;
    expect(output).toContain('requests messages / tx');
    expect(o).toMatchObject({ n: overloadN, stack: { workers: 1, batchSize: 1 } });
    for (const run of [o.withSweep, o.withoutSweep]) {
      // Every transaction went on the requests queue once from the api, and was taken off it by the worker.
      expect(run.messagesPerTx).toBeGreaterThanOrEqual(1);
      expect(run.receivedPerTx).toBeGreaterThanOrEqual(1);
      expect(run.drainSeconds).toBeGreaterThan(0);
      expect(run.postSeconds).toBeLessThanOrEqual(run.drainSeconds);
    }
    // Without the sweep nothing but the api sends to the requests queue.
    expect(o.withoutSweep.messagesPerTx).toBe(1);
    expect(o.targets.messagesPerTx).toEqual({ atMost: 1.1, met: o.withSweep.messagesPerTx <= 1.1 });
    expect(o.targets.drain.ratio).toBeCloseTo(o.withSweep.drainSeconds / o.withoutSweep.drainSeconds, 9);
  });

  it('fills the runner of npm start to each size and measures what grows with the number stored', async () => {
    const { output, report } = await quickBench();
    const g = report.growth;
    expect(output).toContain('ready after kill');
    expect(g.sizes).toEqual(growthSizes);
    expect(g.points.map((p) => p.stored)).toEqual(growthSizes);
    for (const p of g.points) {
      for (const figure of [p.adminFirstPageMs, p.adminHealthMs, p.sweepMs, p.readyAfterStopMs, p.readyAfterKillMs]) {
        expect(finite(figure) && figure > 0, String(p.stored)).toBe(true);
      }
      // The table and the chain's state are on disk, and grow with what was stored.
      expect(p.dataDirBytes).toBeGreaterThan(0);
      expect(p.bytesPerTx).toBeCloseTo(p.dataDirBytes / p.stored, 6);
      expect(p.anvilRssMb).toBeGreaterThan(0);
      // The restart after the kill, as the runner timed it: the chain loaded within its emulators, then its own part.
      const t = p.startAfterKill;
      expect(t.chainMs, String(p.stored)).toBeGreaterThan(0);
      expect(t.emulatorsMs).toBeGreaterThanOrEqual(t.chainMs ?? Number.POSITIVE_INFINITY);
      expect(t.totalMs).toBeGreaterThan(t.emulatorsMs);
      expect(t.totalMs).toBeLessThan(p.readyAfterKillMs);
      // The kill waited for the chain's state file to hold the head: the chain came back whole.
      expect(p.blocksLostByKill, String(p.stored)).toBe(0);
    }
    const [small, large] = g.points;
    expect(large?.dataDirBytes).toBeGreaterThan(small?.dataDirBytes ?? 0);
    expect(g.growth.adminFirstPage).toBeCloseTo((large?.adminFirstPageMs ?? 0) / (small?.adminFirstPageMs ?? 1), 9);
    expect(g.growth.readyAfterKill).toBeCloseTo((large?.readyAfterKillMs ?? 0) / (small?.readyAfterKillMs ?? 1), 9);
    const own = (p?: GrowthPoint) => (p ? p.startAfterKill.totalMs - p.startAfterKill.emulatorsMs : Number.NaN);
    expect(g.growth.ownStartAfterKill).toBeCloseTo(own(large) / own(small), 9);
    expect(output).toContain('of it: chain / own');
    expect(g.targets.dataDirPerTx.met).toBe((large?.bytesPerTx ?? 0) <= g.targets.dataDirPerTx.atMostBytes);
  });

  it("splits the stack's CPU per transaction by what it went to, the parts adding up to the whole", async () => {
    const { output, report } = await quickBench();
    const c = report.cpu;
    expect(output).toContain('the AWS SDK');
    expect(c.n).toBe(cpuN);
    expect(Number.isInteger(c.unfinished) && c.unfinished >= 0).toBe(true);
    const parts = Object.values(c.msPerTx);
    for (const ms of parts) expect(finite(ms) && ms >= 0).toBe(true);
    expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(c.totalMsPerTx, 6);
    expect(c.threadsMsPerTx.main + c.threadsMsPerTx.emulators).toBeCloseTo(c.totalMsPerTx, 6);
    // Each transaction is handled by our code, through the SDK, into the emulators on their own threads.
    expect(c.msPerTx.handlers).toBeGreaterThan(0);
    expect(c.msPerTx.awsSdk).toBeGreaterThan(0);
    expect(c.threadsMsPerTx.emulators).toBeGreaterThan(0);
    expect(c.msPerTx.emulators).toBeGreaterThanOrEqual(c.threadsMsPerTx.emulators);
  });
});
