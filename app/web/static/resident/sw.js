// Service worker of the mini-app: keeps the shell so the last code shows offline.
// Network first (updates apply at once), the cache when the network fails. API calls pass through.
const CACHE = "hc-resident-v2";
const SHELL = [
  "/app/",
  "/app/static/resident.js",
  "/app/static/checkin.js",
  "/app/static/strings.js",
  "/app/static/resident.css",
  "/app/static/manifest.json",
  "/static/web/common/common.css",
  "/static/web/common/i18n.js",
  "/static/web/common/api.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/v1/")) return;
  if (!SHELL.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname)),
  );
});
