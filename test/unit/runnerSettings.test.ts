import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/lib/errors/errors.ts';
import { runnerSettings } from '../../infra/local/runnerSettings.ts';

describe('runnerSettings', () => {
  it('fills the local runner’s defaults', () => {
    expect(runnerSettings({})).toEqual({
      PORT: 3000,
      HOST: '127.0.0.1',
      WORKERS: 8,
      BATCH_SIZE: 10,
      SWEEP_INTERVAL_SECONDS: 30,
      VISIBILITY_TIMEOUT_SECONDS: 30,
      DATA_DIR: '.data',
    });
  });

  it('reads the same variables as before, as numbers', () => {
    const settings = runnerSettings({ PORT: '0', WORKERS: '1', BATCH_SIZE: '3', VISIBILITY_TIMEOUT_SECONDS: '3' });
    expect(settings).toMatchObject({ PORT: 0, WORKERS: 1, BATCH_SIZE: 3, VISIBILITY_TIMEOUT_SECONDS: 3 });
  });

  it('names every wrong variable', () => {
    const bad = { PORT: 'eighty', WORKERS: '0', BATCH_SIZE: '11', SWEEP_INTERVAL_SECONDS: '0' };
    expect(() => runnerSettings(bad)).toThrowError(ConfigError);
    try {
      runnerSettings(bad);
      expect.unreachable();
    } catch (error) {
      for (const name of Object.keys(bad)) expect(String(error)).toMatch(name);
    }
    expect(() => runnerSettings({ WORKERS: '257' })).toThrowError(/WORKERS/);
  });
});
