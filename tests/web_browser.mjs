// End-to-end test of the operator map in a real browser: the daemon replays the
// bundled capture of the demo scene, sg_web subscribes to its feed, and headless
// Chromium (the system's, driven by puppeteer-core; no browser is downloaded) shows
// the page. Asserted from the DOM: the intruder's track marker with its DroneID
// identity, the critical alert for the stadium bowl (and the live alarm it raised),
// the allow-listed venue drone marked as such, the zones, scale bar and north arrow,
// an acknowledgement reaching the list, the "feed lost" banner once the daemon has
// gone, and a late-joining page getting the same picture from the snapshot. The
// console must stay free of JavaScript errors (CSP violations included). A
// screenshot is saved as BINARY_DIR/web-map.png.
// Usage: node web_browser.mjs SOURCE_DIR BINARY_DIR CHROMIUM
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [src, bin, chromium] = process.argv.slice(2).map((p, i) => (i < 2 ? path.resolve(p) : p));
const require = createRequire(path.join(src, 'web', 'package.json'));
const puppeteer = require('puppeteer-core');
const INTRUDER = '1581F5FJB23A0417', VENUE_DRONE = '1581F4QDE2270001';
const venue = path.join(src, 'config', 'default-venue.json');
let failures = 0;
const children = [];

function check(cond, what) {
  console.log((cond ? 'ok: ' : 'FAIL: ') + what);
  if (!cond) failures++;
}
function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}
function start(cmd, args, onLine) {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  let out = '';
  c.stdout.on('data', (d) => { out += d; if (onLine) onLine(out); });
  c.stderr.on('data', (d) => process.stderr.write('[' + path.basename(cmd) + '] ' + d));
  c.exited = new Promise((res) => c.on('exit', (code) => res(code)));
  return c;
}
// A minimal ZeroMQ PUB (ZMTP 3.0, NULL mechanism) on the daemon's port once it has
// gone: sg_web reconnects by itself, and the test can publish frames the demo has not
// got (an rf. report with a DF bearing).
function zmtpPublisher(port) {
  const peers = new Set();
  const server = net.createServer((sock) => {
    const greeting = Buffer.alloc(64);
    greeting[0] = 0xff; greeting[9] = 0x7f; greeting[10] = 3; greeting.write('NULL', 12, 'ascii');
    const len = Buffer.alloc(4); len.writeUInt32BE(3);
    const ready = Buffer.concat([Buffer.from([5]), Buffer.from('READY'), Buffer.from([11]),
      Buffer.from('Socket-Type'), len, Buffer.from('PUB')]);
    sock.write(Buffer.concat([greeting, Buffer.from([0x04, ready.length]), ready]));
    sock.on('data', () => peers.add(sock)); // its greeting: the handshake is under way
    sock.on('error', () => {});
    sock.on('close', () => peers.delete(sock));
  });
  server.listen(port, '127.0.0.1');
  return {
    peers,
    send(frame) {
      const b = Buffer.from(frame);
      let h;
      if (b.length < 256) h = Buffer.from([0, b.length]);
      else { h = Buffer.alloc(9); h[0] = 2; h.writeBigUInt64BE(BigInt(b.length), 1); }
      for (const s of peers) s.write(Buffer.concat([h, b]));
    },
    close() { for (const s of peers) s.destroy(); server.close(); },
  };
}
const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) =>
  setTimeout(() => rej(new Error('timeout: ' + what)), ms))]);

