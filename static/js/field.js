/* CivicGrid field pages (/field/…): forms that work without a network.
 *
 * Every entry gets a client id (a random UUID) and waits in IndexedDB until the server has answered for that id
 * with "created" or "duplicate"; only then is it removed. A send cut off half-way is simply sent again: the server
 * answers "duplicate" for what it already has. Entries the server refuses ("error") stay, with its message, until
 * the user corrects or discards them. See docs/fieldwork.md.
 */
(function () {
  "use strict";
  var configEl = document.getElementById("field-config");
  if (!configEl) { return; }
  var CFG = JSON.parse(configEl.textContent);
  var T = CFG.i18n;
  var MAX_ENTRIES = 20;                // per request
  var MAX_BYTES = 6 * 1024 * 1024;     // of photos per request (a phone on a weak network)
  var RETRY_MIN = 5000, RETRY_MAX = 60000;
  var params = new URLSearchParams(location.search);

  function fmt(s, values) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return Object.prototype.hasOwnProperty.call(values, k) ? values[k] : m; });
  }
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- IndexedDB: "queue" (entries by client id) and "state" (the patrol in progress) ---------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("civicgrid-field", 1);
        req.onupgradeneeded = function () {
          var d = req.result;
          if (!d.objectStoreNames.contains("queue")) { d.createObjectStore("queue", { keyPath: "client_id" }); }
          if (!d.objectStoreNames.contains("state")) { d.createObjectStore("state"); }
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  // One transaction; resolves with the request's result once the transaction has committed (not before).
  function run(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode), out;
        var req = fn(t.objectStore(store));
        if (req) { req.onsuccess = function () { out = req.result; }; }
        t.oncomplete = function () { resolve(out); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  var queue = {
    all: function () {
      return run("queue", "readonly", function (s) { return s.getAll(); }).then(function (rows) {
        return (rows || []).sort(function (a, b) { return a.seq - b.seq; });
      });
    },
    get: function (cid) { return run("queue", "readonly", function (s) { return s.get(cid); }); },
    put: function (e) { return run("queue", "readwrite", function (s) { return s.put(e); }); },
    remove: function (cid) { return run("queue", "readwrite", function (s) { return s.delete(cid); }); }
  };
  var state = {
    get: function (k) { return run("state", "readonly", function (s) { return s.get(k); }); },
    set: function (k, v) { return run("state", "readwrite", function (s) { return s.put(v, k); }); },
    del: function (k) { return run("state", "readwrite", function (s) { return s.delete(k); }); }
  };
  var seqCounter = 0;
  function newEntry(kind, data, label, photo) {
    return {
      client_id: uuid(), kind: kind, at: new Date().toISOString(), data: data, label: label,
      photo: photo || null, photo_name: photo ? (photo.name || "photo.jpg") : "",
      user: CFG.user, status: "pending", error: "", field: "", seq: Date.now() * 1000 + (seqCounter++ % 1000)
    };
  }

  // --- the status line -----------------------------------------------------------------------------------------
  var countEl = $("[data-testid=queue-count]"), netEl = $("[data-testid=net-state]"), noteEl = $("[data-testid=queue-note]");
  var errorsEl = $("[data-testid=queue-errors]"), syncBtn = $("[data-action=sync]");
  function note(text) { noteEl.textContent = text || ""; noteEl.hidden = !text; }
  function kindLabel(kind) { return T["k_" + kind] || kind; }

  function render() {
    return queue.all().then(function (all) {
      var mine = all.filter(function (e) { return e.user === CFG.user; });
      var pending = mine.filter(function (e) { return e.status === "pending"; });
      var errors = mine.filter(function (e) { return e.status === "error"; });
      countEl.dataset.pending = String(pending.length);
      countEl.dataset.errors = String(errors.length);
      var text = pending.length ? fmt(T.waiting, { n: pending.length }) : T.all_sent;
      if (errors.length) { text += " · " + fmt(T.need_fix, { n: errors.length }); }
      if (all.length > mine.length) { text += " · " + fmt(T.other_user, { n: all.length - mine.length }); }
      countEl.textContent = text;
      netEl.textContent = navigator.onLine ? T.online : T.offline;
      netEl.className = "net " + (navigator.onLine ? "is-online" : "is-offline");
      syncBtn.disabled = !pending.length;
      errorsEl.hidden = !errors.length;
      errorsEl.textContent = "";
      errors.forEach(function (e) { errorsEl.appendChild(errorItem(e)); });
      renderPatrolList(mine);
      return pending.length;
    });
  }

  function errorItem(e) {
    var li = document.createElement("li");
    li.dataset.clientId = e.client_id;
    var what = document.createElement("strong");
    what.textContent = kindLabel(e.kind) + (e.label ? ": " + e.label : "");
    var msg = document.createElement("span");
    msg.className = "msg";
    msg.textContent = e.error;
    li.appendChild(what); li.appendChild(document.createTextNode(" ")); li.appendChild(msg);
    var actions = document.createElement("span");
    actions.className = "actions";
    var page = { finding: "patrol", visit: "visit", dispute: "dispute", screening: "screening" }[e.kind];
    if (page) {
      var a = document.createElement("a");
      a.className = "btn small secondary";
      a.href = CFG.pages[page] + "?edit=" + encodeURIComponent(e.client_id);
      a.textContent = T.edit;
      actions.appendChild(a);
    }
    actions.appendChild(button(T.retry_one, function () {
      e.status = "pending"; e.error = "";
      queue.put(e).then(render).then(sync);
    }));
    actions.appendChild(button(T.discard, function () {
      if (window.confirm(T.confirm_discard)) { queue.remove(e.client_id).then(render); }
    }, "danger"));
    li.appendChild(actions);
    return li;
  }
  function button(text, onClick, extra) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn small " + (extra || "secondary");
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  // --- sending ---------------------------------------------------------------------------------------------------
  var syncing = false, retryDelay = RETRY_MIN, retryTimer = null;

  function csrfToken() {
    // The cookie, not the token in the page: a cached page may be older than the last login.
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = $("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function pick(pending) {
    var batch = [], bytes = 0;
    for (var i = 0; i < pending.length && batch.length < MAX_ENTRIES; i++) {
      var size = pending[i].photo ? pending[i].photo.size : 0;
      if (batch.length && bytes + size > MAX_BYTES) { break; }
      batch.push(pending[i]); bytes += size;
    }
    return batch;
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(sync, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
  }

  function send(batch) {
    var body = new FormData();
    body.append("user", String(CFG.user));
    body.append("entries", JSON.stringify(batch.map(function (e) {
      return { client_id: e.client_id, kind: e.kind, at: e.at, data: e.data, photo: e.photo ? "photo-" + e.client_id : "" };
    })));
    batch.forEach(function (e) { if (e.photo) { body.append("photo-" + e.client_id, e.photo, e.photo_name || "photo.jpg"); } });
    return fetch(CFG.sync, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (resp) {
      if (resp.status === 401 || resp.status === 403) { return { outcome: "login" }; }
      if (resp.status === 400) {
        return resp.json().then(function (b) { return { outcome: "refused", message: b.error || "" }; });
      }
      if (!resp.ok) { return { outcome: "later" }; }
      return resp.json().then(function (b) { return { outcome: "ok", results: b.results || [] }; });
    }, function () { return { outcome: "later" }; });
  }

  function apply(batch, results) {
    var byId = {};
    results.forEach(function (r) { byId[r.client_id] = r; });
    return batch.reduce(function (p, e) {
      return p.then(function () {
        var r = byId[e.client_id];
        if (r && (r.status === "created" || r.status === "duplicate")) { return queue.remove(e.client_id); }
        e.status = "error";
        e.error = r ? r.message : T.no_answer;
        e.field = r ? r.field : "";
        return queue.put(e);
      });
    }, Promise.resolve());
  }

  function sync() {
    if (syncing) { return Promise.resolve(); }
    if (!navigator.onLine) { return render(); }
    syncing = true;
    clearTimeout(retryTimer);
    countEl.setAttribute("aria-busy", "true");
    function round(n) {
      return queue.all().then(function (all) {
        var pending = all.filter(function (e) { return e.user === CFG.user && e.status === "pending"; });
        if (!pending.length || n > 100) { retryDelay = RETRY_MIN; return null; }
        note(T.sending);
        var batch = pick(pending);
        return send(batch).then(function (res) {
          if (res.outcome === "ok") { note(""); return apply(batch, res.results).then(function () { return round(n + 1); }); }
          if (res.outcome === "refused") {
            batch.forEach(function (e) { e.status = "error"; e.error = res.message; });
            return Promise.all(batch.map(queue.put)).then(function () { return round(n + 1); });
          }
          note(res.outcome === "login" ? T.login : T.retry);
          if (res.outcome === "login") { showLogin(); } else { scheduleRetry(); }
          return null;
        });
      });
    }
    return round(0).catch(function () { scheduleRetry(); }).then(function () {
      syncing = false;
      countEl.removeAttribute("aria-busy");
      return render();
    });
  }

  function showLogin() {
    if ($("[data-testid=login-again]")) { return; }
    var a = document.createElement("a");
    a.href = CFG.login; a.textContent = T.login; a.dataset.testid = "login-again"; a.className = "btn small";
    noteEl.textContent = ""; noteEl.appendChild(a); noteEl.hidden = false;
  }

  // --- saving entries from the forms -----------------------------------------------------------------------------
  function collect(form) {
    var data = {};
    $all("input[name], select[name], textarea[name]", form).forEach(function (el) {
      if (el.type === "file") { return; }
      if (el.type === "checkbox") { data[el.name] = el.checked; return; }
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } return; }
      data[el.name] = el.value.trim();
    });
    return data;
  }
  function fill(form, data) {
    Object.keys(data).forEach(function (k) {
      $all("[name='" + k + "']", form).forEach(function (el) {
        if (el.type === "checkbox") { el.checked = !!data[k]; }
        else if (el.type === "radio") { el.checked = String(el.value) === String(data[k]); }
        else if (el.type !== "file") { el.value = data[k] == null ? "" : data[k]; }
      });
    });
  }
  function formError(form, text) {
    var el = $(".form-error", form);
    el.textContent = text || ""; el.hidden = !text;
    if (text) { el.scrollIntoView({ block: "center" }); }
  }
  function numberOrNull(v) { return v === "" || v == null ? null : Number(v); }

  function locate(timeout) {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        resolve({ lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: pos.coords.accuracy });
      }, function () { resolve(null); }, { enableHighAccuracy: true, timeout: timeout || 10000, maximumAge: 60000 });
    });
  }

  // Phone cameras take 4–12 MB pictures; 1600 px is plenty to see a full bin, and sends in seconds on 3G.
  function shrink(file) {
    if (!file || file.size < 1.5 * 1024 * 1024 || !window.createImageBitmap || !/^image\//.test(file.type)) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  var editing = null; // the refused entry being corrected, if the page was opened with ?edit=<client id>

  // Each kind: check the form, return {data, label, photo?} or throw a message for the user.
  var kinds = {
    patrol_start: function (form) {
      var d = collect(form);
      var entry = { data: { grid_id: CFG.grid, tracking: d.tracking }, label: "", use_location: d.use_location };
      if (!d.use_location) { return Promise.resolve(entry); }
      return locate(5000).then(function (p) {
        if (p) { entry.data.lat = p.lat; entry.data.lng = p.lng; }
        return entry;
      });
    },
    finding: function (form) {
      var d = collect(form);
      if (!d.item) { throw $("legend", form).textContent; }
      if (d.solved_on_spot && !d.note) { throw T.solved_needs_note; }
      return patrolOrEditing().then(function (patrolId) {
        var itemLabel = $("input[name=item]:checked", form).parentNode.textContent.trim();
        var building = form.elements.building_id;
        var where = building.value ? building.options[building.selectedIndex].text : "";
        var file = form.elements.photo.files[0];
        return shrink(file).then(function (photo) {
          return {
            data: {
              patrol: patrolId, item: d.item, note: d.note, solved_on_spot: d.solved_on_spot,
              building_id: d.building_id ? Number(d.building_id) : null, lat: numberOrNull(d.lat), lng: numberOrNull(d.lng)
            },
            label: itemLabel + (where ? " · " + where : ""),
            photo: photo || null
          };
        });
      });
    },
    patrol_finish: function (form) {
      var d = collect(form);
      return state.get("patrol").then(function (p) {
        if (!p) { throw T.no_patrol; }
        return (p.use_location ? locate(5000) : Promise.resolve(null)).then(function (pos) {
          return { data: { patrol: p.client_id, note: d.note, lat: pos ? pos.lat : null, lng: pos ? pos.lng : null }, label: "" };
        });
      });
    },
    visit: function (form) {
      var d = collect(form);
      if (!d.household_id) { throw T.choose_household; }
      if (d.follow_up === "case" && !(d.found || d.needs || d.risks)) { throw T.case_needs_found; }
      var chosen = $("input[name=household_id]:checked", form);
      return { data: d, label: chosen ? chosen.parentNode.textContent.replace(/\s+/g, " ").trim() : "" };
    },
    dispute: function (form) {
      var d = collect(form);
      var parties = $all(".party", form).map(function (row) {
        return { name: $("[data-party=name]", row).value.trim(), phone: $("[data-party=phone]", row).value.trim() };
      }).filter(function (p) { return p.name || p.phone; });
      if (!parties.length || parties.some(function (p) { return !p.name; })) { throw T.need_party; }
      var phoneOk = /^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$/;
      if (parties.some(function (p) { return p.phone && !phoneOk.test(p.phone.replace(/[\s-]/g, "")) && !phoneOk.test(p.phone.replace(/\s/g, "")); })) {
        throw T.bad_phone;
      }
      if (!d.kind) { throw $("label[for=dispute-kind]").textContent; }
      if (!d.summary) { throw $("label[for=dispute-summary]").textContent; }
      return { data: { grid_id: CFG.grid, kind: d.kind, summary: d.summary, parties: parties }, label: form.elements.kind.options[form.elements.kind.selectedIndex].text };
    },
    screening: function (form) {
      var d = collect(form);
      if (!/^\d{4}-\d{2}$/.test(d.month)) { throw $("label[for=screening-month]").textContent; }
      return queue.all().then(function (all) {
        var queued = all.filter(function (e) { return e.kind === "dispute" && e.user === CFG.user && e.at.slice(0, 7) === d.month; }).length;
        var recorded = (d.month === CFG.month ? CFG.disputes_this_month : 0) + queued;
        if (d.nothing_found && recorded) { throw T.nothing_found_conflict; }
        if (!d.nothing_found && !recorded) { throw T.choose_nothing_found; }
        return { data: { grid_id: CFG.grid, month: d.month + "-01", nothing_found: d.nothing_found, note: d.note }, label: d.month };
      });
    }
  };

  function patrolOrEditing() {
    if (editing && editing.kind === "finding") { return Promise.resolve(editing.data.patrol); }
    return state.get("patrol").then(function (p) { if (!p) { throw T.no_patrol; } return p.client_id; });
  }

  function save(form) {
    var kind = form.dataset.kind;
    var submit = $("button[type=submit]", form);
    formError(form, "");
    submit.disabled = true;
    return Promise.resolve().then(function () { return kinds[kind](form); }).then(function (made) {
      var entry;
      if (editing && editing.kind === kind) {
        entry = editing;
        entry.data = made.data; entry.label = made.label || entry.label;
        if (made.photo) { entry.photo = made.photo; entry.photo_name = made.photo.name || "photo.jpg"; }
        entry.status = "pending"; entry.error = ""; entry.field = "";
      } else {
        entry = newEntry(kind, made.data, made.label, made.photo);
      }
      return queue.put(entry).then(function () { return after(kind, entry, form, made); });
    }).then(function () {
      note(T.saved);
      return render();
    }).then(function () { sync(); }, function (err) {
      formError(form, typeof err === "string" ? err : (err && err.message) || String(err));
    }).then(function () { submit.disabled = false; });
  }

  function after(kind, entry, form, made) {
    var wasEditing = editing;
    form.reset();
    $all("[data-photo-kept]", form).forEach(function (el) { el.hidden = true; });
    if (kind === "dispute") { resetParties(form); }
    if (wasEditing) {
      editing = null;
      history.replaceState(null, "", location.pathname);
      $("[data-testid=edit-note]").hidden = true;
      return showPatrol();
    }
    if (kind === "patrol_start") {
      return state.set("patrol", {
        client_id: entry.client_id, started_at: entry.at, tracking: !!entry.data.tracking, use_location: !!made.use_location, findings: 0
      }).then(function () { startTracking(); return showPatrol(); });
    }
    if (kind === "finding") {
      return state.get("patrol").then(function (p) {
        if (!p) { return null; }
        p.findings = (p.findings || 0) + 1;
        return state.set("patrol", p).then(showPatrol);
      });
    }
    if (kind === "patrol_finish") {
      return flushTrace(true).then(function () { return state.del("patrol"); }).then(showPatrol);
    }
    return null;
  }

  $all("form[data-kind]").forEach(function (form) {
    form.addEventListener("submit", function (ev) { ev.preventDefault(); save(form); });
  });
  if (syncBtn) { syncBtn.addEventListener("click", function () { sync(); }); }

  // --- the patrol page -------------------------------------------------------------------------------------------
  function showPatrol() {
    if (CFG.page !== "patrol") { return Promise.resolve(); }
    return state.get("patrol").then(function (p) {
      var active = !!p || !!(editing && editing.kind === "finding");
      $all("[data-when=idle]").forEach(function (el) { el.hidden = active; });
      $all("[data-when=active]").forEach(function (el) { el.hidden = !active; });
      var finish = $("[data-kind=patrol_finish]");
      if (finish) { finish.hidden = !p; }
      var banner = $("[data-testid=patrol-banner]");
      if (banner) {
        banner.textContent = p ? fmt(T.patrol_since, { t: new Date(p.started_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }) +
          " · " + fmt(T.findings_count, { n: p.findings || 0 }) : "";
      }
      return render();
    });
  }

  function renderPatrolList(entries) {
    var list = $("[data-testid=patrol-findings]");
    if (!list) { return; }
    state.get("patrol").then(function (p) {
      list.textContent = "";
      if (!p) { return; }
      entries.filter(function (e) { return e.kind === "finding" && e.data.patrol === p.client_id; }).forEach(function (e) {
        var li = document.createElement("li");
        li.textContent = e.label + (e.data.solved_on_spot ? " · " + T.solved : "") + (e.photo ? " · " + T.with_photo : "");
        list.appendChild(li);
      });
    });
  }

  var locateButton = $("[data-action=locate]");
  if (locateButton) {
    locateButton.addEventListener("click", function () {
      var form = locateButton.form, out = $(".locate-state", form);
      out.textContent = T.locating;
      locate(10000).then(function (p) {
        if (!p) { out.textContent = T.no_location; form.elements.building_id.focus(); return; }
        form.elements.lat.value = p.lat.toFixed(6); form.elements.lng.value = p.lng.toFixed(6);
        out.textContent = fmt(T.located, { m: Math.round(p.accuracy || 0) });
      });
    });
    $("[data-kind=finding]").addEventListener("reset", function () { $(".locate-state").textContent = ""; });
  }

  // A route only when the walker asked for it: a point every 30 s at most, sent in pieces of 50.
  var watchId = null, lastPoint = 0;
  function startTracking() {
    return state.get("patrol").then(function (p) {
      if (!p || !p.tracking || watchId !== null || !navigator.geolocation) { return; }
      watchId = navigator.geolocation.watchPosition(function (pos) {
        if (pos.timestamp - lastPoint < 30000) { return; }
        lastPoint = pos.timestamp;
        state.get("trace").then(function (points) {
          points = points || [];
          points.push([new Date(pos.timestamp).toISOString(), pos.coords.latitude, pos.coords.longitude]);
          return state.set("trace", points).then(function () { return points.length >= 50 ? flushTrace(false) : null; });
        });
      }, function () { /* no position: nothing to record */ }, { enableHighAccuracy: true, maximumAge: 30000 });
    });
  }
  function flushTrace(stop) {
    if (stop && watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; }
    return Promise.all([state.get("patrol"), state.get("trace")]).then(function (got) {
      var p = got[0], points = got[1];
      if (!p || !points || !points.length) { return null; }
      return queue.put(newEntry("trace", { patrol: p.client_id, points: points }, "")).then(function () { return state.del("trace"); });
    });
  }

  // --- the visit page: due households are in the page; the search runs over the embedded list ---------------------
  var households = [];
  var hhData = document.getElementById("field-households");
  if (hhData) { households = JSON.parse(hhData.textContent); }
  var search = $("#hh-search"), results = $("#hh-results");
  function householdRadio(h) {
    var label = document.createElement("label");
    label.className = "choice";
    label.htmlFor = "hh-" + h.id;
    var input = document.createElement("input");
    input.type = "radio"; input.name = "household_id"; input.value = String(h.id); input.id = "hh-" + h.id;
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + h.address + " · " + h.name + (h.care.length ? " · " + h.care.join("、") : "")));
    return label;
  }
  function showHouseholds(list) {
    results.textContent = "";
    list.slice(0, 30).forEach(function (h) { results.appendChild(householdRadio(h)); });
    if (!list.length) { var p = document.createElement("p"); p.className = "muted"; p.textContent = T.no_match; results.appendChild(p); }
  }
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.trim();
      if (!q) { results.textContent = ""; return; }
      showHouseholds(households.filter(function (h) {
        return (h.address + " " + h.name + " " + h.code + " " + h.care.join(" ")).indexOf(q) >= 0;
      }));
    });
    // Don't let Enter in the search box submit the visit.
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); } });
  }
  function chooseHousehold(id) {
    var radio = $("input[name=household_id][value='" + id + "']");
    if (!radio) {
      var h = households.filter(function (x) { return String(x.id) === String(id); })[0];
      if (!h) { return; }
      showHouseholds([h]);
      radio = $("input[name=household_id][value='" + id + "']");
    }
    radio.checked = true;
  }
  var followUp = $("#visit-follow-up");
  function toggleCase() { $all("[data-show-when=case]").forEach(function (el) { el.hidden = followUp.value !== "case"; }); }
  if (followUp) { followUp.addEventListener("change", toggleCase); }
  if (CFG.page === "visit" && params.get("household")) { chooseHousehold(params.get("household")); }

  // --- the dispute page: rows of parties -------------------------------------------------------------------------
  function addParty(form, party) {
    var row = $("#party-row").content.firstElementChild.cloneNode(true);
    var n = $all(".party", form).length + 1;
    $all("input", row).forEach(function (input) { input.id = "party-" + n + "-" + input.dataset.party; });
    if (party) { $("[data-party=name]", row).value = party.name || ""; $("[data-party=phone]", row).value = party.phone || ""; }
    $("[data-action=remove-party]", row).addEventListener("click", function () { row.remove(); });
    $(".party-rows", form).appendChild(row);
    return row;
  }
  function resetParties(form, parties) {
    $(".party-rows", form).textContent = "";
    (parties && parties.length ? parties : [null, null]).forEach(function (p) { addParty(form, p); });
  }
  var disputeForm = $("form[data-kind=dispute]");
  if (disputeForm) {
    resetParties(disputeForm);
    $("[data-action=add-party]", disputeForm).addEventListener("click", function () { $("input", addParty(disputeForm)).focus(); });
  }

  // --- correcting a refused entry (?edit=<client id>) ------------------------------------------------------------
  function openEditor() {
    var cid = params.get("edit");
    if (!cid) { return Promise.resolve(); }
    return queue.get(cid).then(function (e) {
      var form = e && $("form[data-kind='" + e.kind + "']");
      if (!form || e.user !== CFG.user) { return; }
      editing = e;
      var noteEl2 = $("[data-testid=edit-note]");
      noteEl2.textContent = T.editing + (e.error ? " — " + e.error : "");
      noteEl2.hidden = false;
      if (e.kind === "visit" && e.data.household_id) { chooseHousehold(e.data.household_id); }
      if (e.kind === "dispute") { resetParties(form, e.data.parties); fill(form, { kind: e.data.kind, summary: e.data.summary }); }
      else if (e.kind === "screening") { fill(form, { month: (e.data.month || "").slice(0, 7), nothing_found: e.data.nothing_found, note: e.data.note }); }
      else { fill(form, e.data); }
      if (e.photo) { $all("[data-photo-kept]", form).forEach(function (el) { el.hidden = false; }); }
      if (followUp) { toggleCase(); }
      return showPatrol().then(function () { form.scrollIntoView(); });
    });
  }

  // --- the service worker: keep these pages and what they load for offline use ----------------------------------
  function registerWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    // Offline, the registration we have keeps working; asking for an update would only fail.
    if (navigator.onLine) {
      navigator.serviceWorker.register(CFG.sw, { scope: CFG.scope }).catch(function () { /* stays online-only */ });
    }
    navigator.serviceWorker.ready.then(function (reg) {
      var urls = [location.pathname];
      $all("script[src], link[rel=stylesheet][href]").forEach(function (el) {
        var u = new URL(el.src || el.href, location.href);
        if (u.origin === location.origin) { urls.push(u.pathname + u.search); }
      });
      var channel = new MessageChannel();
      channel.port1.onmessage = function (ev) {
        if (ev.data && ev.data.ok) {
          document.documentElement.dataset.offlineReady = "1";
          $("[data-testid=offline-ready]").hidden = false;
        }
      };
      (reg.active || navigator.serviceWorker.controller).postMessage({ type: "cache", urls: urls }, [channel.port2]);
    });
  }

  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", function () { render(); });
  // A phone that was away reconnects without an 'online' event sometimes: look again every half minute.
  setInterval(function () { if (navigator.onLine && !syncing) { render().then(function (n) { if (n) { sync(); } }); } }, 30000);

  openEditor().then(showPatrol).then(startTracking).then(render).then(sync);
  registerWorker();
})();
