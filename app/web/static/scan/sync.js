// Trust sync as `python -m codes sync` does it: pin the root key on the first sync
// (GET /v1/trust/root), then ask for deltas (?since=SEQ, If-None-Match) and fall back to
// the full bundle; refuse rollback; verify everything with the pinned root (WebCrypto), or
// with the root it handed over to (GET /v1/trust/handovers, codes/SPEC.md §8.1).

import { hex, utf8Encode } from "./bytes.js";
import { DeltaMismatch, TYP_BUNDLE, TYP_DELTA, applyDelta, jwsTyp, loadBundle, parseDelta } from "./bundle.js";
import { follow } from "./handover.js";
import { loadDevice, saveDevice } from "./store.js";

const TRUST = "/v1/trust";
const MAX_DELTAS = 32;

export class SyncError extends Error {}

async function get(url, etag = null) {
  const headers = { Accept: "application/json" };
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    response = await fetch(url, { headers, cache: "no-store", credentials: "omit" });
  } catch {
    throw new SyncError("the server cannot be reached");
  }
  if (response.status === 304) return null;
  if (!response.ok) throw new SyncError(`server answered HTTP ${response.status}`, { cause: response.status });
  return response;
}

/** SHA-256 of the pinned PEM (the same value as `sha256sum root.pem`). */
export async function fingerprint(pem) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(pem))));
}

/** The verified bundle a device state holds (its documents re-verified now). */
export async function replay(device) {
  const { root } = await follow(device.root_pem, device.handovers ?? []);
  let bundle = await loadBundle(device.doc, root);
  for (const delta of device.deltas) bundle = await applyDelta(bundle, delta, root);
  return bundle;
}

async function isRefreshOnly(doc, root) {
  const delta = await parseDelta(doc, root);
  return delta.baseSeq === delta.seq && !delta.added.length && !delta.removed.length && !delta.expired.size;
}

async function storeFull(device, root, held, doc, etag) {
  const bundle = await loadBundle(doc, root, held);
  await saveDevice({ ...device, doc, deltas: [], etag, synced_at: Date.now() / 1000 });
  return { bundle, changed: true, delta: false };
}

async function fetchHandovers() {
  try {
    const response = await get(`${TRUST}/handovers`);
    const body = response ? await response.json() : null;
    if (!body || !Array.isArray(body.handovers)) throw new SyncError("malformed hand-over list");
    return body.handovers;
  } catch (err) {
    if (err instanceof SyncError && err.cause === 404) return []; // a server without them
    throw err;
  }
}

async function syncFull(device, root, held) {
  const response = await get(TRUST);
  if (!response) throw new SyncError("server answered 304 to an unconditional request");
  return storeFull(device, root, held, await response.json(), response.headers.get("ETag"));
}

async function syncDelta(device, root, held) {
  let response;
  try {
    response = await get(`${TRUST}?since=${held.seq}&cutoffs=1`, device.etag);
  } catch (err) {
    const status = err.cause;
    if (typeof status === "number" && status >= 400 && status < 500 && status !== 429) return null;
    throw err;
  }
  if (!response) {
    await saveDevice({ ...device, synced_at: Date.now() / 1000 });
    return { bundle: held, changed: false, delta: true };
  }
  const doc = await response.json();
  const etag = response.headers.get("ETag");
  if (jwsTyp(doc) === TYP_BUNDLE) return storeFull(device, root, held, doc, etag);
  if (jwsTyp(doc) !== TYP_DELTA) throw new SyncError("the server sent neither a bundle nor a delta");
  let bundle;
  try {
    bundle = await applyDelta(held, doc, root);
  } catch (err) {
    if (err instanceof DeltaMismatch) return null;
    throw err;
  }
  const deltas = [...device.deltas];
  while (deltas.length && (await isRefreshOnly(deltas[deltas.length - 1], root))) deltas.pop();
  await saveDevice({ ...device, deltas: [...deltas, doc], etag, synced_at: Date.now() / 1000 });
  return { bundle, changed: true, delta: true };
}

async function pinRoot() {
  const response = await get(`${TRUST}/root`);
  const pem = await response.text();
  await follow(pem, []); // refuse a key WebCrypto cannot use before pinning it
  return { root_pem: pem, handovers: [], doc: null, deltas: [], etag: null, synced_at: null };
}

/** Sync once; resolve to {bundle, changed, delta}. Rejects with SyncError or BundleError. */
export async function sync() {
  const stored = (await loadDevice()) ?? (await pinRoot());
  const held = stored.doc ? await replay(stored) : null;
  const known = stored.handovers ?? [];
  const { root, used } = await follow(stored.root_pem, [...known, ...(await fetchHandovers())]);
  const device = { ...stored, handovers: used };
  if (used.length > known.length) return syncFull(device, root, held); // documents of the new root
  if (held && device.deltas.length < MAX_DELTAS) {
    const result = await syncDelta(device, root, held);
    if (result) return result;
  }
  return syncFull(device, root, held);
}
