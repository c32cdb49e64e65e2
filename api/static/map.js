// The site map: SVG drawn from the site's GeoJSON (no tiles), with pan (drag), zoom (wheel,
// pinch, buttons) and five live layers: the tide's water's edge, shoreline coverage, routes, alerts, drones. Markers live in screen space
// so they keep their size; the site geometry lives in a "world" group scaled by the view.
const NS = "http://www.w3.org/2000/svg";
const R_EARTH_M = 6371008.8;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export const ROUTE_COLOURS = ["#0a6cd6", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#c0392b", "#27ae60", "#f39c12"];

export class SiteMap {
  constructor(container, geojson) {
    this.container = container;
    this.geojson = geojson;
    this.svg = el("svg", { "aria-label": "site map" }, container);
    this.world = el("g", { class: "world" }, this.svg);
    this.tideLayer = el("g", { class: "tide" }, this.world);
    this.coverageLayer = el("g", { class: "coverage" }, this.world);
    this.routeLayer = el("g", { class: "routes" }, this.world);
    this.projectionLayer = el("g", { class: "projection" }, this.world);
    this.uncertaintyLayer = el("g", { class: "uncertainty-layer" }, this.world);
    this.trailLayer = el("g", { class: "trails" }, this.world);
    this.screen = el("g", { class: "screen" }, this.svg);
    this.labelLayer = el("g", { class: "labels" }, this.screen);
    this.alertLayer = el("g", { class: "alerts" }, this.screen);
    this.droneLayer = el("g", { class: "drones" }, this.screen);
    this.markers = new Map(); // key -> {g, x, y}
    this.onAlertClick = null;
    this.k = 1; this.tx = 0; this.ty = 0;
    this._setOrigin();
    this._drawSite();
    this._bindPanZoom();
    new ResizeObserver(() => this._resized()).observe(container);
  }

  _setOrigin() {
    const fence = this.geojson.features.find((f) => f.properties.role === "geofence") ||
      this.geojson.features.find((f) => f.properties.role === "land");
    const pts = this._coords(fence.geometry);
    const lons = pts.map((p) => p[0]), lats = pts.map((p) => p[1]);
    this.lon0 = (Math.min(...lons) + Math.max(...lons)) / 2;
    this.lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
    this.cosLat0 = Math.cos((this.lat0 * Math.PI) / 180);
    const a = this.project(Math.min(...lons), Math.max(...lats));
    const b = this.project(Math.max(...lons), Math.min(...lats));
    this.bounds = [a[0], a[1], b[0], b[1]];
  }

  _coords(g) {
    if (g.type === "Point") return [g.coordinates];
    if (g.type === "LineString") return g.coordinates;
    if (g.type === "Polygon") return g.coordinates.flat();
    if (g.type === "MultiPolygon") return g.coordinates.flat(2);
    return [];
  }

  /** lon/lat -> metres east / metres south of the site centre (SVG y points down). */
  project(lon, lat) {
    const d = Math.PI / 180;
    return [(lon - this.lon0) * d * R_EARTH_M * this.cosLat0, -(lat - this.lat0) * d * R_EARTH_M];
  }

  unproject(x, y) {
    const d = Math.PI / 180;
    return [x / (d * R_EARTH_M * this.cosLat0) + this.lon0, -y / (d * R_EARTH_M) + this.lat0];
  }

  _path(rings) {
    return rings.map((ring) => "M" + ring.map(([lon, lat]) => this.project(lon, lat).map((v) => v.toFixed(1)).join(",")).join("L") + "Z").join("");
  }

  _drawSite() {
    const base = el("g", { class: "site" });
    this.world.insertBefore(base, this.tideLayer);
    const order = { land: 0, beach: 1, geofence: 2, no_fly: 3, waterline: 4 };
    const feats = [...this.geojson.features].sort((a, b) => (order[a.properties.role] ?? 9) - (order[b.properties.role] ?? 9));
    for (const f of feats) {
      const role = f.properties.role, g = f.geometry;
      const title = f.properties.name || role;
      let shape = null;
      if (g.type === "Polygon") {
        const cls = { land: "site-land", beach: "site-beach", no_fly: "site-nofly", geofence: "site-geofence" }[role];
        if (!cls) continue;
        shape = el("path", { d: this._path(g.coordinates), class: cls, "vector-effect": "non-scaling-stroke", "fill-rule": "evenodd" }, base);
      } else if (g.type === "LineString" && role === "waterline") {
        const d = "M" + g.coordinates.map(([lon, lat]) => this.project(lon, lat).map((v) => v.toFixed(1)).join(",")).join("L");
        shape = el("path", { d, class: "site-waterline", "vector-effect": "non-scaling-stroke" }, base);
      } else if (g.type === "Point") {
        const [lon, lat] = g.coordinates;
        const key = `${role}:${title}`;
        const m = el("g", { class: `pt pt-${role}` }, this.labelLayer);
        if (role === "launch_point") el("rect", { x: -4, y: -4, width: 8, height: 8, fill: "#0b2239" }, m);
        else el("path", { d: "M0,-6 L5,-2 L4,5 L0,7 L-4,5 L-5,-2Z", fill: "#1f9d55", stroke: "#fff" }, m);
        const t = el("text", { x: 8, y: 4, class: "lbl" }, m);
        t.textContent = title;
        el("title", {}, m).textContent = `${role.replace("_", " ")}: ${title}`;
        this.markers.set(key, { g: m, lon, lat });
      }
      if (shape) el("title", {}, shape).textContent = `${role.replace("_", " ")}: ${title}`;
    }
  }

  // ---- view ----
  fit() {
    const w = this.container.clientWidth, h = this.container.clientHeight;
    if (!w || !h) return;
    const [x0, y0, x1, y1] = this.bounds;
    this.k = Math.min(w / (x1 - x0), h / (y1 - y0)) * 0.95;
    this.tx = w / 2 - this.k * (x0 + x1) / 2;
    this.ty = h / 2 - this.k * (y0 + y1) / 2;
    this._fitted = true;
    this._apply();
  }

  /** Keep the same place in the middle (and about the same extent) when the map is resized. */
  _resized() {
    const w = this.container.clientWidth, h = this.container.clientHeight;
    if (!w || !h) return;
    if (!this._fitted || !this._size) { this._size = [w, h]; this.fit(); return; }
    const [w0, h0] = this._size;
    const cx = (w0 / 2 - this.tx) / this.k, cy = (h0 / 2 - this.ty) / this.k;
    this.k *= Math.min(w / w0, h / h0);
    this.tx = w / 2 - this.k * cx; this.ty = h / 2 - this.k * cy;
    this._size = [w, h];
    this._apply();
  }

  zoomAt(factor, sx, sy) {
    const w = this.container.clientWidth, h = this.container.clientHeight;
    if (sx === undefined) { sx = w / 2; sy = h / 2; }
    const k2 = Math.max(0.002, Math.min(50, this.k * factor));
    const f = k2 / this.k;
    this.tx = sx - f * (sx - this.tx);
    this.ty = sy - f * (sy - this.ty);
    this.k = k2;
    this._apply();
  }

  centerOn(lon, lat, minK = 0.08) {
    const [x, y] = this.project(lon, lat);
    if (this.k < minK) this.k = minK;
    this.tx = this.container.clientWidth / 2 - this.k * x;
    this.ty = this.container.clientHeight / 2 - this.k * y;
    this._apply();
  }

  toScreen(lon, lat) {
    const [x, y] = this.project(lon, lat);
    return [this.k * x + this.tx, this.k * y + this.ty];
  }

  _apply() {
    this.world.setAttribute("transform", `matrix(${this.k},0,0,${this.k},${this.tx},${this.ty})`);
    for (const m of this.markers.values()) this._place(m);
    const showLabels = this.k > 0.025;
    this.labelLayer.querySelectorAll("text").forEach((t) => t.style.display = showLabels ? "" : "none");
  }

  _place(m) {
    const [sx, sy] = this.toScreen(m.lon, m.lat);
    const rot = m.heading != null ? ` rotate(${m.heading})` : "";
    m.g.setAttribute("transform", `translate(${sx.toFixed(1)},${sy.toFixed(1)})${rot}`);
  }

  _bindPanZoom() {
    const c = this.container;
    const ptrs = new Map();
    let last = null, pinch = null;
    c.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".alert-marker, .drone-marker")) return;
      c.setPointerCapture(e.pointerId);
      ptrs.set(e.pointerId, [e.offsetX, e.offsetY]);
      last = [e.clientX, e.clientY];
      c.classList.add("dragging");
      if (ptrs.size === 2) { const [a, b] = [...ptrs.values()]; pinch = Math.hypot(a[0] - b[0], a[1] - b[1]); }
    });
    c.addEventListener("pointermove", (e) => {
      if (!ptrs.has(e.pointerId)) return;
      ptrs.set(e.pointerId, [e.offsetX, e.offsetY]);
      if (ptrs.size === 2 && pinch) {
        const [a, b] = [...ptrs.values()];
        const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        this.zoomAt(d / pinch, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
        pinch = d;
        return;
      }
      if (last) { this.tx += e.clientX - last[0]; this.ty += e.clientY - last[1]; last = [e.clientX, e.clientY]; this._apply(); }
    });
    const up = (e) => { ptrs.delete(e.pointerId); if (ptrs.size < 2) pinch = null; if (!ptrs.size) { last = null; c.classList.remove("dragging"); } };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    c.addEventListener("wheel", (e) => { e.preventDefault(); this.zoomAt(Math.exp(-e.deltaY * 0.0015), e.offsetX, e.offsetY); }, { passive: false });
    c.addEventListener("dblclick", (e) => this.zoomAt(2, e.offsetX, e.offsetY));
  }

  // ---- live layers ----
  setAlert(a, selected = false) {
    const key = `alert:${a.id}`;
    let m = this.markers.get(key);
    if (!m) {
      const g = el("g", { class: "alert-marker" }, this.alertLayer);
      g.dataset.alertId = a.id;
      el("circle", { r: 15, class: "pulse" }, g);
      el("circle", { r: 8, class: "dot" }, g);
      el("title", {}, g);
      g.addEventListener("click", (ev) => { ev.stopPropagation(); this.onAlertClick && this.onAlertClick(a.id); });
      m = { g, lon: a.lon, lat: a.lat };
      this.markers.set(key, m);
    }
    m.lon = a.lon; m.lat = a.lat;
    m.g.setAttribute("class", `alert-marker sev-${a.severity} status-${a.status}${selected ? " selected" : ""}`);
    m.g.querySelector(".pulse").style.display = a.status === "new" && a.severity === "critical" ? "" : "none";
    m.g.querySelector("title").textContent = `${a.kind} (${a.status})`;
    this._place(m);
  }

  removeAlert(id) {
    const m = this.markers.get(`alert:${id}`);
    if (m) { m.g.remove(); this.markers.delete(`alert:${id}`); }
  }

  setDrone(d) {
    const key = `drone:${d.id}`;
    let m = this.markers.get(key);
    if (!m) {
      const g = el("g", { class: "drone-marker" }, this.droneLayer);
      g.dataset.droneId = d.id;
      const body = el("g", {}, g);
      el("circle", { r: 14, fill: "rgba(10,108,214,.22)", stroke: "#0a6cd6", "stroke-width": 1.5 }, body);
      el("path", { d: "M0,-11 L8,9 L0,4 L-8,9Z", class: "body" }, body);
      const t = el("text", { x: 12, y: 4, class: "lbl" }, g);
      t.textContent = d.id;
      const trail = el("polyline", { class: "trail", "vector-effect": "non-scaling-stroke" }, this.trailLayer);
      m = { g, body, lon: d.lon, lat: d.lat, trail, pts: [] };
      this.markers.set(key, m);
    }
    m.lon = d.lon; m.lat = d.lat;
    m.g.dataset.lat = d.lat; m.g.dataset.lon = d.lon;
    m.g.setAttribute("class", `drone-marker ${d.linkOk ? "link-ok" : "link-lost"}`);
    m.body.setAttribute("transform", `rotate(${d.heading || 0})`);
    const [x, y] = this.project(d.lon, d.lat);
    const lastPt = m.pts[m.pts.length - 1];
    if (!lastPt || Math.hypot(lastPt[0] - x, lastPt[1] - y) > 5) {
      m.pts.push([x, y]);
      if (m.pts.length > 600) m.pts.shift();
      m.trail.setAttribute("points", m.pts.map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" "));
    }
    this._place(m);
  }

  /** The water's edge the tide leaves (GET /tide's water_edge: a LineString; null: the mapped waterline). */
  setWaterEdge(geometry, title) {
    this.tideLayer.replaceChildren();
    if (!geometry) return;
    const d = "M" + geometry.coordinates.map(([lon, lat]) => this.project(lon, lat).map((v) => v.toFixed(1)).join(",")).join("L");
    const path = el("path", { d, class: "tide-edge", "vector-effect": "non-scaling-stroke" }, this.tideLayer);
    el("title", {}, path).textContent = title;
  }

  /** coverage: GET /coverage's FeatureCollection; each stretch of waterline coloured by state:
   * "fine" (seen in the window, a person findable), "coarse" (seen, too coarsely), "unseen". */
  setCoverage(fc) {
    this.coverageLayer.replaceChildren();
    if (!fc) return;
    const win = fc.summary ? Math.round(fc.summary.window_s / 60) : 10;
    const need = fc.summary?.person_px_needed;
    for (const f of fc.features) {
      const p = f.properties;
      const state = p.gsd_m == null ? "unseen" : (p.gap ? "coarse" : "fine");
      const d = "M" + f.geometry.coordinates.map(([lon, lat]) => this.project(lon, lat).map((v) => v.toFixed(1)).join(",")).join("L");
      const path = el("path", { d, class: `cov cov-${state}`, "vector-effect": "non-scaling-stroke" }, this.coverageLayer);
      path.dataset.index = p.index;
      path.dataset.state = state;
      const where = `shoreline ${(p.from_m / 1000).toFixed(2)}-${(p.to_m / 1000).toFixed(2)} km`;
      const pct = (v) => (v == null ? "–" : `${Math.round(v * 100)} %`);
      el("title", {}, path).textContent = state === "unseen"
        ? `${where}: not seen in the last ${win} min${p.age_s != null ? ` (last ${Math.round(p.age_s)} s ago)` : ""}`
        : `${where}: seen ${Math.round(p.age_s)} s ago by ${p.source_id}, ${(p.gsd_m * 100).toFixed(1)} cm/px; ` +
          `a person ${p.person_px.toFixed(0)} px (found ${pct(p.p_person)} of frames), a boat ${p.boat_px.toFixed(0)} px (${pct(p.p_boat)})` +
          (state === "coarse" && need ? `; a person needs ${need} px: fly ${(need / Math.max(p.person_px, 0.1)).toFixed(1)}x closer or lower` : "");
    }
  }

  /** The selected boat's dead-reckoned track: [[lon, lat], ...] from where it is now (null: none). */
  setProjection(points) {
    this.projectionLayer.replaceChildren();
    if (!points || points.length < 2) return;
    const pts = points.map(([lon, lat]) => this.project(lon, lat).map((v) => v.toFixed(1)).join(",")).join(" ");
    el("polyline", { points: pts, class: "dead-reckoning", "vector-effect": "non-scaling-stroke" }, this.projectionLayer);
  }

  /** The selected alert's error ellipse: {lon, lat, along_m, across_m, bearing_deg} (one sigma,
   * long along the drone's line of sight), or null. Map units are metres, y pointing south. */
  setUncertainty(u) {
    this.uncertaintyLayer.replaceChildren();
    if (!u) return;
    const [cx, cy] = this.project(u.lon, u.lat), b = (u.bearing_deg * Math.PI) / 180;
    const pts = [];
    for (let k = 0; k < 48; k++) {
      const t = (2 * Math.PI * k) / 48, a = u.along_m * Math.cos(t), c = u.across_m * Math.sin(t);
      // along the bearing (east sin b, north cos b) and across it (east cos b, north -sin b)
      const east = a * Math.sin(b) + c * Math.cos(b), north = a * Math.cos(b) - c * Math.sin(b);
      pts.push(`${(cx + east).toFixed(1)},${(cy - north).toFixed(1)}`);
    }
    const poly = el("polygon", { points: pts.join(" "), class: "uncertainty", "vector-effect": "non-scaling-stroke" }, this.uncertaintyLayer);
    el("title", {}, poly).textContent = `± ${Math.round(u.along_m)} m along the line of sight, ± ${Math.round(u.across_m)} m across`;
  }

  /** routes: [{drone_id, waypoints:[{lat_deg, lon_deg}]}] */
  setRoutes(routes) {
    this.routeLayer.replaceChildren();
    routes.forEach((r, i) => {
      const pts = r.waypoints.map((w) => this.project(w.lon_deg, w.lat_deg).map((v) => v.toFixed(1)).join(",")).join(" ");
      const line = el("polyline", { points: pts, class: "route", stroke: ROUTE_COLOURS[i % ROUTE_COLOURS.length], "vector-effect": "non-scaling-stroke" }, this.routeLayer);
      line.dataset.droneId = r.drone_id;
    });
  }

  fitTo(points) {
    if (!points.length) return;
    const xy = points.map(([lon, lat]) => this.project(lon, lat));
    const xs = xy.map((p) => p[0]), ys = xy.map((p) => p[1]);
    const pad = 400;
    const x0 = Math.min(...xs) - pad, x1 = Math.max(...xs) + pad, y0 = Math.min(...ys) - pad, y1 = Math.max(...ys) + pad;
    const w = this.container.clientWidth, h = this.container.clientHeight;
    this.k = Math.min(w / (x1 - x0), h / (y1 - y0));
    this.tx = w / 2 - this.k * (x0 + x1) / 2;
    this.ty = h / 2 - this.k * (y0 + y1) / 2;
    this._apply();
  }
}
