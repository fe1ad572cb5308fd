import { Annotations, type App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { BroadcasterStack } from './BroadcasterStack.ts';
import {
  configureCommand,
  defaultedSettings,
  defaultSettingsDir,
  defaultStage,
  readSettingsFile,
  StackSettingsError,
  settingKeys,
  settingsFile,
  settingText,
  shownPath,
  stackSettings,
  stageName,
} from './stackSettings.ts';

export type BuildAppOptions = {
  /** Where the stages' settings files are: the repository's `deploy/` unless told (tests use a temporary folder). */
  settingsDir?: string;
};

/**
 * Adds the broadcaster stack to `app` and the cdk-nag AwsSolutions checks: a finding not acknowledged
 * fails `cdk synth`; every acknowledgement states why. The stack's properties are the stage's settings
 * file (`-c stage=<name>`, `deploy/<name>.json`, written by `npm run configure`) with CDK context on top;
 * a warning names each property that came from context alone, and the properties left to their defaults.
 */
export function buildApp(app: App, options: BuildAppOptions = {}): BroadcasterStack {
  const stage = stageName(app.node.tryGetContext('stage'));
  const file = settingsFile(options.settingsDir ?? defaultSettingsDir, stage);
  const fromFile = readSettingsFile(file);
  const configure = configureCommand(stage);
  // A named stage is chosen for its file: without one, a misspelt -c stage=prdo would deploy defaults.
  if (fromFile === undefined && stage !== defaultStage)
    throw new StackSettingsError(
      `stage ${stage} has no settings file (${shownPath(file)}): write it first, ${configure} chainId=...`,
    );
  const fromContext = Object.fromEntries(
    settingKeys.flatMap((key) => {
      const value: unknown = app.node.tryGetContext(key);
      return value === undefined ? [] : [[key, value]];
    }),
  );
  const given = { ...fromFile, ...fromContext };
  const settings = stackSettings(given, {
    name: (key) => (key in fromContext ? `-c ${key}=...` : `${key} in ${shownPath(file)}`),
    configure,
  });
  const stack = new BroadcasterStack(app, settings.stackName, {
    settings,
    description: 'Transaction broadcaster: HTTP API, queues, DynamoDB, KMS signer (secp256k1)',
  });

  // -c lasts one deploy: the next one without it goes back to the file's value, or to the default.
  const contextOnly = Object.entries(fromContext).filter(([key]) => fromFile?.[key] === undefined);
  if (contextOnly.length > 0)
    Annotations.of(stack).addWarningV2(
      'tx-broadcaster:settings.contextOnly',
      `${contextOnly.map(([key]) => key).join(', ')} ${contextOnly.length === 1 ? 'is' : 'are'} given by -c alone, not in ${shownPath(file)}: ` +
        `the next deploy without ${contextOnly.map(([key]) => `-c ${key}=...`).join(' ')} will not have ${contextOnly.length === 1 ? 'it' : 'them'} ` +
        `(a default instead, or nothing). To keep ${contextOnly.length === 1 ? 'it' : 'them'}: ` +
        `${configure} ${contextOnly.map(([key, value]) => shellWord(`${key}=${settingText(value)}`)).join(' ')}`,
    );
  const defaulted = defaultedSettings(given);
  if (defaulted.length > 0)
    Annotations.of(stack).addWarningV2(
      'tx-broadcaster:settings.defaults',
      `Defaults in use, set neither in ${shownPath(file)} nor by -c: ${defaulted.map(([key, value]) => `${key}=${settingText(value)}`).join(', ')}. ` +
        `To choose one: ${configure} <key>=<value> (${configure} --show lists every setting and where it comes from)`,
    );

  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}

/** `word` as a shell reads it back: quoted unless it holds only characters no shell treats specially. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
