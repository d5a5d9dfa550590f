// Service worker of the scanner (scope /scan/): the page and its files come from the cache
// when the network is off, so a reload offline still verifies codes. API calls (/v1/...)
// always go to the network: trust data lives in IndexedDB, never in this cache.

const CACHE = "hc-scan-v5";
const SHELL = [
  "/scan/",
  "/scan/manifest.webmanifest",
  "/static/web/common/common.css",
  "/static/web/common/i18n.js",
  "/static/web/common/api.js",
  ...[
    "answer.js", "base32.js", "bundle.js", "bytes.js", "camera.js", "cbor.js", "claims.js",
    "cose.js", "handover.js", "icon.svg", "keys.js", "kinds.js", "main.js", "scan.css", "scanner.js",
    "store.js", "strings.js", "sync.js", "venue.js", "verify.js",
  ].map((name) => `/scan/static/${name}`),
];
const PAGE_TIMEOUT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("hc-scan-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function fromNetwork(request, cacheKey) {
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(cacheKey, response.clone());
  }
  return response;
}

// The page: the network when it answers within a few seconds (new language, new version),
// else the cached copy.
async function page(request) {
  const cached = await caches.match("/scan/");
  const network = fromNetwork(request, "/scan/");
  if (!cached) return network;
  const timeout = new Promise((resolve) => setTimeout(() => resolve(cached), PAGE_TIMEOUT_MS));
  return Promise.race([network.catch(() => cached), timeout]);
}

// Files: the cached copy at once, refreshed in the background for the next load.
async function file(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  const network = fromNetwork(request, request).catch(() => cached);
  return cached ?? network;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/v1/")) return;
  if (event.request.mode === "navigate" && url.pathname.startsWith("/scan/")) event.respondWith(page(event.request));
  else if (SHELL.includes(url.pathname)) event.respondWith(file(event.request));
});
