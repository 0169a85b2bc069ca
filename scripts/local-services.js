#!/usr/bin/env node
/*
 * scripts/local-services.js: finds (or starts) the PostgreSQL and Redis used by
 * `npm test` and the demo.
 *
 *   eval "$(node scripts/local-services.js up)"   # prints export DATABASE_URL=... / REDIS_URL=...
 *   node scripts/local-services.js down           # stops only what `up` started
 *
 * `up` uses the configured servers when they answer (TEST_DATABASE_URL, then DATABASE_URL,
 * then postgres://postgres@127.0.0.1:5432/test; REDIS_URL, then redis://127.0.0.1:6379).
 * If a server doesn't answer, `up` starts a throwaway instance from the installed binaries
 * (initdb/pg_ctl, redis-server) under <project>/.local/services/ on a free port, and
 * records it in .local/services/started.json so that `down` stops exactly those.
 * stdout carries only the `export` lines. Diagnostics go to stderr, with passwords masked.
 *
 * This is hand-written because it drives OS binaries (initdb, pg_ctl, redis-server,
 * runuser/su). No npm library does this for both services without Docker or downloads.
 *
 * Environment:
 *   TEST_DATABASE_URL, DATABASE_URL   Postgres to try first
 *   REDIS_URL                         Redis to try first
 *   LOCAL_SERVICES_PG_BIN_DIRS        ':'-separated dirs searched for initdb/pg_ctl after PATH; a '*'
 *                                     path component is expanded, highest version first (default:
 *                                     /usr/lib/postgresql/VERSION/bin, /usr/pgsql-VERSION/bin, /usr/local/pgsql/bin)
 *   LOCAL_SERVICES_REDIS_BIN_DIRS     ':'-separated dirs searched for redis-server after PATH
 *                                     (default /usr/bin:/usr/local/bin)
 *
 * Exit codes: 0 ok, 1 failure.
 */
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawnSync } = require('child_process');

const PROJECT_ROOT = path.resolve(__dirname, '..');
const SERVICES_DIR = path.join(PROJECT_ROOT, '.local', 'services');
const STATE_FILE = path.join(SERVICES_DIR, 'started.json');
const LOCK_FILE = path.join(SERVICES_DIR, '.lock');
const PG_DIR = path.join(SERVICES_DIR, 'postgres');
const REDIS_DIR = path.join(SERVICES_DIR, 'redis');

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_PG_BIN_DIRS = '/usr/lib/postgresql/*/bin:/usr/pgsql-*/bin:/usr/local/pgsql/bin';
const DEFAULT_REDIS_BIN_DIRS = '/usr/bin:/usr/local/bin';
const PG_OS_USER = 'postgres';

const PG_CHECK_TIMEOUT_MS = 3000;
const REDIS_CHECK_TIMEOUT_MS = 2000;
const PG_START_TIMEOUT_S = 30;
const REDIS_START_TIMEOUT_MS = 15000;
const LOCK_TIMEOUT_MS = 120000;
const PORT_ATTEMPTS = 3;

// ---------------------------------------------------------------------------
// small helpers

/** Mask the password part of any URL-ish `scheme://user:password@` in a string. */
function mask(text) {
  return String(text).replace(/(\/\/[^\s:@/]*:)[^\s@/]*@/g, '$1***@');
}

function log(msg) {
  process.stderr.write(`[local-services] ${mask(msg)}\n`);
}

