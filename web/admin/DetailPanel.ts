import { useEffect, useRef } from 'preact/hooks';
import type { TransactionEvent } from '../../functions/lib/transactions/events.ts';
import type { Receipt, TransactionView } from '../../functions/lib/transactions/model.ts';
import { CallArguments } from './CallArguments.ts';
import { Events } from './Events.ts';
import { formatEth, formatGwei, formatTime } from './format.ts';
import { html } from './html.ts';
import { cancelOutcome, cancelReason, isCancelable, isCanceled } from './lifecycle.ts';
import { Revealed } from './Revealed.ts';
import { StatusLabel } from './StatusLabel.ts';
import { Timeline } from './Timeline.ts';

const dash = html`<span class="muted">—</span>`;

/** One term and its value in a description list; empty values show a dash. */
function Field(props: { term: string; children: unknown; mono?: boolean }) {
  const empty = props.children === null || props.children === undefined || props.children === '';
  return html`<div class="field"><dt>${props.term}</dt><dd class=${props.mono ? 'mono' : ''}>${empty ? dash : props.children}</dd></div>`;
}

/** What the chain did with it: the receipt's status, its block, the gas it took, how deep it was when last seen. */
function ReceiptFields({ receipt }: { receipt: Receipt }) {
  return html`
    <dl class="receipt">
      <${Field} term="Status">
        ${receipt.status} <span class="muted">(status ${receipt.status === 'success' ? 1 : 0})</span>
      <//>
      <${Field} term="Block" mono>${receipt.blockNumber}<//>
      <${Field} term="Block hash" mono><span class="wrap">${receipt.blockHash}</span><//>
      <${Field} term="Hash mined" mono><span class="wrap">${receipt.txHash}</span><//>
      <${Field} term="Gas used" mono>${receipt.gasUsed}<//>
      <${Field} term="Effective gas price">${html`<span class="mono">${formatGwei(receipt.effectiveGasPrice)}</span> gwei`}<//>
      <${Field} term="Confirmations">${receipt.confirmations} <span class="muted">when last seen</span><//>
    </dl>
  `;
}

/**
 * Everything about one transaction: its timeline (each signature with its fees, each attempt with its
 * error, the blocks it was mined and confirmed in, a reorg), its receipt, its events and how each one's
 * webhook was delivered, the request, the sender, nonce and hash it was signed with, and the links to and
 * from its rebroadcast. A wait at the fee cap is flagged at the top, and a cancel asked for says by whom,
 * when, why and what came of it. Escape closes it; on opening, focus moves to its heading so a keyboard
 * or screen reader user lands in it.
 */
export function DetailPanel(props: {
  id: string;
  tx: TransactionView | undefined;
  error: string | undefined;
  /** Its events, read with it (undefined until the first answer), and why the last read of them failed. */
  events: TransactionEvent[] | undefined;
  eventsError: string | undefined;
  onClose: () => void;
  onOpen: (id: string) => void;
  onRebroadcast: () => void;
  onCancel: () => void;
}) {
  const { id, tx, error, events, eventsError, onClose, onOpen, onRebroadcast, onCancel } = props;
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
        ${tx && isCanceled(tx) ? html`<span class="tag tag-cancel">canceled</span>` : null}
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
        ${
          tx.stuck
            ? html`<p class="flag-stuck stuck-banner">
                <strong>Stuck</strong> at the chain’s fee cap since <time datetime=${tx.stuck.since}>${formatTime(tx.stuck.since)}</time>:${' '}
                <${Revealed} text=${tx.stuck.reason} />. It is re-sent, not re-priced, until the market’s fees fall under the cap.
              </p>`
            : null
        }
        ${
          tx.cancel
            ? html`<dl class="cancel-asked">
                <${Field} term="Cancel asked by" mono><${Revealed} text=${tx.cancel.by} /><//>
                <${Field} term="Asked at">${formatTime(tx.cancel.requestedAt)}<//>
                <${Field} term="Why">${cancelReason[tx.cancel.reason]}<//>
                <${Field} term="Came to">${cancelOutcome(tx)}<//>
              </dl>`
            : null
        }
        ${tx.rebroadcastOf ? html`<p class="relation">Rebroadcast of ${link(tx.rebroadcastOf)}</p>` : null}
        ${tx.rebroadcastAs ? html`<p class="relation">Sent again as ${link(tx.rebroadcastAs)}</p>` : null}
        ${
          tx.status === 'failed' && !tx.rebroadcastAs
            ? html`<p><button type="button" class="primary" onClick=${onRebroadcast}>Rebroadcast…</button></p>`
            : null
        }
        ${isCancelable(tx.status) ? html`<p><button type="button" class="danger" onClick=${onCancel}>Cancel…</button></p>` : null}
        <section aria-labelledby="detail-timeline">
          <h3 id="detail-timeline">Timeline <span class="muted">(${tx.attempts} ${tx.attempts === 1 ? 'attempt' : 'attempts'})</span></h3>
          <${Timeline} tx=${tx} />
        </section>
        <section aria-labelledby="detail-receipt">
          <h3 id="detail-receipt">Receipt</h3>
          ${
            tx.receipt
              ? html`${tx.hashes.some((h) => h.kind === 'cancel' && h.txHash === tx.receipt?.txHash) ? html`<p class="muted">Of the cancel: the zero-value transfer to the sender.</p>` : null}
                <${ReceiptFields} receipt=${tx.receipt} />`
              : html`<p class="muted">${tx.status === 'failed' ? 'None: it was never mined.' : 'Not in a block yet.'}</p>`
          }
        </section>
        <${Events} events=${events} error=${eventsError} callbackUrl=${tx.callbackUrl} />
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
            <${Field} term=${tx.receipt ? 'Hash (the one mined)' : 'Hash (latest)'} mono>${tx.txHash ? html`<span class="wrap">${tx.txHash}</span>` : null}<//>
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
            <${Field} term="Valid until">${tx.validUntil ? html`${formatTime(tx.validUntil)} <span class="muted">(canceled if not mined by then)</span>` : html`<span class="muted">no limit</span>`}<//>
          </dl>
        </section>
      `
      }
    </aside>
  `;
}
