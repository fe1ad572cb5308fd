import {
  configureCommand,
  defaultSettingsDir,
  defaultStage,
  readSettingsFile,
  type StackSettings,
  StackSettingsError,
  settingDefaults,
  settingKeys,
  settingsFile,
  settingText,
  shownPath,
  stackSettings,
  stageName,
  writeSettingsFile,
} from './stack/stackSettings.ts';

const usage = `usage: npm run configure -- [--stage <name>] <key>=<value> ... [<key>= ...]
       npm run configure -- [--stage <name>] --show
`;

const help = `${usage}
Writes the stack's settings for a stage to deploy/<stage>.json (the stage is "${defaultStage}" unless
--stage names one), which every \`npx cdk deploy [-c stage=<name>]\` reads, so that a plain redeploy keeps
them. It merges into the file: <key>=<value> sets a key, <key>= removes it (back to its default). The
result is checked as a deploy checks it: a bad value writes nothing. --show prints every setting, its
value and where it comes from (the file, or a default). -c <key>=<value> still overrides a key for one
deploy, and the synth warns that the next deploy will not have it.

deploy/<stage>.json holds no secret (RPC URLs and API tokens live in Secrets Manager, never in a setting):
commit it, so that the next deploy, from any checkout, has the same settings.

settings: chainId (required), ${settingKeys.filter((key) => key !== 'chainId').join(', ')}
example:  npm run configure -- --stage prod chainId=1 alarmEmail=ops@example.com workers=16
`;

export type ConfigureOptions = {
  /** Where the stages' settings files are: the repository's `deploy/` unless told (tests use a temporary folder). */
  settingsDir?: string;
};

/** What a run printed, and its exit code. */
export type ConfigureResult = { code: number; stdout: string; stderr: string };

type Request = { stage: string | undefined; show: boolean; assignments: Array<[keyof StackSettings, string]> };

/**
 * `npm run configure -- [--stage <name>] key=value ... [--show]`: merges the assignments into the stage's
 * settings file, after checking the result with the deploy's own parser; `key=` removes a key.
 */
export function configure(args: string[], options: ConfigureOptions = {}): ConfigureResult {
  if (args.includes('--help') || args.includes('-h')) return { code: 0, stdout: help, stderr: '' };
  const fail = (message: string): ConfigureResult => ({ code: 1, stdout: '', stderr: `${message}\n` });
  const request = parseArgs(args);
  if (typeof request === 'string') return fail(request);
  if (request.assignments.length === 0 && !request.show) return fail(`${usage}(--help says more)`);

  let stage: string;
  let current: Record<string, unknown>;
  try {
    stage = stageName(request.stage);
    current = readSettingsFile(settingsFile(options.settingsDir ?? defaultSettingsDir, stage)) ?? {};
  } catch (error) {
    if (error instanceof StackSettingsError) return fail(error.message);
    throw error;
  }
  const file = settingsFile(options.settingsDir ?? defaultSettingsDir, stage);
  const source = { name: (key: string) => `${key}=...`, configure: configureCommand(stage) };
  let stdout = '';

  if (request.assignments.length > 0) {
    const merged = { ...current };
    for (const [key, value] of request.assignments)
      if (value === '') delete merged[key];
      else merged[key] = value;
    let settings: StackSettings;
    try {
      settings = stackSettings(merged, source);
    } catch (error) {
      if (error instanceof StackSettingsError) return fail(`${error.message}\n${shownPath(file)} is unchanged.`);
      throw error;
    }
    // Each key as the deploy reads it (`16`, not `"16"`; a list of ARNs, not a string), so the file reads plainly.
    writeSettingsFile(file, Object.fromEntries(Object.keys(merged).map((key) => [key, settingOf(settings, key)])));
    const set = request.assignments
      .filter(([, v]) => v !== '')
      .map(([key]) => `${key}=${settingText(settingOf(settings, key))}`);
    const removed = request.assignments.filter(([, v]) => v === '').map(([key]) => key);
    const deploy = stage === defaultStage ? 'npx cdk deploy' : `npx cdk deploy -c stage=${stage}`;
    stdout += `${shownPath(file)}: ${[set.length > 0 ? `set ${set.join(', ')}` : '', removed.length > 0 ? `removed ${removed.join(', ')}` : ''].filter((s) => s !== '').join('; ')}. Deploy with: ${deploy}\n`;
    current = merged;
  }

  if (!request.show) return { code: 0, stdout, stderr: '' };
  let effective: StackSettings | undefined;
  let problem = '';
  try {
    effective = stackSettings(current, source);
  } catch (error) {
    if (!(error instanceof StackSettingsError)) throw error;
    problem = `${error.message}\n`;
  }
  const rows = settingKeys.map((key) => {
    if (current[key] !== undefined)
      return [key, settingText(effective ? settingOf(effective, key) : current[key]), 'file'];
    if (key in settingDefaults) return [key, settingText(settingDefaults[key]), 'default'];
    return [key, '-', key === 'chainId' ? 'not set (required)' : 'not set'];
  });
  const width = (column: number) => Math.max(...rows.map((row) => row[column]?.length ?? 0));
  stdout += `stage ${stage} (${shownPath(file)}):\n`;
  stdout += rows
    .map(([key = '', value = '', from = '']) => `  ${key.padEnd(width(0))}  ${value.padEnd(width(1))}  ${from}`)
    .join('\n');
  stdout += '\n(-c <key>=<value> on a deploy overrides a key for that deploy only)\n';
  return { code: problem === '' ? 0 : 1, stdout, stderr: problem };
}

/** The request `args` make, or what is wrong with them. */
function parseArgs(args: string[]): Request | string {
  const request: Request = { stage: undefined, show: false, assignments: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--show') request.show = true;
    else if (arg === '--stage') {
      const next = args[++i];
      if (next === undefined) return '--stage needs a name: --stage prod';
      request.stage = next;
    } else if (arg.startsWith('--stage=')) request.stage = arg.slice('--stage='.length);
    else if (arg.startsWith('-')) return `unknown option ${arg}\n${usage}`;
    else {
      const at = arg.indexOf('=');
      if (at < 1) return `${JSON.stringify(arg)} is not <key>=<value> (<key>= removes a key)\n${usage}`;
      const key = arg.slice(0, at);
      if (!isSettingKey(key)) return `${key} is not a stack property (they are ${settingKeys.join(', ')})`;
      request.assignments.push([key, arg.slice(at + 1)]);
    }
  }
  return request;
}

const isSettingKey = (key: string): key is keyof StackSettings => (settingKeys as string[]).includes(key);

/** `settings`' value for `key`, a key of the stack's properties or not. */
const settingOf = (settings: StackSettings, key: string): unknown => (isSettingKey(key) ? settings[key] : undefined);

if (import.meta.main) {
  const result = configure(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
