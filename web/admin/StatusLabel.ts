import type { Status } from '../../functions/lib/transactions/status.ts';
import { html } from './html.ts';

/** A status as a coloured label that also says it in words (colour is never the only signal). */
export function StatusLabel({ status }: { status: Status }) {
  return html`<span class=${`status status-${status}`}>${status}</span>`;
}
