// shorewatch dashboard. Hand-written, no framework, no network beyond this server.
// Views by role: patrol (alerts), pilot (drones, missions), trainer (replays); admin sees all.
import { SiteMap, ROUTE_COLOURS } from "/static/map.js";

const VIEWS_BY_ROLE = { patrol: ["patrol"], pilot: ["pilot"], trainer: ["trainer"], admin: ["patrol", "pilot", "trainer"] };
const REASONS = [["stopped", "Stopped"], ["false_alarm", "False alarm"], ["handed_to_rescue", "Handed to rescue"]];
const KIND_LABEL = { launch: "Boat launch", boat_at_sea: "Boat at sea", gathering: "Gathering", person_in_water: "Person in water" };
const $ = (id) => document.getElementById(id);
const S = {
  token: localStorage.getItem("shorewatch.token") || "",
  me: null, site: null, map: null, view: null,
  alerts: new Map(), selected: null, lastSeq: 0, alertWs: null, sound: localStorage.getItem("shorewatch.sound") !== "off",
  drones: new Map(), telWs: null, plan: null, missions: [],
  clips: [], replay: null, replayTimer: null, marks: [], replayAlertIds: new Set(),
};

// ---------- helpers ----------
function toast(msg, ms = 3500) {
  const t = $("toast"); t.textContent = msg; t.classList.add("show");
  clearTimeout(toast._t); toast._t = setTimeout(() => t.classList.remove("show"), ms);
}
function esc(s) { return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }
function fmtTime(s) { if (s == null) return "–"; const d = new Date(s * 1000); return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }); }
function fmtClock(s) { s = Math.max(0, s || 0); return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`; }
function ago(s) { if (!s) return ""; const d = Date.now() / 1000 - s; if (d < 60) return `${Math.max(0, d | 0)} s ago`; if (d < 3600) return `${(d / 60) | 0} min ago`; return `${(d / 3600) | 0} h ago`; }
function withToken(url) { return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(S.token); }
function wsUrl(path) { return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + withToken(path); }

class ApiError extends Error { constructor(status, msg) { super(msg); this.status = status; } }
async function api(path, { method = "GET", body, form, raw, rawType } = {}) {
  const headers = { Authorization: `Bearer ${S.token}` };
  let payload;
  if (form) payload = form;
  else if (raw) { headers["Content-Type"] = rawType || "application/octet-stream"; payload = raw; }
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const r = await fetch(path, { method, headers, body: payload });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!r.ok) {
    let msg = data && data.detail !== undefined ? data.detail : text || r.statusText;
    if (Array.isArray(msg)) msg = msg.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    else if (typeof msg === "object") msg = JSON.stringify(msg);
    throw new ApiError(r.status, `${msg}`);
  }
  return data;
}

// ---------- alerts (shape adapter: the service's AlertPublic) ----------
function normAlert(a) {
  const pos = a.position || {};
  return {
    ...a,
    id: a.id ?? a.alert_id,
    lat: a.lat_deg ?? pos.lat ?? a.lat, lon: a.lon_deg ?? pos.lon ?? a.lon,
    status: a.status || "new", severity: a.severity || "info", kind: a.kind || "alert",
    time: a.detected_at_s ?? a.timestamp_s ?? a.created_at_s,
  };
}
const ALERTS = {
  list: () => api("/alerts?limit=200"),
  act: (id, action, body) => api(`/alerts/${id}/${action}`, { method: "POST", body: body || {} }),
  one: (id) => api(`/alerts/${id}`),
};

// ---------- sound (WebAudio, no files) ----------
let audioCtx = null;
function unlockAudio() { try { audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)(); if (audioCtx.state === "suspended") audioCtx.resume(); } catch { audioCtx = null; } }
function beep() {
  if (!S.sound || !audioCtx) return;
  const t0 = audioCtx.currentTime;
  [0, 0.28, 0.56].forEach((dt, i) => {
    const o = audioCtx.createOscillator(), g = audioCtx.createGain();
    o.type = "square"; o.frequency.value = i % 2 ? 660 : 880;
    g.gain.setValueAtTime(0.0001, t0 + dt); g.gain.exponentialRampToValueAtTime(0.25, t0 + dt + 0.02); g.gain.exponentialRampToValueAtTime(0.0001, t0 + dt + 0.22);
    o.connect(g).connect(audioCtx.destination); o.start(t0 + dt); o.stop(t0 + dt + 0.25);
  });
  window.__shorewatchBeeps = (window.__shorewatchBeeps || 0) + 1;
}

// ---------- login ----------
async function login(token) {
  S.token = token.trim();
  const me = await api("/dashboard/whoami");
  S.me = me;
  localStorage.setItem("shorewatch.token", S.token);
  $("who").textContent = `${me.name} · ${me.role}`;
  $("view-login").hidden = true; $("main").hidden = false; $("tabs").hidden = false; $("logout").hidden = false;
  const views = VIEWS_BY_ROLE[me.role] || [];
  document.querySelectorAll("#tabs button").forEach((b) => b.hidden = !views.includes(b.dataset.view));
  if (!views.length) { toast(`role ${me.role} has no dashboard view`); return; }
  $("conn").hidden = !views.some((v) => v === "patrol" || v === "pilot");
  if (!S.site) {
    S.site = await api("/site.geojson");
    S.map = new SiteMap($("map"), S.site);
    S.map.onAlertClick = (id) => { if (S.view === "patrol") selectAlert(id); };
    $("map-legend").innerHTML = `<span><i style="background:var(--land)"></i>land</span><span><i style="background:var(--beach)"></i>beach</span><span><i style="background:rgba(215,38,61,.3)"></i>no-fly</span><span><i style="border:1.5px dashed #0a6cd6"></i>geofence</span><span><i style="border-bottom:3px dotted #00acc1;border-radius:0"></i>water's edge (tide)</span><span class="cov-key"><i style="background:#1e8e3e"></i>seen<i style="background:#e8a317;margin-left:.4em"></i>too coarse<i style="background:#c0392b;margin-left:.4em"></i>not seen</span>`;
  }
  $("tide-form").hidden = !views.includes("pilot");
  loadTide();
  // the live alert feed: the patrol's list, and the pilot's "open alerts to look at"
  if (views.includes("patrol") || views.includes("pilot")) { await loadAlerts(); connectAlerts(); }
  if (views.includes("pilot") || views.includes("patrol")) { loadDrones(); connectTelemetry(); }
  if (views.includes("pilot")) { fillPlanForm(); loadMissions(); }
  if (views.includes("trainer")) loadClips();
  const wanted = (location.hash || "").slice(1);
  showView(views.includes(wanted) ? wanted : views[0]);
}

