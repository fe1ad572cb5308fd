import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/** What a child process wrote, read as it comes: stdout and stderr apart, and both in the order they arrived. */
export type CapturedOutput = { stdout(): string; stderr(): string; output(): string };

/** How a child process ended, and all it wrote. */
export type Captured = { code: number | null; stdout: string; stderr: string; output: string };

/** Collects a running child's stdout and stderr (spawned with both piped) from now on. */
export function captureOutput(child: ChildProcess): CapturedOutput {
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    output += c.toString();
  });
  return { stdout: () => stdout, stderr: () => stderr, output: () => output };
}

/** Runs a command to its end and resolves with its exit code and everything it wrote; rejects if it cannot start. */
export function spawnCapture(
  command: string,
  args: string[],
  options: Omit<SpawnOptions, 'stdio'> = {},
): Promise<Captured> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const captured = captureOutput(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': the exit can come before the last of the output has been read.
    child.once('close', (code) =>
      resolve({ code, stdout: captured.stdout(), stderr: captured.stderr(), output: captured.output() }),
    );
  });
}
