import { decodeCall } from './decodeCall.ts';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';

/**
 * A function call as stored, decoded: the function's name, then each argument as `name (type) = value`,
 * one to a line; as stored (signature and JSON) when the signature does not read.
 */
export function CallArguments(props: { signature: string; args: readonly unknown[] | undefined }) {
  const { signature, args = [] } = props;
  const call = decodeCall(signature, args);
  if (!call) {
    return html`<span class="mono wrap"><${Revealed} text=${signature} /></span>
      <span class="mono wrap call-raw"><${Revealed} text=${JSON.stringify(args)} /></span>`;
  }
  return html`
    <span class="mono"><${Revealed} text=${call.name} /></span>
    ${
      call.args.length === 0
        ? html`<span class="muted"> (no arguments)</span>`
        : html`<ul class="call-args">
          ${call.args.map(
            (a) =>
              html`<li><span class="mono"><${Revealed} text=${a.name} /></span> <span class="muted">(<${Revealed} text=${a.type} />)</span> = <span class="mono wrap"><${Revealed} text=${a.value} /></span></li>`,
          )}
        </ul>`
    }
  `;
}