async function main() {
  const feedPort = await freePort();
  const feed = 'tcp://127.0.0.1:' + feedPort;
  let webUrl = null;
  const web = start(path.join(bin, 'sg_web'), ['-c', venue, '--plaintext', '--listen', '127.0.0.1:0',
    '--feed-lost', '3', feed], (out) => {
    const m = out.match(/map on (http:\/\/127\.0\.0\.1:\d+\/)/);
    if (m) webUrl = m[1];
  });
  for (let i = 0; i < 500 && !webUrl; i++) await new Promise((r) => setTimeout(r, 10));
  if (!webUrl) throw new Error('sg_web did not start');

  const profile = mkdtempSync(path.join(os.tmpdir(), 'sg-web-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromium, headless: true, userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  const watch = (page, name) => {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(name + ' console: ' + m.text()); });
    page.on('pageerror', (e) => errors.push(name + ' page error: ' + e.message));
    page.on('requestfailed', (r) => { if (!r.url().endsWith('/events')) errors.push(name + ' request failed: ' + r.url()); });
  };
  try {
    const page = await browser.newPage();
    watch(page, 'live');
    await page.setViewport({ width: 1280, height: 800 });
    const resp = await page.goto(webUrl, { waitUntil: 'load' });
    const csp = resp.headers()['content-security-policy'] || '';
    check(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), 'page served with a CSP forbidding inline scripts');
    await page.waitForSelector('body[data-snapshot="yes"]', { timeout: 10000 });
    check(await page.$$eval('path.zone', (z) => z.length) >= 3, 'venue zones drawn with no tiles');
    check(await page.$('.leaflet-control-scale') !== null, 'scale bar');
    check(await page.$('.north-arrow') !== null, 'north arrow');
    check(await page.$$eval('.leaflet-tile', (t) => t.length) === 0, 'no map tiles requested by default');

    // the daemon replays the capture; the page follows it live
    const daemon = start(path.join(bin, 'skyguardd'), ['-c', venue, '-q', '-e', feed,
      '--wait-subscriber', '20', '--linger', '1']);
    const code = await withTimeout(daemon.exited, 60000, 'daemon replay');
    check(code === 0, 'daemon replayed the capture (exit ' + code + ')');

    const sel = '.track-marker[data-identity="' + INTRUDER + '"]';
    await page.waitForSelector(sel, { timeout: 10000 });
    const label = await page.$eval(sel, (e) => e.textContent);
    check(label.includes(INTRUDER) && /m\/s/.test(label) && /m AGL/.test(label),
      'intruder marker shows identity, speed and height: "' + label + '"');
    check(await page.$eval(sel, (e) => !e.classList.contains('allow-listed')), 'intruder not marked allow-listed');
    const venueSel = '.track-marker.allow-listed[data-identity="' + VENUE_DRONE + '"]';
    check(await page.$(venueSel) !== null, 'allow-listed venue drone marked');
    check((await page.$eval(venueSel, (e) => e.textContent)).includes('ALLOW-LISTED: venue inspection drone'),
      'allow-listed label names the venue drone');
    const crit = await page.$$eval('#alerts li.alert.sev-critical', (l) => l.map((e) => e.textContent));
    check(crit.some((t) => t.includes('stadium-critical') && t.includes(INTRUDER)),
      'critical alert for the stadium bowl with the intruder identity: ' + JSON.stringify(crit[0] || ''));
    const alarms = await page.$eval('body', (b) => Number(b.dataset.criticalAlarms || 0));
    check(alarms === 1, 'one alarm on the new critical alert (got ' + alarms + ')');
    const order = await page.$$eval('#alerts li.alert', (l) => l.map((e) => Number(e.dataset.alertId)));
    check(order.length >= 5 && order[0] === Math.max(...order), 'alert list newest first: ' + order.join(','));
    check(await page.$$eval('path.trail', (t) => t.length) >= 2, 'track trails drawn');
    check(await page.$$eval('.pilot-icon', (p) => p.length) >= 1, 'pilot/home position drawn');
    const ttbShown = await page.$$eval('#alerts li.alert', (l) => l.some((e) => / ± [0-9.]+ s to breach/.test(e.textContent)));
    check(ttbShown, 'time to breach with its sd shown ("12.1 ± 0.6 s to breach" style)');
    check((await page.$eval('#sensors', (e) => e.textContent)).includes('rf-north-roof (rf): ended'),
      'sensors listed with their health (the replay has ended)');
    const times = await page.$$eval('#alerts li.alert', (l) => l.map((e) => e.textContent).join(' '));
    check(/19:3\d:\d\d BST/.test(times), 'times in the venue time zone (Europe/London, BST in July)');

    // acknowledge an active alert; every page sees it
    const ackBtn = await page.$('#alerts li.alert:not(.state-cleared) button.ack');
    check(ackBtn !== null, 'an active alert offers acknowledge');
    if (ackBtn) {
      await ackBtn.click();
      await page.waitForSelector('#alerts .acked', { timeout: 5000 });
      check(true, 'acknowledgement shown');
    }

    // the daemon is gone: the banner must say so
    await page.waitForSelector('#feed-lost:not([hidden])', { timeout: 10000 });
    check((await page.$eval('#feed-lost', (e) => e.textContent)).includes('FEED LOST'), 'feed lost banner');

    // RF presence heard by the sensor, position unknown: drawn around the sensor
    const rfText = await page.$eval('#rf', (e) => e.textContent);
    check(/rf-north-roof: dji_droneid · 2444\.5 MHz \/ [0-9.]+ MHz wide · position unknown/.test(rfText),
      'RF presence with frequency and bandwidth, position unknown: ' + JSON.stringify(rfText.slice(0, 90)));
    check(await page.$$eval('path.rf-presence', (p) => p.length) >= 1, 'RF presence ring around its sensor');

    // the feed comes back (a publisher on the daemon's port) with a DF bearing
    const pub = zmtpPublisher(feedPort);
    const rf = 'rf.rf-north-roof {"v":1,"type":"rf","t":1784572290.5,"time":"2026-07-20T18:31:30.500Z",' +
      '"sensor":"rf-north-roof","class":"elrs_2g4","class_conf":0.8,"fc_hz":2440400000,"bw_hz":812500,' +
      '"azimuth_deg":200,"azimuth_sd_deg":4,"first_t":1784572289.0,"last_t":1784572290.5}';
    let bearing = false;
    for (let i = 0; i < 100 && !bearing; i++) {
      pub.send(rf);
      await new Promise((r) => setTimeout(r, 100));
      bearing = (await page.$$eval('path.df-bearing', (p) => p.length)) === 1;
    }
    check(bearing, 'DF bearing line drawn for an rf. report with azimuth_deg');
    check(await page.$$eval('path.df-bearing-sd', (p) => p.length) === 2, 'bearing sd lines either side');
    check((await page.$eval('#rf', (e) => e.textContent)).includes('elrs_2g4 · 2440.4 MHz / 0.81 MHz wide · bearing 200° ± 4'),
      'bearing listed with its sd');
    await page.waitForSelector('#feed-lost[hidden]', { timeout: 5000 });
    check(true, 'feed lost banner gone once messages flow again');
    // the next day on the feed's clock: the bowl's event schedule is over, its zone dims
    const critDash = () => page.$$eval('path.zone-critical', (p) => p.map((e) => e.getAttribute('stroke-dasharray')));
    check((await critDash()).every((d) => d === null), 'critical zone drawn solid while its schedule is active');
    let dimmed = false;
    for (let i = 0; i < 50 && !dimmed; i++) {
      pub.send(rf.replace(/1784572290\.5/g, '1784658690.5').replace('2026-07-20T18:31:30.500Z', '2026-07-21T18:31:30.500Z'));
      await new Promise((r) => setTimeout(r, 100));
      dimmed = (await critDash()).every((d) => d === '6 6');
    }
    check(dimmed, 'critical zone dimmed (dashed) once its schedule is inactive');
    pub.close();

    // a late joiner gets the same picture at once
    const late = await browser.newPage();
    watch(late, 'late');
    await late.setViewport({ width: 1280, height: 800 });
    await late.goto(webUrl, { waitUntil: 'load' });
    await late.waitForSelector('body[data-snapshot="yes"]', { timeout: 10000 });
    check(await late.$(sel) !== null && await late.$(venueSel) !== null, 'late joiner: both tracks from the snapshot');
    check(await late.$$eval('#alerts li.alert.sev-critical', (l) => l.length) >= 1, 'late joiner: critical alert in the history');
    check(await late.$('#alerts .acked') !== null, 'late joiner: the acknowledgement');
    check(await late.$eval('body', (b) => Number(b.dataset.criticalAlarms || 0)) === 0, 'late joiner: no alarm for old alerts');

    // with a login: the form (its own script under the same CSP), a wrong token, the map
    const token = path.join(profile, 'token');
    writeFileSync(token, 'browser-test-token-0123\n', { mode: 0o600 });
    let loginUrl = null;
    const web2 = start(path.join(bin, 'sg_web'), ['-c', venue, '--plaintext', '--listen', '127.0.0.1:0',
      '--token-file', token, '-q', feed], (out) => {
      const m = out.match(/map on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) loginUrl = m[1];
    });
    for (let i = 0; i < 500 && !loginUrl; i++) await new Promise((r) => setTimeout(r, 10));
    const lp = await browser.newPage();
    watch(lp, 'login');
    await lp.goto(loginUrl, { waitUntil: 'load' });
    check(lp.url().endsWith('/login'), 'with a token file the map redirects to /login');
    await lp.type('input[name=name]', 'Duty Lead');
    await lp.type('input[name=token]', 'not-the-token-at-all');
    await Promise.all([lp.waitForNavigation(), lp.click('button[type=submit]')]);
    check(await lp.$eval('#failed', (e) => !e.hidden), 'wrong token: the form says so');
    await lp.type('input[name=token]', 'browser-test-token-0123');
    await Promise.all([lp.waitForNavigation(), lp.click('button[type=submit]')]);
    await lp.waitForSelector('body[data-snapshot="yes"]', { timeout: 10000 });
    check(await lp.$('.leaflet-control-scale') !== null, 'logged in: the map and its event stream work');
    const cookies = await lp.cookies();
    check(cookies.some((c) => c.name === 'sg_session' && c.httpOnly && c.sameSite === 'Strict'),
      'session cookie is HttpOnly and SameSite=Strict');
    await lp.close(); // before its server goes: a cut event stream is a console error
    web2.kill('SIGTERM');
    await withTimeout(web2.exited, 10000, 'second sg_web stop');

    const shot = path.join(bin, 'web-map.png');
    await page.screenshot({ path: shot });
    console.log('screenshot: ' + shot);
    check(errors.length === 0, 'no JavaScript errors in the console' + (errors.length ? ': ' + errors.join(' | ') : ''));
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
    web.kill('SIGTERM');
    const wcode = await withTimeout(web.exited, 10000, 'sg_web stop');
    check(wcode === 0, 'sg_web stopped cleanly (exit ' + wcode + ')');
  }
}

main().then(() => {
  console.log(failures ? failures + ' check(s) failed' : 'all checks passed');
  process.exit(failures ? 1 : 0);
}).catch((e) => {
  console.log('FAIL: ' + e.message);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(1);
});
