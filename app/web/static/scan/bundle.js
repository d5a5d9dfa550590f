// The signed trust bundle (codes/bundle.py, codes/jws.py): JWS verification against the
// pinned root key, strict payload parsing, deltas. Times are epoch seconds. Revocations are
// held by the hex of their 8-byte hash of (kind, subject) (codes/packed.py, SPEC §8.2):
// packed payloads ("rev_format": 2) carry only those hashes; entries of the older list form
// are hashed on load.

import { b64uDecode, utf8Decode, utf8Encode } from "./bytes.js";
import { ALGORITHMS, keyFromJwk } from "./keys.js";
import { MAX_TEXT_CLAIM } from "./kinds.js";

export const TYP_BUNDLE = "hcx-trust+json";
export const TYP_DELTA = "hcx-trust-delta+json";
export const MAX_DOC_CHARS = 16 * 1024 * 1024;
const MAX_TIME = 253402300799;
const MAX_OFFLINE_AGE_CAP = 365 * 86400;
const REV_FORMAT = 2;
const HASH_BYTES = 8;
const MAX_VARINT_BYTES = 6;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class BundleError extends Error {}
/** The delta is not based on the held bundle: fetch a full one. */
export class DeltaMismatch extends BundleError {}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function require(obj, fields) {
  if (!isObject(obj)) throw new BundleError("expected an object");
  const keys = Object.keys(obj);
  if (keys.length !== fields.length || !fields.every((f) => Object.hasOwn(obj, f))) {
    throw new BundleError(`expected an object with exactly ${fields.join(", ")}`);
  }
}

function uint(value, name) {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 63) throw new BundleError(`${name} must be a non-negative integer`);
  return value;
}

function time(value, name) {
  if (!Number.isInteger(value) || value < 0 || value > MAX_TIME) throw new BundleError(`${name} must be epoch seconds`);
  return value;
}

function maxAge(value) {
  const age = uint(value, "max_offline_age");
  if (age <= 0 || age > MAX_OFFLINE_AGE_CAP) throw new BundleError("max_offline_age out of range");
  return age;
}

const KIND_NAME = /^[a-z][a-z0-9_]{0,15}$/;
const isSubject = (v) => typeof v === "string" && v.length > 0 && utf8Encode(v).length <= MAX_TEXT_CLAIM;

/** [kind, sub] of a revocation entry; entries without "kind" (older bundles) are health. */
function target(item) {
  const keys = isObject(item) ? Object.keys(item) : null;
  if (!keys || !keys.includes("sub") || keys.some((k) => k !== "kind" && k !== "sub")) {
    throw new BundleError("revocation entry must be an object with kind and sub");
  }
  const kind = Object.hasOwn(item, "kind") ? item.kind : "health";
  if (typeof kind !== "string" || !KIND_NAME.test(kind) || !isSubject(item.sub)) {
    throw new BundleError("revocation kind must be a kind name and sub non-empty text");
  }
  return [kind, item.sub];
}

/** Hex of the first 8 bytes of SHA-256(UTF-8 kind || 0x00 || UTF-8 subject). */
export async function revocationHash(kind, subject) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(`${kind}\u0000${subject}`)));
  return hexHashes(digest.subarray(0, HASH_BYTES))[0];
}

function hexHashes(bytes) {
  const out = new Array(bytes.length / HASH_BYTES);
  for (let i = 0, n = 0; i < bytes.length; i += HASH_BYTES, n++) {
    let text = "";
    for (let j = i; j < i + HASH_BYTES; j++) text += HEX[bytes[j]];
    out[n] = text;
  }
  return out;
}

function packedBytes(text) {
  try {
    return b64uDecode(text);
  } catch (err) {
    throw new BundleError(`packed revocations: ${err.message}`);
  }
}

function packedHashes(text) {
  const bytes = packedBytes(text);
  if (bytes.length % HASH_BYTES) throw new BundleError(`packed hashes must be a multiple of ${HASH_BYTES} bytes`);
  return hexHashes(bytes);
}

/** Exactly `count` running sums of shortest-form LEB128 varints (numbers, not 32-bit ints). */
function packedTimes(text, count) {
  const bytes = packedBytes(text);
  const out = [];
  let total = 0;
  let i = 0;
  while (i < bytes.length) {
    let byte = bytes[i++];
    let step = byte & 0x7f;
    let length = 1;
    while (byte & 0x80) {
      if (++length > MAX_VARINT_BYTES) throw new BundleError(`a varint is longer than ${MAX_VARINT_BYTES} bytes`);
      if (i === bytes.length) throw new BundleError("packed before times end inside a varint");
      byte = bytes[i++];
      step += (byte & 0x7f) * 2 ** (7 * (length - 1));
      if (byte === 0) throw new BundleError("a varint is not in shortest form");
    }
    total += step;
    if (total > MAX_TIME) throw new BundleError("a before time is beyond the year 9999");
    out.push(total);
  }
  if (out.length !== count) throw new BundleError(`${out.length} before times for ${count} hashes`);
  return out;
}

