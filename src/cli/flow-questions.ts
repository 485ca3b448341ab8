import { createInterface } from 'node:readline';
import type { ClientKind } from '../storage/types.js';
import { type FlowAnswers, type FlowQuestion, nextQuestion, parseAnswer, recommend } from './flow-advisor.js';
import { CliError, type CliIO } from './io.js';

function prompt(question: FlowQuestion): string {
  const width = Math.max(...question.choices.map((c) => c.answer.length));
  const choices = question.choices.map((c) => `    ${c.answer.padEnd(width)}  ${c.label}`).join('\n');
  return `${question.text}\n${choices}\n  [${question.choices.map((c) => c.answer).join('/')}] `;
}

/**
 * Asks the questions of "Which flow should I use?" at the terminal (on stderr, so --json output stays clean),
 * prints the recommendation and why, and returns the client kind.
 */
export async function askClientKind(io: CliIO): Promise<ClientKind> {
  const out = io.stderr;
  const rl = createInterface({ input: io.stdin, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  const answers: FlowAnswers = {};
  out.write('No --type given. A few questions pick the kind of client (and the flow) that fits:\n\n');
  try {
    for (let question = nextQuestion(answers); question; question = nextQuestion(answers)) {
      let value = undefined as ReturnType<typeof parseAnswer>;
      out.write(prompt(question));
      while (value === undefined) {
        const line = await lines.next();
        if (line.done) throw new CliError('clients create: no answer (input closed); pass --type web|spa|native|m2m|device');
        value = parseAnswer(question, String(line.value));
        if (value === undefined) out.write(`  Please answer ${question.choices.map((c) => c.answer).join(', ')}: `);
      }
      Object.assign(answers, { [question.key]: value });
      out.write('\n');
    }
  } finally {
    rl.close();
  }
  const advice = recommend(answers);
  out.write(`Recommended: --type ${advice.kind}, ${advice.flow}.\n${advice.why}\n\n`);
  return advice.kind;
}
