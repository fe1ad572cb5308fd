import { ownStartMs } from '../infra/local/StartupTimes.ts';
import type { BenchReport } from './BenchReport.ts';

const f1 = (n: number) => n.toFixed(1);
const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
const listed = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');

/** The faults phase: for each sender, what landed, twice, stuck and failed, against the target of N/N once. */
function faultsTable(f: BenchReport['faults']): string[] {
  const runs = [
    ['viem script, one try', f.script],
    ['careful script, 3 tries', f.carefulScript],
    ['pipeline, two providers', f.pipeline],
  ] as const;
  const p = f.pipeline;
  const met = p.landed === f.n && p.duplicates === 0 && p.stuck === 0;
  return [
    `faults: ${f.n} transfers per sender, ${f.c} in flight; RPC providers answer ${Math.round(f.plan.failRate * 100)}% of requests 503 and hold ${Math.round(f.plan.holdRate * 100)}% ${f.plan.holdMs / 1000} s (seeded)${f.together ? '; the three at the same time' : ''}`,
    '',
    table([
      ['sender', 'landed', 'duplicates', 'stuck', 'failed', 'seconds', 'provider 503 / held / passed'],
      ...runs.map(([name, r]) => [
        name,
        `${r.landed}/${r.n} (${((100 * r.landed) / r.n).toFixed(1)}%)`,
        String(r.duplicates),
        String(r.stuck),
        String(r.failed),
        r.wallSeconds.toFixed(1),
        `${r.proxied.fail} / ${r.proxied.hold} / ${r.proxied.pass}`,
      ]),
    ]),
    `pipeline target: ${f.n}/${f.n} landed once each, 0 stuck: ${met ? 'met' : 'missed'}`,
  ];
}

/** The blocks phase: each side's time to a block and to depth, and the target on the first. */
function blocksTable(b: BenchReport['blocks']): string[] {
  const ms = (p50: number, p99: number) => `${Math.round(p50)} / ${Math.round(p99)} ms`;
  const t = b.targets.minedP50;
  return [
    `blocks: anvil with ${b.blockTimeSeconds}-second blocks, ${b.n} each side, ${b.c} in flight each, at the same time; depth ${b.confirmations}`,
    '',
    table([
      ['figure', 'p50 / p99'],
      ['POST to mined', ms(b.postToMinedP50, b.postToMinedP99)],
      ["script's send to its receipt", ms(b.scriptToReceiptP50, b.scriptToReceiptP99)],
      [`POST to confirmed (depth ${b.confirmations})`, ms(b.postToConfirmedP50, b.postToConfirmedP99)],
      [`script's send to its receipt at depth ${b.confirmations}`, ms(b.scriptToConfirmedP50, b.scriptToConfirmedP99)],
    ]),
    `target: POST to mined p50 at most a block more than the script's (${Math.round(t.atMostMs)} ms): ${t.met ? 'met' : 'missed'}; errors ${b.errors}`,
  ];
}

/** The overload phase: messages per transaction and drain time, with the sweep and without. */
function overloadTable(o: BenchReport['overload']): string[] {
  const row = (name: string, r: BenchReport['overload']['withSweep']) => [
    name,
    r.postSeconds.toFixed(1),
    r.drainSeconds.toFixed(1),
    r.messagesPerTx.toFixed(3),
    r.receivedPerTx.toFixed(3),
  ];
  const { messagesPerTx, drain } = o.targets;
  return [
    `overload: ${o.n} posted at ${o.c} in flight into ${o.stack.workers} worker taking ${o.stack.batchSize} message at a time; the sweep every ${o.stack.sweepIntervalSeconds} s, rows stale after ${o.stack.staleAfterSeconds} s`,
    '',
    table([
      ['run', 'posted in s', 'drained in s', 'requests messages / tx', 'received / tx'],
      row('with the sweep', o.withSweep),
      row('without the sweep', o.withoutSweep),
    ]),
    `targets: at most ${messagesPerTx.atMost} messages per tx: ${messagesPerTx.met ? 'met' : 'missed'}; drain with the sweep ${drain.ratio.toFixed(2)}x without (at most ${drain.atMostRatio}x): ${drain.met ? 'met' : 'missed'}`,
  ];
}