function logout() {
  localStorage.removeItem("shorewatch.token");
  location.hash = ""; location.reload();
}

function showView(v) {
  S.view = v;
  for (const name of ["patrol", "pilot", "trainer"]) $(`view-${name}`).hidden = name !== v;
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.view === v));
  history.replaceState(null, "", `#${v}`);
  if (S.map) {
    S.map.alertLayer.style.display = v === "pilot" ? "none" : "";
    S.map.routeLayer.style.display = v === "pilot" ? "" : "none";
    S.map.projectionLayer.style.display = v === "pilot" ? "none" : "";
    S.map.uncertaintyLayer.style.display = v === "pilot" ? "none" : "";
    S.map.coverageLayer.style.display = v === "pilot" ? "" : "none";
    const key = document.querySelector("#map-legend .cov-key");
    if (key) key.style.display = v === "pilot" ? "" : "none";
    S.map._apply();
  }
  if (v === "pilot") { loadCoverage(); loadLookAlerts(); }
  renderMapAlerts();
}

// ---------- patrol view ----------
async function loadAlerts() {
  try {
    const res = await ALERTS.list();
    const items = Array.isArray(res) ? res : (res.data || res.alerts || []);
    for (const a of items) upsertAlert(normAlert(a), false);
    S.lastSeq = Math.max(S.lastSeq, ...items.map((a) => a.seq || 0), 0);
    renderAlertList();
  } catch (e) { toast(`alerts: ${e.message}`); }
}

function connectAlerts() {
  if (S.alertWs) return;
  const open = () => {
    const ws = new WebSocket(wsUrl(`/ws/alerts?after=${S.lastSeq}`));
    S.alertWs = ws;
    ws.onopen = () => { $("conn").classList.add("up"); open.backoff = 500; };
    ws.onmessage = (ev) => {
      let m; try { m = JSON.parse(ev.data); } catch { return; }
      if (!m || m.type === "heartbeat" || m.type === "hello") return;
      const raw = m.alert || m.data || m;
      if (!raw || (raw.id ?? raw.alert_id) == null) return;
      if (m.seq) S.lastSeq = Math.max(S.lastSeq, m.seq);
      const a = normAlert(raw);
      if (a.replay_id) return; // training alerts never belong in the live view
      const isNew = !S.alerts.has(a.id);
      upsertAlert(a, isNew);
      renderAlertList();
      if (S.view === "pilot") lookAlertsSoon();
      if (isNew && a.severity === "critical" && S.view === "patrol") beep();
      if (S.selected === a.id) renderDetail();
    };
    ws.onclose = () => {
      $("conn").classList.remove("up"); S.alertWs = null;
      open.backoff = Math.min((open.backoff || 500) * 2, 10000);
      setTimeout(() => { if (S.me) { S.alertWs = null; connectAlerts(); } }, open.backoff);
    };
  };
  open();
}

function upsertAlert(a, fresh) {
  const prev = S.alerts.get(a.id);
  a._fresh = fresh || (prev && prev._fresh);
  S.alerts.set(a.id, a);
  renderMapAlerts();
}

function visibleAlerts() {
  const showResolved = $("show-resolved").checked;
  return [...S.alerts.values()].filter((a) => showResolved || a.status !== "resolved").sort((x, y) => (y.seq || 0) - (x.seq || 0));
}

function renderMapAlerts() {
  if (!S.map) return;
  const ids = new Set();
  if (S.view === "trainer" && S.replay) {
    for (const a of S.replay.alerts || []) if (a.lat_deg != null) {
      ids.add(`r${a.alert_id}`);
      S.map.setAlert({ id: `r${a.alert_id}`, lat: a.lat_deg, lon: a.lon_deg, severity: a.severity, status: "new", kind: a.kind });
    }
  } else {
    for (const a of visibleAlerts()) if (a.lat != null) { ids.add(a.id); S.map.setAlert(a, a.id === S.selected); }
  }
  for (const key of [...S.map.markers.keys()]) {
    if (!key.startsWith("alert:")) continue;
    const id = key.slice(6);
    if (![...ids].some((x) => String(x) === id)) S.map.removeAlert(id);
  }
}

function renderAlertList() {
  const ul = $("alert-list");
  const items = visibleAlerts();
  ul.replaceChildren(...items.map((a) => {
    const li = document.createElement("li");
    li.className = `sev-${a.severity} status-${a.status}${a.id === S.selected ? " selected" : ""}${a._fresh ? " new" : ""}`;
    li.dataset.alertId = a.id;
    li.dataset.status = a.status;
    li.innerHTML = `<span class="title">${esc(KIND_LABEL[a.kind] || a.kind)}${a.people_count ? ` · ${a.people_count} people` : ""}</span>
      <span class="badge">${esc(a.status)}${a.escalated ? " · escalated" : ""}${a.details?.held_as_repeat_of ? " · held" : ""}</span>
      <span class="meta">${fmtTime(a.time)} · ${a.lat != null ? `${a.lat.toFixed(5)}, ${a.lon.toFixed(5)}` : "no position"} · ${esc(a.source || "")}</span>`;
    li.onclick = () => selectAlert(a.id);
    return li;
  }));
  $("alert-empty").hidden = items.length > 0;
}

function selectAlert(id) {
  const a = S.alerts.get(id) || S.alerts.get(Number(id));
  if (!a) return;
  S.selected = a.id; a._fresh = false;
  renderAlertList(); renderMapAlerts(); renderDetail();
  if (a.lat != null) S.map.centerOn(a.lon, a.lat);
}

const PROJECT_MIN = [5, 10, 15]; // dead-reckoned positions of a boat under way, minutes ahead
const DRIFT_MIN = [15, 30, 60]; // a person in the water: where the observed drift carries them (search planning)
const COMPASS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];

