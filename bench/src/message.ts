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

/**
 * `[run, seq]` of a benchmark message, or undefined for any other text. Read character by
 * character, like {@link parseMessageBytes} on the raw flood's side: the benchmark's own count of
 * a delivery must cost both sides the same.
 */
export function parseMessage(text: string): [number, number] | undefined {
  let run = 0;
  let seq = 0;
  let field = 0;
  for (let i = 0; i < text.length && i < 24; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3a) {
      if (++field === 2) return [run, seq];
    } else if (code >= 0x30 && code <= 0x39) {
      if (field === 0) run = run * 10 + code - 0x30;
      else seq = seq * 10 + code - 0x30;
    } else {
      return undefined;
    }
  }
  return undefined;
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
