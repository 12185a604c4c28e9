import type { Writable } from 'node:stream';

/**
 * Where a command's events go: human lines, or one JSON object per line (`--json`). With a
 * terminal, `interrupt` is set so that printing does not break the line being typed.
 */
export class Output {
  readonly json: boolean;
  readonly #stream: Writable;
  interrupt: ((print: () => void) => void) | undefined;

  constructor(stream: Writable, json: boolean) {
    this.#stream = stream;
    this.json = json;
  }

  /** An event: `human` is shown without --json, `fields` with it. */
  event(name: string, fields: Record<string, unknown>, human: string): void {
    this.#write(this.json ? JSON.stringify({ event: name, ...fields }) : human);
  }

  /** A reply to a command. In JSON mode it is an event like any other. */
  reply(name: string, fields: Record<string, unknown>, human: string): void {
    this.event(name, fields, human);
  }

  #write(line: string): void {
    const print = () => this.#stream.write(`${line}\n`);
    if (this.interrupt === undefined) print();
    else this.interrupt(print);
  }
}