/** The site's patrol units by straight-line distance from (lat, lon), nearest first. */
function unitsByDistance(lat, lon) {
  const units = (S.site?.features || []).filter((f) => f.properties.role === "patrol_unit" && f.geometry.type === "Point");
  return units.map((f) => {
    const [ulon, ulat] = f.geometry.coordinates;
    const [x0, y0] = S.map.project(ulon, ulat), [x1, y1] = S.map.project(lon, lat);
    const bearing = (Math.atan2(x1 - x0, -(y1 - y0)) * 180 / Math.PI + 360) % 360;
    return { name: f.properties.name, distance_m: Math.hypot(x1 - x0, y1 - y0), bearing_deg: bearing };
  }).sort((a, b) => a.distance_m - b.distance_m);
}

/** Where a boat under way will be if it holds course and speed (none below 0.5 m/s or without a
 * heading); the uncertainty grows by 30 % of the distance run (speed and heading are estimates). */
/** Where an alert's object will be if it keeps its course and speed: a boat under way (0.5 m/s or
 * more) in 5, 10, 15 min, ± 30 % of the run; a person in the water drifting (0.2 m/s or more:
 * the tide and wind carry them; slower is within the track's own noise) in 15, 30, 60 min, ± 50 %. */
function deadReckoning(a) {
  const drift = a.kind === "person_in_water";
  if (a.lat == null || a.heading_deg == null || a.speed_mps == null || a.speed_mps < (drift ? 0.2 : 0.5) || a.status === "resolved") return [];
  const [x, y] = S.map.project(a.lon, a.lat), h = (a.heading_deg * Math.PI) / 180;
  return (drift ? DRIFT_MIN : PROJECT_MIN).map((m) => {
    const d = a.speed_mps * m * 60;
    const [lon, lat] = S.map.unproject(x + d * Math.sin(h), y - d * Math.cos(h));
    return { minutes: m, lat, lon, run_m: d, error_m: (a.position_error_m || 0) + (drift ? 0.5 : 0.3) * d };
  });
}

/** The position's error ellipse from the alert's details (one sigma), or null when not given. */
function errorEllipse(a) {
  const d = a.details || {};
  const along = Number(d.error_along_m), across = Number(d.error_across_m), bearing = Number(d.line_of_sight_deg);
  if (!(along > 0 && across > 0 && Number.isFinite(bearing))) return null;
  return { along_m: along, across_m: across, bearing_deg: bearing };
}

function renderDetail() {
  const a = S.alerts.get(S.selected);
  const box = $("alert-detail");
  if (!a) { box.hidden = true; if (S.map) { S.map.setProjection(null); S.map.setUncertainty(null); } return; }
  box.hidden = false;
  const near = a.lat != null ? unitsByDistance(a.lat, a.lon) : [];
  const units = near.length ? near.map((u) => u.name) : (S.site?.features || []).filter((f) => f.properties.role === "patrol_unit").map((f) => f.properties.name);
  const ahead = deadReckoning(a);
  if (S.map) S.map.setProjection(ahead.length ? [[a.lon, a.lat], ...ahead.map((p) => [p.lon, p.lat])] : null);
  const ell = errorEllipse(a);
  if (S.map) S.map.setUncertainty(ell && a.lat != null ? { lon: a.lon, lat: a.lat, ...ell } : null);
  box.innerHTML = `
    <div class="row"><h3>${esc(KIND_LABEL[a.kind] || a.kind)} <span class="badge">#${esc(a.id)}</span></h3>
      <button class="small" id="detail-close" style="margin-left:auto">Close</button></div>
    ${a.snapshot_url ? `<img class="snapshot" alt="snapshot of alert ${esc(a.id)}" data-testid="snapshot" src="${withToken(a.snapshot_url)}">` : `<p class="muted">no snapshot</p>`}
    <dl>
      <dt>Status</dt><dd data-testid="detail-status">${esc(a.status)}${a.resolution ? ` (${esc(a.resolution)})` : ""}${a.assigned_to ? ` → ${esc(a.assigned_to)}` : ""}</dd>
      <dt>Severity</dt><dd>${esc(a.severity)}${a.escalated ? " · escalated" : ""}</dd>
      ${heldNote(a)}
      <dt>When</dt><dd>${fmtTime(a.time)} (${ago(a.time)})</dd>
      <dt>Where</dt><dd>${a.lat != null ? `${a.lat.toFixed(5)}, ${a.lon.toFixed(5)}` : "–"}${a.position_error_m != null ? ` ± ${Math.round(a.position_error_m)} m` : ""}${ell ? `<br><span class="muted" data-testid="detail-ellipse">± ${Math.round(ell.along_m)} m along the drone's line of sight (${Math.round(ell.bearing_deg)}°), ± ${Math.round(ell.across_m)} m across (the ellipse on the map)</span>` : ""}</dd>
      <dt>People</dt><dd>${a.people_count ?? "–"}</dd>
      ${Number(a.details?.length_m) > 0 ? `<dt>Size</dt><dd data-testid="detail-length">a boat about ${Math.round(Number(a.details.length_m))} m long <span class="muted">(estimated from the picture)</span></dd>` : ""}
      <dt>Heading</dt><dd>${a.heading_deg != null ? `${Math.round(a.heading_deg)}°` : "–"}${a.speed_mps != null ? ` at ${a.speed_mps.toFixed(1)} m/s` : ""}</dd>
      ${ahead.length ? `<dt>${a.kind === "person_in_water" ? "Drift" : "Ahead"}</dt><dd data-testid="detail-ahead">${ahead.map((p) => `in ${p.minutes} min ${p.lat.toFixed(4)}, ${p.lon.toFixed(4)} ± ${Math.round(p.error_m)} m`).join("<br>")}<br><span class="muted">${a.kind === "person_in_water" ? `if the drift seen (${a.speed_mps.toFixed(1)} m/s towards ${Math.round(a.heading_deg)}°) holds: where to search (dashed on the map)` : "if it holds course and speed (dashed on the map)"}</span></dd>` : ""}
      ${near.length ? `<dt>Nearest units</dt><dd data-testid="detail-units">${near.slice(0, 3).map((u) => `${esc(u.name)} ${(u.distance_m / 1000).toFixed(1)} km ${COMPASS[Math.round(u.bearing_deg / 45) % 8]}`).join("<br>")}<br><span class="muted">straight line, bearing from the unit</span></dd>` : ""}
      <dt>Confidence</dt><dd>${a.confidence != null ? Math.round(a.confidence * 100) + " %" : "–"}</dd>
      <dt>Source</dt><dd>${esc(a.source || "–")}</dd>
    </dl>
    <div class="actions">
      <button data-act="acknowledge" class="primary" ${a.status === "new" ? "" : "disabled"}>Acknowledge</button>
      <select id="assign-unit" aria-label="patrol unit">${units.map((u) => `<option>${esc(u)}</option>`).join("")}</select>
      <button data-act="assign" ${["acknowledged", "assigned"].includes(a.status) ? "" : "disabled"}>Assign</button>
    </div>
    <div class="actions">
      <select id="resolve-reason" aria-label="reason">${REASONS.map(([v, l]) => `<option value="${v}">${l}</option>`).join("")}</select>
      <button data-act="resolve" class="danger" ${a.status === "resolved" ? "disabled" : ""}>Resolve</button>
    </div>
    ${withdrawable(a) ? `<div class="actions"><button data-act="withdraw" data-testid="withdraw-false-alarm" title="repeats of it at this place are held back for hours; withdraw a verdict given by mistake">Not a false alarm: alert repeats again</button></div>` : ""}`;
  $("detail-close").onclick = () => { S.selected = null; renderDetail(); renderAlertList(); renderMapAlerts(); };
  box.querySelectorAll("button[data-act]").forEach((b) => b.onclick = () => alertAction(a.id, b.dataset.act));
}

/** Why an alert was held back as the repeat of a false alarm, or released from such a hold. */
function heldNote(a) {
  const d = a.details || {};
  if (d.held_as_repeat_of) {
    return `<dt>Held</dt><dd data-testid="detail-held">repeats false alarm ${esc(d.held_as_repeat_of)} at the same place: stored and resolved without notifying patrols; a new alert follows if it moves, grows or becomes a launch</dd>`;
  }
  if (d.released_from_hold) {
    return `<dt>Released</dt><dd data-testid="detail-released">held as ${esc(d.released_from_hold)} (repeat of a false alarm) until it ${esc(d.release_reason || "changed")}</dd>`;
  }
  return "";
}

/** A live alert resolved as a false alarm by an operator (not held by the pipeline) whose verdict still holds repeats back. */
function withdrawable(a) {
  return a.status === "resolved" && a.resolution === "false_alarm" && !a.replay_id && !(a.details || {}).held_as_repeat_of && a.last_change !== "false_alarm_withdrawn";
}

async function alertAction(id, act) {
  const body = act === "assign" ? { unit: $("assign-unit").value } : act === "resolve" ? { reason: $("resolve-reason").value } : {};
  try {
    const res = act === "withdraw" ? await api(`/false-alarms/${id}`, { method: "DELETE" }) : await ALERTS.act(id, act, body);
    const a = normAlert(res.alert || res);
    if (a.id != null) upsertAlert(a, false);
    renderAlertList(); renderDetail();
    toast(act === "withdraw" ? `alert #${id}: no longer a false alarm, its repeats are alerted again` : `alert #${id}: ${a.status}`);
  } catch (e) { toast(`could not ${act}: ${e.message}`); }
}