function shq(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function envOr(...names) {
  for (const n of names) {
    const v = process.env[n];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what} timed out after ${ms}ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

function errText(e) {
  if (!e) return 'unknown error';
  if (e.message) return e.message;
  if (e.code) return e.code;
  if (Array.isArray(e.errors) && e.errors.length) return errText(e.errors[0]);
  return String(e);
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function isExecutableFile(p) {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pathDirs() {
  return (process.env.PATH || '').split(path.delimiter).filter(Boolean);
}

/** Expand ':'-separated dir patterns; a '*' component is globbed, highest version first. */
function expandDirPatterns(spec) {
  const out = [];
  for (const pattern of String(spec).split(':').filter(Boolean)) {
    if (!pattern.includes('*')) {
      out.push(pattern);
      continue;
    }
    const parts = pattern.split('/');
    const i = parts.findIndex((p) => p.includes('*'));
    const parent = parts.slice(0, i).join('/') || '/';
    const [pre, post] = parts[i].split('*');
    const rest = parts.slice(i + 1).join('/');
    let names = [];
    try {
      names = fs.readdirSync(parent).filter(
        (n) => n.startsWith(pre) && n.endsWith(post || '') && n.length >= pre.length + (post || '').length,
      );
    } catch {
      /* missing parent dir */
    }
    names.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
    for (const n of names) out.push(path.join(parent, n, rest));
  }
  return out;
}

function findPgBins() {
  const extra = expandDirPatterns(process.env.LOCAL_SERVICES_PG_BIN_DIRS ?? DEFAULT_PG_BIN_DIRS);
  for (const dir of [...pathDirs(), ...extra]) {
    const initdb = path.join(dir, 'initdb');
    const pgCtl = path.join(dir, 'pg_ctl');
    if (isExecutableFile(initdb) && isExecutableFile(pgCtl)) return { initdb, pgCtl };
  }
  return null;
}

function findRedisBins() {
  const extra = expandDirPatterns(process.env.LOCAL_SERVICES_REDIS_BIN_DIRS ?? DEFAULT_REDIS_BIN_DIRS);
  const dirs = [...pathDirs(), ...extra];
  for (const dir of dirs) {
    const server = path.join(dir, 'redis-server');
    if (!isExecutableFile(server)) continue;
    let cli = path.join(dir, 'redis-cli');
    if (!isExecutableFile(cli)) cli = dirs.map((d) => path.join(d, 'redis-cli')).find(isExecutableFile) || null;
    return { server, cli };
  }
  return null;
}

function firstExecutable(candidates) {
  return candidates.find(isExecutableFile) || null;
}

/** uid/gid of an OS user, or null when it doesn't exist. */
function lookupUser(name) {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* fall through to `id` */
  }
  const id = firstExecutable(['/usr/bin/id', '/bin/id']);
  if (!id) return null;
  const u = spawnSync(id, ['-u', name], { encoding: 'utf8' });
  const g = spawnSync(id, ['-g', name], { encoding: 'utf8' });
  if (u.status === 0 && g.status === 0) return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  return null;
}

/**
 * Run a command synchronously, optionally as another OS user (root only).
 * Returns { ok, status, output } where output is stdout+stderr.
 */
function run(cmd, args, { asUser = null, cwd, timeoutMs = 60000 } = {}) {
  let file = cmd;
  let argv = args.map(String);
  if (asUser) {
    const runuser = firstExecutable(['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser']);
    if (runuser) {
      file = runuser;
      argv = ['-u', asUser, '--', cmd, ...argv];
    } else {
      const su = firstExecutable(['/bin/su', '/usr/bin/su']);
      if (!su) return { ok: false, status: null, output: `neither runuser nor su found to run ${cmd} as ${asUser}` };
      file = su;
      argv = ['-s', '/bin/sh', '-c', [cmd, ...argv].map(shq).join(' '), asUser];
    }
  }
  const r = spawnSync(file, argv, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = `${r.stdout || ''}${r.stderr || ''}`.trim();
  if (r.error) {
    const why = r.error.code === 'ETIMEDOUT' ? `timed out after ${timeoutMs}ms` : errText(r.error);
    return { ok: false, status: r.status, output: `${why}${output ? `\n${output}` : ''}` };
  }
  return { ok: r.status === 0, status: r.status, output };
}

function tail(text, n = 8) {
  return String(text || '').trim().split('\n').slice(-n).join('\n');
}

function readTail(file, n = 8) {
  try {
    return tail(fs.readFileSync(file, 'utf8'), n);
  } catch {
    return '';
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    // A zombie (exited, not yet reaped) counts as gone.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (e.g. macOS): trust kill(0)
  }
}

function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    const ps = firstExecutable(['/bin/ps', '/usr/bin/ps']);
    if (!ps) return null;
    const r = spawnSync(ps, ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  }
}

function readPidFile(file) {
  try {
    const pid = parseInt(fs.readFileSync(file, 'utf8').split('\n')[0].trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function waitForExit(pid, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** Stop a pid only if it is still alive and its command line matches. */
async function killProcess(pid, matcher, label) {
  if (!isAlive(pid)) return;
  const cmd = cmdlineOf(pid);
  if (cmd !== null && !matcher.test(cmd)) {
    log(`${label}: pid ${pid} is now '${cmd}', not ours; leaving it alone`);
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  if (await waitForExit(pid, 10000)) return;
  log(`${label}: pid ${pid} did not exit after SIGTERM; sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  await waitForExit(pid, 5000);
}

/** rm -rf, but only inside .local/services (guards against a tampered started.json). */
function removeInside(p) {
  if (!p) return;
  const abs = path.resolve(p);
  if (!abs.startsWith(SERVICES_DIR + path.sep)) {
    log(`refusing to remove ${abs}: not under ${SERVICES_DIR}`);
    return;
  }
  fs.rmSync(abs, { recursive: true, force: true });
}

function samePath(a, b) {
  if (!a || !b) return false;
  const real = (p) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

function chownRecursive(p, uid, gid) {
  fs.lchownSync(p, uid, gid);
  const st = fs.lstatSync(p);
  if (st.isDirectory()) for (const n of fs.readdirSync(p)) chownRecursive(path.join(p, n), uid, gid);
}

// ---------------------------------------------------------------------------
// state + lock

function readState() {
  try {
    const s = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
    return s && typeof s === 'object' ? s : {};
  } catch {
    return {};
  }
}

function writeState(state) {
  if (!state.postgres && !state.redis) {
    fs.rmSync(STATE_FILE, { force: true });
    return;
  }
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, STATE_FILE);
}

async function acquireLock() {
  fs.mkdirSync(SERVICES_DIR, { recursive: true });
  const end = Date.now() + LOCK_TIMEOUT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(LOCK_FILE, { force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const holder = readPidFile(LOCK_FILE);
    if (holder !== null && !isAlive(holder)) {
      fs.rmSync(LOCK_FILE, { force: true }); // stale lock from a killed run
      continue;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${LOCK_FILE} (held by pid ${holder})`);
    if (!announced) {
      log(`waiting for another local-services run (pid ${holder}) to finish`);
      announced = true;
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------
// health checks

/** { ok, reason }; with expectDataDir, the server must also be the instance running from that data dir. */
async function pgCheck(url, timeoutMs = PG_CHECK_TIMEOUT_MS, expectDataDir = null) {
  const { Client } = require('pg');
  let client;
  try {
    client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  } catch (e) {
    return { ok: false, reason: errText(e) };
  }
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs + 1000, 'connect');
    await withTimeout(client.query('SELECT 1'), timeoutMs + 1000, 'SELECT 1');
    if (expectDataDir) {
      const res = await withTimeout(client.query('SHOW data_directory'), timeoutMs + 1000, 'SHOW');
      const actual = res.rows[0] && res.rows[0].data_directory;
      if (!samePath(actual, expectDataDir)) return { ok: false, reason: `server runs from ${actual}, not ${expectDataDir}` };
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: errText(e) };
  } finally {
    await withTimeout(client.end(), 1000, 'close').catch(() => {});
  }
}

/** { ok, reason }; with expectPid, the server must also be that process (INFO server process_id). */
async function redisCheck(url, timeoutMs = REDIS_CHECK_TIMEOUT_MS, expectPid = null) {
  const IORedis = require('ioredis');
  const Redis = IORedis.default || IORedis;
  let client;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      reconnectOnError: () => false,
      enableOfflineQueue: false,
    });
  } catch (e) {
    return { ok: false, reason: errText(e) };
  }
  let lastError = null;
  client.on('error', (e) => {
    lastError = e;
  });
  try {
    await withTimeout(client.connect(), timeoutMs + 1000, 'connect');
    const pong = await withTimeout(client.ping(), timeoutMs + 1000, 'PING');
    if (pong !== 'PONG') return { ok: false, reason: `unexpected PING reply ${pong}` };
    if (expectPid) {
      const info = await withTimeout(client.info('server'), timeoutMs + 1000, 'INFO');
      const m = /^process_id:(\d+)/m.exec(info);
      const actual = m ? Number(m[1]) : null;
      if (actual !== expectPid) return { ok: false, reason: `server is pid ${actual}, not ${expectPid}` };
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: errText(lastError || e) };
  } finally {
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------
// Postgres

function pgRunAs() {
  return isRoot() ? PG_OS_USER : null;
}

/** Problem message if a throwaway Postgres can't be started here, else null. */
function pgPrecheck(url, bins) {
  const where = `PostgreSQL is not reachable at ${url}`;
  if (!bins) {
    return (
      `${where} and no initdb/pg_ctl was found: install it (Debian/Ubuntu: apt-get install -y postgresql; ` +
      `macOS: brew install postgresql) or set TEST_DATABASE_URL/DATABASE_URL to a reachable server`
    );
  }
  if (isRoot() && !lookupUser(PG_OS_USER)) {
    return (
      `${where}, and a throwaway instance cannot be started: initdb/postgres refuse to run as root and there ` +
      `is no '${PG_OS_USER}' OS user. Create it (useradd --system --create-home ${PG_OS_USER}), run as a ` +
      `non-root user, or set TEST_DATABASE_URL/DATABASE_URL to a reachable server`
    );
  }
  return null;
}

async function stopPostgres(info) {
  const dataDir = info && info.dataDir;
  if (!dataDir || !fs.existsSync(dataDir)) return;
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pgCtl = info.pgCtl && isExecutableFile(info.pgCtl) ? info.pgCtl : (findPgBins() || {}).pgCtl;
  const asUser = info.runAs || null;
  if (pgCtl) {
    const r = run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], {
      asUser,
      cwd: path.dirname(dataDir),
      timeoutMs: 40000,
    });
    if (r.ok) return;
    log(`postgres: pg_ctl stop failed: ${tail(r.output, 3)}`);
  }
  const pid = readPidFile(pidFile);
  if (pid) await killProcess(pid, /postgres|postmaster/, 'postgres');
}

async function startPostgres(bins, state) {
  const asUser = pgRunAs();
  const dataDir = path.join(PG_DIR, 'pgdata');
  const logFile = path.join(PG_DIR, 'postgres.log');

  // Leftovers from an interrupted run: stop and wipe.
  if (fs.existsSync(PG_DIR)) {
    await stopPostgres({ dataDir, pgCtl: bins.pgCtl, runAs: asUser });
    removeInside(PG_DIR);
  }
  fs.mkdirSync(PG_DIR, { recursive: true, mode: 0o700 });

  if (asUser) {
    const user = lookupUser(asUser);
    // The postgres user must be able to traverse .local and .local/services and own its dir.
    for (const d of [path.dirname(SERVICES_DIR), SERVICES_DIR]) {
      const st = fs.statSync(d);
      fs.chmodSync(d, st.mode | 0o011);
    }
    chownRecursive(PG_DIR, user.uid, user.gid);
    const probe = run('/bin/sh', ['-c', 'test -d "$1" && test -w "$1" && test -x "$1"', 'sh', PG_DIR], {
      asUser,
      cwd: '/',
      timeoutMs: 10000,
    });
    if (!probe.ok) {
      removeInside(PG_DIR);
      throw new Error(
        `the '${asUser}' OS user cannot write ${PG_DIR} (a parent directory is probably not ` +
          `traversable, e.g. a home dir with mode 700). Make the project path accessible to ${asUser}, ` +
          `run as a non-root user, or set TEST_DATABASE_URL to a reachable server`,
      );
    }
  }

  log(`postgres: initdb ${dataDir}${asUser ? ` (as OS user ${asUser})` : ''}`);
  const init = run(bins.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale'], {
    asUser,
    cwd: PG_DIR,
    timeoutMs: 120000,
  });
  if (!init.ok) {
    removeInside(PG_DIR);
    throw new Error(`initdb failed (exit ${init.status}):\n${tail(init.output)}`);
  }

  let port;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    // Unix socket paths are limited to ~107 bytes; disable the socket if ours would be too long.
    const sockDir = `${PG_DIR}/.s.PGSQL.${port}.lock`.length < 100 ? PG_DIR : '';
    const opts =
      `-p ${port} -k ${shq(sockDir)} -c listen_addresses=127.0.0.1 -c fsync=off ` +
      `-c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    state.postgres = {
      url: `postgres://postgres@127.0.0.1:${port}/test`,
      port,
      dir: PG_DIR,
      dataDir,
      logFile,
      pgCtl: bins.pgCtl,
      runAs: asUser,
      startedAt: new Date().toISOString(),
    };
    writeState(state); // record before starting so `down` can always clean up
    const r = run(
      bins.pgCtl,
      ['-D', dataDir, '-o', opts, '-l', logFile, '-w', '-t', String(PG_START_TIMEOUT_S), 'start'],
      { asUser, cwd: PG_DIR, timeoutMs: (PG_START_TIMEOUT_S + 15) * 1000 },
    );
    if (r.ok) break;
    const logTail = readTail(logFile);
    if (attempt < PORT_ATTEMPTS && /already in use|could not bind/i.test(logTail)) {
      log(`postgres: port ${port} was taken, retrying with another port`);
      continue;
    }
    await stopPostgres(state.postgres);
    throw new Error(`pg_ctl start failed (exit ${r.status}):\n${tail(r.output, 4)}\n${logFile}:\n${logTail}`);
  }

  // Create the `test` database.
  const { Client } = require('pg');
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const end = Date.now() + 15000;
  for (;;) {
    const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000, query_timeout: 10000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('CREATE DATABASE test');
      break;
    } catch (e) {
      if (e.code === '42P04') break; // already exists
      if (Date.now() > end) throw new Error(`could not create database test on port ${port}: ${errText(e)}`);
      await sleep(300);
    } finally {
      await withTimeout(client.end(), 1000, 'close').catch(() => {});
    }
  }

  const check = await pgCheck(state.postgres.url, PG_CHECK_TIMEOUT_MS, dataDir);
  if (!check.ok) throw new Error(`started Postgres on port ${port} does not answer: ${check.reason}`);
  log(`postgres: started throwaway instance on 127.0.0.1:${port} (data: ${path.relative(PROJECT_ROOT, dataDir)})`);
  return state.postgres.url;
}

// ---------------------------------------------------------------------------
// Redis

function redisPrecheck(url, bins) {
  if (bins) return null;
  return (
    `Redis is not reachable at ${url} and no redis-server was found: install it (Debian/Ubuntu: ` +
    `apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL to a reachable server`
  );
}

/** pid of a recorded throwaway redis: its pid file, else the pid recorded at start. */
function redisPidOf(info) {
  return (info && (readPidFile(info.pidFile || '') || info.pid)) || null;
}

async function stopRedis(info) {
  if (!info) return;
  const pid = redisPidOf(info);
  if (!pid || !isAlive(pid)) return;
  const cmd = cmdlineOf(pid);
  if (cmd !== null && !/redis/.test(cmd)) {
    log(`redis: pid ${pid} is now '${cmd}', not ours; leaving it alone`);
    return;
  }
  const cli = info.cli && isExecutableFile(info.cli) ? info.cli : (findRedisBins() || {}).cli;
  if (cli && info.port) {
    run(cli, ['-h', '127.0.0.1', '-p', String(info.port), 'shutdown', 'nosave'], { timeoutMs: 10000 });
    if (await waitForExit(pid, 10000)) return;
  }
  await killProcess(pid, /redis/, 'redis');
}

async function startRedis(bins, state) {
  const pidFile = path.join(REDIS_DIR, 'redis.pid');
  const logFile = path.join(REDIS_DIR, 'redis.log');

  if (fs.existsSync(REDIS_DIR)) {
    await stopRedis({ pidFile, cli: bins.cli });
    removeInside(REDIS_DIR);
  }
  fs.mkdirSync(REDIS_DIR, { recursive: true, mode: 0o700 });

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    state.redis = { url, port, dir: REDIS_DIR, pidFile, logFile, cli: bins.cli, startedAt: new Date().toISOString() };
    writeState(state);
    const r = run(
      bins.server,
      [
        '--port', port,
        '--bind', '127.0.0.1',
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'yes',
        '--dir', REDIS_DIR,
        '--pidfile', pidFile,
        '--logfile', logFile,
      ],
      { cwd: REDIS_DIR, timeoutMs: 15000 },
    );
    if (!r.ok) throw new Error(`redis-server failed to start (exit ${r.status}):\n${tail(r.output)}\n${readTail(logFile)}`);

    const end = Date.now() + REDIS_START_TIMEOUT_MS;
    let check = { ok: false, reason: 'no pid file yet' };
    while (Date.now() < end) {
      // redis writes its pid file only after it bound the port; the answering server
      // must be that process (the port may have been grabbed by someone else meanwhile).
      const pid = readPidFile(pidFile);
      if (pid) {
        check = await redisCheck(url, 1000, pid);
        if (check.ok) {
          state.redis.pid = pid;
          break;
        }
      }
      if (/already in use|could not create server tcp listening socket|aborting/i.test(readTail(logFile))) break;
      await sleep(200);
    }
    if (check.ok) {
      writeState(state);
      log(`redis: started throwaway instance on 127.0.0.1:${port} (dir: ${path.relative(PROJECT_ROOT, REDIS_DIR)})`);
      return url;
    }
    const logTail = readTail(logFile);
    await stopRedis(state.redis);
    if (attempt < PORT_ATTEMPTS && /already in use/i.test(logTail)) {
      log(`redis: port ${port} was taken, retrying with another port`);
      fs.rmSync(logFile, { force: true });
      continue;
    }
    throw new Error(`redis-server on port ${port} did not answer PING within ${REDIS_START_TIMEOUT_MS}ms (${check.reason})\n${logFile}:\n${logTail}`);
  }
}

