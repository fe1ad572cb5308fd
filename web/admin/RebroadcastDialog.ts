import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { CallArguments } from './CallArguments.ts';
import { type ActionDialogProps, ConfirmDialog } from './ConfirmDialog.ts';
import { formatEth } from './format.ts';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';

/** The confirmation before a rebroadcast, naming exactly what will be sent. */
export function RebroadcastDialog(props: ActionDialogProps & { tx: TransactionView }) {
  const { tx, ...rest } = props;
  return html`
    <${ConfirmDialog} title="Rebroadcast this transaction?" confirm="Rebroadcast" confirming="Sending…" ...${rest}>
      <p>A <strong>new</strong> transaction will be sent with the same request:</p>
      <dl class="confirm-what">
        <div class="field"><dt>To</dt><dd class="mono wrap">${tx.to}</dd></div>
        <div class="field"><dt>Value</dt><dd><span class="mono">${formatEth(tx.value)}</span> ETH <span class="muted mono wrap">(${tx.value} wei)</span></dd></div>
        <div class="field"><dt>Chain</dt><dd>${tx.chainId}</dd></div>
        ${
          tx.function
            ? html`<div class="field"><dt>Call</dt><dd><${CallArguments} signature=${tx.function} args=${tx.args} /></dd></div>`
            : html`<div class="field"><dt>Data</dt><dd class="mono wrap">${tx.data === '0x' ? 'none' : `${tx.data.slice(0, 74)}${tx.data.length > 74 ? '…' : ''}`}</dd></div>`
        }
        <div class="field"><dt>Gas limit</dt><dd>${tx.requestedGas ?? 'estimated again'}</dd></div>
        ${tx.client ? html`<div class="field"><dt>Client</dt><dd class="mono"><${Revealed} text=${tx.client} /></dd></div>` : null}
      </dl>
      <p>It gets a new id and a fresh nonce from the signer. Transaction <span class="mono">${tx.id.slice(0, 8)}</span> stays <strong>failed</strong> and links to it.</p>
    <//>
  `;
}
