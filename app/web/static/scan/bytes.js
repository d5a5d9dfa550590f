// Byte helpers shared by the verifier: strict unpadded base64url, UTF-8, PEM.

const B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64U_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64U_INDEX[B64U.charCodeAt(i)] = i;

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Decode canonical unpadded base64url (as codes/b64.py); throw on anything else. */
export function b64uDecode(text) {
  if (typeof text !== "string" || text.length % 4 === 1) throw new Error("invalid base64url");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64U_INDEX[c] : -1;
    if (v < 0) throw new Error("invalid base64url character");
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (acc & ((1 << bits) - 1)) throw new Error("non-canonical base64url");
  return out;
}

/** Encode bytes as unpadded base64url. */
export function b64uEncode(bytes) {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64U[(acc >> bits) & 63];
    }
  }
  if (bits) out += B64U[(acc << (6 - bits)) & 63];
  return out;
}

/** Strict UTF-8 decode (invalid sequences throw; a BOM is kept, as Python does). */
export function utf8Decode(bytes) {
  return utf8Strict.decode(bytes);
}

export function utf8Encode(text) {
  return utf8Encoder.encode(text);
}

/** The DER bytes inside a PEM block ("PUBLIC KEY"). */
export function pemToDer(pem) {
  const match = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(pem);
  if (!match) throw new Error("not a PEM public key");
  const raw = atob(match[1].replace(/\s+/g, ""));
  return Uint8Array.from(raw, (ch) => ch.charCodeAt(0));
}

/** Lower-case hex of bytes. */
export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Number of Unicode code points (Python's len() of a str). */
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
