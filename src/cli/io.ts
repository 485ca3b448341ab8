import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** What the CLI touches of the outside world; injectable for tests. */
export interface CliIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** `latch start` stops when this aborts (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** A command-line mistake (unknown command or flag, missing argument): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure with a message already worded for the operator: exit code 1. `field` names the flag or setting at fault. */
export class CliError extends Error {
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.field = options.field;
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The password piped on stdin, without the final line break (`printf` or `echo` both work). */
export async function readPasswordFromStdin(io: CliIO): Promise<string> {
  return (await readAll(io.stdin)).replace(/\r?\n$/, '');
}

/** Asks each question on stderr and reads the answers from a terminal without echoing them. */
export async function promptHidden(io: CliIO, questions: string[]): Promise<string[]> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      if (!muted) io.stderr.write(chunk.toString());
      callback();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: true });
  const answers: string[] = [];
  try {
    for (const question of questions) {
      answers.push(
        await new Promise<string>((resolve, reject) => {
          const onClose = () => reject(new CliError('password: no input (cancelled)'));
          rl.once('close', onClose);
          rl.once('SIGINT', () => rl.close());
          muted = true;
          rl.question('', (answer) => {
            rl.off('close', onClose);
            resolve(answer);
          });
          io.stderr.write(question);
        }),
      );
      muted = false;
      io.stderr.write('\n');
    }
  } finally {
    muted = false;
    rl.close();
  }
  return answers;
}

/** The new password: from stdin with --password-stdin, else typed twice at a terminal prompt. */
export async function readNewPassword(io: CliIO, fromStdin: boolean): Promise<string> {
  if (fromStdin) return readPasswordFromStdin(io);
  if (io.stdin.isTTY !== true) {
    throw new UsageError('--password-stdin: stdin is not a terminal; pipe the password in and pass --password-stdin');
  }
  const [first, second] = await promptHidden(io, ['Password: ', 'Repeat password: ']);
  if (first !== second) throw new CliError('password: the two entries differ');
  return first ?? '';
}

/** Left-aligned columns, for list output. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function isoTime(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '-' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
