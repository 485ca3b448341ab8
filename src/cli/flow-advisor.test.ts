import { describe, expect, it } from 'vitest';
import { decisionRows, type FlowAnswers, nextQuestion, parseAnswer, questions, recommend } from './flow-advisor.js';

/** Answers the questions in the order they are asked, from a script of replies. */
function walk(replies: string[]): { asked: string[]; answers: FlowAnswers } {
  const answers: FlowAnswers = {};
  const asked: string[] = [];
  for (let q = nextQuestion(answers); q; q = nextQuestion(answers)) {
    asked.push(q.key);
    const value = parseAnswer(q, replies.shift() ?? '');
    if (value === undefined) throw new Error(`no valid answer for ${q.key}`);
    Object.assign(answers, { [q.key]: value });
  }
  return { asked, answers };
}

describe('flow advisor', () => {
  it.each([
    [['no'], ['user'], 'm2m'],
    [['yes', 'none'], ['user', 'browser'], 'device'],
    [['yes', 'app'], ['user', 'browser'], 'native'],
    [['yes', 'web', 'yes'], ['user', 'browser', 'secret'], 'web'],
    [['yes', 'web', 'no'], ['user', 'browser', 'secret'], 'spa'],
  ] as const)('%j -> asks %j, recommends %s', (replies, asked, kind) => {
    const result = walk([...replies]);
    expect(result.asked).toEqual(asked);
    expect(recommend(result.answers).kind).toBe(kind);
  });

  it('the decision table has one row per outcome and agrees with recommend()', () => {
    expect(decisionRows.map((r) => r.type).sort()).toEqual(['device', 'm2m', 'native', 'spa', 'web']);
    for (const row of decisionRows) {
      const replies = [row.user, row.browser.split(' ')[0]!, row.secret.split(' ')[0]!].filter((r) => r !== '-');
      expect(recommend(walk(replies).answers).kind, JSON.stringify(row)).toBe(row.type);
    }
  });

  it('accepts abbreviations and any case, and nothing else', () => {
    expect(parseAnswer(questions.user, 'Y')).toBe(true);
    expect(parseAnswer(questions.user, ' no ')).toBe(false);
    expect(parseAnswer(questions.browser, 'W')).toBe('web');
    expect(parseAnswer(questions.browser, 'n')).toBe('none');
    expect(parseAnswer(questions.user, '')).toBeUndefined();
    expect(parseAnswer(questions.user, 'maybe')).toBeUndefined();
    expect(parseAnswer(questions.browser, 'yes')).toBeUndefined();
  });

  it('explains each recommendation with its flow', () => {
    expect(recommend({ user: false })).toMatchObject({ kind: 'm2m', flow: expect.stringMatching(/client credentials/) });
    expect(recommend({ user: true, browser: 'none' }).flow).toMatch(/RFC 8628/);
    expect(recommend({ user: true, browser: 'web', secret: false }).why).toMatch(/PKCE/);
  });
});