/** The growth phase: each size's figures, and what grew from the smallest to the largest. */
function growthTable(g: BenchReport['growth']): string[] {
  const ms = (n: number) => `${Math.round(n)} ms`;
  const { flatLatencies, flatReadyAfterKill, dataDirPerTx } = g.targets;
  const met = (ok: boolean) => (ok ? 'met' : 'missed');
  return [
    `growth: the runner of npm start filled to ${g.sizes.join(', ')} confirmed transactions (medians of three)`,
    '',
    table([
      [
        'stored',
        'admin first page',
        'admin health',
        'sweep',
        'ready after stop',
        'ready after kill',
        'of it: chain / own',
        'data dir',
        'per tx',
        'idle runner / anvil',
        'anvil RSS',
      ],
      ...g.points.map((p) => [
        String(p.stored),
        ms(p.adminFirstPageMs),
        ms(p.adminHealthMs),
        ms(p.sweepMs),
        ms(p.readyAfterStopMs),
        ms(p.readyAfterKillMs),
        `${p.startAfterKill.chainMs === undefined ? '-' : ms(p.startAfterKill.chainMs)} / ${ms(ownStartMs(p.startAfterKill))}`,
        `${(p.dataDirBytes / 2 ** 20).toFixed(1)} MB`,
        `${(p.bytesPerTx / 1024).toFixed(1)} KB`,
        `${Math.round(p.idleCores.runner * 100)}% / ${Math.round(p.idleCores.anvil * 100)}%`,
        `${Math.round(p.anvilRssMb)} MB`,
      ]),
    ]),
    `largest / smallest: admin first page ${g.growth.adminFirstPage.toFixed(2)}x, admin health ${g.growth.adminHealth.toFixed(2)}x, sweep ${g.growth.sweep.toFixed(2)}x, ready after kill ${g.growth.readyAfterKill.toFixed(2)}x (the runner's own part ${g.growth.ownStartAfterKill.toFixed(2)}x)`,
    `targets: latencies flat (at most ${flatLatencies.atMostRatio}x): ${met(flatLatencies.met)}; ready after kill flat: ${met(flatReadyAfterKill.met)}; at most ${dataDirPerTx.atMostBytes / 1024} KB per tx: ${met(dataDirPerTx.met)}`,
    ...g.points
      .filter((p) => p.unfinished > 0)
      .map(
        (p) =>
          `NOT CONFIRMED in time at ${p.stored}: ${p.unfinished} (${p.unfinishedWhy ?? ''}); ${p.unfinishedDescribed ?? ''}`,
      ),
    ...g.points
      .filter((p) => p.blocksLostByKill !== 0)
      .map((p) => `THE CHAIN CAME BACK ${p.blocksLostByKill} blocks short after the kill at ${p.stored}`),
  ];
}

/** The CPU split: each part's milliseconds per transaction, largest first. */
function cpuTable(c: BenchReport['cpu']): string[] {
  const names: Record<keyof BenchReport['cpu']['msPerTx'], string> = {
    handlers: 'our handlers (functions/)',
    localRunner: 'the local runner (pollers, HTTP glue)',
    awsSdk: 'the AWS SDK',
    nodeHttp: "Node's HTTP and sockets",
    viem: 'viem and signing',
    powertools: 'Powertools',
    zod: 'zod',
    otherLibraries: 'other libraries',
    nodeAndV8: 'Node and V8 (native, builtins)',
    gc: 'garbage collection',
    emulators: 'the emulators (dynalite, fauxqs)',
  };
  const rows = Object.entries(c.msPerTx).sort((a, b) => b[1] - a[1]);
  return [
    `cpu: ${c.n} POST /transactions to confirmed under V8's profiler${c.unfinished > 0 ? ` (NOT CONFIRMED in time: ${c.unfinished}; ${c.unfinishedDescribed ?? ''})` : ''}: ${f1(c.totalMsPerTx)} ms of CPU per transaction (main thread ${f1(c.threadsMsPerTx.main)}, emulators' threads ${f1(c.threadsMsPerTx.emulators)})`,
    '',
    table([
      ['part', 'ms per tx', 'share'],
      ...rows.map(([part, ms]) => [
        names[part as keyof typeof names],
        ms.toFixed(2),
        `${Math.round((100 * ms) / (c.totalMsPerTx || 1))}%`,
      ]),
    ]),
  ];
}

