import { useState } from 'preact/hooks';
import { html } from './html.ts';
import { inputValue } from './inputValue.ts';

/** Asks for the admin token once per browser tab; says plainly when the last one was refused. */
export function TokenForm(props: { error: string | undefined; checking: boolean; onSubmit: (token: string) => void }) {
  const [token, setToken] = useState('');
  return html`
    <main class="login">
      <form
        class="card"
        onSubmit=${(e: Event) => {
          e.preventDefault();
          if (token.trim()) props.onSubmit(token.trim());
        }}
      >
        <h1>Transaction broadcaster</h1>
        <p>Enter an admin token to see every transaction. It is kept in this tab only (session storage).</p>
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          autofocus
          required
          value=${token}
          onInput=${(e: Event) => setToken(inputValue(e))}
          aria-describedby=${props.error ? 'token-error' : undefined}
          aria-invalid=${props.error ? 'true' : undefined}
        />
        ${props.error ? html`<p id="token-error" class="error" role="alert">${props.error}</p>` : null}
        <button type="submit" class="primary" disabled=${props.checking}>${props.checking ? 'Checking…' : 'Open'}</button>
      </form>
    </main>
  `;
}
