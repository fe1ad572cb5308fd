import { useEffect, useRef } from 'preact/hooks';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { CallArguments } from './CallArguments.ts';
import { formatEth, formatTime } from './format.ts';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';
import { StatusLabel } from './StatusLabel.ts';

const dash = html`<span class="muted">—</span>`;

/** One term and its value in a description list; empty values show a dash. */
function Field(props: { term: string; children: unknown; mono?: boolean }) {
  const empty = props.children === null || props.children === undefined || props.children === '';
  return html`<div class="field"><dt>${props.term}</dt><dd class=${props.mono ? 'mono' : ''}>${empty ? dash : props.children}</dd></div>`;
}

/**
 * Everything about one transaction: the request, the sender, nonce and hash it was signed with, each
 * attempt with its error, and the links to and from its rebroadcast. Escape closes it; on opening,
 * focus moves to its heading so a keyboard or screen reader user lands in it.
 */
export function DetailPanel(props: {
  id: string;
  tx: TransactionView | undefined;
  error: string | undefined;
  onClose: () => void;
  onOpen: (id: string) => void;
  onRebroadcast: () => void;
}) {
  const { id, tx, error, onClose, onOpen, onRebroadcast } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [id]);
  const link = (target: string) =>
    html`<button type="button" class="link mono" onClick=${() => onOpen(target)}>${target}</button>`;

  return html`
    <aside
      class="detail"
      aria-labelledby="detail-title"
      onKeyDown=${(e: KeyboardEvent) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <header class="detail-head">
        <h2 id="detail-title" tabindex="-1" ref=${heading}>Transaction <span class="mono">${id.slice(0, 8)}</span></h2>
        ${tx ? html`<${StatusLabel} status=${tx.status} />` : null}
        <button type="button" class="close" onClick=${onClose} aria-label="Close the details">×</button>
      </header>
      ${error ? html`<p class="error" role="alert"><${Revealed} text=${error} /></p>` : null}
      ${
        !tx
          ? error
            ? null
            : html`<p class="muted">Loading…</p>`
          : html`
        <p class="message"><${Revealed} text=${tx.message} /></p>
        ${tx.rebroadcastOf ? html`<p class="relation">Rebroadcast of ${link(tx.rebroadcastOf)}</p>` : null}
        ${tx.rebroadcastAs ? html`<p class="relation">Sent again as ${link(tx.rebroadcastAs)}</p>` : null}
        ${
          tx.status === 'failed' && !tx.rebroadcastAs
            ? html`<p><button type="button" class="primary" onClick=${onRebroadcast}>Rebroadcast…</button></p>`
            : null
        }
        <section aria-labelledby="detail-attempts">
          <h3 id="detail-attempts">Attempts (${tx.attempts})</h3>
          ${
            tx.history.length === 0
              ? html`<p class="muted">None yet.</p>`
              : html`
                <ol class="attempts">
                  ${tx.history.map(
                    (a) => html`
                      <li>
                        <span class="attempt-no">#${a.attempt}</span>
                        <${StatusLabel} status=${a.outcome} />
                        <time datetime=${a.at} title=${a.at}>${formatTime(a.at)}</time>
                        ${a.error ? html`<p class="attempt-error"><${Revealed} text=${a.error} /></p>` : null}
                      </li>
                    `,
                  )}
                </ol>
              `
          }
        </section>
        <section aria-labelledby="detail-request">
          <h3 id="detail-request">Request</h3>
          <dl>
            <${Field} term="Id" mono>${tx.id}<//>
            <${Field} term="Client" mono>${tx.client ? html`<${Revealed} text=${tx.client} />` : null}<//>
            <${Field} term="Chain">${tx.chainId}<//>
            <${Field} term="To" mono>${tx.to}<//>
            <${Field} term="Value">${html`<span class="mono">${formatEth(tx.value)}</span> ETH <span class="muted mono">(${tx.value} wei)</span>`}<//>
            ${tx.function ? html`<${Field} term="Function" mono><span class="wrap"><${Revealed} text=${tx.function} /></span><//>` : null}
            ${tx.function ? html`<${Field} term="Call"><${CallArguments} signature=${tx.function} args=${tx.args} /><//>` : null}
            <${Field} term="Data" mono>${tx.data === '0x' ? '0x (none)' : html`<span class="wrap">${tx.data}</span>`}<//>
            <${Field} term="Gas limit asked">${tx.requestedGas ?? html`<span class="muted">estimated</span>`}<//>
          </dl>
        </section>
        <section aria-labelledby="detail-chain">
          <h3 id="detail-chain">Signed</h3>
          <dl>
            <${Field} term="Sender" mono>${tx.from}<//>
            <${Field} term="Nonce" mono>${tx.nonce}<//>
            <${Field} term="Gas limit" mono>${tx.gas}<//>
            <${Field} term="Hash" mono>${tx.txHash ? html`<span class="wrap">${tx.txHash}</span>` : null}<//>
            <${Field} term="Signed at">${tx.signedAt ? formatTime(tx.signedAt) : null}<//>
            ${tx.filledBy ? html`<${Field} term="Nonce filled by" mono><span class="wrap">${tx.filledBy}</span><//>` : null}
          </dl>
          ${tx.rawTx ? html`<details><summary>Signed bytes</summary><p class="mono wrap small">${tx.rawTx}</p></details>` : null}
        </section>
        <section aria-labelledby="detail-times">
          <h3 id="detail-times">Times</h3>
          <dl>
            <${Field} term="Created">${formatTime(tx.createdAt)}<//>
            <${Field} term="Updated">${formatTime(tx.updatedAt)}<//>
          </dl>
        </section>
      `
      }
    </aside>
  `;
}