// ---------------------------------------------------------------------------
// commands

async function up() {
  const pgUrl = envOr('TEST_DATABASE_URL', 'DATABASE_URL') || DEFAULT_PG_URL;
  const redisUrl = envOr('REDIS_URL') || DEFAULT_REDIS_URL;

  const [pgRes, redisRes] = await Promise.all([pgCheck(pgUrl), redisCheck(redisUrl)]);
  const result = { pg: pgRes.ok ? pgUrl : null, redis: redisRes.ok ? redisUrl : null };
  if (result.pg) log(`postgres: using ${pgUrl}`);
  else log(`postgres: ${pgUrl} does not answer (${pgRes.reason})`);
  if (result.redis) log(`redis: using ${redisUrl}`);
  else log(`redis: ${redisUrl} does not answer (${redisRes.reason})`);

  if (result.pg && result.redis) return result;

  // A throwaway instance from an earlier `up` that still answers is reused.
  const prev = readState();
  if (!result.pg && prev.postgres && (await pgCheck(prev.postgres.url, PG_CHECK_TIMEOUT_MS, prev.postgres.dataDir)).ok) {
    result.pg = prev.postgres.url;
    log(`postgres: reusing throwaway instance ${result.pg}`);
  }
  if (!result.redis && prev.redis && (await redisCheck(prev.redis.url, REDIS_CHECK_TIMEOUT_MS, redisPidOf(prev.redis))).ok) {
    result.redis = prev.redis.url;
    log(`redis: reusing throwaway instance ${result.redis}`);
  }
  if (result.pg && result.redis) return result;

  // Make sure everything missing can be provided before starting anything.
  const pgBins = result.pg ? null : findPgBins();
  const redisBins = result.redis ? null : findRedisBins();
  const problems = [
    result.pg ? null : pgPrecheck(pgUrl, pgBins),
    result.redis ? null : redisPrecheck(redisUrl, redisBins),
  ].filter(Boolean);
  if (problems.length) {
    for (const p of problems) log(p);
    return null;
  }

  const release = await acquireLock();
  try {
    const state = readState();
    if (!result.pg) {
      if (state.postgres && (await pgCheck(state.postgres.url, PG_CHECK_TIMEOUT_MS, state.postgres.dataDir)).ok) {
        result.pg = state.postgres.url;
        log(`postgres: reusing throwaway instance ${result.pg}`);
      } else {
        if (state.postgres) {
          log('postgres: previous throwaway instance is gone; starting a new one');
          await stopPostgres(state.postgres);
          removeInside(state.postgres.dir);
          delete state.postgres;
          writeState(state);
        }
        result.pg = await startPostgres(pgBins, state);
      }
    }
    if (!result.redis) {
      if (state.redis && (await redisCheck(state.redis.url, REDIS_CHECK_TIMEOUT_MS, redisPidOf(state.redis))).ok) {
        result.redis = state.redis.url;
        log(`redis: reusing throwaway instance ${result.redis}`);
      } else {
        if (state.redis) {
          log('redis: previous throwaway instance is gone; starting a new one');
          await stopRedis(state.redis);
          removeInside(state.redis.dir);
          delete state.redis;
          writeState(state);
        }
        result.redis = await startRedis(redisBins, state);
      }
    }
  } finally {
    release();
  }
  return result;
}

