import { vi } from 'vitest';

/** One line of CloudWatch Embedded Metric Format, as Powertools Metrics prints it. */
export type EmfLine = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
};

/**
 * Every JSON line `run` printed (Powertools' logs and metrics), parsed, in order: metrics and the logger's
 * DEBUG and INFO lines go to stdout, its WARN and ERROR lines to stderr.
 */
export async function jsonLinesOf(run: () => unknown): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** The EMF lines `run` printed to stdout (where Powertools writes them), parsed; nothing else it printed. */
export async function emfOf(run: () => unknown): Promise<EmfLine[]> {
  return (await jsonLinesOf(run)).filter((l): l is EmfLine => '_aws' in l);
}

/** The lines that hold metric `name`, with the dimension set each names it under (sorted). */
export function linesOf(lines: EmfLine[], name: string): Array<{ line: EmfLine; dimensions: string[] }> {
  return lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.filter((d) => d.Metrics.some((m) => m.Name === name)).flatMap((d) =>
      d.Dimensions.map((set) => ({ line, dimensions: [...set].sort() })),
    ),
  );
}
