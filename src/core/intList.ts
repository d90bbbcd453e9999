/**
 * A growable list of 32-bit integers. Where a list holds hundreds of
 * thousands of offsets or ids, a typed array keeps them out of the
 * collector's way and is copied in one move when it grows.
 */
export class IntList {
  data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** The last value, or -1 for an empty list. */
  get last(): number {
    return this.length > 0 ? this.data[this.length - 1] : -1;
  }

  /** The values as an array of their own, no longer than the list. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}
