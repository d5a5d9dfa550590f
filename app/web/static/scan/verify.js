// Verifying code text against a trust bundle, in the browser, with the reasons and the
// check order of codes/verify.py (first failure wins):
// CLOCK_BEHIND, BUNDLE_STALE, MALFORMED/BAD_PREFIX/WRONG_KIND/BAD_ENCODING, MALFORMED
// (framing), ALG_NOT_ALLOWED, UNKNOWN_KEY, BAD_SIGNATURE, WRONG_KIND/MALFORMED (claims),
// NOT_YET_VALID, EXPIRED, REVOKED. Times are epoch seconds.

import { b32decode } from "./base32.js";
import { revocationHash } from "./bundle.js";
import { b64uEncode, codePoints } from "./bytes.js";
import { loads } from "./cbor.js";
import { claimsFromMap, signedKind } from "./claims.js";
import { parseSign1, sigStructure } from "./cose.js";
import { ALGORITHMS, COSE_ALG_NAMES, usableAlgorithms } from "./keys.js";
import { HEALTH, kindByText } from "./kinds.js";

export const MAX_TEXT_CHARS = 4096;
export const MAX_CODE_BYTES = 2048;
export const DEFAULT_LEEWAY = 60;

/** A code that did not verify; `.reason` is a codes.errors.Reason value. */
export class Refused extends Error {
  constructor(reason, detail, seen = null) {
    super(detail);
    this.reason = reason;
    this.seen = seen; // what a valid signature showed (expiry, code id, kid), if any
  }
}

function decodeText(text, kinds) {
  if (typeof text !== "string") throw new Refused("MALFORMED", "code text must be a string");
  if (text.length > MAX_TEXT_CHARS && codePoints(text) > MAX_TEXT_CHARS) {
    throw new Refused("MALFORMED", "code text too long");
  }
  const kind = kindByText(text);
  if (!kind) throw new Refused("BAD_PREFIX", "no known code prefix");
  if (!kinds.includes(kind)) throw new Refused("WRONG_KIND", `a ${kind.name} code is not accepted here`);
  let data;
  try {
    data = b32decode(text.slice(kind.prefix.length));
  } catch (err) {
    throw new Refused("BAD_ENCODING", err.message);
  }
  if (data.length > MAX_CODE_BYTES) throw new Refused("MALFORMED", "code too long");
  return [kind, data];
}

async function findKey(candidates, message, signature) {
  for (const key of candidates) if (await key.verify(message, signature)) return key;
  return null;
}

/**
 * Verify code text; resolve to the verified claims (plus kind, kid, alg, expiresAt capped by
 * the key's not_after, and the decoded claims `map`) or reject with Refused.
 */
export async function verify(text, bundle, { now, leeway = DEFAULT_LEEWAY, algorithms = ALGORITHMS, checkFreshness = true, kinds = [HEALTH] }) {
  if (!(leeway >= 0)) throw new RangeError("leeway must not be negative");
  if (now < bundle.issuedAt - leeway) throw new Refused("CLOCK_BEHIND", "device clock is earlier than the bundle");
  if (checkFreshness && now > bundle.issuedAt + bundle.maxOfflineAge) {
    throw new Refused("BUNDLE_STALE", "trust bundle is too old; sync it");
  }
  const [kind, data] = decodeText(text, kinds);
  let sign1;
  try {
    sign1 = parseSign1(data);
  } catch (err) {
    throw new Refused("MALFORMED", `not a valid COSE_Sign1: ${err.message}`);
  }
  const alg = COSE_ALG_NAMES.get(sign1.algId);
  if (!alg || !(await usableAlgorithms(algorithms)).includes(alg)) {
    throw new Refused("ALG_NOT_ALLOWED", `algorithm ${sign1.algId} is not allowed`);
  }
  const candidates = bundle.keysFor(b64uEncode(sign1.kid)).filter((k) => k.alg === alg);
  if (!candidates.length) throw new Refused("UNKNOWN_KEY", "no trusted key for this kid");
  const key = await findKey(candidates, sigStructure(sign1.protected, sign1.payload), sign1.signature);
  if (!key) throw new Refused("BAD_SIGNATURE", "signature does not verify");
  let claims;
  let map;
  try {
    map = loads(sign1.payload);
    const signed = signedKind(map);
    if (signed && !kinds.includes(signed)) throw new Refused("WRONG_KIND", `the signed claims are of a ${signed.name} code`);
    if (signed !== kind) throw new Error("the text prefix does not match the signed kind");
    claims = claimsFromMap(map, kind);
  } catch (err) {
    if (err instanceof Refused) throw err;
    throw new Refused("MALFORMED", `invalid claims: ${err.message}`);
  }
  const expiresAt = key.notAfter !== null && key.notAfter < claims.expiresAt ? key.notAfter : claims.expiresAt;
  const code = { ...claims, kind: kind.name, kid: key.kid, alg, expiresAt, map };
  if (claims.issuedAt > now + leeway) throw new Refused("NOT_YET_VALID", "code issued in the future", code);
  if (now >= expiresAt + leeway) throw new Refused("EXPIRED", "code expired", code);
  const before = bundle.revokedBefore(await revocationHash(kind.name, claims.subject));
  if (before !== null && claims.issuedAt < before) throw new Refused("REVOKED", "code withdrawn", code);
  return code;
}

/** Like verify() but never rejects for any text: the result as codes.VerificationResult.to_dict
 * (expires_at in epoch seconds). */
export async function check(text, bundle, options) {
  try {
    const code = await verify(text, bundle, options);
    return {
      valid: true,
      reason: null,
      color: code.color ?? null,
      holder_name: code.holder_name ?? null,
      id_last4: code.id_last4 ?? null,
      expires_at: code.expiresAt,
      code_id: code.codeId,
      kid: code.kid,
      kind: code.kind,
    };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    const seen = err.seen;
    return {
      valid: false,
      reason: err.reason,
      color: null,
      holder_name: null,
      id_last4: null,
      expires_at: seen ? seen.expiresAt : null,
      code_id: seen ? seen.codeId : null,
      kid: seen ? seen.kid : null,
      kind: seen ? seen.kind : null,
    };
  }
}