// ---------- pilot view ----------
/** The operators' verdicts per beach and kind (GET /reports/verdicts), loaded when opened. */
async function loadVerdicts() {
  if (!$("verdicts").open) return;
  try {
    const r = await api("/reports/verdicts?by=beach&by=kind&hours=24");
    const pct = (v) => (v == null ? "–" : `${Math.round(v * 100)} %`);
    const secs = (v) => (v == null ? "–" : v < 120 ? `${Math.round(v)} s` : `${(v / 60).toFixed(1)} min`);
    $("verdict-rows").innerHTML = r.data.length ? r.data.map((d) => `<tr data-beach="${esc(d.group.beach)}" data-kind="${esc(d.group.kind)}">
      <td>${esc(d.group.beach)}</td><td>${esc(KIND_LABEL[d.group.kind] || d.group.kind)}</td><td>${d.alerts}</td>
      <td>${d.false_alarm} (${pct(d.false_alarm_share)})</td><td>${d.stopped}</td><td>${d.handed_to_rescue}</td><td>${d.open}</td><td>${d.held}</td>
      <td>${secs(d.first_response_s_median)}</td></tr>`).join("") : `<tr><td colspan="9" class="muted">no live alerts in the last 24 h</td></tr>`;
  } catch (e) { $("verdict-rows").innerHTML = `<tr><td colspan="9" class="error">${esc(e.message)}</td></tr>`; }
}

async function loadDrones() {
  try { const res = await api("/drones"); for (const d of res.data || res) updateDrone(d); } catch (e) { toast(`drones: ${e.message}`); }
}

function connectTelemetry() {
  if (S.telWs) return;
  const ws = new WebSocket(wsUrl("/ws/telemetry"));
  S.telWs = ws;
  ws.onopen = () => $("conn").classList.add("up");
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "drone") updateDrone(m.drone);
    else if (m.type === "mission") upsertMission(m.mission);
  };
  ws.onclose = () => { S.telWs = null; if (!S.alertWs) $("conn").classList.remove("up"); setTimeout(() => S.me && connectTelemetry(), 1500); };
}

function updateDrone(d) {
  S.drones.set(d.id, d);
  const t = d.telemetry;
  if (t && S.map) S.map.setDrone({ id: d.id, lat: t.lat_deg, lon: t.lon_deg, heading: t.heading_deg, linkOk: d.link_ok });
  renderDrones();
}

