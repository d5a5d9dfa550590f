// COSE_Sign1 (RFC 9052, tag 18) parsing and the Sig_structure, as codes/cose.py.

import { CborError, loads, readHead } from "./cbor.js";

const HDR_ALG = 1;
const HDR_KID = 4;
// "Signature1" as a CBOR text string
const SIG_CONTEXT = Uint8Array.of(0x6a, 0x53, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x31);

function bstrAt(data, pos) {
  const [major, size, next] = readHead(data, pos);
  if (major !== 2 || typeof size === "bigint" || next + size > data.length) {
    throw new CborError("expected a byte string");
  }
  return [data.subarray(next, next + size), next + size];
}

/** Parse a tagged COSE_Sign1 strictly: {protected, algId, kid, payload, signature}. */
export function parseSign1(data) {
  if (data.length < 2 || data[0] !== 0xd2 || data[1] !== 0x84) {
    throw new CborError("expected COSE_Sign1: tag 18 and an array of 4");
  }
  let pos;
  let protectedBytes;
  let payload;
  let signature;
  [protectedBytes, pos] = bstrAt(data, 2);
  if (data[pos] !== 0xa0) throw new CborError("unprotected header must be an empty map");
  [payload, pos] = bstrAt(data, pos + 1);
  [signature, pos] = bstrAt(data, pos);
  if (pos !== data.length) throw new CborError("trailing bytes after COSE_Sign1");
  const header = loads(protectedBytes, 1);
  if (!(header instanceof Map) || header.size !== 2 || !header.has(HDR_ALG) || !header.has(HDR_KID)) {
    throw new CborError("protected header must hold exactly alg and kid");
  }
  const algId = header.get(HDR_ALG);
  const kid = header.get(HDR_KID);
  const intAlg = typeof algId === "number" || typeof algId === "bigint";
  if (!intAlg || !(kid instanceof Uint8Array) || kid.length === 0) {
    throw new CborError("alg must be an int and kid a non-empty byte string");
  }
  return { protected: protectedBytes, algId, kid, payload, signature };
}

function head(major, arg) {
  const mt = major << 5;
  if (arg < 24) return [mt | arg];
  if (arg < 0x100) return [mt | 24, arg];
  if (arg < 0x10000) return [mt | 25, arg >> 8, arg & 0xff];
  return [mt | 26, (arg >>> 24) & 0xff, (arg >> 16) & 0xff, (arg >> 8) & 0xff, arg & 0xff];
}

/** The Sig_structure ["Signature1", protected, h'', payload] that was signed. */
export function sigStructure(protectedBytes, payload) {
  const ph = head(2, protectedBytes.length);
  const pl = head(2, payload.length);
  const out = new Uint8Array(1 + SIG_CONTEXT.length + ph.length + protectedBytes.length + 1 + pl.length + payload.length);
  let n = 0;
  out[n++] = 0x84;
  out.set(SIG_CONTEXT, n);
  n += SIG_CONTEXT.length;
  out.set(ph, n);
  n += ph.length;
  out.set(protectedBytes, n);
  n += protectedBytes.length;
  out[n++] = 0x40;
  out.set(pl, n);
  n += pl.length;
  out.set(payload, n);
  return out;
}
