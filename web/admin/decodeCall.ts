/** One argument of a call, as the page shows it: its parameter's name (`[i]` when unnamed) and type, and its value. */
export type CallArgument = { name: string; type: string; value: string };

/** A function call: the function's name and each argument. */
export type DecodedCall = { name: string; args: CallArgument[] };

// Data locations say where a value lives in the contract, nothing about what is sent.
const locations = new Set(['calldata', 'memory', 'storage']);
const identifier = /^[A-Za-z_$][\w$]*$/;

/** Where the parenthesis opened at `open` closes, or -1. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** `a, (b, c) d, e` as its top-level parts, or undefined when its parentheses do not balance. */
function splitParams(list: string): string[] | undefined {
  if (list.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return undefined;
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(list.slice(start).trim());
  return parts;
}

/** `uint256 amount`, `(address to, uint256 v)[] calls`, `string calldata memo`: its type and name. */
function parseParam(text: string, index: number): { type: string; name: string } | undefined {
  let type: string;
  let rest: string;
  const tuple = /^(?:tuple\s*)?\(/.exec(text);
  if (tuple) {
    const end = closing(text, tuple[0].length - 1);
    if (end < 0) return undefined;
    const arrays = /^(?:\s*\[\d*\])*/.exec(text.slice(end + 1))?.[0] ?? '';
    type = `${text.slice(0, end + 1)}${arrays.replace(/\s/g, '')}`.replace(/\s+/g, ' ');
    rest = text.slice(end + 1 + arrays.length);
  } else {
    [type = '', rest = ''] = text.split(/\s+(.*)/s);
  }
  const words = rest.split(/\s+/).filter((w) => w && !locations.has(w));
  const name = words.at(-1);
  if (!type || (name !== undefined && !identifier.test(name))) return undefined;
  return { type, name: name ?? `[${index}]` };
}

/** A value as the page shows it: strings of a string type quoted (so their ends show), other strings bare, the rest as JSON. */
function showValue(type: string, value: unknown): string {
  return typeof value === 'string' && type !== 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/**
 * The call a transaction stores (`function` as the client wrote it, `args` as accepted) as the function's
 * name and each argument with its parameter's name and type: `transfer(address to, uint256 amount)` with
 * `["0x…", "1000"]` is `to (address) = 0x…`, `amount (uint256) = 1000`. Undefined when the signature does
 * not read or the arguments do not match it: the page then shows both as stored.
 */
export function decodeCall(signature: string, args: readonly unknown[]): DecodedCall | undefined {
  const head = /^\s*(?:function\s+)?([A-Za-z_$][\w$]*)\s*\(/.exec(signature);
  if (!head?.[1]) return undefined;
  const end = closing(signature, head[0].length - 1);
  if (end < 0) return undefined;
  const parts = splitParams(signature.slice(head[0].length, end));
  if (!parts || parts.length !== args.length) return undefined;
  const decoded: CallArgument[] = [];
  for (const [i, part] of parts.entries()) {
    const param = parseParam(part, i);
    if (!param) return undefined;
    decoded.push({ ...param, value: showValue(param.type, args[i]) });
  }
  return { name: head[1], args: decoded };
}
