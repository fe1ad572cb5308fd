import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureOutput } from './spawnCapture.ts';
import { testTokens } from './tokens.ts';

export type Runner = {
  url: string;
  rpcUrl: string;
  signer: string;
  endpoints: { dynamodb: string; sqs: string };
  tableName: string;
  output(): string;
  /** Ctrl-C: a clean stop. */
  stop(): Promise<number | null>;
  /** A crash: no clean-up of any kind; what it started (its own anvil) dies with it. */
  kill(): Promise<void>;
};

/** A fresh data directory for one runner (or for several runs of it, to test restarts). */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'broadcaster-'));
}

/** Starts `npm start`'s entry point as its own process and waits for its ready line. */
export async function startRunner(env: Record<string, string>): Promise<Runner> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'infra/local/start.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'WARN',
      API_TOKEN: testTokens.client,
      ADMIN_TOKEN: testTokens.admin,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a kill takes what it started (its anvil) with it, as a crash of the machine would.
    detached: true,
  });
  const { output } = captureOutput(child);
  const ready = await new Promise<Pick<Runner, 'url' | 'rpcUrl' | 'signer' | 'endpoints' | 'tableName'>>(
    (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner not ready in 60 s:\n${output()}`)), 60_000);
      const onData = () => {
        const line = output()
          .split('\n')
          .find((l) => l.startsWith('{"message":"ready"'));
        if (!line) return;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(JSON.parse(line));
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`runner exited with ${code}:\n${output()}`));
      });
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    ...ready,
    output,
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
    async kill() {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Calls the runner's HTTP API as a client. */
export async function request(
  runner: Pick<Runner, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field, each checked by an assertion
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${runner.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${testTokens.client}`, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inFlight<T>(limit: number, count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(250);
  }
}
