// The strict CBOR subset of codes/cbor.py: unsigned/negative integers, byte and text
// strings, arrays, and maps with integer or text keys; definite lengths in shortest form,
// no duplicate keys, bounded depth, no trailing bytes. Tags, floats and simple values are
// refused. Maps decode to Map (keys: numbers or strings), byte strings to Uint8Array.
// Arguments above 2^53 decode to BigInt (no claim accepts them).

import { utf8Decode } from "./bytes.js";

export const MAX_DEPTH = 4;

export class CborError extends Error {}

/** Read an item head at pos: [major, argument, next position]. */
export function readHead(data, pos) {
  if (pos >= data.length) throw new CborError("unexpected end of data");
  const ib = data[pos];
  const major = ib >> 5;
  const info = ib & 0x1f;
  if (info < 24) return [major, info, pos + 1];
  if (info > 27) throw new CborError("indefinite length or reserved value");
  const size = 1 << (info - 24);
  const end = pos + 1 + size;
  if (end > data.length) throw new CborError("unexpected end of data");
  let arg = 0;
  for (let i = pos + 1; i < end; i++) arg = arg * 256 + data[i];
  if (size === 8 && arg > Number.MAX_SAFE_INTEGER) {
    arg = 0n;
    for (let i = pos + 1; i < end; i++) arg = (arg << 8n) | BigInt(data[i]);
  }
  const least = size === 1 ? 24 : 2 ** (4 * size);
  if (arg < least) throw new CborError("argument not in shortest form");
  return [major, arg, end];
}

function negate(arg) {
  return typeof arg === "bigint" ? -1n - arg : -1 - arg;
}

function item(data, pos, depth) {
  const [major, arg, next] = readHead(data, pos);
  pos = next;
  if (major === 0) return [arg, pos];
  if (major === 1) return [negate(arg), pos];
  if (major === 2 || major === 3) {
    if (typeof arg === "bigint" || pos + arg > data.length) {
      throw new CborError("string runs past end of data");
    }
    const raw = data.subarray(pos, pos + arg);
    if (major === 2) return [raw, pos + arg];
    try {
      return [utf8Decode(raw), pos + arg];
    } catch {
      throw new CborError("invalid UTF-8 in text string");
    }
  }
  if (major === 4 || major === 5) {
    if (depth <= 0) throw new CborError("nesting too deep");
    if (typeof arg === "bigint" || arg > data.length - pos) {
      throw new CborError("container longer than data");
    }
    if (major === 4) {
      const items = [];
      for (let i = 0; i < arg; i++) {
        let value;
        [value, pos] = item(data, pos, depth - 1);
        items.push(value);
      }
      return [items, pos];
    }
    const map = new Map();
    for (let i = 0; i < arg; i++) {
      let key;
      let value;
      [key, pos] = item(data, pos, 0);
      const kind = typeof key;
      if (kind !== "number" && kind !== "bigint" && kind !== "string") {
        throw new CborError("map key must be an integer or text");
      }
      if (map.has(key)) throw new CborError("duplicate map key");
      [value, pos] = item(data, pos, depth - 1);
      map.set(key, value);
    }
    return [map, pos];
  }
  throw new CborError("tags, floats and simple values are not accepted");
}

/** Decode exactly one item, refusing anything outside the strict subset. */
export function loads(data, maxDepth = MAX_DEPTH) {
  const [value, pos] = item(data, 0, maxDepth);
  if (pos !== data.length) throw new CborError("trailing bytes after item");
  return value;
}
