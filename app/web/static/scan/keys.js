// Verification keys through WebCrypto: ES256 (P-256; COSE and JWS signatures are raw r||s,
// which is WebCrypto's own ECDSA format) and EdDSA (Ed25519, where the browser offers it).

import { b64uDecode, pemToDer } from "./bytes.js";

export const ES256 = "ES256";
export const EDDSA = "EdDSA";
export const ALGORITHMS = [ES256, EDDSA];
export const COSE_ALG_NAMES = new Map([[-7, ES256], [-8, EDDSA]]);

const ECDSA_IMPORT = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_VERIFY = { name: "ECDSA", hash: "SHA-256" };
const ED25519 = { name: "Ed25519" };

/** A trusted public key: {alg, kid (base64url), notAfter (epoch s or null), verify()}. */
export class VerificationKey {
  constructor(cryptoKey, alg, kid, notAfter) {
    this.cryptoKey = cryptoKey;
    this.alg = alg;
    this.kid = kid;
    this.notAfter = notAfter;
  }

  /** True when the raw 64-byte signature is valid for message. */
  async verify(message, signature) {
    if (signature.length !== 64) return false;
    const params = this.alg === ES256 ? ECDSA_VERIFY : ED25519;
    try {
      return await crypto.subtle.verify(params, this.cryptoKey, signature, message);
    } catch {
      return false;
    }
  }
}

function checkedJwk(jwk) {
  if (jwk === null || typeof jwk !== "object" || Array.isArray(jwk)) throw new Error("JWK must be an object");
  if (jwk.kty === "EC" && jwk.crv === "P-256") {
    if (b64uDecode(jwk.x).length !== 32 || b64uDecode(jwk.y).length !== 32) {
      throw new Error("P-256 coordinates must be 32 bytes");
    }
    return [ES256, { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, ECDSA_IMPORT];
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    if (b64uDecode(jwk.x).length !== 32) throw new Error("Ed25519 key must be 32 bytes");
    return [EDDSA, { kty: "OKP", crv: "Ed25519", x: jwk.x }, ED25519];
  }
  throw new Error("unsupported kty/crv");
}

let ed25519Support = null;

/** Whether this browser's WebCrypto verifies Ed25519 (probed once). */
export function ed25519Supported() {
  ed25519Support ??= crypto.subtle
    .importKey("raw", new Uint8Array(32).fill(1), ED25519, false, ["verify"])
    .then(() => true, () => false);
  return ed25519Support;
}

/** The algorithms of `wanted` that this browser can verify. */
export async function usableAlgorithms(wanted) {
  const ed = await ed25519Supported();
  return wanted.filter((alg) => alg === ES256 || (alg === EDDSA && ed));
}

/** Import an EC P-256 or OKP Ed25519 public JWK (throws if invalid). An Ed25519 key in a
 * browser without Ed25519 is kept without a CryptoKey: EdDSA is then not usable here. */
export async function keyFromJwk(jwk, kid, notAfter = null) {
  const [alg, clean, params] = checkedJwk(jwk);
  if (alg === EDDSA && !(await ed25519Supported())) return new VerificationKey(null, alg, kid, notAfter);
  const cryptoKey = await crypto.subtle.importKey("jwk", clean, params, false, ["verify"]);
  return new VerificationKey(cryptoKey, alg, kid, notAfter);
}

/** Import the pinned bundle root key (PEM SubjectPublicKeyInfo, P-256 or Ed25519). */
export async function rootFromPem(pem) {
  const der = pemToDer(pem);
  try {
    const cryptoKey = await crypto.subtle.importKey("spki", der, ECDSA_IMPORT, false, ["verify"]);
    return new VerificationKey(cryptoKey, ES256, null, null);
  } catch {
    const cryptoKey = await crypto.subtle.importKey("spki", der, ED25519, false, ["verify"]);
    return new VerificationKey(cryptoKey, EDDSA, null, null);
  }
}
