// The harness: a real `parley serve` (../bin/parley, built by `make build`)
// on a free 127.0.0.1 port with a fresh SQLite data directory. It can be
// stopped and started again on the same data directory and port (the
// restart test), and it is killed when the test process ends, also on a
// failure.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const binary = process.env.PARLEY_E2E_BINARY || path.join(repoRoot, 'bin', 'parley');
export const widgetDist = process.env.PARLEY_E2E_WIDGET_DIST || path.join(repoRoot, 'web', 'widget', 'dist');

// Where screenshots and server logs of this run go (printed by the tests).
export const outDir = process.env.PARLEY_E2E_OUT || path.join(os.tmpdir(), 'parley-e2e');
fs.mkdirSync(path.join(outDir, 'screenshots'), { recursive: true });
fs.mkdirSync(path.join(outDir, 'logs'), { recursive: true });

export const OWNER_EMAIL = 'owner@e2e.example.com';
export const OWNER_PASSWORD = 'e2e-owner-password';

// Every running child, so that an exiting test process never leaves one behind.
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

/** Throws a clear message when the binary or the built chat box is missing. */
export function requireBuilt() {
  const problems = [];
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    problems.push(`the Parley binary ${binary} is missing or not executable`);
  }
  for (const f of ['loader.js', 'frame.html']) {
    if (!fs.existsSync(path.join(widgetDist, f))) {
      problems.push(`the built chat box ${path.join(widgetDist, f)} is missing`);
    }
  }
  if (problems.length) {
    throw new Error(`e2e: cannot run the browser tests: ${problems.join('; ')}.\n` +
      `Run \`make build\` in ${repoRoot} first (it builds the chat box and the binary that embeds it).`);
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class ParleyServer {
  constructor({ name = 'parley', port, dataDir, env = {} } = {}) {
    this.name = name;
    this.port = port;
    this.dataDir = dataDir;
    this.extraEnv = env;
    this.child = null;
    this.logPath = path.join(outDir, 'logs', `${name}.log`);
    this.logTail = [];
    this.starts = 0;
  }

  get baseURL() { return `http://127.0.0.1:${this.port}`; }

  url(p = '/') { return this.baseURL + p; }

  /** Starts the process (again, on the same port and data dir) and waits for /readyz. */
  async start({ timeoutMs = 15000 } = {}) {
    if (this.child) throw new Error('e2e: server already running');
    requireBuilt();
    this.port ??= await freePort();
    this.dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-data-'));
    this.starts++;
    const log = fs.createWriteStream(this.logPath, { flags: this.starts === 1 ? 'w' : 'a' });
    log.write(`----- start #${this.starts}: ${binary} serve on ${this.baseURL}, data ${this.dataDir}\n`);
    const child = spawn(binary, ['serve'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR || os.tmpdir(),
        PARLEY_ADDR: `127.0.0.1:${this.port}`,
        PARLEY_DATA_DIR: this.dataDir,
        PARLEY_BASE_URL: this.baseURL,
        PARLEY_OWNER_EMAIL: OWNER_EMAIL,
        PARLEY_OWNER_PASSWORD: OWNER_PASSWORD,
        PARLEY_LOG_LEVEL: 'info',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    const exited = once(child, 'exit').then(([code, signal]) => {
      running.delete(child);
      log.end(`----- exited code=${code} signal=${signal}\n`);
      return { code, signal };
    });
    this.exited = exited;
    const keep = (chunk) => {
      log.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        this.logTail.push(line);
        if (this.logTail.length > 60) this.logTail.shift();
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    const deadline = Date.now() + timeoutMs;
    let gone = null;
    exited.then((e) => { gone = e; });
    for (;;) {
      if (gone) {
        this.child = null;
        throw new Error(`e2e: parley serve exited during start (code ${gone.code}, signal ${gone.signal}).\n${this.tail()}`);
      }
      try {
        const res = await fetch(this.url('/readyz'), { signal: AbortSignal.timeout(1000) });
        if (res.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`e2e: parley serve was not ready within ${timeoutMs} ms.\n${this.tail()}`);
      }
      await sleep(50);
    }
    // The binary must embed the built chat box, not the placeholder.
    const loader = await fetch(this.url('/widget/loader.js'));
    if (loader.status !== 200) {
      await this.stop();
      const body = (await loader.text()).slice(0, 200);
      throw new Error(`e2e: GET /widget/loader.js answered ${loader.status} (${body.trim()}): ` +
        `the binary does not serve the built chat box. Run \`make build\` (it builds web/widget first).`);
    }
    return this;
  }

  /** Stops the process gracefully (SIGTERM), then forcefully after timeoutMs. */
  async stop({ timeoutMs = 8000 } = {}) {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(t);
    }
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes its data directory (kept with PARLEY_E2E_KEEP=1). */
  async dispose() {
    await this.stop();
    if (this.dataDir && !process.env.PARLEY_E2E_KEEP) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  tail() {
    return `last lines of the server log (${this.logPath}):\n  ${this.logTail.slice(-25).join('\n  ')}`;
  }
}

/** Starts a fresh server; `name` names its log file. */
export async function startParley(name, opts = {}) {
  const s = new ParleyServer({ name, ...opts });
  try {
    await s.start();
  } catch (e) {
    await s.dispose();
    throw e;
  }
  return s;
}

/**
 * Starts a fresh server WITHOUT PARLEY_OWNER_EMAIL/PASSWORD: the first start
 * creates the account and prints a one-time setup link in its log (see
 * setupLink). Same options as startParley.
 */
export async function startParleyWithoutOwner(name, opts = {}) {
  return startParley(name, { ...opts, env: { ...(opts.env || {}), PARLEY_OWNER_EMAIL: '', PARLEY_OWNER_PASSWORD: '' } });
}

/**
 * The setup link (`msg=setup_link url=…`) the server printed in its log;
 * waits up to timeoutMs for it. Throws with the log's tail when there is none.
 */
export async function setupLink(server, { timeoutMs = 5000 } = {}) {
  const re = /\bmsg=setup_link\b.*?\burl=(?:"([^"]+)"|(\S+))/;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = [...server.logTail];
    try { lines.push(...fs.readFileSync(server.logPath, 'utf8').split('\n')); } catch { /* not written yet */ }
    for (const line of lines) {
      const m = re.exec(line);
      if (m) return m[1] ?? m[2];
    }
    if (Date.now() > deadline) {
      throw new Error(`e2e: the server printed no setup link (msg=setup_link url=…) within ${timeoutMs} ms.\n${server.tail()}`);
    }
    await sleep(50);
  }
}
