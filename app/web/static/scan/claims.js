// Strict parsing of a verified CWT claims map of one kind (codes/claims.py).

import { b64uEncode, utf8Encode } from "./bytes.js";
import { MAX_TEXT_CLAIM, kindByClaimKey } from "./kinds.js";

const ISS = 1;
const SUB = 2;
const EXP = 4;
const IAT = 6;
const CTI = 7;
const REGISTERED = [ISS, SUB, EXP, IAT, CTI];
const MAX_TIME = 253402300799;

export class ClaimsError extends Error {}

function textValue(name, value, maxBytes) {
  if (typeof value !== "string" || !value || utf8Encode(value).length > maxBytes) {
    throw new ClaimsError(`${name} must be non-empty text of at most ${maxBytes} UTF-8 bytes`);
  }
  return value;
}

function checked(spec, value) {
  if (spec.type === "uint") {
    if (typeof value !== "number" || value < spec.min || value > spec.max) throw new ClaimsError(`${spec.name} out of range`);
    return value;
  }
  if (spec.type === "text_set") {
    const items = Array.isArray(value) ? value : [];
    const canonical = spec.choices.filter((c) => items.includes(c));
    if (!items.length || items.length !== canonical.length || items.some((v, i) => v !== canonical[i])) {
      throw new ClaimsError(`${spec.name} must list distinct allowed values in order`);
    }
    return items;
  }
  const out = textValue(spec.name, value, spec.maxBytes ?? MAX_TEXT_CLAIM);
  if (spec.pattern && !spec.pattern.test(out)) throw new ClaimsError(`${spec.name} has the wrong form`);
  if (spec.choices && !spec.choices.includes(out)) throw new ClaimsError(`${spec.name} is not an allowed value`);
  return out;
}

function field(map, key, type) {
  const value = map.get(key);
  const ok = type === "bytes" ? value instanceof Uint8Array : typeof value === type;
  if (!ok) throw new ClaimsError(`claim ${key} missing or not ${type}`);
  return value;
}

function checkTimes(iat, exp, kind) {
  if (!(iat >= 0 && iat < exp && exp <= MAX_TIME)) throw new ClaimsError("need 0 <= iat < exp");
  if (exp - iat > kind.maxLifetime) throw new ClaimsError(`a ${kind.name} code lives longer than allowed`);
}

/** The kind named by the map's one private-use key (below -65536), if any. */
export function signedKind(map) {
  if (!(map instanceof Map)) return null;
  const keys = [...map.keys()].filter((k) => (typeof k === "number" || typeof k === "bigint") && k < -65536);
  return keys.length === 1 ? kindByClaimKey(keys[0]) : null;
}

/** Parse claims of kind: {issuer, subject, issuedAt, expiresAt, codeId, ...fields}. */
export function claimsFromMap(map, kind) {
  const expected = [...REGISTERED, kind.claimKey];
  if (!(map instanceof Map) || map.size !== expected.length || !expected.every((k) => map.has(k))) {
    throw new ClaimsError(`claims must hold exactly iss, sub, iat, exp, cti, ${kind.name}`);
  }
  const priv = map.get(kind.claimKey);
  if (!(priv instanceof Map)) throw new ClaimsError("private claim must be a map");
  const known = new Set(kind.fields.map((f) => f.key));
  if ([...priv.keys()].some((k) => !known.has(k)) || kind.fields.some((f) => f.required && !priv.has(f.key))) {
    throw new ClaimsError(`private claim of a ${kind.name} code has missing or unknown keys`);
  }
  const iat = field(map, IAT, "number");
  const exp = field(map, EXP, "number");
  checkTimes(iat, exp, kind);
  const cti = field(map, CTI, "bytes");
  if (cti.length < 8 || cti.length > 32) throw new ClaimsError("cti must be 8 to 32 bytes");
  const claims = {
    issuer: textValue("iss", field(map, ISS, "string"), MAX_TEXT_CLAIM),
    subject: textValue("sub", field(map, SUB, "string"), MAX_TEXT_CLAIM),
    issuedAt: iat,
    expiresAt: exp,
    codeId: b64uEncode(cti),
  };
  for (const spec of kind.fields) if (priv.has(spec.key)) claims[spec.name] = checked(spec, priv.get(spec.key));
  return claims;
}