/** The latency phase: one at a time, the pipeline's answer against the script's send, and what it adds. */
function latencyTable(l: BenchReport['latency']): string[] {
  const ms = (p50: number, p95: number, p99: number) => `${f1(p50)} / ${f1(p95)} / ${f1(p99)} ms`;
  const target = (t: { atMost: number; met: boolean }) => `target at most ${t.atMost} ms: ${t.met ? 'met' : 'missed'}`;
  return [
    `latency: ${l.n} each, one request in flight, alternating on the shared chain`,
    '',
    table([
      ['figure', 'value'],
      ['POST to its 200, p50 / p95 / p99', ms(l.postP50, l.postP95, l.postP99)],
      ["script's sendTransaction, p50 / p95 / p99", ms(l.scriptP50, l.scriptP95, l.scriptP99)],
      ['added at p50', `${f1(l.addedP50)} ms (${target(l.targets.addedP50)})`],
      ['added at p99', `${f1(l.addedP99)} ms (${target(l.targets.addedP99)})`],
      ['answers not 200', String(l.notBroadcast)],
      [
        "the api's table reads / AWS requests per tx",
        `${l.apiReadsPerTx.toFixed(2)} / ${l.apiRequestsPerTx.toFixed(2)}`,
      ],
    ]),
  ];
}

/** The signers phase: each run's tx/s to mined and what bounds it, then the two ratios against their targets. */
function signersTables(s: BenchReport['blocks']['signers']): string[] {
  const runs = [
    ['1 signer', s.runs.one],
    ['2 signers', s.runs.two],
    ['4 signers', s.runs.four],
    ['viem, one key', s.runs.viemOneKey],
  ] as const;
  const target = (t: { atLeast: number; met: boolean }) => `target at least ${t.atLeast}x: ${t.met ? 'met' : 'missed'}`;
  return [
    `signers: anvil with ${s.blockTimeSeconds}-second blocks, at most ${s.maxInFlightPerSigner} unmined per signer, ${s.rounds} rounds timed to ${s.measuredTo}; stacks at depth ${s.stackSettings.confirmations}, tracker every ${s.stackSettings.trackIntervalSeconds} s; viem polls every ${s.viemPollingMs} ms`,
    '',
    table([
      [
        'run',
        'tx/s',
        'seconds',
        'errors',
        'slot held p50',
        'slot cycle',
        'max unmined',
        'stack CPU',
        'load',
        'verified',
      ],
      ...runs.map(([name, run]) => [
        name,
        f1(run.perSecond),
        run.seconds.toFixed(2),
        String(run.errors),
        `${Math.round(run.slotHeldMs.p50)} ms`,
        `${Math.round(run.slotCycleMs)} ms`,
        String(run.maxUnminedSeen),
        run.stackCpu
          ? `${run.stackCpu.cores.toFixed(2)} cores, main ${Math.round(run.stackCpu.mainThread * 100)}%`
          : '-',
        run.loadAverage.toFixed(1),
        `${run.verified.mined} mined, nonces ${run.verified.consecutiveNonces ? 'consecutive' : 'with gaps'}; ${Object.values(run.perSigner).join('/')}`,
      ]),
    ]),
    '',
    table([
      ['figure', 'value'],
      ['2 signers / 1', `${s.ratios.twoToOne.toFixed(2)}x`],
      ['4 signers / 1', `${s.ratios.fourToOne.toFixed(2)}x (${target(s.targets.fourToOne)})`],
      ['4 signers / viem one key', `${s.ratios.fourToViemOneKey.toFixed(2)}x (${target(s.targets.fourToViemOneKey)})`],
    ]),
  ];
}

