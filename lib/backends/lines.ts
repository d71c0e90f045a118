/**
 * Splits a byte stream into lines (LF, with an optional CR before it), decoding each line as
 * UTF-8 on its own so that a character cut across chunks is never garbled. A line longer than
 * `maxBytes` is passed on cut to that length, and the rest of it is dropped: a process that
 * writes without newlines cannot grow Node's memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (line: string, truncated: boolean) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, nl));
      this.flushLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  /** Passes on a last line that had no newline. */
  end(): void {
    if (this.size > 0 || this.skipping) this.flushLine();
  }

  private take(bytes: Buffer): void {
    if (this.skipping) return;
    const room = this.maxBytes - this.size;
    if (bytes.length > room) {
      this.parts.push(bytes.subarray(0, room));
      this.size += room;
      this.skipping = true;
      return;
    }
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private flushLine(): void {
    let line = (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size)).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const truncated = this.skipping;
    this.parts = [];
    this.size = 0;
    this.skipping = false;
    this.emit(line, truncated);
  }
}
