#!/usr/bin/env node
/**
 * npm run lock:fix — run after every `npm install` that changes package-lock.json.
 *
 * Why: npm 11.16+ leaves out of package-lock.json the platform-specific optional packages it cannot
 * resolve (here: the registry mirror lacks some darwin/win32 builds of @msgpackr-extract/* and
 * @unrs/resolver-binding-*), and then `npm ci` rejects its own lockfile ("Missing: ... from lock
 * file"; npm/cli#9846). This adds the inert placeholder entries that npm 11.13 used to write:
 * version, optional, and the os/cpu/libc that make npm skip them on every other platform.
 * No npm option or library does this; remove the script once npm ships the fix (npm/cli#9850).
 */
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;

for (const [location, meta] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    let platform = {};
    try {
      const out = execFileSync('npm', ['view', name, 'os', 'cpu', 'libc', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      platform = out.trim() ? JSON.parse(out) : {};
    } catch {
      // Not in the registry at all: leave the platform fields out; npm treats it as optional.
    }
    const entry = { version: String(spec).replace(/^[\^~=]/, ''), optional: true };
    for (const key of ['os', 'cpu', 'libc']) if (platform[key]) entry[key] = [].concat(platform[key]);
    packages[hoisted] = entry;
    added++;
  }
}

if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.error(`lock:fix: ${added} placeholder entr${added === 1 ? 'y' : 'ies'} added`);
