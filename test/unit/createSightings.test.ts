import { describe, expect, it } from 'vitest';
import { createSightings } from '../../bench/createSightings.ts';

// The benchmark's wait for a set of transactions to reach a status: it must end when the last one is
// seen, and tell a stall (none more seen for a while) long before a timeout sized for the whole set.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a wait for sightings', () => {
  it('resolves at the last one seen', async () => {
    const sightings = createSightings('final');
    const waiting = sightings.all(['a', 'b'], 60_000);
    sightings.see('a', 1);
    sightings.see('b', 2);
    await expect(waiting).resolves.toBeUndefined();
    expect(sightings.at.get('b')).toBe(2);
  });

  it('ends on a stall with how many were left, while each sighting puts the stall off', async () => {
    // prepare
    const sightings = createSightings('final');
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const startedAt = Date.now();
    const waiting = sightings.all(ids, 60_000, { stallMs: 300 }).catch((error: Error) => error);
    // act: three seen 200 ms apart (each within the stall's 300 ms), then none
    for (const id of ids.slice(0, 3)) {
      await sleep(200);
      sightings.see(id, Date.now());
    }
    const error = await waiting;
    // assess: not ended before the last sighting's stall, and long before the timeout
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('2 of 5 transactions not final, none more for 0.3 s');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
  });
});
