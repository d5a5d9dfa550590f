// The device's trust state in IndexedDB, in the CLI's file format (codes/cli.py):
// {format, root_pem, etag, doc, deltas, synced_at}. The signed documents are kept, not the
// parsed bundle: every load re-verifies them with the pinned root key.

const DB_NAME = "healthcode-scan";
const STORE = "state";
const DEVICE = "device";
export const FORMAT = "hcx-device-bundle/2";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The stored device state, or null before the first sync. */
export async function loadDevice() {
  return (await run("readonly", (s) => s.get(DEVICE))) ?? null;
}

/** Replace the device state (one transaction: never half written). */
export async function saveDevice(device) {
  await run("readwrite", (s) => s.put({ ...device, format: FORMAT }, DEVICE));
}

/** Another value kept beside the trust state (the venue mode, the entry log), or null. */
export async function loadValue(key) {
  return (await run("readonly", (s) => s.get(key))) ?? null;
}

/** Replace a value kept beside the trust state (one transaction). */
export async function saveValue(key, value) {
  await run("readwrite", (s) => s.put(value, key));
}
