// Canonical unpadded upper-case RFC 4648 base32 decoding (as codes/base32.py).

const VALID = /^[A-Z2-7]*$/;
const BAD_LENGTHS = new Set([1, 3, 6]);

/** Decode; throw Error for lower case, padding, bad length or non-zero trailing bits. */
export function b32decode(text) {
  if (!VALID.test(text) || BAD_LENGTHS.has(text.length % 8)) {
    throw new Error("not unpadded upper-case base32");
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c >= 65 ? c - 65 : c - 24; // 'A'..'Z' -> 0..25, '2'..'7' -> 26..31
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (acc & ((1 << bits) - 1)) throw new Error("non-zero trailing bits (non-canonical base32)");
  return out;
}
