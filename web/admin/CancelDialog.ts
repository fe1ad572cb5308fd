import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { type ActionDialogProps, ConfirmDialog } from './ConfirmDialog.ts';
import { formatTime } from './format.ts';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';
import { StatusLabel } from './StatusLabel.ts';

/** The confirmation before a cancel: what it does to a signed transaction, and that it can lose the race. */
export function CancelDialog(props: ActionDialogProps & { tx: TransactionView }) {
  const { tx, ...rest } = props;
  return html`
    <${ConfirmDialog}
      title="Cancel this transaction?"
      confirm="Cancel transaction"
      confirming="Asking…"
      dismiss="Keep it"
      ...${rest}
    >
      <dl class="confirm-what">
        <div class="field"><dt>Id</dt><dd class="mono wrap">${tx.id}</dd></div>
        <div class="field"><dt>Status</dt><dd><${StatusLabel} status=${tx.status} /></dd></div>
        ${tx.client ? html`<div class="field"><dt>Client</dt><dd class="mono"><${Revealed} text=${tx.client} /></dd></div>` : null}
        <div class="field"><dt>Sender</dt><dd class="mono wrap">${tx.from ?? 'not signed yet'}</dd></div>
        <div class="field"><dt>Nonce</dt><dd class="mono">${tx.nonce ?? 'none yet'}</dd></div>
        ${tx.signedAt ? html`<div class="field"><dt>Signed at</dt><dd>${formatTime(tx.signedAt)}</dd></div>` : null}
      </dl>
      <p>
        A signed transaction is <strong>replaced</strong>: a zero-value transfer from the sender to itself, with the
        same nonce, is signed at higher fees and sent in its place.
      </p>
      <p>
        If the original is mined first, the cancel comes to nothing and the <strong>original’s outcome stands</strong>.
        Once canceled, it ends <strong>failed</strong>.
      </p>
    <//>
  `;
}