function byKind(obj, name) {
  if (!isObject(obj)) throw new BundleError(`${name} must be an object keyed by kind name`);
  const kinds = Object.entries(obj);
  for (const [kind] of kinds) if (!KIND_NAME.test(kind)) throw new BundleError(`${name}: ${kind} is not a kind name`);
  return kinds;
}

/** [{kind, hash, before}] of packed revocations ({kind: {before, hash}}). */
function parsePacked(obj) {
  const out = [];
  for (const [kind, group] of byKind(obj, "revocations")) {
    require(group, ["before", "hash"]);
    const hashes = packedHashes(group.hash);
    const times = packedTimes(group.before, hashes.length);
    for (let i = 0; i < hashes.length; i++) out.push({ kind, hash: hashes[i], before: times[i] });
  }
  return out;
}

/** Whether a payload names a revocation format; only REV_FORMAT (packed) exists. */
function isPacked(obj) {
  if (!isObject(obj) || !Object.hasOwn(obj, "rev_format")) return false;
  if (obj.rev_format !== REV_FORMAT) throw new BundleError(`unknown rev_format ${JSON.stringify(obj.rev_format)}`);
  return true;
}

/** Entries by hash; of several with one hash, the one with the latest before. */
function latest(entries) {
  const revoked = new Map();
  for (const entry of entries) {
    const held = revoked.get(entry.hash);
    if (!held || held.before < entry.before) revoked.set(entry.hash, entry);
  }
  return revoked;
}

async function parseKeys(items) {
  if (!Array.isArray(items)) throw new BundleError("keys must be a list");
  return Promise.all(
    items.map(async (item) => {
      require(item, ["kid", "alg", "jwk", "not_after"]);
      if (!ALGORITHMS.includes(item.alg)) throw new BundleError(`unsupported key alg ${item.alg}`);
      const notAfter = item.not_after === null ? null : time(item.not_after, "not_after");
      let key;
      try {
        if (b64uDecode(item.kid).length === 0) throw new Error("empty kid");
        key = await keyFromJwk(item.jwk, item.kid, notAfter);
      } catch (err) {
        throw new BundleError(`invalid key entry: ${err.message}`);
      }
      if (key.alg !== item.alg) throw new BundleError("key entry alg does not match its JWK");
      return key;
    }),
  );
}

/** [{kind, hash, before}] of revocations in the list form ({kind, sub, before}). */
async function parseRevocations(items) {
  if (!Array.isArray(items)) throw new BundleError("revocations must be a list");
  const entries = items.map((item) => {
    if (!isObject(item) || !Object.hasOwn(item, "before")) throw new BundleError("revocation entry must have before");
    const { before, ...rest } = item;
    const [kind, sub] = target(rest);
    return { kind, sub, before: time(before, "before") };
  });
  return Promise.all(entries.map(async ({ kind, sub, before }) => ({ kind, hash: await revocationHash(kind, sub), before })));
}

/** Hashes removed by a delta: packed ({kind: hashes}) or a list of {kind, sub} / bare subjects. */
async function parseRemoved(items, packed) {
  if (packed) return byKind(items, "revocations_removed").flatMap(([, text]) => packedHashes(text));
  if (!Array.isArray(items)) throw new BundleError("revocations_removed must be a list");
  // Older deltas list bare subjects: those are health-code revocations.
  return Promise.all(items.map((i) => revocationHash(...target(typeof i === "string" ? { sub: i } : i))));
}

/** Per-kind cut-offs of a packed delta ({kind: time}): held entries of the kind before it go. */
function parseExpired(obj) {
  return new Map(byKind(obj, "revocations_expired").map(([kind, cutoff]) => [kind, time(cutoff, "revocations_expired")]));
}

/** Verified trust state: keys by kid, revocation entries by hash, seq and signed time. */
export class TrustBundle {
  constructor({ seq, issuedAt, keys, revoked, maxOfflineAge }) {
    Object.assign(this, { seq, issuedAt, keys, revoked, maxOfflineAge });
    this.byKid = new Map();
    for (const key of keys) this.byKid.set(key.kid, [...(this.byKid.get(key.kid) ?? []), key]);
  }

  keysFor(kid) {
    return this.byKid.get(kid) ?? [];
  }

  /** How many codes' holders are withdrawn (one entry per hash). */
  get revocationCount() {
    return this.revoked.size;
  }

  /** The revocation cut-off for a revocationHash(kind, subject), or null. */
  revokedBefore(hash) {
    return this.revoked.get(hash)?.before ?? null;
  }
}

/** The unverified JWS typ of a document (to tell a delta from a full bundle). */
export function jwsTyp(doc) {
  try {
    const header = JSON.parse(utf8Decode(b64uDecode(doc.protected)));
    return isObject(header) && typeof header.typ === "string" ? header.typ : null;
  } catch {
    return null;
  }
}

