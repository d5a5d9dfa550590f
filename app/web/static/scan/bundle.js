// The signed trust bundle (codes/bundle.py, codes/jws.py): JWS verification against the
// pinned root key, strict payload parsing, deltas. Times are epoch seconds.

import { b64uDecode, utf8Decode, utf8Encode } from "./bytes.js";
import { ALGORITHMS, keyFromJwk } from "./keys.js";
import { MAX_TEXT_CLAIM } from "./kinds.js";

export const TYP_BUNDLE = "hcx-trust+json";
export const TYP_DELTA = "hcx-trust-delta+json";
export const MAX_DOC_CHARS = 16 * 1024 * 1024;
const MAX_TIME = 253402300799;
const MAX_OFFLINE_AGE_CAP = 365 * 86400;

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

const targetKey = (kind, sub) => `${kind}\u0000${sub}`;

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

function parseRevocations(items) {
  if (!Array.isArray(items)) throw new BundleError("revocations must be a list");
  return items.map((item) => {
    if (!isObject(item) || !Object.hasOwn(item, "before")) throw new BundleError("revocation entry must have before");
    const { before, ...rest } = item;
    const [kind, sub] = target(rest);
    return { kind, sub, before: time(before, "before") };
  });
}

function parseRemoved(items) {
  if (!Array.isArray(items)) throw new BundleError("revocations_removed must be a list");
  // Older deltas list bare subjects: those are health-code revocations.
  return items.map((i) => targetKey(...target(typeof i === "string" ? { sub: i } : i)));
}

/** Verified trust state: keys by kid, revocation cut-offs by subject, seq and signed time. */
export class TrustBundle {
  constructor({ seq, issuedAt, keys, revocations, maxOfflineAge }) {
    Object.assign(this, { seq, issuedAt, keys, revocations, maxOfflineAge });
    this.byKid = new Map();
    for (const key of keys) this.byKid.set(key.kid, [...(this.byKid.get(key.kid) ?? []), key]);
    this.revoked = new Map();
    for (const { kind, sub, before } of revocations) {
      const key = targetKey(kind, sub);
      if (!this.revoked.has(key) || this.revoked.get(key) < before) this.revoked.set(key, before);
    }
  }

  keysFor(kid) {
    return this.byKid.get(kid) ?? [];
  }

  /** The revocation cut-off for codes of kind (a kind name) for subject, or null. */
  revokedBefore(kind, subject) {
    return this.revoked.get(targetKey(kind, subject)) ?? null;
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
  require(obj, ["type", "seq", "issued_at", "max_offline_age", "keys", "revocations"]);
  if (obj.type !== "bundle") throw new BundleError("payload type must be 'bundle'");
  const bundle = new TrustBundle({
    seq: uint(obj.seq, "seq"),
    issuedAt: time(obj.issued_at, "issued_at"),
    maxOfflineAge: maxAge(obj.max_offline_age),
    revocations: parseRevocations(obj.revocations),
    keys: await parseKeys(obj.keys),
  });
  if (held && bundle.seq < held.seq) throw new BundleError(`bundle seq ${bundle.seq} is older than held ${held.seq}`);
  return bundle;
}

/** Parse a verified delta payload (exposed for "refresh only" checks). */
export async function parseDelta(doc, root) {
  const obj = await jwsVerify(doc, root, TYP_DELTA);
  const fields = ["type", "base_seq", "seq", "issued_at", "max_offline_age", "keys"];
  require(obj, [...fields, "revocations_added", "revocations_removed"]);
  if (obj.type !== "delta") throw new BundleError("payload type must be 'delta'");
  return {
    baseSeq: uint(obj.base_seq, "base_seq"),
    seq: uint(obj.seq, "seq"),
    issuedAt: time(obj.issued_at, "issued_at"),
    keys: await parseKeys(obj.keys),
    added: parseRevocations(obj.revocations_added),
    removed: parseRemoved(obj.revocations_removed),
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
  const gone = new Set([...delta.removed, ...delta.added.map((r) => targetKey(r.kind, r.sub))]);
  return new TrustBundle({
    seq: delta.seq,
    issuedAt: delta.issuedAt,
    keys: delta.keys,
    revocations: [...held.revocations.filter((r) => !gone.has(targetKey(r.kind, r.sub))), ...delta.added],
    maxOfflineAge: delta.maxOfflineAge,
  });
}
