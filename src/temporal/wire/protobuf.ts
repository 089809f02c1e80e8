/**
 * The few protobuf wire-format primitives sched-bench's own gRPC client needs: writing the handful of
 * Temporal requests it sends and reading the fields it uses of the answers. Field numbers come from the
 * Temporal API protos (temporal.api.*); a unit test checks every message against the SDK's protobufjs
 * definitions, so a wrong number cannot go unnoticed.
 */

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_BYTES = 2;
const WIRE_32BIT = 5;

/**
 * Builds one message into one growing buffer; fields are appended in call order (protobuf accepts any
 * order). Requests are built on the hot path (a result wait per workflow), so nothing is allocated per
 * field: varints are written in place.
 */
export class ProtoWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(capacity = 128) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a protobuf varint: ${value}`);
    this.reserve(10);
    const { buffer } = this;
    while (value >= 0x80) {
      buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[this.length++] = value;
  }

  /** A non-negative integer, bool or enum (zero is the default and is left out, as protobuf does). */
  uint(field: number, value: number | boolean): this {
    const number = Number(value);
    if (number !== 0) {
      this.varint(field * 8 + WIRE_VARINT);
      this.varint(number);
    }
    return this;
  }

  string(field: number, value: string | undefined): this {
    if (!value) return this;
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(field * 8 + WIRE_BYTES);
    this.varint(length);
    this.reserve(length);
    this.length += this.buffer.write(value, this.length, 'utf8');
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint(field * 8 + WIRE_BYTES);
    this.varint(value.length);
    return this.raw(value);
  }

  /** Bytes already encoded (a prepared part of a message), appended as they are. */
  raw(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A nested message, written even when empty (presence matters for some fields). */
  message(field: number, build: (writer: ProtoWriter) => void): this {
    const nested = new ProtoWriter();
    build(nested);
    return this.bytes(field, nested.finish());
  }

  /** One entry of a `map<string, V>` field (V a message): key 1, value 2. */
  mapEntry(field: number, key: string, value: (writer: ProtoWriter) => void): this {
    return this.message(field, (entry) => entry.string(1, key).message(2, value));
  }

  /** One entry of a `map<string, bytes>` field. */
  bytesMapEntry(field: number, key: string, value: Uint8Array): this {
    return this.message(field, (entry) => entry.string(1, key).bytes(2, value));
  }

  /** The message: a view of this writer's buffer (a writer is used once). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Every value of field `number` (repeated fields in order). */
export function fieldValues(bytes: Uint8Array, number: number): Array<number | Uint8Array> {
  const values: Array<number | Uint8Array> = [];
  const scanner = new ProtoScanner(bytes);
  while (scanner.next()) {
    if (scanner.field !== number) continue;
    if (scanner.isVarint) values.push(scanner.value);
    else if (scanner.isBytes) values.push(scanner.subarray());
  }
  return values;
}

/** The scanner left on the last length-delimited field `number` of a message, or undefined (answers are read this way on the hot path). */
function lastBytesField(bytes: Uint8Array, number: number): ProtoScanner | undefined {
  const scanner = new ProtoScanner(bytes);
  let start = -1;
  let end = -1;
  while (scanner.next()) {
    if (scanner.field === number && scanner.isBytes) {
      start = scanner.start;
      end = scanner.end;
    }
  }
  if (start < 0) return undefined;
  scanner.start = start;
  scanner.end = end;
  return scanner;
}

/** The last value of a length-delimited field (a message, string or bytes), or undefined. */
export function bytesField(bytes: Uint8Array, number: number): Uint8Array | undefined {
  return lastBytesField(bytes, number)?.subarray();
}

export function stringField(bytes: Uint8Array, number: number): string | undefined {
  return lastBytesField(bytes, number)?.string();
}

export function numberField(bytes: Uint8Array, number: number): number {
  let found = 0;
  const scanner = new ProtoScanner(bytes);
  while (scanner.next()) if (scanner.field === number && scanner.isVarint) found = scanner.value;
  return found;
}

/**
 * Reads one message field by field without allocating (no generator, no subarray): the fast path for
 * answers read whole, such as history pages, where most fields are skipped. A length-delimited field
 * is left as its bounds (`start`, `end`) in `bytes`; `nested()` reads it as a message.
 */
export class ProtoScanner {
  /** The current field's number and wire type (after next() returned true). */
  field = 0;
  wireType = 0;
  /** A varint field's value. */
  value = 0;
  /** A length-delimited field's bounds in `bytes`. */
  start = 0;
  end = 0;
  private offset: number;

  constructor(readonly bytes: Uint8Array, from = 0, private readonly limit = bytes.length) {
    this.offset = from;
  }

  /** Moves to the next field; false at the end of the message. Throws on malformed input. */
  next(): boolean {
    if (this.offset >= this.limit) return false;
    const tag = this.varint();
    this.wireType = tag % 8;
    this.field = Math.floor(tag / 8);
    if (this.wireType === WIRE_VARINT) this.value = this.varint();
    else if (this.wireType === WIRE_BYTES) {
      const length = this.varint();
      this.start = this.offset;
      this.end = this.offset + length;
      if (this.end > this.limit) throw new RangeError('truncated field');
      this.offset = this.end;
    } else if (this.wireType === WIRE_64BIT || this.wireType === WIRE_32BIT) {
      this.offset += this.wireType === WIRE_64BIT ? 8 : 4;
      if (this.offset > this.limit) throw new RangeError('truncated field');
    } else throw new RangeError(`unsupported wire type ${this.wireType}`);
    return true;
  }

  /** Whether the current field is length-delimited (a message, string or bytes). */
  get isBytes(): boolean {
    return this.wireType === WIRE_BYTES;
  }

  /** Whether the current field is a varint (an integer, bool or enum). */
  get isVarint(): boolean {
    return this.wireType === WIRE_VARINT;
  }

  /** The current length-delimited field read as a message. */
  nested(): ProtoScanner {
    return new ProtoScanner(this.bytes, this.start, this.end);
  }

  /** The current length-delimited field as UTF-8 text. */
  string(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.start, this.end - this.start).toString('utf8');
  }

  /** The current length-delimited field's bytes (a view, not a copy). */
  subarray(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  private varint(): number {
    const { bytes } = this;
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.offset >= this.limit || shift > 63) throw new RangeError('bad varint');
      const byte = bytes[this.offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }
}
