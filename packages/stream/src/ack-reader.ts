/** The acknowledgement an accepting node writes for every packet it reads (protocol.md 4). */
export const ACK = Buffer.from('ACK', 'latin1');

const A = 0x41;
const C = 0x43;
const K = 0x4b;

/**
 * Counts `ACK`s in the bytes an outgoing connection reads back. TCP may split an ACK across reads
 * or deliver several in one, so the position inside the current ACK is kept between chunks.
 */
export class AckReader {
  /** Bytes of the current ACK seen so far: 0, 1 (`A`) or 2 (`AC`). */
  #matched = 0;
  /** Offset in the last chunk of the byte that was not part of an ACK, or -1. */
  badOffset = -1;

  /**
   * The number of ACKs the first `length` bytes of `chunk` (all of it by default) complete, or -1
   * when they hold a byte that is not part of an ACK.
   */
  push(chunk: Uint8Array, length = chunk.length): number {
    let count = 0;
    let matched = this.#matched;
    for (let i = 0; i < length; i++) {
      const byte = chunk[i];
      if (matched === 0 ? byte === A : matched === 1 ? byte === C : byte === K) {
        if (++matched === 3) {
          matched = 0;
          count++;
        }
      } else {
        this.badOffset = i;
        return -1;
      }
    }
    this.#matched = matched;
    return count;
  }

  /** True when part of an ACK has been read and the rest is still to come. */
  get partial(): boolean {
    return this.#matched !== 0;
  }
}
