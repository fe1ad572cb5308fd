import { MalformedDerError } from '../errors/errors.ts';

/** One element: its tag, its content bytes, and where the next element starts. */
export type DerElement = { tag: number; content: Uint8Array; end: number };

/**
 * Reads one tag-length-value element at `offset`. Only definite lengths, in their shortest form, as
 * DER requires; a length that runs past the buffer is refused rather than truncated.
 */
export function readDerElement(bytes: Uint8Array, offset: number, what: string): DerElement {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw new MalformedDerError(what, `truncated at byte ${offset}`);
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 2) throw new MalformedDerError(what, `unsupported length form 0x${hex(first)}`);
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[start + i];
      if (b === undefined) throw new MalformedDerError(what, `truncated length at byte ${start + i}`);
      length = length * 256 + b;
    }
    if (length < 0x80 || (count === 2 && length < 0x100))
      throw new MalformedDerError(what, `length ${length} not in its shortest form`);
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new MalformedDerError(what, `element of ${length} bytes runs past the end`);
  return { tag, content: bytes.subarray(start, end), end };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