/** Verify a flattened JWS against the root key; return the parsed JSON payload. */
export async function jwsVerify(doc, root, typ) {
  require(doc, ["protected", "payload", "signature"]);
  const { protected: prot, payload: body, signature: sig } = doc;
  if (![prot, body, sig].every((v) => typeof v === "string")) throw new BundleError("JWS members must be strings");
  if (body.length > MAX_DOC_CHARS) throw new BundleError("bundle document too large");
  let header;
  let payload;
  let signature;
  try {
    header = JSON.parse(utf8Decode(b64uDecode(prot)));
    payload = b64uDecode(body);
    signature = b64uDecode(sig);
  } catch {
    throw new BundleError("JWS members are not valid base64url/JSON");
  }
  if (!isObject(header) || header.typ !== typ) throw new BundleError(`JWS typ must be ${typ}`);
  if (header.alg !== root.alg || Object.keys(header).some((k) => !["alg", "kid", "typ"].includes(k))) {
    throw new BundleError("JWS header alg does not match the pinned root key");
  }
  if (!(await root.verify(utf8Encode(`${prot}.${body}`), signature))) {
    throw new BundleError("bundle signature does not verify against the root key");
  }
  try {
    return JSON.parse(utf8Decode(payload));
  } catch {
    throw new BundleError("signed payload is not JSON");
  }
}

/** Verify a signed full bundle; refuse rollback below held.seq. */
export async function loadBundle(doc, root, held = null) {
  const obj = await jwsVerify(doc, root, TYP_BUNDLE);
  const packed = isPacked(obj);
  const fields = ["type", "seq", "issued_at", "max_offline_age", "keys", "revocations"];
  require(obj, packed ? [...fields, "rev_format"] : fields);
  if (obj.type !== "bundle") throw new BundleError("payload type must be 'bundle'");
  const bundle = new TrustBundle({
    seq: uint(obj.seq, "seq"),
    issuedAt: time(obj.issued_at, "issued_at"),
    maxOfflineAge: maxAge(obj.max_offline_age),
    revoked: latest(packed ? parsePacked(obj.revocations) : await parseRevocations(obj.revocations)),
    keys: await parseKeys(obj.keys),
  });
  if (held && bundle.seq < held.seq) throw new BundleError(`bundle seq ${bundle.seq} is older than held ${held.seq}`);
  return bundle;
}

/** Parse a verified delta payload (exposed for "refresh only" checks). */
export async function parseDelta(doc, root) {
  const obj = await jwsVerify(doc, root, TYP_DELTA);
  const packed = isPacked(obj);
  const fields = ["type", "base_seq", "seq", "issued_at", "max_offline_age", "keys", "revocations_added", "revocations_removed"];
  const expired = packed && Object.hasOwn(obj, "revocations_expired");
  if (packed) fields.push("rev_format");
  if (expired) fields.push("revocations_expired");
  require(obj, fields);
  if (obj.type !== "delta") throw new BundleError("payload type must be 'delta'");
  return {
    baseSeq: uint(obj.base_seq, "base_seq"),
    seq: uint(obj.seq, "seq"),
    issuedAt: time(obj.issued_at, "issued_at"),
    keys: await parseKeys(obj.keys),
    added: packed ? parsePacked(obj.revocations_added) : await parseRevocations(obj.revocations_added),
    removed: await parseRemoved(obj.revocations_removed, packed),
    expired: expired ? parseExpired(obj.revocations_expired) : new Map(),
    maxOfflineAge: maxAge(obj.max_offline_age),
  };
}

/** Verify a signed delta and apply it to held; refuse rollback and base mismatch. */
export async function applyDelta(held, doc, root) {
  const delta = await parseDelta(doc, root);
  if (delta.seq < held.seq) throw new BundleError(`delta seq ${delta.seq} is older than held ${held.seq}`);
  if (delta.baseSeq !== held.seq || delta.seq < delta.baseSeq) {
    throw new DeltaMismatch(`delta is from seq ${delta.baseSeq}, held is ${held.seq}`);
  }
  // entries before their kind's cut-off go, then removed hashes; an added entry replaces any
  // held entry with its hash
  const revoked = new Map(held.revoked);
  if (delta.expired.size) {
    for (const [hash, entry] of held.revoked) {
      if (delta.expired.has(entry.kind) && entry.before < delta.expired.get(entry.kind)) revoked.delete(hash);
    }
  }
  for (const hash of delta.removed) revoked.delete(hash);
  for (const [hash, entry] of latest(delta.added)) revoked.set(hash, entry);
  return new TrustBundle({
    seq: delta.seq,
    issuedAt: delta.issuedAt,
    keys: delta.keys,
    revoked,
    maxOfflineAge: delta.maxOfflineAge,
  });
}
