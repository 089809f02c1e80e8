/**
 * HPACK (RFC 7541) for sched-bench's own HTTP/2 client: a full decoder for what servers send (static
 * and dynamic table, Huffman-coded strings) and an encoder that writes requests as literals without
 * indexing, so no encoder state is ever shared with the server (our request headers are pre-encoded
 * once per channel and per path).
 */

/** The static table of RFC 7541 Appendix A (index 1 is the first entry). */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/**
 * Code lengths of the Huffman code of RFC 7541 Appendix B, symbols 0..256 (256 is EOS), as runs of
 * [length, count]. The code is canonical (codes of one length are consecutive, in symbol order, and
 * shorter codes come first), so the codes themselves follow from the lengths; a unit test checks
 * some of them against the RFC's table and that the code is complete.
 */
const HUFFMAN_LENGTH_RUNS: ReadonlyArray<readonly [number, number]> = [
  [13, 1], [23, 1], [28, 7], [24, 1], [30, 1], [28, 2], [30, 1], [28, 8], [30, 1], [28, 9], // 0..31
  [6, 1], [10, 2], [12, 1], [13, 1], [6, 1], [8, 1], [11, 1], [10, 2], [8, 1], [11, 1], [8, 1], [6, 3], // ' '../
  [5, 3], [6, 7], [7, 1], [8, 1], [15, 1], [6, 1], [12, 1], [10, 1], [13, 1], // 0..@
  [6, 1], [7, 22], [8, 1], [7, 1], [8, 1], [13, 1], [19, 1], [13, 1], [14, 1], [6, 1], [15, 1], // A.._ and `
  [5, 1], [6, 1], [5, 1], [6, 1], [5, 1], [6, 3], [5, 1], [7, 2], [6, 3], [5, 1], [6, 1], [7, 1], [6, 1], [5, 2], [6, 1], // a..u
  [7, 5], [15, 1], [11, 1], [14, 1], [13, 1], [28, 1], // v..127
  [20, 1], [22, 1], [20, 2], [22, 3], [23, 1], [22, 1], [23, 5], [24, 1], [23, 1], [24, 2], [22, 1], [23, 1], [24, 1], // 128..148
  [23, 4], [21, 1], [22, 1], [23, 1], [22, 1], [23, 2], [24, 1], [22, 1], [21, 1], [20, 1], [22, 2], [23, 2], [21, 1], // 149..167
  [23, 1], [22, 2], [24, 1], [21, 1], [22, 1], [23, 2], [21, 2], [22, 1], [21, 1], [23, 1], [22, 1], [23, 2], [20, 1], // 168..184
  [22, 3], [23, 1], [22, 2], [23, 1], [26, 2], [20, 1], [19, 1], [22, 1], [23, 1], [22, 1], [25, 1], [26, 3], [27, 2], // 185..204
  [26, 1], [24, 1], [25, 1], [19, 1], [21, 1], [26, 1], [27, 2], [26, 1], [27, 1], [24, 1], [21, 2], [26, 2], [28, 1], // 205..220
  [27, 3], [20, 1], [24, 1], [20, 1], [21, 1], [22, 1], [21, 2], [23, 1], [22, 2], [25, 2], [24, 2], [26, 1], [23, 1], // 221..239
  [26, 1], [27, 1], [26, 2], [27, 5], [28, 1], [27, 5], [26, 1], [30, 1], // 240..256
];

/** The Huffman code as a binary tree in flat arrays: node → child per bit; a leaf holds symbol + 1 as a negative number. */
interface HuffmanTree {
  zero: Int32Array;
  one: Int32Array;
}

/** Lengths per symbol, expanded from the runs. */
export function huffmanCodeLengths(): number[] {
  const lengths: number[] = [];
  for (const [length, count] of HUFFMAN_LENGTH_RUNS) for (let i = 0; i < count; i++) lengths.push(length);
  return lengths;
}

/** The canonical codes of the lengths: per symbol, its code (right-aligned) and length. */
export function huffmanCodes(): Array<{ code: number; length: number }> {
  const lengths = huffmanCodeLengths();
  const order = lengths.map((length, symbol) => ({ length, symbol })).sort((a, b) => a.length - b.length || a.symbol - b.symbol);
  const codes: Array<{ code: number; length: number }> = new Array(lengths.length);
  let code = 0;
  let previousLength = order[0]!.length;
  for (const { length, symbol } of order) {
    code *= 2 ** (length - previousLength);
    previousLength = length;
    codes[symbol] = { code, length };
    code += 1;
  }
  return codes;
}

function buildHuffmanTree(): HuffmanTree {
  const zero = new Int32Array(600);
  const one = new Int32Array(600);
  let nodes = 1;
  huffmanCodes().forEach(({ code, length }, symbol) => {
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const branch = Math.floor(code / 2 ** bit) % 2 === 1 ? one : zero;
      if (bit === 0) branch[node] = -(symbol + 1);
      else {
        if (branch[node] === 0) branch[node] = nodes++;
        node = branch[node]!;
      }
    }
  });
  return { zero, one };
}

let huffmanTree: HuffmanTree | undefined;

