// Root key rotation as `python -m codes sync` follows it (codes/SPEC.md §8.1): the current
// root signs a hand-over naming its successor; starting from the pinned root, each statement
// is verified with the root trusted so far, and the successor it names is trusted next.

import { b64uDecode, b64uEncode, pemToDer, utf8Decode } from "./bytes.js";
import { BundleError, jwsVerify } from "./bundle.js";
import { keyFromJwk, rootFromPem } from "./keys.js";

export const TYP_HANDOVER = "hcx-root-handover+json";
const MAX_CHAIN = 64;
const IMPORT = { ES256: { name: "ECDSA", namedCurve: "P-256" }, EdDSA: { name: "Ed25519" } };

async function kidOf(spki) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return b64uEncode(digest.slice(0, 8));
}

function signerKid(doc) {
  try {
    const header = JSON.parse(utf8Decode(b64uDecode(doc.protected)));
    return typeof header.kid === "string" ? header.kid : null;
  } catch {
    return null;
  }
}

async function successor(doc, root, rootKid) {
  const body = await jwsVerify(doc, root, TYP_HANDOVER);
  const keys = Object.keys(body ?? {}).sort().join();
  if (keys !== "from,issued_at,to,type" || body.type !== "root-handover" || body.from !== rootKid) {
    throw new BundleError("hand-over malformed or not from this root");
  }
  const to = body.to;
  if (!to || Object.keys(to).sort().join() !== "alg,jwk,kid" || !(to.alg in IMPORT)) {
    throw new BundleError("hand-over successor needs kid, alg, jwk");
  }
  const { kty, crv, x, y } = to.jwk;
  const clean = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
  const exportable = await crypto.subtle.importKey("jwk", clean, IMPORT[to.alg], true, ["verify"]);
  const kid = await kidOf(await crypto.subtle.exportKey("spki", exportable));
  const key = await keyFromJwk(to.jwk, b64uDecode(to.kid));
  if (kid !== to.kid || key.alg !== to.alg || kid === rootKid) {
    throw new BundleError("hand-over successor kid or alg does not match its key");
  }
  return { key, kid };
}

/** From the pinned PEM, follow the statements as far as they chain: {root, kid, used}. */
export async function follow(pem, docs) {
  let root = await rootFromPem(pem);
  let kid = await kidOf(pemToDer(pem));
  const bySigner = new Map();
  for (const doc of docs) {
    const signer = signerKid(doc);
    if (signer === null) throw new BundleError("hand-over is not a JWS with a kid");
    if (!bySigner.has(signer)) bySigner.set(signer, doc);
  }
  const used = [];
  const seen = new Set([kid]);
  while (bySigner.has(kid) && used.length < MAX_CHAIN) {
    const doc = bySigner.get(kid);
    const next = await successor(doc, root, kid);
    if (seen.has(next.kid)) throw new BundleError("hand-over chain loops");
    seen.add(next.kid);
    root = next.key;
    kid = next.kid;
    used.push(doc);
  }
  return { root, kid, used };
}
