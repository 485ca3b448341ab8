import { Readable } from 'node:stream';
import { main } from './main.js';
import type { CliIO } from './io.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs `latch ...argv` in-process with captured output (test support; no test-framework imports). */
export async function runLatch(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string | CliIO['stdin']; signal?: AbortSignal; onStdout?: (all: string) => void; onStderr?: (all: string) => void },
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const stdin =
    typeof options.stdin === 'string' || options.stdin === undefined
      ? Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)])
      : options.stdin;
  const io: Partial<CliIO> = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        options.onStdout?.(stdout);
      },
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
        options.onStderr?.(stderr);
      },
    },
    stdin,
    // Tests run many servers at once: the metrics listener's fixed default port would collide; a test that wants it says so.
    env: { LATCH_METRICS_ADDRESS: 'off', ...options.env },
  };
  if (options.signal) io.signal = options.signal;
  const code = await main(argv, io);
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Checks the exit code, showing stderr when it differs. */
export function expectCode(result: RunResult, code: number): void {
  if (result.code !== code) {
    throw new Error(`exit code ${result.code}, expected ${code}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`);
  }
}
