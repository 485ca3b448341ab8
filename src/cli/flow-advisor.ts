import type { ClientKind } from '../storage/types.js';

/**
 * "Which flow should I use?": the three questions that decide the kind of client, and the decision itself.
 * Pure: the interactive part lives in commands/clients.ts, the same table in the README.
 */

export type Browser = 'web' | 'app' | 'none';

export interface FlowAnswers {
  /** Does a person sign in (as opposed to a program acting on its own behalf)? */
  user?: boolean;
  /** Can the app keep a secret (its code runs only on a server you control)? */
  secret?: boolean;
  /** Does it have a browser: it is a web app, an installed app that can open the system browser, or neither? */
  browser?: Browser;
}

export interface FlowQuestion {
  key: keyof FlowAnswers;
  text: string;
  /** Accepted answers (first letter or whole word), and what each means. */
  choices: ReadonlyArray<{ answer: string; value: boolean | Browser; label: string }>;
}

export const questions: Readonly<Record<keyof FlowAnswers, FlowQuestion>> = {
  user: {
    key: 'user',
    text: 'Is there a user: does a person sign in to this application?',
    choices: [
      { answer: 'yes', value: true, label: 'a person signs in' },
      { answer: 'no', value: false, label: 'a program calls your API on its own behalf' },
    ],
  },
  browser: {
    key: 'browser',
    text: 'Does it have a browser?',
    choices: [
      { answer: 'web', value: 'web', label: 'it is a web application (server-rendered or single-page)' },
      { answer: 'app', value: 'app', label: 'an installed mobile or desktop app that can open the system browser' },
      { answer: 'none', value: 'none', label: 'no browser, or no keyboard: a TV, a command-line tool, a device' },
    ],
  },
  secret: {
    key: 'secret',
    text: 'Can the app keep a secret: does its code run only on a server you control?',
    choices: [
      { answer: 'yes', value: true, label: 'a server-side web application' },
      { answer: 'no', value: false, label: 'its code runs in the browser, where anyone can read it' },
    ],
  },
};

/** The next question the decision needs, or undefined when the answers decide. */
export function nextQuestion(answers: FlowAnswers): FlowQuestion | undefined {
  if (answers.user === undefined) return questions.user;
  if (!answers.user) return undefined;
  if (answers.browser === undefined) return questions.browser;
  if (answers.browser !== 'web') return undefined;
  if (answers.secret === undefined) return questions.secret;
  return undefined;
}

/** Parses an answer ("y", "Yes", "w", "app", ...) to one of the question's choices; undefined if it matches none. */
export function parseAnswer(question: FlowQuestion, input: string): boolean | Browser | undefined {
  const text = input.trim().toLowerCase();
  if (text === '') return undefined;
  const choice = question.choices.find((c) => c.answer === text || c.answer.startsWith(text));
  return choice?.value;
}

export interface Recommendation {
  kind: ClientKind;
  flow: string;
  why: string;
}

/** The client kind (and its flow) for complete answers; see nextQuestion. */
export function recommend(answers: FlowAnswers): Recommendation {
  if (answers.user === false) {
    return {
      kind: 'm2m',
      flow: 'client credentials (RFC 6749 §4.4)',
      why: 'No person signs in: the program authenticates as itself. It must keep its credential (a client secret or a private key) on a server.',
    };
  }
  if (answers.browser === 'none') {
    return {
      kind: 'device',
      flow: 'device authorization grant (RFC 8628)',
      why: 'Without a browser on the device, the person signs in on another device (phone or computer) by entering a short code.',
    };
  }
  if (answers.browser === 'app') {
    return {
      kind: 'native',
      flow: 'authorization code with PKCE in the system browser (RFC 8252)',
      why: 'An installed app cannot keep a secret (every copy contains it), so it is a public client and proves itself with PKCE.',
    };
  }
  if (answers.secret) {
    return {
      kind: 'web',
      flow: 'authorization code (with PKCE), client secret',
      why: 'A server-side web app keeps a client secret on its server and exchanges the code there.',
    };
  }
  return {
    kind: 'spa',
    flow: 'authorization code with PKCE, public client',
    why: 'Code that runs in the browser cannot keep a secret, so the app is a public client and proves itself with PKCE (not the implicit flow: RFC 9700 §2.1.2).',
  };
}

export interface DecisionRow {
  user: string;
  browser: string;
  secret: string;
  type: ClientKind;
}

/** The decision table: `latch clients advise` prints it, the README shows the same. */
export const decisionRows: readonly DecisionRow[] = [
  { user: 'no', browser: '-', secret: '-', type: 'm2m' },
  { user: 'yes', browser: 'none (TV, CLI, device)', secret: '-', type: 'device' },
  { user: 'yes', browser: 'app (mobile, desktop)', secret: '-', type: 'native' },
  { user: 'yes', browser: 'web', secret: 'yes (server-side)', type: 'web' },
  { user: 'yes', browser: 'web', secret: 'no (runs in the browser)', type: 'spa' },
];

export function decisionTable(): string {
  const header = ['a user?', 'a browser?', 'keeps a secret?', '--type'];
  const rows = decisionRows.map((r) => [r.user, r.browser, r.secret, r.type]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
