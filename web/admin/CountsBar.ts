import type { Status } from '../../functions/lib/transactions/status.ts';
import { html } from './html.ts';
import { statusOrder } from './statusOrder.ts';

/** Counts per status on top of the page; each is a button that filters the list to that status. */
export function CountsBar(props: {
  counts: Record<Status, number> | undefined;
  active: Status | undefined;
  onPick: (status: Status | undefined) => void;
}) {
  const { counts, active, onPick } = props;
  const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : undefined;
  return html`
    <nav class="counts" aria-label="Transactions per status">
      <button type="button" class="count count-all" aria-pressed=${active === undefined} onClick=${() => onPick(undefined)}>
        <span class="count-label">all</span><span class="count-value">${total ?? '–'}</span>
      </button>
      ${statusOrder.map(
        (status) => html`
          <button
            type="button"
            class=${`count count-${status}`}
            aria-pressed=${active === status}
            onClick=${() => onPick(active === status ? undefined : status)}
          >
            <span class="count-label">${status}</span><span class="count-value">${counts ? counts[status] : '–'}</span>
          </button>
        `,
      )}
    </nav>
  `;
}