/** The report as the tables a person reads at the end of a run. */
export function formatReport(r: BenchReport): string {
  const t = r.perTransaction;
  const a = r.trackingAdds;
  const ops = Object.entries(t.awsRequests.byOperation)
    .sort((a, b) => b[1] - a[1])
    .map(([op, v]) => `${op} ${v.toFixed(2)}`)
    .join(', ');
  const rpc = Object.entries(t.rpcCalls.byMethod)
    .sort((a, b) => b[1] - a[1])
    .map(([m, v]) => `${m} ${v.toFixed(3)}`)
    .join(', ');
  const cost = Object.entries(r.costPerMillion.byItem)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} $${v.toFixed(2)}`)
    .join(', ');
  const lines = [
    '',
    `n=${r.options.n} c=${r.options.c} warm-up=${r.options.warmup} gas ${r.options.gas}; ${r.machine.cpus} CPUs (${r.machine.cpuModel}), node ${r.machine.node}`,
    '',
    table([
      ['phase', 'tx/s', 'seconds', 'errors'],
      ...(['ceiling', 'baseline', 'table', 'pipeline'] as const).map((p) => [
        p,
        f1(r.phases[p].perSecond),
        r.phases[p].seconds.toFixed(2),
        String(r.phases[p].errors),
      ]),
    ]),
    '',
    table([
      ['figure', 'value'],
      ['pipeline / baseline', `${r.ratios.pipelineToBaseline.toFixed(2)}x`],
      ['pipeline / ceiling', `${r.ratios.pipelineToCeiling.toFixed(2)}x`],
      [
        'pipeline / table',
        `${r.ratios.pipelineToTable.toFixed(2)}x (the table alone: the most the local stack can do here)`,
      ],
      [
        'POST latency p50 / p95 / p99',
        `${f1(r.latencyMs.postP50)} / ${f1(r.latencyMs.postP95)} / ${f1(r.latencyMs.postP99)} ms`,
      ],
      ['POST to success p50 / p99', `${f1(r.latencyMs.successP50)} / ${f1(r.latencyMs.successP99)} ms`],
      ['POST to confirmed p50 / p99', `${f1(r.latencyMs.finalP50)} / ${f1(r.latencyMs.finalP99)} ms`],
      [
        'AWS requests per tx, to confirmed',
        `${t.awsRequests.total.toFixed(2)} here, ${t.awsRequests.awsEquivalent.toFixed(2)} as on AWS (target at most 10: ${t.awsRequests.awsEquivalent <= 10 ? 'met' : 'missed'})`,
      ],
      [
        'table writes per tx, to confirmed',
        `${t.tableWrites.toFixed(2)} (target at most 6: ${t.tableWrites <= 6 ? 'met' : 'missed'})`,
      ],
      ['RPC calls per tx, to confirmed', t.rpcCalls.total.toFixed(3)],
      [
        'tracking adds per tx',
        `tracker ${sum(a.trackerAwsRequests).toFixed(2)} AWS requests and ${sum(a.trackerRpcCalls).toFixed(2)} RPC calls, ${a.receiptWrites.toFixed(2)} table writes, ${a.trackingMessages.sent.toFixed(2)} tracking messages`,
      ],
      ['signatures per tx', t.signatures.toFixed(3)],
      [
        'DynamoDB write units per tx',
        `${f1(t.dynamo.writeUnitsWithIndexes)} (table alone ${f1(t.dynamo.tableWriteUnits)})`,
      ],
      ['log bytes per tx', String(Math.round(t.logBytes))],
      ['stack CPU per tx', `${f1(t.stackCpuMs)} ms (main thread ${Math.round(t.mainThreadUtilization * 100)}% busy)`],
      [
        'AWS cost per million tx',
        `$${r.costPerMillion.perMillion.toFixed(2)} (prices of ${r.costPerMillion.pricesAsOf})`,
      ],
      ['verified', `${r.verified.success} success, ${r.verified.distinctNonces} distinct nonces`],
    ]),
    '',
    `AWS requests per tx: ${ops}`,
    `RPC calls per tx: ${rpc}`,
    `tracking adds per tx: tracker ${listed(a.trackerAwsRequests)}; ${listed(a.trackerRpcCalls)}; the updater's receipt writes ${a.receiptWrites.toFixed(2)}`,
    `cost per million tx: ${cost}`,
    `bundles (minified; SDK external / as deployed): ${Object.entries(r.bundles)
      .map(([name, b]) => `${name} ${kb(b.sdkExternal)} / ${kb(b.asDeployed)}`)
      .join(', ')}`,
    '',
    ...blocksTable(r.blocks),
    '',
    ...signersTables(r.blocks.signers),
    '',
    ...faultsTable(r.faults),
    '',
    ...latencyTable(r.latency),
    '',
    ...overloadTable(r.overload),
    '',
    ...growthTable(r.growth),
    '',
    ...cpuTable(r.cpu),
    '',
    `seconds per phase: ${Object.entries(r.phaseSeconds)
      .map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)}`)
      .join(', ')}; ${r.durationSeconds.toFixed(0)} s in all`,
    '',
    '',
  ];
  return lines.join('\n');
}