/** Decodes a Huffman-coded string (RFC 7541 §5.2): EOS inside, or padding longer than 7 bits or not all ones, is an error. */
export function huffmanDecode(bytes: Uint8Array, start: number, end: number): string {
  const tree = (huffmanTree ??= buildHuffmanTree());
  const out: number[] = [];
  let node = 0;
  let bitsSinceSymbol = 0;
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      const isOne = (byte >> bit) & 1;
      const next = isOne ? tree.one[node]! : tree.zero[node]!;
      bitsSinceSymbol++;
      allOnes &&= isOne === 1;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === 256) throw new HpackError('EOS inside a Huffman-coded string');
        out.push(symbol);
        node = 0;
        bitsSinceSymbol = 0;
        allOnes = true;
      } else node = next;
    }
  }
  if (bitsSinceSymbol > 7 || !allOnes) throw new HpackError('bad Huffman padding');
  return Buffer.from(out).toString('latin1');
}

export class HpackError extends Error {
  constructor(message: string) {
    super(`HPACK: ${message}`);
    this.name = 'HpackError';
  }
}

/** Header fields as node:http2 gives them: a repeated name collects its values in an array. */
export type HeaderMap = Record<string, string | string[]>;

/** Per entry, the RFC's accounting: name and value octets plus 32. */
const ENTRY_OVERHEAD = 32;

/**
 * Decodes the header blocks of one connection, in order (the dynamic table is shared by all streams).
 * `maxTableSize` is the SETTINGS_HEADER_TABLE_SIZE this side announced; the server may shrink its table
 * below it with a size update, never grow it above.
 */
export class HpackDecoder {
  /** Newest entry first. */
  private readonly table: Array<readonly [string, string]> = [];
  private tableSize = 0;
  private tableLimit: number;
  private position = 0;
  private block: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxTableSize = 4096) {
    this.tableLimit = maxTableSize;
  }

  decode(block: Uint8Array): HeaderMap {
    this.block = block;
    this.position = 0;
    const headers: HeaderMap = {};
    let fieldSeen = false;
    while (this.position < block.length) {
      const first = block[this.position]!;
      let name: string;
      let value: string;
      if (first & 0x80) {
        [name, value] = this.entry(this.integer(7));
      } else if (first & 0x40) {
        [name, value] = this.literal(6);
        this.insert(name, value);
      } else if (first & 0x20) {
        // A size update belongs at the start of a block (RFC 7541 §4.2).
        if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
        const size = this.integer(5);
        if (size > this.maxTableSize) throw new HpackError(`table size ${size} above the ${this.maxTableSize} allowed`);
        this.tableLimit = size;
        this.evict(0);
        continue;
      } else {
        [name, value] = this.literal(4); // without indexing or never indexed: not stored
      }
      fieldSeen = true;
      const previous = headers[name];
      if (previous === undefined) headers[name] = value;
      else if (Array.isArray(previous)) previous.push(value);
      else headers[name] = [previous, value];
    }
    return headers;
  }

  /** Entries in the table now, newest first (for tests). */
  get dynamicEntries(): ReadonlyArray<readonly [string, string]> {
    return this.table;
  }

  private entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.table[index - STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`index ${index} beyond the tables`);
    return entry;
  }

  private literal(prefixBits: number): [string, string] {
    const nameIndex = this.integer(prefixBits);
    const name = nameIndex === 0 ? this.string() : this.entry(nameIndex)[0];
    return [name, this.string()];
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(size);
    // An entry larger than the whole table empties it and is not stored (RFC 7541 §4.4).
    if (size > this.tableLimit) return;
    this.table.unshift([name, value]);
    this.tableSize += size;
  }

  /** Drops the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.table.length > 0 && this.tableSize + room > this.tableLimit) {
      const [name, value] = this.table.pop()!;
      this.tableSize -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }

  /** An integer with an N-bit prefix (RFC 7541 §5.1). */
  private integer(prefixBits: number): number {
    const block = this.block;
    if (this.position >= block.length) throw new HpackError('truncated integer');
    const max = (1 << prefixBits) - 1;
    let value = block[this.position++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.position >= block.length) throw new HpackError('truncated integer');
      const byte = block[this.position++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 28) throw new HpackError('integer too large');
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A string literal, raw or Huffman-coded (RFC 7541 §5.2); octets read as Latin-1, as header values are. */
  private string(): string {
    if (this.position >= this.block.length) throw new HpackError('truncated string');
    const huffman = (this.block[this.position]! & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.position;
    const end = start + length;
    if (end > this.block.length) throw new HpackError('truncated string');
    this.position = end;
    if (huffman) return huffmanDecode(this.block, start, end);
    return Buffer.from(this.block.buffer, this.block.byteOffset + start, length).toString('latin1');
  }
}

/** An integer with an N-bit prefix whose other bits are `flags`. */
function writeInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function writeString(out: number[], text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  writeInteger(out, bytes.length, 7, 0);
  for (const byte of bytes) out.push(byte);
}

/**
 * A header block of the given fields, each as a literal without indexing (the name from the static
 * table where it is there), or fully indexed where the static table has the exact field. Nothing enters
 * the server's dynamic table, so any such block can be sent at any time, in any order.
 */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const exact = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (exact >= 0) {
      writeInteger(out, exact + 1, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_TABLE.findIndex(([n]) => n === name);
    writeInteger(out, nameIndex + 1, 4, 0x00);
    if (nameIndex < 0) writeString(out, name);
    writeString(out, value);
  }
  return Buffer.from(out);
}