async function down() {
  if (!fs.existsSync(STATE_FILE)) {
    log('nothing to stop (no .local/services/started.json)');
    return true;
  }
  const release = await acquireLock();
  let ok = true;
  try {
    const state = readState();
    if (state.postgres) {
      try {
        await stopPostgres(state.postgres);
        removeInside(state.postgres.dir);
        log(`postgres: stopped throwaway instance on port ${state.postgres.port} and removed its data`);
        delete state.postgres;
      } catch (e) {
        ok = false;
        log(`postgres: failed to stop: ${errText(e)}`);
      }
    }
    if (state.redis) {
      try {
        await stopRedis(state.redis);
        removeInside(state.redis.dir);
        log(`redis: stopped throwaway instance on port ${state.redis.port} and removed its data`);
        delete state.redis;
      } catch (e) {
        ok = false;
        log(`redis: failed to stop: ${errText(e)}`);
      }
    }
    writeState(state); // removes started.json when nothing is left
  } finally {
    release();
  }
  return ok;
}

function usage() {
  process.stderr.write(
    'usage: node scripts/local-services.js up|down\n' +
      '  up    print `export DATABASE_URL=... REDIS_URL=...` lines (eval them); starts throwaway\n' +
      '        Postgres/Redis under .local/services/ when the configured ones do not answer\n' +
      '  down  stop and remove what `up` started\n',
  );
}

function finish(code, out) {
  if (out) process.stdout.write(out, () => process.exit(code));
  else process.exit(code);
}

async function main() {
  const cmd = process.argv[2];
  if (cmd === 'up') {
    const r = await up();
    if (!r) return finish(1);
    return finish(0, `export DATABASE_URL=${shq(r.pg)}\nexport REDIS_URL=${shq(r.redis)}\n`);
  }
  if (cmd === 'down') return finish((await down()) ? 0 : 1);
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    usage();
    return finish(0);
  }
  usage();
  return finish(1);
}

main().catch((e) => {
  log(`error: ${errText(e)}`);
  if (fs.existsSync(STATE_FILE)) log('partially started services can be stopped with: node scripts/local-services.js down');
  finish(1);
});
