import type { Attempt } from '../../functions/lib/transactions/model.ts';
import type { Status } from '../../functions/lib/transactions/status.ts';
import { html } from './html.ts';

/** What each status, and a history entry's `reorged` and `stuck`, mean: the label's title, for whoever is unsure. */
const meaning: Record<Status | Attempt['outcome'], string> = {
  pending: 'accepted by the API, not sent yet',
  retrying: 'an attempt failed; it will be tried again',
  success: 'the node accepted it; not in a block yet',
  mined: 'in a block, short of the chain’s depth',
  confirmed: 'in a block at the chain’s depth, and it succeeded: final',
  reverted: 'in a block at the chain’s depth, and its execution reverted: final',
  failed: 'it will not be sent again: final',
  reorged: 'the block that held it was reorged away; it was sent again',
  stuck: 'waiting at the chain’s fee cap: re-sent, not re-priced, until the market’s fees fall under it',
};

/** A status as a coloured label that also says it in words (colour is never the only signal). */
export function StatusLabel({ status }: { status: Status | Attempt['outcome'] }) {
  return html`<span class=${`status status-${status}`} title=${meaning[status]}>${status}</span>`;
}
