import type { Neighbours } from './neighbours.js';

/**
 * The parent, then the children, as one array. The list of the last call is returned again while
 * it still holds the same neighbours (they rarely change), so a flood makes no array per Message;
 * callers never change it, and a change of neighbours makes a new one.
 */
export class NeighbourList {
  readonly #neighbours: Neighbours;
  #last: string[] = [];

  constructor(neighbours: Neighbours) {
    this.#neighbours = neighbours;
  }

  current(): string[] {
    const neighbours = this.#neighbours;
    const parent = neighbours.parent;
    const last = this.#last;
    let same = true;
    let i = 0;
    if (parent !== null) same = last[i++] === parent;
    if (same) {
      for (const child of neighbours.children) {
        if (last[i++] !== child) {
          same = false;
          break;
        }
      }
    }
    if (same && i === last.length) return last;
    const made = parent === null ? [...neighbours.children] : [parent, ...neighbours.children];
    this.#last = made;
    return made;
  }
}
