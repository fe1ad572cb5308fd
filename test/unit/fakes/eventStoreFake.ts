import type { EventStore, StoredEvent } from '../../../functions/lib/store/EventStore.ts';

/**
 * The notifier's delivery records in memory, with the conditions of the DynamoDB store: the first
 * `begin` of an id writes its url and body, later ones read them back; an attempt is recorded only
 * when no attempt as late is recorded yet and the delivery is still retrying; the mark of the attempt
 * queued only moves forward; a given-up event is rearmed once. Every call is counted.
 */
export function createFakeEventStore(initial: StoredEvent[] = []) {
  const records = new Map<string, StoredEvent>(initial.map((e) => [e.id, structuredClone(e)]));
  const calls = { begin: 0, recordAttempt: 0 };
  const store: EventStore = {
    async begin(event) {
      calls.begin++;
      const existing = records.get(event.id);
      if (existing) return structuredClone(existing); // -- the first body recorded is the one sent
      const fresh: StoredEvent = { ...event, state: 'retrying', attempts: 0 };
      records.set(event.id, structuredClone(fresh));
      return fresh;
    },
    async get(id) {
      const existing = records.get(id);
      return existing && structuredClone(existing);
    },
    async recordAttempt(id, attempt, answer, state, nextAttemptAt) {
      calls.recordAttempt++;
      const stored = records.get(id);
      if (!stored) return false;
      if (!(stored.attempts < attempt)) return false; // -- each attempt recorded once
      if (stored.state !== 'retrying') return false; // -- nothing after delivered, or after it was given up
      stored.attempts = attempt;
      stored.lastAnswer = answer;
      stored.state = state;
      if (state === 'delivered') stored.deliveredAt = answer.at;
      if (nextAttemptAt) stored.nextAttemptAt = nextAttemptAt;
      else delete stored.nextAttemptAt;
      return true;
    },
    async markQueued(id, next) {
      const stored = records.get(id);
      if (stored && (stored.queuedNext ?? 0) < next) stored.queuedNext = next; // -- only forward
    },
    async rearm(id, budget) {
      const stored = records.get(id);
      if (stored?.state !== 'failed') return false; // -- one redrive rearms it once
      stored.state = 'retrying';
      stored.budget = budget;
      return true;
    },
    async read(ids) {
      return new Map(
        ids.flatMap((id) => {
          const stored = records.get(id);
          return stored ? [[id, structuredClone(stored)] as const] : [];
        }),
      );
    },
  };
  return { store, calls, record: (id: string) => records.get(id) };
}
