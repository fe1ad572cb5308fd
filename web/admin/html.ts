/** Templates for Preact without a JSX build step: `html\`<div class="x">${child}</div>\``. */
export { html } from 'htm/preact';