function renderDrones() {
  const ul = $("drone-list");
  ul.replaceChildren(...[...S.drones.values()].map((d) => {
    const t = d.telemetry || {};
    const li = document.createElement("li");
    li.dataset.droneId = d.id;
    li.innerHTML = `<span class="title">${esc(d.id)}</span>
      <span class="${d.link_ok ? "link-ok" : "link-lost"}">${d.link_ok ? "link ok" : esc(d.state || "no link")}</span>
      <span class="meta">${esc(t.mode || "–")} · ${t.armed ? "armed" : "disarmed"} · alt ${t.rel_alt_m != null ? t.rel_alt_m.toFixed(0) : "–"} m ·
        ${t.ground_speed_mps != null ? t.ground_speed_mps.toFixed(1) : "–"} m/s · <span class="battery">battery ${t.battery_pct != null ? Math.round(t.battery_pct) : "–"} %</span>
        ${d.mission_id ? ` · mission ${esc(d.mission_id)}` : ""}${d.investigating ? ` · <b class="investigating">orbiting ${esc(d.investigating)}</b>` : ""}</span>`;
    li.onclick = () => t.lat_deg != null && S.map.centerOn(t.lon_deg, t.lat_deg);
    return li;
  }));
}

// ---------- pilot: alerts to look at closer ----------
const LOOK_KINDS = ["launch", "person_in_water", "boat_at_sea", "gathering"];

// pushed alerts refresh the pilot's list at once (several revisions in a burst: one fetch)
function lookAlertsSoon() {
  clearTimeout(S.lookTimer);
  S.lookTimer = setTimeout(loadLookAlerts, 250);
}

async function loadLookAlerts() {
  if (S.view !== "pilot" || !S.me) return;
  let res;
  try { res = await api("/alerts?limit=50"); } catch { return; }
  const open = (res.data || []).map(normAlert)
    .filter((a) => a.status !== "resolved" && a.lat != null && LOOK_KINDS.includes(a.kind))
    .sort((a, b) => (b.time || 0) - (a.time || 0)).slice(0, 5);
  const ul = $("look-list");
  if (!open.length) { ul.innerHTML = `<li class="muted">no open alert</li>`; return; }
  ul.replaceChildren(...open.map((a) => {
    const li = document.createElement("li");
    li.dataset.alertId = a.id;
    li.innerHTML = `<span class="title">${esc(KIND_LABEL[a.kind] || a.kind)} #${esc(a.id)}</span>
      <span class="meta">${fmtTime(a.time)} · ${a.lat.toFixed(5)}, ${a.lon.toFixed(5)} · ${esc(a.status)}</span>
      <button type="button" class="small">Orbit it with a drone</button>`;
    li.querySelector("button").onclick = () => investigate(a);
    return li;
  }));
}

async function investigate(a) {
  try {
    const d = await api("/drones/investigate", { method: "POST", body: { lat_deg: a.lat, lon_deg: a.lon, alert_id: Number(a.id) } });
    updateDrone(d);
    toast(`${d.id}: orbiting ${d.investigating}, then back to its patrol`);
  } catch (e) { toast(`no orbit: ${e.message}`, 6000); }
}

async function loadStreams() {
  if (S.view !== "pilot" || !S.me) return;
  let res;
  try { res = await api("/streams"); } catch { return; }
  const ul = $("stream-list");
  if (!res.data.length) { ul.innerHTML = `<li class="muted">no camera stream</li>`; return; }
  ul.replaceChildren(...res.data.map((s) => {
    const li = document.createElement("li");
    const e2e = s.latency_ms.end_to_end || {};
    li.dataset.streamId = s.stream_id;
    li.innerHTML = `<span class="title">${esc(s.stream_id)}</span>
      <span class="${s.error ? "link-lost" : "link-ok"}">${s.error ? esc(s.error) : s.finished ? "stopped" : "live"}</span>
      <span class="meta">camera ${s.camera_fps.toFixed(1)} fps · detected ${s.detected_fps.toFixed(1)} fps ·
        <span class="frames">${s.frames_processed}/${s.frames_captured} frames, ${s.frames_dropped} dropped</span> ·
        latency p50 ${e2e.p50 ?? "–"} ms, p95 ${e2e.p95 ?? "–"} ms · ${s.alerts} alerts</span>`;
    return li;
  }));
}

