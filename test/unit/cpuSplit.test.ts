import { describe, expect, it } from 'vitest';
import { partOf, splitProfile } from '../../bench/runCpuSplit.ts';

const frame = (url: string, functionName = 'f') => ({ functionName, url });

describe('partOf', () => {
  it('names the part a sampled function belongs to by its script', () => {
    const root = 'file:///work/main';
    expect(partOf(frame(`${root}/functions/lib/api/createApiRoutes.ts`))).toBe('handlers');
    expect(partOf(frame(`${root}/infra/local/QueuePoller.ts`))).toBe('localRunner');
    expect(partOf(frame(`${root}/node_modules/@smithy/core/dist-cjs/index.js`))).toBe('awsSdk');
    expect(partOf(frame(`${root}/node_modules/@aws-sdk/client-sqs/dist-cjs/index.js`))).toBe('awsSdk');
    expect(partOf(frame(`${root}/node_modules/viem/_esm/utils/encoding/toHex.js`))).toBe('viem');
    expect(partOf(frame(`${root}/node_modules/@noble/curves/esm/abstract/weierstrass.js`))).toBe('viem');
    expect(partOf(frame(`${root}/node_modules/@aws-lambda-powertools/logger/lib/esm/Logger.js`))).toBe('powertools');
    expect(partOf(frame(`${root}/node_modules/zod/v4/core/schemas.js`))).toBe('zod');
    expect(partOf(frame(`${root}/node_modules/dynalite/db/index.js`))).toBe('emulators');
    expect(partOf(frame(`${root}/node_modules/fauxqs/dist/sqs/sqsStore.js`))).toBe('emulators');
    expect(partOf(frame(`${root}/node_modules/uuid/dist/index.js`))).toBe('otherLibraries');
    expect(partOf(frame('node:_http_server'))).toBe('nodeHttp');
    expect(partOf(frame('node:internal/deps/undici/undici'))).toBe('nodeHttp');
    expect(partOf(frame('node:internal/streams/readable'))).toBe('nodeHttp');
    expect(partOf(frame('node:internal/util'))).toBe('nodeAndV8');
    expect(partOf(frame('', '(program)'))).toBe('nodeAndV8');
    expect(partOf(frame('', '(garbage collector)'))).toBe('gc');
    expect(partOf(frame('', '(idle)'))).toBeUndefined();
  });
});

describe('splitProfile', () => {
  it('sums each sample’s time to the next one into its part, within the window only, idle left out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('', '(idle)') },
        { id: 2, callFrame: frame('file:///x/functions/updater.ts') },
        { id: 3, callFrame: frame('file:///x/node_modules/@aws-sdk/a.js') },
      ],
      startTime: 1000,
      // Samples at 1010, 1020, 1050, 1060, 1100: the last is the window's end.
      samples: [2, 3, 1, 2, 3],
      timeDeltas: [10, 10, 30, 10, 40],
    };
    const parts = splitProfile(profile, 1015, 1100);
    // 1020 (sdk) until 1050: 30; 1050 idle: none; 1060 (handlers) until 1100: 40; 1100 (sdk) has no next: 0.
    expect(parts.awsSdk).toBe(30);
    expect(parts.handlers).toBe(40);
    expect(Object.values(parts).reduce((a, b) => a + b, 0)).toBe(70);
  });
});
