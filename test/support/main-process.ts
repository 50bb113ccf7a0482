import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/**
 * `src/main.ts` as `npm start` runs it, in a process of its own with only what a newcomer's
 * shell has (no DATABASE_URL or REDIS_URL even when CI sets them) plus `env`.
 */
const root = path.resolve(import.meta.dirname, '..', '..');

export interface RunningMain {
  child: ChildProcess;
  /** stdout and stderr, interleaved. */
  output: () => string;
  /** What went to stderr alone. */
  errors: () => string;
  exited: Promise<number | null>;
}

export function startMain(env: Record<string, string>): RunningMain {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      // Test receivers listen on this machine: allowed explicitly, as an operator would.
      SWITCHBOARD_OUTBOUND_ALLOW: '127.0.0.1/32,::1/128',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    errors += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, errors: () => errors, exited };
}

/** Resolves with how long `/readyz` took to answer 200; rejects if the server exits first. */
export async function waitReady(port: number, running: RunningMain, ms = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (running.child.exitCode !== null) throw new Error(`server exited:\n${running.output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) {
        return Date.now() - started;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready within ${ms} ms:\n${running.output()}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
