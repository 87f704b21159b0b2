/* skyguard operator map: draws the venue and the live picture pushed by sg_web as
 * Server-Sent Events (docs/web.md). No inline script or style (the server's
 * Content-Security-Policy forbids them); feed text only ever goes into textContent. */
'use strict';

(function () {
  const SEV = ['info', 'warning', 'alert', 'critical'];
  const SEV_COLOUR = { warning: '#f1c21b', alert: '#ff832b', critical: '#da1e28', info: '#8d8d8d' };
  const SERVER_SILENT_S = 5; // s without any server event: the page itself is cut off
  const TRAIL_MAX = 120;
  const st = {
    venue: null, map: null, fmt: null, fmtDate: null,
    tracks: new Map(), alerts: new Map(), rf: new Map(), nodes: new Map(), zonesActive: {},
    zoneLayers: [], sensorMarkers: new Map(), lastEvent: Date.now(), feed: null,
    audio: null, seenCritical: new Set(), alarms: 0, snapshotDone: false,
  };
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const num = (v) => (typeof v === 'number' && isFinite(v) ? v : null);

  /* ---- time in the venue's zone ---- */
  function fmtTime(t) {
    if (num(t) === null || !st.fmt) return '-';
    return st.fmt.format(new Date(t * 1000));
  }

  /* ---- geometry ---- */
  function destination(lat, lon, brgDeg, distM) {
    const R = 6371008.8, d = distM / R, b = brgDeg * Math.PI / 180;
    const p1 = lat * Math.PI / 180, l1 = lon * Math.PI / 180;
    const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    return [p2 * 180 / Math.PI, l2 * 180 / Math.PI];
  }
  function heightAboveVenue(t) {
    if (Array.isArray(t.enu_m) && num(t.enu_m[2]) !== null) return t.enu_m[2];
    return num(t.alt_m) !== null ? t.alt_m - st.venue.origin.alt_m : null;
  }
  function trackSeverity(t) {
    let m = -1;
    for (const z of t.zones || []) m = Math.max(m, SEV.indexOf(z.severity));
    return m > 0 ? SEV[m] : null;
  }

  /* ---- venue drawing ---- */
  function zoneStyle(f) {
    const p = f.properties, on = st.zonesActive[p.id] !== false;
    const c = SEV_COLOUR[p.severity] || '#8d8d8d';
    return { color: c, weight: on ? 2 : 1, opacity: on ? 0.9 : 0.35, fillColor: c,
             fillOpacity: on ? (p.severity === 'critical' ? 0.22 : 0.12) : 0.04,
             dashArray: on ? null : '6 6', className: 'zone zone-' + p.severity + (on ? '' : ' zone-inactive') };
  }
  function drawVenue(v) {
    st.venue = v;
    $('venue-name').textContent = v.name;
    const tz = v.time_zone || 'UTC';
    st.fmt = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit',
      second: '2-digit', hour12: false, timeZoneName: 'short' });
    if (st.map) return; // a reconnect re-sends the venue: keep the drawing
    const map = L.map('map', { zoomControl: true, attributionControl: !!v.tiles, zoomSnap: 0.25 });
    st.map = map;
    map.setView([v.origin.lat, v.origin.lon], 15); // layers need a view before they are added
    if (v.tiles) L.tileLayer(v.tiles.url, { maxZoom: v.tiles.max_zoom || 19, attribution: v.tiles.attribution || '' }).addTo(map);
    L.control.scale({ metric: true, imperial: false, maxWidth: 200 }).addTo(map);
    const North = L.Control.extend({ onAdd: function () {
      const d = el('div', 'north-arrow'); d.appendChild(el('div', 'n-tri')); d.appendChild(el('div', '', 'N'));
      d.title = 'north is up'; return d; } });
    new North({ position: 'topright' }).addTo(map);
    const overlays = {};
    for (const layer of ['warning', 'alert', 'critical']) {
      const feats = v.zones.features.filter((f) => f.properties.layer === layer);
      const g = L.geoJSON({ type: 'FeatureCollection', features: feats }, {
        style: zoneStyle,
        pointToLayer: (f, ll) => L.circle(ll, { radius: f.properties.radius_m }),
        onEachFeature: (f, lyr) => lyr.bindTooltip(f.properties.name || f.properties.id, { sticky: true }),
      }).addTo(map);
      st.zoneLayers.push(g);
      overlays[layer + ' zones'] = g;
    }
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    const all = L.featureGroup(st.zoneLayers);
    if (all.getLayers().length && all.getBounds().isValid()) map.fitBounds(all.getBounds().pad(0.05));
    for (const s of v.sensors) {
      const m = L.circleMarker([s.lat, s.lon], { radius: 7, color: '#111', weight: 2, fillColor: '#8d8d8d', fillOpacity: 1,
        className: 'sensor-marker' }).addTo(map);
      m.bindTooltip(s.id + ' (' + s.kind + ')');
      st.sensorMarkers.set(s.id, m);
    }
    renderSensors();
  }
  function restyleZones() { for (const g of st.zoneLayers) g.setStyle(zoneStyle); }

  /* ---- tracks ---- */
  function trackIcon(t) {
    const sev = trackSeverity(t);
    const root = el('div', 'track-marker' + (sev ? ' sev-' + sev : '') + (t.allow_listed ? ' allow-listed' : '') +
      (t.status === 'coasting' ? ' coasting' : ''));
    root.dataset.trackId = String(t.id);
    root.dataset.identity = t.identity || '';
    if (num(t.course_deg) !== null) {
      const a = el('div', 'arrow'); a.style.transform = 'rotate(' + t.course_deg + 'deg)'; root.appendChild(a);
    } else root.appendChild(el('div', 'dot'));
    const lab = el('div', 'track-label');
    const h = heightAboveVenue(t), spd = num(t.speed_mps);
    lab.appendChild(el('div', '', '#' + t.id + ' ' + (t.identity || 'no identity') + (t.class ? ' · ' + t.class : '')));
    lab.appendChild(el('div', '', (spd !== null ? spd.toFixed(1) + ' m/s' : '- m/s') +
      (num(t.course_deg) !== null ? ' ' + Math.round(t.course_deg) + '°' : ' hover') +
      ' · ' + (h !== null ? Math.round(h) + ' m AGL' : '- m')));
    if (t.allow_listed) lab.appendChild(el('div', 'allow', 'ALLOW-LISTED' + (t.allow_label ? ': ' + t.allow_label : '')));
    root.appendChild(lab);
    return L.divIcon({ html: root, className: 'track-icon', iconSize: [28, 28], iconAnchor: [14, 14] });
  }
  function applyTrack(t, trail) {
    let r = st.tracks.get(t.id);
    if (t.status === 'deleted') { removeTrack(t.id); return; }
    const ll = [t.lat, t.lon];
    if (!r) {
      r = { trail: L.polyline([], { color: '#0f62fe', weight: 3, opacity: 0.8, className: 'trail' }).addTo(st.map),
            marker: L.marker(ll, { icon: trackIcon(t), keyboard: false }).addTo(st.map), pilot: null, pilotLine: null };
      st.tracks.set(t.id, r);
      if (trail) r.trail.setLatLngs(trail);
    } else {
      r.marker.setLatLng(ll); r.marker.setIcon(trackIcon(t));
    }
    if (!trail) {
      const pts = r.trail.getLatLngs();
      const last = pts[pts.length - 1];
      if (!last || last.lat !== t.lat || last.lng !== t.lon) { pts.push(L.latLng(ll)); if (pts.length > TRAIL_MAX) pts.shift(); r.trail.setLatLngs(pts); }
    }
    r.trail.setStyle({ color: t.allow_listed ? '#24a148' : '#0f62fe' });
    const op = t.operator;
    if (op && num(op.lat) !== null && num(op.lon) !== null) {
      const pl = [op.lat, op.lon];
      if (!r.pilot) {
        r.pilot = L.marker(pl, { icon: L.divIcon({ className: 'pilot-icon', iconSize: [12, 12] }) }).addTo(st.map);
        r.pilotLine = L.polyline([pl, ll], { color: '#8a3ffc', weight: 1.5, dashArray: '4 4' }).addTo(st.map);
      } else { r.pilot.setLatLng(pl); r.pilotLine.setLatLngs([pl, ll]); }
      r.pilot.bindTooltip('pilot / home of track ' + t.id + (t.identity ? ' (' + t.identity + ')' : ''));
    } else if (r.pilot) { r.pilot.remove(); r.pilotLine.remove(); r.pilot = r.pilotLine = null; }
    r.t = t;
  }
  function removeTrack(id) {
    const r = st.tracks.get(id);
    if (!r) return;
    r.marker.remove(); r.trail.remove();
    if (r.pilot) { r.pilot.remove(); r.pilotLine.remove(); }
    st.tracks.delete(id);
  }
  function renderTracks() {
    const ul = $('tracks'); ul.replaceChildren();
    const list = [...st.tracks.values()].map((r) => r.t).sort((a, b) => a.id - b.id);
    $('track-count').textContent = '(' + list.length + ')';
    for (const t of list) {
      const h = heightAboveVenue(t);
      const li = el('li', 'track-row' + (t.allow_listed ? ' allow-listed' : ''));
      li.dataset.trackId = String(t.id);
      li.textContent = '#' + t.id + ' ' + t.status + ' · ' + (t.class || 'unclassified') + ' · ' + (t.identity || 'no identity') +
        ' · ' + (num(t.speed_mps) !== null ? t.speed_mps.toFixed(1) : '-') + ' m/s · ' + (h !== null ? Math.round(h) : '-') + ' m AGL' +
        (t.allow_listed ? ' · ALLOW-LISTED' + (t.allow_label ? ' (' + t.allow_label + ')' : '') : '') +
        (t.operator ? ' · pilot ' + t.operator.lat.toFixed(5) + ', ' + t.operator.lon.toFixed(5) : '');
      li.addEventListener('click', () => st.map.panTo([t.lat, t.lon]));
      ul.appendChild(li);
    }
  }

  /* ---- alerts ---- */
  function alarm(a) {
    st.alarms++;
    document.body.dataset.criticalAlarms = String(st.alarms);
    document.body.classList.remove('alarm-flash'); void document.body.offsetWidth; document.body.classList.add('alarm-flash');
    if (!st.audio || st.audio.state !== 'running') return;
    const now = st.audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const o = st.audio.createOscillator(), g = st.audio.createGain();
      o.type = 'square'; o.frequency.value = 880;
      g.gain.setValueAtTime(0.0001, now + i * 0.3);
      g.gain.exponentialRampToValueAtTime(0.3, now + i * 0.3 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.3 + 0.22);
      o.connect(g).connect(st.audio.destination); o.start(now + i * 0.3); o.stop(now + i * 0.3 + 0.25);
    }
  }
  function applyAlert(a, live) {
    st.alerts.set(a.id, a);
    if (a.severity === 'critical' && !st.seenCritical.has(a.id)) {
      st.seenCritical.add(a.id);
      if (live && !a.snapshot && a.state !== 'cleared') alarm(a);
    }
  }
  function renderAlerts() {
    const ol = $('alerts'); ol.replaceChildren();
    const raised = (a) => (num(a.t_raised) !== null ? a.t_raised : a.t);
    const list = [...st.alerts.values()].sort((x, y) => (raised(y) - raised(x)) || (y.id - x.id));
    const active = list.filter((a) => a.state !== 'cleared').length;
    $('alert-count').textContent = '(' + active + ' active, ' + list.length + ' in history)';
    for (const a of list) {
      const li = el('li', 'alert sev-' + a.severity + ' state-' + a.state + (a.state !== 'cleared' && !st.tracks.has(a.track_id) ? ' stale' : ''));
      li.dataset.alertId = String(a.id);
      li.dataset.severity = a.severity;
      const head = el('div', 'head', a.severity.toUpperCase() + ' ' + a.state + ' · ' + a.zone);
      if (!a.ack && a.state !== 'cleared') {
        const b = el('button', 'ack', 'acknowledge'); b.type = 'button';
        b.addEventListener('click', () => ack(a.id, b));
        head.appendChild(b);
      }
      li.appendChild(head);
      let ttb = '-';
      if (a.inside) ttb = 'inside';
      else if (num(a.ttb_s) !== null) ttb = a.ttb_s.toFixed(1) + (num(a.ttb_sd_s) !== null ? ' ± ' + a.ttb_sd_s.toFixed(1) : '') + ' s to breach';
      li.appendChild(el('div', '', 'track #' + a.track_id + ' · ' + (a.identity || 'no identity') + (a.class ? ' · ' + a.class : '') +
        (a.allow_listed ? ' · ALLOW-LISTED' : '')));
      li.appendChild(el('div', '', ttb + ' · raised ' + fmtTime(raised(a)) + (a.t !== raised(a) ? ', ' + a.state + ' ' + fmtTime(a.t) : '')));
      if (a.ack) li.appendChild(el('div', 'acked', 'acknowledged by ' + (a.ack.by || 'operator') + ' at ' + fmtTime(a.ack.t)));
      if (a.state !== 'cleared' && !st.tracks.has(a.track_id)) li.appendChild(el('div', 'muted', 'track no longer reported'));
      ol.appendChild(li);
    }
  }
  function ack(id, button) {
    button.disabled = true;
    fetch('/api/ack', { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin',
      body: JSON.stringify({ id: id }) }).then((r) => { if (!r.ok) button.disabled = false; })
      .catch(() => { button.disabled = false; });
  }

  /* ---- RF presence and bearings ---- */
  function applyRf(r) {
    const old = st.rf.get(r.key);
    if (old) for (const l of old.layers) l.remove();
    const s = st.venue.sensors.find((x) => x.id === r.sensor);
    const layers = [];
    if (s && num(r.track_id) === null) // position unknown: a ring round the sensor (a report a track explains shows as that track)
      layers.push(L.circle([s.lat, s.lon], { radius: 250, color: '#8a3ffc', weight: 2, dashArray: '3 6', fill: false,
        className: 'rf-presence' }).bindTooltip('RF ' + (r.class || 'unclassified') + ' heard by ' + r.sensor + ': position unknown').addTo(st.map));
    const az = num(r.azimuth_deg);
    if (s && az !== null) { // a DF bearing: drawn whether or not a track explains it
      layers.push(L.polyline([[s.lat, s.lon], destination(s.lat, s.lon, az, 5000)], { color: '#8a3ffc', weight: 2, className: 'df-bearing' }).addTo(st.map));
      const sd = num(r.azimuth_sd_deg);
      if (sd !== null && sd > 0) for (const k of [-1, 1])
        layers.push(L.polyline([[s.lat, s.lon], destination(s.lat, s.lon, az + k * sd, 5000)], { color: '#8a3ffc', weight: 1, dashArray: '2 6', className: 'df-bearing-sd' }).addTo(st.map));
    }
    st.rf.set(r.key, { r: r, layers: layers });
  }
  function removeRf(key) { const o = st.rf.get(key); if (o) { for (const l of o.layers) l.remove(); st.rf.delete(key); } }
  function renderRf() {
    const ul = $('rf'); ul.replaceChildren();
    for (const { r } of st.rf.values()) {
      if (num(r.track_id) !== null && st.tracks.has(r.track_id)) continue; // on the map as a track
      const li = el('li', 'rf-row');
      li.textContent = r.sensor + ': ' + (r.class || 'unclassified') + (r.identity ? ' ' + r.identity : '') +
        (num(r.fc_hz) !== null ? ' · ' + (r.fc_hz / 1e6).toFixed(1) + ' MHz' : '') + (num(r.bw_hz) !== null ? ' / ' + (r.bw_hz / 1e6).toFixed(2) + ' MHz wide' : '') +
        (num(r.azimuth_deg) !== null ? ' · bearing ' + r.azimuth_deg.toFixed(0) + '°' + (num(r.azimuth_sd_deg) !== null ? ' ± ' + r.azimuth_sd_deg.toFixed(0) : '') : ' · position unknown') +
        ' · last ' + fmtTime(r.last_t !== undefined ? r.last_t : r.t);
      ul.appendChild(li);
    }
    if (!ul.children.length) ul.appendChild(el('li', 'muted', 'none'));
  }

  /* ---- sensors and health ---- */
  function renderSensors() {
    const ul = $('sensors'); ul.replaceChildren();
    const states = new Map();
    for (const n of st.nodes.values()) for (const s of n.sensors || []) states.set(s.id, s.state);
    for (const s of (st.venue ? st.venue.sensors : [])) {
      const state = states.get(s.id) || (s.enabled ? 'unknown' : 'disabled');
      const li = el('li', 'sensor sensor-' + state, s.id + ' (' + s.kind + '): ' + state);
      li.dataset.sensorId = s.id;
      ul.appendChild(li);
      const m = st.sensorMarkers.get(s.id);
      const col = { ok: '#24a148', degraded: '#f1c21b', waiting: '#f1c21b', down: '#da1e28' }[state] || '#8d8d8d';
      if (m) { m.setStyle({ fillColor: col }); m.setTooltipContent(s.id + ' (' + s.kind + '): ' + state); }
    }
    const p = $('node-status'); p.replaceChildren();
    for (const n of st.nodes.values()) {
      const lat = n.latency_ms && num(n.latency_ms.pipeline_p99) !== null ? ' · pipeline p99 ' + n.latency_ms.pipeline_p99.toFixed(1) + ' ms' : '';
      p.appendChild(el('div', 'muted', n.node + ': ' + (n.tracks ?? '-') + ' tracks, ' + (n.alerts_active ?? '-') + ' alerts, dropped ' +
        (n.samples_dropped ?? '-') + ' samples' + lat + ' · ' + fmtTime(n.t)));
    }
  }

  /* ---- feed health ---- */
  function renderFeed() {
    const f = st.feed, silent = (Date.now() - st.lastEvent) / 1000;
    let lost = null;
    if (silent > SERVER_SILENT_S) lost = 'no contact with the map server for ' + Math.round(silent) + ' s';
    else if (f && f.lost) lost = f.age_s === null ? 'no message from the daemon yet' : 'no update from the daemon for ' + Math.round(f.age_s) + ' s; the picture may be stale';
    const b = $('feed-lost'), s = $('feed-state');
    b.hidden = !lost;
    $('feed-lost-why').textContent = lost || '';
    s.className = lost ? 'feed-lost' : 'feed-ok';
    s.textContent = lost ? 'FEED LOST' : 'feed ok' + (f && f.last_t ? ' · data ' + fmtTime(f.last_t) : '');
    if (f && (f.malformed || f.unsupported || f.auth_refused))
      s.textContent += ' · bad frames ' + (f.malformed + f.unsupported) + (f.auth_refused ? ' · key refused' : '');
    document.body.dataset.feed = lost ? 'lost' : 'ok';
  }

  /* ---- events ---- */
  function applyMsg(m, live) {
    if (!st.map) return;
    switch (m.type) {
      case 'track': applyTrack(m); renderTracks(); renderAlerts(); break;
      case 'alert': applyAlert(m, live); renderAlerts(); break;
      case 'rf': applyRf(m); renderRf(); break;
      case 'status': st.nodes.set(m.node, m); renderSensors(); break;
      default: break;
    }
  }
  function applySnapshot(s) {
    for (const id of [...st.tracks.keys()]) removeTrack(id);
    for (const k of [...st.rf.keys()]) removeRf(k);
    st.alerts.clear(); st.nodes.clear();
    st.zonesActive = s.zones || {}; restyleZones();
    for (const t of s.tracks) applyTrack(t, t.trail);
    for (const a of s.alerts) applyAlert(a, false);
    for (const n of s.status) st.nodes.set(n.node, n);
    for (const r of s.rf) applyRf(r);
    st.feed = s.feed;
    st.snapshotDone = true;
    document.body.dataset.snapshot = 'yes';
    renderTracks(); renderAlerts(); renderRf(); renderSensors(); renderFeed();
  }
  function connect() {
    const es = new EventSource('/events');
    const on = (name, fn) => es.addEventListener(name, (ev) => {
      st.lastEvent = Date.now();
      let d;
      try { d = JSON.parse(ev.data); } catch (e) { console.warn('sg_web: bad event', name); return; }
      fn(d);
    });
    on('venue', drawVenue);
    on('snapshot', applySnapshot);
    on('msg', (m) => applyMsg(m, true));
    on('feed', (f) => { st.feed = f; renderFeed(); });
    on('zones', (z) => { st.zonesActive = z; restyleZones(); });
    on('ack', (a) => { const x = st.alerts.get(a.id); if (x) { x.ack = { by: a.by, t: a.t }; renderAlerts(); } });
    on('expire', (x) => {
      if (x.kind === 'track') { removeTrack(x.id); renderTracks(); renderAlerts(); }
      else if (x.kind === 'rf') { removeRf(x.key); renderRf(); }
    });
    es.onopen = () => { st.lastEvent = Date.now(); };
  }

  function init() {
    $('sound').addEventListener('click', () => {
      if (!st.audio) st.audio = new (window.AudioContext || window.webkitAudioContext)();
      if (st.audio.state === 'running') { st.audio.suspend(); $('sound').textContent = 'sound off'; }
      else { st.audio.resume(); $('sound').textContent = 'sound on'; }
    });
    setInterval(() => {
      if (st.fmt) $('clock').textContent = st.fmt.format(new Date());
      renderFeed();
    }, 1000);
    connect();
  }
  document.addEventListener('DOMContentLoaded', init);
}());
