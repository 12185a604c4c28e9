/** Every benchmark message has this many bytes of body. */
export const MESSAGE_BYTES = 100;

const PAD = 'x'.repeat(MESSAGE_BYTES);

/**
 * The text of message `seq` of run `run`: `run:seq:` padded with `x` to 100 bytes, so that
 * deliveries of an earlier run that arrive late are never counted in a later one.
 */
export function messageText(run: number, seq: number): string {
  const head = `${run}:${seq}:`;
  return head + PAD.slice(head.length);
}

/** `[run, seq]` of a benchmark message, or undefined for any other text. */
export function parseMessage(text: string): [number, number] | undefined {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (second < 0) return undefined;
  const run = Number(text.slice(0, first));
  const seq = Number(text.slice(first + 1, second));
  return Number.isInteger(run) && Number.isInteger(seq) ? [run, seq] : undefined;
}

/** `[run, seq]` read straight from the bytes of a body (the raw flood never makes a string). */
export function parseMessageBytes(body: Uint8Array, at: number): [number, number] | undefined {
  let run = 0;
  let seq = 0;
  let field = 0;
  for (let i = at; i < body.length && i < at + 24; i++) {
    const byte = body[i] as number;
    if (byte === 0x3a) {
      if (++field === 2) return [run, seq];
    } else if (byte >= 0x30 && byte <= 0x39) {
      if (field === 0) run = run * 10 + byte - 0x30;
      else seq = seq * 10 + byte - 0x30;
    } else {
      return undefined;
    }
  }
  return undefined;
}
