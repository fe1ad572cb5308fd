import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BroadcasterStack } from '../../infra/stack/BroadcasterStack.ts';
import { buildApp } from '../../infra/stack/buildApp.ts';
import { StackSettingsError, settingDefaults } from '../../infra/stack/stackSettings.ts';

// The stack's properties come from the stage's settings file (deploy/<stage>.json), CDK context on top.
// Every test here writes its files to a temporary folder, never to the repository's deploy/.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stage-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writeStage = (stage: string, settings: Record<string, unknown>) =>
  writeFileSync(join(dir, `${stage}.json`), `${JSON.stringify(settings, null, 2)}\n`);

/** Builds the app as `cdk synth` does, with `context` as `-c` gives it, reading the stages' files from `dir`. */
function build(context: Record<string, unknown> = {}): BroadcasterStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return buildApp(app, { settingsDir: dir });
}

/** The api function's environment in the synthesized template. */
function apiEnv(stack: BroadcasterStack): Record<string, string> {
  const json = Template.fromStack(stack).toJSON();
  const cfn = stack.functions.api.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error('the api has no CloudFormation resource');
  const id = stack.getLogicalId(cfn);
  return json.Resources[id].Properties.Environment.Variables;
}

/** The message of each synth warning `id` adds to the stack. */
const warnings = (stack: BroadcasterStack, id: string): string[] =>
  Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp(`\\[ack: ${id}\\]`))
    .map((m) => String(m.entry.data));

/** Each property with a default, set to its default: a file that leaves nothing to a default. */
const everyDefault = { ...settingDefaults };

describe('the stage settings file', () => {
  it('is read: the default stage from default.json, a named one from <stage>.json', () => {
    writeStage('default', { chainId: 1, stackName: 'FromDefault' });
    writeStage('prod', { chainId: 8453, stackName: 'FromProd', alarmEmail: 'ops@example.com' });
    const plain = build();
    expect(plain.stackName).toBe('FromDefault');
    expect(apiEnv(plain).CHAIN_ID).toBe('1');
    const prod = build({ stage: 'prod' });
    expect(prod.stackName).toBe('FromProd');
    expect(apiEnv(prod).CHAIN_ID).toBe('8453');
    Template.fromStack(prod).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('gives way to -c, with no warning for a key the file has too', () => {
    writeStage('default', { ...everyDefault, chainId: 1 });
    const stack = build({ chainId: '10' });
    expect(apiEnv(stack).CHAIN_ID).toBe('10');
    expect(warnings(stack, 'tx-broadcaster:settings.contextOnly')).toEqual([]);
  });

  it('warns for each key given by -c alone: the next deploy without it will not have it, and how to keep it', () => {
    writeStage('prod', { ...everyDefault, chainId: 1 });
    const stack = build({ stage: 'prod', alarmEmail: 'ops@example.com', callbackUrls: 'a=https://a.example/x y' });
    const [warning = '', ...more] = warnings(stack, 'tx-broadcaster:settings.contextOnly');
    expect(more).toEqual([]);
    expect(warning).toMatch(/^alarmEmail, callbackUrls are given by -c alone, not in \S*prod\.json/);
    expect(warning).toContain('the next deploy without -c alarmEmail=... -c callbackUrls=... will not have them');
    // The command to run, quoted for a shell where a value needs it.
    expect(warning).toContain(
      "npm run configure -- --stage prod alarmEmail=ops@example.com 'callbackUrls=a=https://a.example/x y'",
    );
    // Without a file (the default stage may have none), every key is context-only.
    const [bare = ''] = warnings(build({ chainId: '1' }), 'tx-broadcaster:settings.contextOnly');
    expect(bare).toMatch(/^chainId is given by -c alone/);
    expect(bare).toContain('npm run configure -- chainId=1');
  });

  it('warns once, listing each key left to its default with its value', () => {
    writeStage('default', { chainId: 1, workers: 16, stackName: 'Chosen' });
    const [warning = '', ...more] = warnings(build(), 'tx-broadcaster:settings.defaults');
    expect(more).toEqual([]);
    expect(warning).toContain('retention=retain');
    expect(warning).toContain('maxWait=25');
    expect(warning).toContain('logRetentionDays=30');
    expect(warning).toContain('reserveConcurrency=false');
    // Chosen (in the file or by -c) is not a default; unset and without a default is not listed either.
    for (const chosen of ['workers=', 'stackName=', 'chainId=', 'alarmEmail=']) expect(warning).not.toContain(chosen);
    const listed = (/by -c: (.*)\. To choose/.exec(warning)?.[1] ?? '').split(', ').map((pair) => pair.split('=')[0]);
    expect(listed.sort()).toEqual(
      Object.keys(settingDefaults)
        .filter((key) => !['workers', 'stackName'].includes(key))
        .sort(),
    );
    const byContext = warnings(build({ retention: 'destroy' }), 'tx-broadcaster:settings.defaults');
    expect(byContext[0]).not.toContain('retention=');
    // Nothing left to a default: no warning.
    writeStage('default', { ...everyDefault, chainId: 1 });
    expect(warnings(build(), 'tx-broadcaster:settings.defaults')).toEqual([]);
  });

  it('refuses a missing chainId, saying which command sets it', () => {
    writeStage('default', { workers: 16 });
    expect(() => build()).toThrowError(StackSettingsError);
    expect(() => build()).toThrowError(/chainId is not set.*\n.*npm run configure -- chainId=11155111/);
    writeStage('prod', { workers: 16 });
    expect(() => build({ stage: 'prod' })).toThrowError(/npm run configure -- --stage prod chainId=11155111/);
    // No file and no -c: the same.
    rmSync(join(dir, 'default.json'));
    expect(() => build()).toThrowError(/npm run configure -- chainId=11155111/);
  });

  it('refuses a stage name that is not a safe file name, and a named stage with no file', () => {
    writeStage('prod', { chainId: 1 });
    for (const bad of ['../prod', 'a/b', '.hidden', '', 'prod.json', 'p rod', '-prod', 'x'.repeat(65)]) {
      expect(() => build({ stage: bad }), bad).toThrowError(StackSettingsError);
      expect(() => build({ stage: bad }), bad).toThrowError(/is not a stage name/);
    }
    expect(() => build({ stage: 'prdo', chainId: '1' })).toThrowError(
      /stage prdo has no settings file \(\S*prdo\.json\): write it first, npm run configure -- --stage prdo chainId=/,
    );
    expect(() => build({ stage: 'prod_2-b' })).toThrowError(/has no settings file/);
  });

  it('refuses a bad value in the file, naming the key and the file; and a key that is no property', () => {
    writeStage('default', { chainId: 1, workers: 1 });
    expect(() => build()).toThrowError(/ {2}workers in \S*default\.json: /);
    // From -c, the key is named as -c names it.
    writeStage('default', { chainId: 1 });
    expect(() => build({ workers: '1' })).toThrowError(/-c workers=\.\.\.: /);
    writeStage('default', { chainId: 1, wokers: 16 });
    expect(() => build()).toThrowError(/default\.json: wokers is not a stack property/);
    writeFileSync(join(dir, 'default.json'), '{ "chainId": 1,');
    expect(() => build()).toThrowError(/default\.json is not JSON/);
    writeFileSync(join(dir, 'default.json'), '[]');
    expect(() => build()).toThrowError(/must be a JSON object/);
  });
});
