// The app's service worker: it keeps the app shell (these files only) so the app opens on a poor
// connection; API answers, Cognito and everything else always go to the network and are never stored.

const CACHE = 'vigia-app-shell-v1';
const SHELL = [
  './', 'index.html', 'app.css', 'app.js', 'strings.js', 'manifest.webmanifest', 'icon.svg', 'config.json',
  '../console/js/auth.js', '../console/js/config.js', '../console/js/api.js', '../console/js/dom.js',
];
const SHELL_URLS = new Set(SHELL.map((path) => new URL(path, self.location).href));

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  url.search = '';
  if (event.request.method !== 'GET' || !SHELL_URLS.has(url.href)) return; // not the shell: the network's
  // network first (the shell is revalidated on every load), the cached copy when there is no network
  event.respondWith(fetch(event.request).then((answer) => {
    if (answer.ok) {
      const copy = answer.clone();
      caches.open(CACHE).then((cache) => cache.put(url.href, copy));
    }
    return answer;
  }).catch(() => caches.match(url.href).then((cached) => cached || Response.error())));
});
