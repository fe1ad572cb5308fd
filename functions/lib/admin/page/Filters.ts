import type { Status } from '../../transactions/model.ts';
import { html } from './html.ts';
import { statusOrder } from './statusOrder.ts';
import { type TimeRange, timeRanges } from './timeRanges.ts';

export type FilterState = { status: Status | undefined; range: TimeRange; from: string; to: string };

const inputValue = (event: Event) =>
  event.currentTarget instanceof HTMLInputElement || event.currentTarget instanceof HTMLSelectElement
    ? event.currentTarget.value
    : '';

/** The status and time filters above the table; every field has a visible label. */
export function Filters(props: { value: FilterState; onChange: (next: FilterState) => void }) {
  const { value, onChange } = props;
  const isStatus = (s: string): s is Status => statusOrder.some((known) => known === s);
  const isRange = (r: string): r is TimeRange => timeRanges.some((t) => t.value === r);
  return html`
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()} aria-label="Filters">
      <label>
        <span>Status</span>
        <select
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
      </label>
      <label>
        <span>Created</span>
        <select
          name="range"
          value=${value.range}
          onChange=${(e: Event) => {
            const r = inputValue(e);
            if (isRange(r)) onChange({ ...value, range: r });
          }}
        >
          ${timeRanges.map((t) => html`<option value=${t.value}>${t.label}</option>`)}
        </select>
      </label>
      ${
        value.range === 'custom'
          ? html`
            <label>
              <span>From</span>
              <input
                type="datetime-local"
                name="from"
                value=${value.from}
                onChange=${(e: Event) => onChange({ ...value, from: inputValue(e) })}
              />
            </label>
            <label>
              <span>To</span>
              <input
                type="datetime-local"
                name="to"
                value=${value.to}
                onChange=${(e: Event) => onChange({ ...value, to: inputValue(e) })}
              />
            </label>
          `
          : null
      }
    </form>
  `;
}
