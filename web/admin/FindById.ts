import { useState } from 'preact/hooks';
import { html } from './html.ts';
import { inputValue } from './inputValue.ts';

/** "What happened to transaction X": paste its id (from a client's log or a Location header) to open it. */
export function FindById(props: { onOpen: (id: string) => void }) {
  const [id, setId] = useState('');
  return html`
    <form
      class="find"
      role="search"
      aria-label="Open a transaction by id"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        const wanted = id.trim();
        if (wanted) props.onOpen(wanted);
      }}
    >
      <div class="filter">
        <label for="find-id">Transaction id</label>
        <input
          id="find-id"
          name="id"
          class="mono"
          placeholder="paste an id"
          autocomplete="off"
          spellcheck=${false}
          value=${id}
          onInput=${(e: Event) => setId(inputValue(e))}
        />
      </div>
      <button type="submit">Open</button>
    </form>
  `;
}
