import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configure } from '../../infra/configure.ts';
import { buildApp } from '../../infra/stack/buildApp.ts';
import { spawnCapture } from '../support/spawnCapture.ts';

// `npm run configure`: every run here writes to a temporary folder, never to the repository's deploy/.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'configure-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => configure(args, { settingsDir: dir });
const fileOf = (stage = 'default') => readFileSync(join(dir, `${stage}.json`), 'utf8');

describe('npm run configure', () => {
  it('writes the stage file: typed values, in the schema order, two-space JSON and a trailing newline', () => {
    const result = run('workers=16', 'alarmEmail=ops@example.com', 'chainId=1', 'reserveConcurrency=true');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('set workers=16, alarmEmail=ops@example.com, chainId=1, reserveConcurrency=true');
    expect(result.stdout).toContain('Deploy with: npx cdk deploy\n');
    expect(fileOf()).toBe(
      '{\n  "chainId": 1,\n  "workers": 16,\n  "reserveConcurrency": true,\n  "alarmEmail": "ops@example.com"\n}\n',
    );
  });

  it('merges into the file, and <key>= removes a key', () => {
    expect(run('chainId=1', 'alarmEmail=ops@example.com', 'workers=16').code).toBe(0);
    expect(run('workers=20', 'logLevel=DEBUG').code).toBe(0);
    expect(JSON.parse(fileOf())).toEqual({ chainId: 1, workers: 20, alarmEmail: 'ops@example.com', logLevel: 'DEBUG' });
    const removed = run('alarmEmail=', 'feeCapGwei=');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('removed alarmEmail, feeCapGwei');
    expect(fileOf()).toBe('{\n  "chainId": 1,\n  "workers": 20,\n  "logLevel": "DEBUG"\n}\n');
    // A list of key ARNs, as -c gives it (comma-separated), is written as a list.
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/0b8e2c4a-1111-4b1e-9c3d-000000000001';
    expect(run(`signerKeyArns=${arn}`).code).toBe(0);
    expect(JSON.parse(fileOf()).signerKeyArns).toEqual([arn]);
  });

  it('writes --stage <name> to <name>.json, and refuses a name that is not a safe file name', () => {
    expect(run('--stage', 'prod', 'chainId=1').code).toBe(0);
    expect(run('--stage=eu-2', 'chainId=10').stdout).toContain('Deploy with: npx cdk deploy -c stage=eu-2');
    expect(readdirSync(dir).sort()).toEqual(['eu-2.json', 'prod.json']);
    for (const bad of ['../prod', 'a/b', '.hidden', '']) {
      const result = run('--stage', bad, 'chainId=1');
      expect(result.code, bad).toBe(1);
      expect(result.stderr, bad).toContain('is not a stage name');
    }
    expect(readdirSync(dir).sort()).toEqual(['eu-2.json', 'prod.json']);
  });

  it('refuses a bad value with exit code 1 and a message naming the key, leaving the file untouched', () => {
    expect(run('chainId=1', 'workers=16').code).toBe(0);
    const before = fileOf();
    const refusals: Array<[string[], RegExp]> = [
      [['workers=1'], / {2}workers=\.\.\.: /],
      [['workers=20', 'retention=sometimes'], / {2}retention=\.\.\.: /],
      [['chainId=0'], / {2}chainId=\.\.\.: /],
      [['maxWait=26'], / {2}maxWait=\.\.\.: /],
      [['feeCapGwei=1:lots'], / {2}feeCapGwei=\.\.\.: "1:lots" must be/],
      [['callbackUrls=team-a=http://a.example'], / {2}callbackUrls=\.\.\.: team-a's URL must be https/],
      // Checked against the rest of the file: signerKeys and signerKeyArns exclude each other.
      [
        ['signerKeys=2', 'signerKeyArns=arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef'],
        /not both/,
      ],
      // Removing the chain id leaves a file no deploy could use.
      [['chainId='], /chainId is not set.*\n.*npm run configure -- chainId=11155111/],
      [['wokers=16'], /wokers is not a stack property/],
      [['workers'], /"workers" is not <key>=<value>/],
      [['--force', 'workers=8'], /unknown option --force/],
    ];
    for (const [args, message] of refusals) {
      const result = run(...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(fileOf(), args.join(' ')).toBe(before);
    }
    // No file yet and no chain id: nothing is written.
    const fresh = run('--stage', 'prod', 'workers=16');
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain('npm run configure -- --stage prod chainId=11155111');
    expect(existsSync(join(dir, 'prod.json'))).toBe(false);
  });

  it('--show prints each setting, its value, and whether the file or a default gives it', () => {
    expect(run('chainId=1', 'workers=16', 'alarmEmail=ops@example.com').code).toBe(0);
    const shown = run('--show');
    expect(shown.code).toBe(0);
    const rows = Object.fromEntries(
      shown.stdout
        .split('\n')
        .filter((line) => line.startsWith('  '))
        .map((line) => line.trim().split(/\s{2,}/))
        .map(([key = '', value = '', from = '']) => [key, { value, from }]),
    );
    expect(rows.chainId).toEqual({ value: '1', from: 'file' });
    expect(rows.workers).toEqual({ value: '16', from: 'file' });
    expect(rows.alarmEmail).toEqual({ value: 'ops@example.com', from: 'file' });
    expect(rows.stackName).toEqual({ value: 'TxBroadcaster', from: 'default' });
    expect(rows.maxWait).toEqual({ value: '25', from: 'default' });
    expect(rows.feeCapGwei).toEqual({ value: '-', from: 'not set' });
    // A stage with no chain id yet: shown, and the exit code says it would not deploy.
    const empty = run('--stage', 'prod', '--show');
    expect(empty.stdout).toMatch(/chainId +- +not set \(required\)/);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('npm run configure -- --stage prod chainId=11155111');
  });

  it('refuses a file it cannot read instead of writing over it', () => {
    writeFileSync(join(dir, 'default.json'), '{ "chainId": 1,');
    const result = run('workers=16');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not JSON');
    expect(fileOf()).toBe('{ "chainId": 1,');
  });

  it('writes what the deploy reads: the synth takes every key from the file, none from -c alone', () => {
    expect(run('--stage', 'prod', 'chainId=8453', 'stackName=Prod', 'maxWait=10').code).toBe(0);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], stage: 'prod' } });
    const stack = buildApp(app, { settingsDir: dir });
    expect(stack.stackName).toBe('Prod');
    const waits = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.MAX_WAIT_MS)
      .filter((v) => v !== undefined);
    expect(waits).toEqual(['10000']);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('settings\\.contextOnly'))).toEqual([]);
  });

  it('runs as `node infra/configure.ts`, printing its help (which says the file is to be committed)', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const help = await spawnCapture(process.execPath, [join(root, 'infra/configure.ts'), '--help'], { cwd: root });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run configure --');
    expect(help.stdout).toMatch(/holds no secret[\s\S]*commit it/);
    // Refused before any file is read or written.
    const bad = await spawnCapture(process.execPath, [join(root, 'infra/configure.ts'), 'wokers=1'], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('wokers is not a stack property');
  });
});
