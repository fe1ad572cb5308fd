import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { formatEth, formatTime, formatWhen, revealedText, shortHex } from './format.ts';
import { html } from './html.ts';
import { isCanceled } from './lifecycle.ts';
import { Revealed } from './Revealed.ts';
import { StatusLabel } from './StatusLabel.ts';

/**
 * The list: time, id, status, client, attempts, to, value in ETH, hash. Each id is a button that opens the
 * detail panel, so the table works from the keyboard; on narrow screens each row becomes a card. Beside
 * the status, a flag when it waits at the fee cap (since when, and why), and when a cancel was asked for.
 */
export function TransactionTable(props: {
  items: TransactionView[];
  selectedId: string | undefined;
  onOpen: (id: string) => void;
}) {
  const { items, selectedId, onOpen } = props;
  return html`
    <table class="transactions">
      <caption class="visually-hidden">Transactions, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Id</th>
          <th scope="col">Status</th>
          <th scope="col">Client</th>
          <th scope="col" class="num">Attempts</th>
          <th scope="col">To</th>
          <th scope="col" class="num">Value (ETH)</th>
          <th scope="col">Hash</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (tx) => html`
            <tr key=${tx.id} class=${tx.id === selectedId ? 'selected' : ''} data-id=${tx.id} data-status=${tx.status}>
              <td data-label="Time"><time datetime=${tx.createdAt} title=${tx.createdAt}>${formatWhen(tx.createdAt)}</time></td>
              <td data-label="Id">
                <button type="button" class="link mono" onClick=${() => onOpen(tx.id)} aria-label=${`Open transaction ${tx.id}`} title=${tx.id}>
                  ${tx.id.slice(0, 8)}
                </button>
                ${tx.rebroadcastOf ? html`<span class="tag" title=${`rebroadcast of ${tx.rebroadcastOf}`}>rebroadcast</span>` : null}
              </td>
              <td data-label="Status">
                <${StatusLabel} status=${tx.status} />
                ${
                  tx.stuck
                    ? html`<span class="flag-stuck" title=${`at the fee cap since ${formatTime(tx.stuck.since)}: ${revealedText(tx.stuck.reason)}`}>
                        stuck since ${formatWhen(tx.stuck.since)}<span class="visually-hidden">: ${revealedText(tx.stuck.reason)}</span>
                      </span>`
                    : null
                }
                ${tx.cancel ? html`<span class="tag tag-cancel">${isCanceled(tx) ? 'canceled' : 'cancel asked'}</span>` : null}
              </td>
              <td data-label="Client" class="mono client" title=${tx.client ?? ''}>${tx.client ? html`<${Revealed} text=${tx.client} />` : html`<span class="muted">—</span>`}</td>
              <td data-label="Attempts" class="num">${tx.attempts}</td>
              <td data-label="To" class="mono" title=${tx.to}>${shortHex(tx.to)}</td>
              <td data-label="Value (ETH)" class="num mono">${formatEth(tx.value)}</td>
              <td data-label="Hash" class="mono" title=${tx.txHash ?? ''}>${tx.txHash ? shortHex(tx.txHash) : html`<span class="muted">—</span>`}</td>
            </tr>
          `,
        )}
      </tbody>
    </table>
  `;
}
