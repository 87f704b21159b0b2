// Makes docs/web-map.png: the operator map 42 s into a paced replay of the demo scene
// (the critical alert active). Needs a build (build/sg_web, build/skyguardd), Chromium
// and web/node_modules (tools/install-deps.sh).
// Usage: node tools/web-screenshot.mjs [OUT.png]   (default docs/web-map.png)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] || path.join(src, 'docs', 'web-map.png');
const puppeteer = createRequire(path.join(src, 'web', 'package.json'))('puppeteer-core');
const venue = path.join(src, 'config', 'default-venue.json');
const feed = 'tcp://127.0.0.1:5617';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const web = spawn(path.join(src, 'build', 'sg_web'), ['-c', venue, '--plaintext', '--listen', '127.0.0.1:18617', '-q', feed]);
await sleep(500);
const browser = await puppeteer.launch({ executablePath: process.env.SG_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
const page = await browser.newPage();
await page.setViewport({ width: 1100, height: 700 });
await page.goto('http://127.0.0.1:18617/');
const daemon = spawn(path.join(src, 'build', 'skyguardd'), ['-c', venue, '-q', '--realtime', '-e', feed, '--wait-subscriber', '10']);
await sleep(42000);
await page.screenshot({ path: out });
daemon.kill('SIGTERM');
await browser.close();
web.kill('SIGTERM');
console.log('wrote ' + out);
