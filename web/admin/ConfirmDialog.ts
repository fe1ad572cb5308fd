import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';

/** What a dialog that asks before an action on one transaction is given: the action's state and its two ends. */
export type ActionDialogProps = {
  sending: boolean;
  error: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
};

/**
 * A confirmation before an action that cannot be taken back. A modal `<dialog>`: focus stays inside,
 * Escape dismisses, and the dismiss button has the focus first so Enter alone does nothing.
 */
export function ConfirmDialog(
  props: ActionDialogProps & {
    title: string;
    children: ComponentChildren;
    confirm: string;
    confirming: string;
    dismiss?: string;
  },
) {
  const { title, children, confirm, confirming, dismiss = 'Cancel', sending, error, onConfirm, onCancel } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const back = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    back.current?.focus();
    return () => d?.close();
  }, []);
  return html`
    <dialog
      ref=${dialog}
      class="confirm"
      aria-labelledby="confirm-title"
      onCancel=${(e: Event) => {
        e.preventDefault();
        if (!sending) onCancel();
      }}
    >
      <h2 id="confirm-title">${title}</h2>
      ${children}
      ${error ? html`<p class="error" role="alert"><${Revealed} text=${error} /></p>` : null}
      <div class="actions">
        <button type="button" ref=${back} onClick=${onCancel} disabled=${sending}>${dismiss}</button>
        <button type="button" class="primary" onClick=${onConfirm} disabled=${sending}>
          ${sending ? confirming : confirm}
        </button>
      </div>
    </dialog>
  `;
}
