import { revealInvisible } from './format.ts';
import { html } from './html.ts';

/**
 * Text that came from a client (or through the API from one), shown as sent: each character that would
 * reorder or hide text as a marked escape, and the whole isolated (`<bdi>`), so right-to-left text in it
 * cannot reorder what is around it either.
 */
export function Revealed({ text }: { text: string | null | undefined }) {
  if (text === null || text === undefined) return null;
  return html`<bdi>${revealInvisible(text).map((part) =>
    typeof part === 'string' ? part : html`<span class="escape" title=${part.title}>${part.escape}</span>`,
  )}</bdi>`;
}