// ---------- tide: the water's edge the alerts are measured from ----------
async function loadTide() {
  if (!S.me) return;
  let t;
  try { t = await api("/tide"); } catch (e) { $("tide-badge").textContent = `Tide unavailable: ${e.message}`; return; }
  S.tide = t;
  const b = $("tide-badge");
  b.classList.toggle("unknown", !t.known);
  const hhmm = (s) => new Date(s * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (!t.known) {
    b.textContent = t.datum == null
      ? "Tide: this site has no tide settings; alerts measure from the mapped waterline"
      : "Tide unknown: alerts measure from the mapped waterline (high water), positions from mean sea level" + (t.problem ? ` (tide table not used: ${t.problem})` : "");
  } else {
    const from = t.source === "observed" ? `reported by ${t.observed.by}, until ${hhmm(t.observed.until_s)}` : "tide table";
    const trend = t.rising == null ? "" : t.rising ? ", rising" : ", falling";
    const next = t.next.length ? `; ${t.next[0].kind} water ${hhmm(t.next[0].time_s)} (${t.next[0].height_m.toFixed(1)} m)` : "";
    const edge = t.max_shift_m > 1 ? `; the water's edge is up to ${Math.round(t.max_shift_m)} m beyond the mapped waterline (dotted)` : "";
    b.textContent = `Tide ${t.height_m.toFixed(1)} m${trend} (${from})${next}${edge}`;
  }
  b.title = t.datum
    ? `heights above ${t.datum}; mapped waterline at ${t.waterline_height_m} m, mean sea level at ${t.mean_sea_level_m} m; ` +
      `positions are computed on the sea's surface, now ${t.sea_surface_m >= 0 ? "+" : ""}${t.sea_surface_m.toFixed(1)} m against mean sea level`
    : "no tide settings";
  if (S.map) S.map.setWaterEdge(t.water_edge, `water's edge at ${t.known ? t.height_m.toFixed(1) + " m" : "?"} tide`);
}

async function reportTide(ev) {
  ev.preventDefault();
  $("tide-error").textContent = "";
  try {
    await api("/tide", { method: "PUT", body: { height_m: Number($("tide-height").value), valid_for_min: Number($("tide-valid").value) } });
    toast("tide reported"); loadTide();
  } catch (e) { $("tide-error").textContent = e.message; }
}

async function clearTide() {
  try { await api("/tide", { method: "DELETE" }); toast("tide report cleared"); loadTide(); } catch (e) { $("tide-error").textContent = e.message; }
}

async function loadCoverage() {
  if (S.view !== "pilot" || !S.me) return;
  let fc;
  try { fc = await api("/coverage"); } catch (e) { $("coverage-summary").textContent = `coverage unavailable: ${e.message}`; return; }
  S.coverage = fc;
  const s = fc.summary;
  const km = (m) => (m / 1000).toFixed(1);
  $("coverage-summary").textContent = s.frames_observed
    ? `${s.seen_pct.toFixed(0)} % of ${km(s.waterline_m)} km of shoreline seen in the last ${Math.round(s.window_s / 60)} min; ` +
      `${s.gaps} gap${s.gaps === 1 ? "" : "s"} (${km(s.gap_m)} km) to fly again: not seen, or too high to find a person` +
      (s.gap_runs.length ? `; longest ${km(s.gap_runs[0].from_m)}-${km(s.gap_runs[0].to_m)} km along the shore` : "")
    : `no camera frame with a drone position yet: all ${km(s.waterline_m)} km of shoreline unseen`;
  if (S.map) S.map.setCoverage($("show-coverage").checked ? fc : null);
  // the longest gaps, each a button that fills the plan form with (the first 2 km of) that stretch
  const runs = s.frames_observed ? s.gap_runs.slice(0, 3) : [];
  $("gap-list").replaceChildren(...runs.map((r) => {
    // the planner wants at least 200 m: a short gap gets 400 m round its middle
    let a = r.from_m / 1000, b = Math.min(r.to_m, r.from_m + 2000) / 1000;
    if (b - a < 0.4) {
      const mid = (a + b) / 2, end = s.waterline_m / 1000;
      a = Math.max(0, Math.min(mid - 0.2, end - 0.4)); b = Math.min(end, a + 0.4);
    }
    const li = document.createElement("li");
    li.dataset.from = a.toFixed(2);
    li.innerHTML = `<span class="title">${a.toFixed(2)}-${(r.to_m / 1000).toFixed(2)} km</span>
      <span class="meta">${r.reason === "unseen" ? "not seen" : r.reason === "coarse" ? "seen too coarsely" : "not seen or too coarse"}, ${(r.length_m / 1000).toFixed(1)} km</span>
      <button type="button" class="small">Plan over ${a.toFixed(1)}-${b.toFixed(1)} km</button>`;
    li.querySelector("button").onclick = () => planOverStretch(a, b);
    return li;
  }));
}

function planOverStretch(a, b) {
  for (const [sel, km] of [["plan-from", a], ["plan-to", b]]) {
    const v = `${km.toFixed(2)} km`;
    let o = [...$(sel).options].find((x) => x.value === v);
    if (!o) { o = new Option(`shoreline ${v}`, v); $(sel).add(o, 0); }
    $(sel).value = v;
  }
  $("plan-form").scrollIntoView({ block: "nearest" });
  $("plan-form").requestSubmit();
}

function fillPlanForm() {
  const pts = (S.site.features || []).filter((f) => ["launch_point", "beach"].includes(f.properties.role)).map((f) => f.properties.name);
  const opts = pts.map((n) => `<option>${esc(n)}</option>`).join("");
  $("plan-from").innerHTML = opts; $("plan-to").innerHTML = opts;
  if (pts.length > 1) $("plan-to").selectedIndex = Math.min(pts.length - 1, 2);
}

function planBody() {
  return {
    start: $("plan-from").value, end: $("plan-to").value,
    alt_m: Number($("plan-alt").value), drones: Number($("plan-drones").value),
    speed_mps: Number($("plan-speed").value), offset_m: Number($("plan-offset").value),
  };
}

async function previewPlan(ev) {
  ev.preventDefault();
  $("plan-error").textContent = ""; $("plan-launch").disabled = true;
  try {
    const p = await api("/missions/plan", { method: "POST", body: planBody() });
    S.plan = p;
    S.map.setRoutes(p.routes);
    S.map.fitTo(p.routes.flatMap((r) => r.waypoints.map((w) => [w.lon_deg, w.lat_deg])));
    $("plan-info").innerHTML = p.routes.map((r, i) => `<span style="color:${ROUTE_COLOURS[i % ROUTE_COLOURS.length]}">■</span> ${esc(r.drone_id)}: ${r.waypoints.length} waypoints, ${(r.length_m / 1000).toFixed(1)} km, ~${Math.round(r.duration_s / 60)} min`).join("<br>")
      + (p.revisit?.worst_s != null ? `<br><span data-testid="plan-revisit">each stretch seen again within ${(p.revisit.worst_s / 60).toFixed(0)} min (worst at km ${p.revisit.worst_at_km.toFixed(1)}${p.revisit.never_seen_pct > 0 ? `; ${Math.round(p.revisit.never_seen_pct)} % never in view` : ""}) <span class="muted">if flown again and again, ${Math.round(p.revisit.swap_s / 60)} min battery swaps</span></span>` : "")
      + (p.warnings?.length ? `<br>⚠ ${p.warnings.map(esc).join("; ")}` : "");
    $("plan-launch").disabled = false;
  } catch (e) { $("plan-error").textContent = e.message; S.map.setRoutes([]); }
}

async function launchPlan() {
  if (!S.plan) return;
  $("plan-launch").disabled = true; $("plan-error").textContent = "";
  try {
    const m = await api("/missions", { method: "POST", body: { plan_id: S.plan.plan_id } });
    upsertMission(m); toast(`mission ${m.id} launched`);
  } catch (e) { $("plan-error").textContent = e.message; $("plan-launch").disabled = false; }
}

async function loadMissions() {
  try { const res = await api("/missions"); S.missions = res.data || res; renderMissions(); } catch (e) { toast(`missions: ${e.message}`); }
}

function upsertMission(m) {
  const i = S.missions.findIndex((x) => x.id === m.id);
  if (i >= 0) S.missions[i] = m; else S.missions.unshift(m);
  renderMissions();
}

function renderMissions() {
  const ul = $("mission-list");
  ul.replaceChildren(...S.missions.map((m) => {
    const li = document.createElement("li");
    li.dataset.missionId = m.id; li.dataset.status = m.status;
    const active = !["completed", "recalled", "failed", "aborted"].includes(m.status);
    li.innerHTML = `<span class="title">${esc(m.id)} · ${esc(m.drone_ids.join(", "))}</span><span class="badge">${esc(m.status)}</span>
      <span class="meta">${m.progress != null ? `${Math.round(m.progress * 100)} % · ` : ""}${fmtTime(m.created_at_s)}${m.notes?.length ? " · " + m.notes.map(esc).join("; ") : ""}</span>
      <span class="row" style="grid-column:1/-1">
        <button class="small" data-act="${m.status === "paused" ? "resume" : "pause"}" ${active ? "" : "disabled"}>${m.status === "paused" ? "Resume" : "Pause"}</button>
        <button class="small danger" data-act="recall" ${active ? "" : "disabled"}>Recall</button></span>`;
    li.querySelectorAll("button").forEach((b) => b.onclick = async (ev) => {
      ev.stopPropagation();
      try { upsertMission(await api(`/missions/${m.id}/${b.dataset.act}`, { method: "POST" })); } catch (e) { toast(e.message); }
    });
    li.onclick = () => m.routes && S.map.setRoutes(m.routes);
    return li;
  }));
}

// ---------- trainer view ----------
async function loadClips() {
  try { const res = await api("/replays/clips"); S.clips = res.data || res; renderClips(); } catch (e) { toast(`clips: ${e.message}`); }
}

function renderClips() {
  $("clip-list").replaceChildren(...S.clips.map((c) => {
    const li = document.createElement("li");
    li.dataset.clipId = c.clip_id;
    li.innerHTML = `<span class="title">${esc(c.name)}</span><span class="badge">${esc(c.origin)}</span>
      <span class="meta">${c.duration_s.toFixed(1)} s · ${c.width_px}×${c.height_px} · ${c.frame_count} frames${c.has_ground_truth ? " · ground truth" : ""}${c.has_telemetry ? " · telemetry" : ""}</span>
      <span class="row" style="grid-column:1/-1"><button class="small primary" data-mode="replay">Replay</button>
      <button class="small" data-mode="exam" ${c.has_ground_truth ? "" : "disabled title='needs ground truth'"}>Exam</button></span>`;
    li.querySelectorAll("button").forEach((b) => b.onclick = (ev) => { ev.stopPropagation(); startReplay(c, b.dataset.mode === "exam"); });
    return li;
  }));
}

async function uploadClip(ev) {
  ev.preventDefault();
  const f = $("upload-file").files[0];
  if (!f) return;
  $("upload-msg").textContent = "uploading…";
  try { const c = await api(`/replays/clips?name=${encodeURIComponent(f.name)}`, { method: "POST", raw: f, rawType: f.type || "application/octet-stream" }); $("upload-msg").textContent = `added ${c.name}`; loadClips(); }
  catch (e) { $("upload-msg").textContent = e.message; }
}

async function startReplay(clip, exam) {
  try {
    const stride = Number($("replay-stride").value) || 1;
    const r = await api("/replays", { method: "POST", body: { clip_id: clip.clip_id, exam, stride } });
    S.marks = [];
    showReplay(r, clip);
  } catch (e) { toast(`replay: ${e.message}`); }
}

function showReplay(r, clip) {
  S.replay = r; S.replayClip = clip;
  $("replay").hidden = false;
  $("replay-title").textContent = `${clip.name}${r.exam ? " — exam" : ""}`;
  $("exam-bar").hidden = !r.exam; $("exam-layer").hidden = !r.exam;
  $("exam-layer").replaceChildren(); $("exam-count").textContent = "0 marks";
  $("score").replaceChildren();
  const v = $("player");
  v.src = r.exam ? withToken(`/replays/clips/${clip.clip_id}/video`) : "";
  v.dataset.kind = r.exam ? "clip" : "none";
  renderReplay();
  clearInterval(S.replayTimer);
  S.replayTimer = setInterval(pollReplay, 700);
  $("replay").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function pollReplay() {
  if (!S.replay) return;
  try {
    const r = await api(`/replays/${S.replay.replay_id}`);
    S.replay = r;
    renderReplay();
    if (["done", "failed"].includes(r.status)) clearInterval(S.replayTimer);
  } catch (e) { clearInterval(S.replayTimer); toast(e.message); }
}

function renderReplay() {
  const r = S.replay, clip = S.replayClip;
  $("replay-status").textContent = r.status + (r.error ? `: ${r.error}` : "");
  $("replay-status").dataset.status = r.status;
  $("replay-progress").value = r.progress || 0;
  const v = $("player");
  if (!r.exam && r.status === "done" && v.dataset.kind !== "annotated") { v.src = withToken(`/replays/${r.replay_id}/video`); v.dataset.kind = "annotated"; }
  const dur = clip.duration_s || 1;
  const tl = $("timeline");
  tl.querySelectorAll(".tick").forEach((t) => t.remove());
  if (r.ground_truth_spans && (!r.exam || r.trainee_score)) for (const s of r.ground_truth_spans) {
    const d = document.createElement("div"); d.className = "tick gt";
    d.style.left = `${(100 * s.start_s) / dur}%`; d.style.width = `${Math.max(0.5, (100 * (s.end_s - s.start_s)) / dur)}%`;
    d.title = `${s.class_name} ${s.object_id} visible`; tl.appendChild(d);
  }
  const showAlerts = !r.exam || r.trainee_score;
  for (const a of showAlerts ? r.alerts || [] : []) {
    const d = document.createElement("div");
    d.className = `tick sev-${a.severity}`; d.dataset.alertId = a.alert_id;
    d.style.left = `${(100 * a.clip_time_s) / dur}%`;
    d.title = `${KIND_LABEL[a.kind] || a.kind} at ${fmtClock(a.clip_time_s)}`;
    d.onclick = (ev) => { ev.stopPropagation(); seek(a.clip_time_s); };
    tl.appendChild(d);
  }
  for (const m of S.marks) { const d = document.createElement("div"); d.className = "tick mark"; d.style.left = `${(100 * m.t_s) / dur}%`; tl.appendChild(d); }
  $("replay-alerts").replaceChildren(...(showAlerts ? r.alerts || [] : []).map((a) => {
    const li = document.createElement("li"); li.className = `sev-${a.severity}`; li.dataset.alertId = a.alert_id;
    li.innerHTML = `<span class="title">${fmtClock(a.clip_time_s)} · ${esc(KIND_LABEL[a.kind] || a.kind)}</span><span class="badge">${Math.round(a.confidence * 100)} %</span>
      <span class="meta">${a.lat_deg.toFixed(5)}, ${a.lon_deg.toFixed(5)}${a.people_count ? ` · ${a.people_count} people` : ""}</span>`;
    li.onclick = () => seek(a.clip_time_s);
    return li;
  }));
  renderScore();
  renderMapAlerts();
}

function seek(t) { const v = $("player"); if (v.src) { v.currentTime = t; } }

function renderScore() {
  const r = S.replay, box = $("score");
  const rows = [];
  const row = (who, s) => s && rows.push(`<tr><td>${who}</td><td class="num">${s.found}/${s.total}</td><td class="num">${s.false_marks ?? s.false_alarms ?? 0}</td><td class="num">${s.mean_delay_s != null ? s.mean_delay_s.toFixed(1) + " s" : "–"}</td><td class="num">${s.recall != null ? Math.round(s.recall * 100) + " %" : "–"}</td></tr>`);
  if (r.score && (!r.exam || r.trainee_score)) row("Detector", r.score.detector);
  if (r.trainee_score) row("Trainee", r.trainee_score.trainee);
  if (!rows.length) { box.innerHTML = r.has_ground_truth === false ? `<p class="muted">This clip has no ground truth: no score.</p>` : ""; return; }
  box.innerHTML = `<h3>Score against ground truth</h3><table data-testid="score-table"><tr><th></th><th>boats found</th><th>false</th><th>mean delay</th><th>recall</th></tr>${rows.join("")}</table>`;
}

function examClick(ev) {
  const v = $("player"), layer = $("exam-layer");
  const rect = layer.getBoundingClientRect(), vr = v.getBoundingClientRect();
  // The picture is letterboxed inside the <video> box: map the click onto the clip's pixels.
  const vw = v.videoWidth || 16, vh = v.videoHeight || 9;
  const scale = Math.min(vr.width / vw, vr.height / vh);
  const ox = (vr.width - vw * scale) / 2, oy = (vr.height - vh * scale) / 2;
  const x = (ev.clientX - vr.left - ox) / scale, y = (ev.clientY - vr.top - oy) / scale;
  if (x < 0 || y < 0 || x > vw || y > vh) return;
  S.marks.push({ t_s: v.currentTime, x_px: x, y_px: y });
  const dot = document.createElement("div"); dot.className = "mark";
  dot.style.left = `${ev.clientX - rect.left}px`; dot.style.top = `${ev.clientY - rect.top}px`;
  layer.appendChild(dot); setTimeout(() => dot.remove(), 1500);
  $("exam-count").textContent = `${S.marks.length} marks`;
  renderReplay();
}

async function submitMarks() {
  try {
    const r = await api(`/replays/${S.replay.replay_id}/marks`, { method: "POST", body: { marks: S.marks } });
    S.replay = r; renderReplay(); toast("marks scored");
  } catch (e) { toast(e.message); }
}

// ---------- wiring ----------
function init() {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); unlockAudio();
    $("login-error").textContent = "";
    try { await login($("token").value); } catch (e) { $("login-error").textContent = e.status === 401 ? "Unknown or expired token." : e.message; }
  });
  $("logout").onclick = logout;
  document.querySelectorAll("#tabs button").forEach((b) => b.onclick = () => { unlockAudio(); showView(b.dataset.view); });
  document.querySelectorAll(".map-tools button").forEach((b) => b.onclick = () => {
    if (!S.map) return; const z = b.dataset.zoom;
    if (z === "fit") S.map.fit(); else S.map.zoomAt(z === "in" ? 1.6 : 1 / 1.6);
  });
  $("show-resolved").onchange = () => { renderAlertList(); renderMapAlerts(); };
  $("verdicts").ontoggle = loadVerdicts;
  $("show-coverage").onchange = () => { if (S.map) S.map.setCoverage($("show-coverage").checked ? S.coverage : null); };
  const st = $("sound-toggle");
  const paintSound = () => st.textContent = S.sound ? "Sound on" : "Sound off";
  paintSound();
  st.onclick = () => { S.sound = !S.sound; localStorage.setItem("shorewatch.sound", S.sound ? "on" : "off"); unlockAudio(); paintSound(); };
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  $("plan-form").addEventListener("submit", previewPlan);
  $("tide-form").addEventListener("submit", reportTide);
  $("tide-clear").onclick = clearTide;
  $("plan-launch").onclick = launchPlan;
  $("upload-form").addEventListener("submit", uploadClip);
  $("exam-layer").addEventListener("click", examClick);
  $("exam-submit").onclick = submitMarks;
  $("player").addEventListener("timeupdate", () => {
    const dur = S.replayClip?.duration_s || 1;
    $("timeline-cursor").style.left = `${Math.min(100, (100 * $("player").currentTime) / dur)}%`;
  });
  $("timeline").addEventListener("click", (ev) => {
    const rect = $("timeline").getBoundingClientRect();
    seek(((ev.clientX - rect.left) / rect.width) * (S.replayClip?.duration_s || 0));
  });
  setInterval(() => { if (S.view === "patrol" && S.alerts.size) renderAlertList(); }, 30000);
  setInterval(loadStreams, 2000);
  setInterval(loadCoverage, 5000);
  setInterval(loadLookAlerts, 15000); // a fallback: the alert feed refreshes it as alerts come
  setInterval(loadTide, 60000);
  const qsToken = new URLSearchParams(location.search).get("token");
  if (qsToken) { history.replaceState(null, "", location.pathname + location.hash); }
  const tok = qsToken || S.token;
  if (tok) login(tok).catch(() => { localStorage.removeItem("shorewatch.token"); $("token").value = ""; });
}
init();
