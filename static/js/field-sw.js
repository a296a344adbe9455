/* CivicGrid field service worker, served at /field/sw.js (scope /field/) with its configuration in front:
 * self.FIELD = {version, pages: [...], precache: [...], static: "/static/"}.
 *
 * Pages: network first (fresh households and due visits when there is a network), the cached copy when not.
 * Static files: the cached copy at once, refreshed in the background. Posts (the sync) are never touched: the
 * page's queue decides what is sent and when.
 */
"use strict";
var CONFIG = self.FIELD;
var CACHE = "civicgrid-field-" + CONFIG.version;
var PAGE_TIMEOUT = 4000; // ms: on a network that answers this slowly, the cached page is the better answer

function pageKey(url) {
  var u = new URL(url, self.location.origin);
  return u.origin + u.pathname;
}

function isCacheable(resp) {
  return resp && resp.ok && !resp.redirected && resp.type === "basic";
}

function cachePage(cache, path) {
  return fetch(path, { credentials: "same-origin" }).then(function (resp) {
    // A redirect means the session ended (the login page): keep the copy we have instead.
    if (isCacheable(resp)) { return cache.put(pageKey(path), resp); }
    return null;
  }).catch(function () { return null; });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(CONFIG.precache).then(function () {
      return Promise.all(CONFIG.pages.map(function (p) { return cachePage(cache, p); }));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("civicgrid-field-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request) {
  var key = pageKey(request.url);
  var network = fetch(request).then(function (resp) {
    if (isCacheable(resp)) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return resp;
  });
  var timeout = new Promise(function (resolve) { setTimeout(resolve, PAGE_TIMEOUT); });
  var cached = function () { return caches.match(key, { ignoreVary: true, ignoreSearch: true }); };
  return Promise.race([network.catch(function () { return null; }), timeout]).then(function (resp) {
    if (resp) { return resp; }
    return cached().then(function (hit) {
      // Nothing cached and no quick answer: wait for the network after all (it may still come, or fail).
      return hit || network.catch(function () {
        return cached().then(function (late) {
          return late || new Response("<!doctype html><meta charset=utf-8><title>Offline 离线</title><p>离线：此页面尚未保存在本机。</p><p lang=en>Offline: this page is not saved on this phone yet.</p>", {
            status: 503, headers: { "Content-Type": "text/html; charset=utf-8" }
          });
        });
      });
    });
  });
}

function staleWhileRevalidate(event) {
  var request = event.request;
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      var refresh = fetch(request).then(function (resp) {
        if (isCacheable(resp)) { return cache.put(request, resp.clone()).then(function () { return resp; }); }
        return resp;
      });
      if (hit) {
        event.waitUntil(refresh.catch(function () { return null; }));
        return hit;
      }
      return refresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && CONFIG.pages.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf(CONFIG.static) === 0) {
    event.respondWith(staleWhileRevalidate(event));
  }
});

// A page tells the worker what it loaded (its own address, its scripts and styles), so that whatever the base
// template includes is there offline too; it answers on the port when all of it is in the cache.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) { return; }
  var port = event.ports && event.ports[0];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(data.urls.map(function (u) {
      var isPage = CONFIG.pages.indexOf(new URL(u, self.location.origin).pathname) >= 0;
      var key = isPage ? pageKey(u) : u;
      return cache.match(key, { ignoreVary: true }).then(function (hit) {
        if (hit) { return true; }
        if (isPage) { return cachePage(cache, u).then(function () { return true; }); }
        return fetch(u, { credentials: "same-origin" }).then(function (resp) {
          return isCacheable(resp) ? cache.put(u, resp).then(function () { return true; }) : false;
        }).catch(function () { return false; });
      });
    }));
  }).then(function (oks) {
    if (port) { port.postMessage({ ok: oks.every(Boolean) }); }
  }));
});
