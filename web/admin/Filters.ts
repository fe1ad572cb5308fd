import { useEffect, useState } from 'preact/hooks';
import type { Status } from '../../functions/lib/transactions/status.ts';
import { clientNamePattern, clientNameRule } from './clientName.ts';
import { html } from './html.ts';
import { inputValue } from './inputValue.ts';
import { statusOrder } from './statusOrder.ts';
import { type TimeRange, timeRanges } from './timeRanges.ts';

/**
 * What the filters hold: a status or any, a client's name or any (''), a signer's address or any (''),
 * and a time range (`from`/`to` only for `custom`).
 */
export type FilterState = {
  status: Status | undefined;
  client: string;
  signer: string;
  range: TimeRange;
  from: string;
  to: string;
};

/**
 * The status, client, signer and time filters above the table; every field has a visible label. A client
 * name applies when committed (Enter, or leaving the field) and only if it can be one; until then the list
 * keeps the last one and the field says what a name is. The signer is one of the pool's addresses.
 */
export function Filters(props: {
  value: FilterState;
  signers: readonly string[];
  onChange: (next: FilterState) => void;
}) {
  const { value, onChange } = props;
  // The one chosen stays a choice while the pool is (re)read.
  const signers =
    value.signer && !props.signers.includes(value.signer) ? [value.signer, ...props.signers] : props.signers;
  const [client, setClient] = useState(value.client);
  useEffect(() => setClient(value.client), [value.client]);
  const clientValid = client.trim() === '' || clientNamePattern.test(client.trim());
  const applyClient = () => {
    if (clientValid && client.trim() !== value.client) onChange({ ...value, client: client.trim() });
  };
  const isStatus = (s: string): s is Status => statusOrder.some((known) => known === s);
  const isRange = (r: string): r is TimeRange => timeRanges.some((t) => t.value === r);
  return html`
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()} aria-label="Filters">
      <div class="filter">
        <label for="filter-status">Status</label>
        <select
          id="filter-status"
          name="status"
          value=${value.status ?? ''}
          onChange=${(e: Event) => {
            const s = inputValue(e);
            onChange({ ...value, status: isStatus(s) ? s : undefined });
          }}
        >
          <option value="">any status</option>
          ${statusOrder.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </div>
      <div class="filter filter-client">
        <label for="filter-client">Client</label>
        <input
          id="filter-client"
          name="client"
          class="mono"
          placeholder="any client"
          autocomplete="off"
          spellcheck=${false}
          value=${client}
          onInput=${(e: Event) => setClient(inputValue(e))}
          onChange=${applyClient}
          onKeyDown=${(e: KeyboardEvent) => {
            if (e.key === 'Enter') applyClient();
          }}
          aria-describedby=${clientValid ? undefined : 'filter-client-error'}
          aria-invalid=${clientValid ? undefined : 'true'}
        />
        ${clientValid ? null : html`<p id="filter-client-error" class="error filter-error" role="alert">${clientNameRule}</p>`}
      </div>
      <div class="filter filter-signer">
        <label for="filter-signer">Signer</label>
        <select
          id="filter-signer"
          name="signer"
          class="mono"
          value=${value.signer}
          onChange=${(e: Event) => onChange({ ...value, signer: inputValue(e) })}
        >
          <option value="">any signer</option>
          ${signers.map((a) => html`<option value=${a}>${a}</option>`)}
        </select>
      </div>
      <div class="filter">
        <label for="filter-range">Created</label>
        <select
          id="filter-range"
          name="range"
          value=${value.range}
          onChange=${(e: Event) => {
            const r = inputValue(e);
            if (isRange(r)) onChange({ ...value, range: r });
          }}
        >
          ${timeRanges.map((t) => html`<option value=${t.value}>${t.label}</option>`)}
        </select>
      </div>
      ${
        value.range === 'custom'
          ? html`
            <div class="filter">
              <label for="filter-from">From</label>
              <input
                id="filter-from"
                type="datetime-local"
                name="from"
                value=${value.from}
                onChange=${(e: Event) => onChange({ ...value, from: inputValue(e) })}
              />
            </div>
            <div class="filter">
              <label for="filter-to">To</label>
              <input
                id="filter-to"
                type="datetime-local"
                name="to"
                value=${value.to}
                onChange=${(e: Event) => onChange({ ...value, to: inputValue(e) })}
              />
            </div>
          `
          : null
      }
    </form>
  `;
}
