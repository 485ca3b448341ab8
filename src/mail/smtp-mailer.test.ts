import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { effectiveBranding } from '../admin/branding.js';
import { loadConfig } from '../config/load.js';
import { createMailer } from './create-mailer.js';
import { MailAddressError, type MailLog, MailUnavailableError, redactSmtpUrl } from './mailer.js';
import { resetPasswordMessage } from './messages.js';
import { createSmtpMailer, defaultSmtpTimeouts, smtpTransportOptions } from './smtp-mailer.js';

const user = 'latch';
const password = 'pässwörd s3cret!';
const encodedPassword = encodeURIComponent(password);

interface Received {
  from: string | undefined;
  rcpt: string[];
  mail: ParsedMail;
}

let smtp: SMTPServer;
let port: number;
const received: Received[] = [];
const failedLogins: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    // No TLS on loopback: nodemailer would not trust a self-signed certificate.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      failedLogins.push(auth.username ?? '');
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcpt: session.envelope.rcptTo.map((r) => r.address),
            mail,
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(resolve));
});

afterEach(() => {
  received.length = 0;
  failedLogins.length = 0;
});

const brand = { issuer: 'https://id.example.com', branding: { ...effectiveBranding(undefined, {}), productName: 'Acme Größe' } };
const message = () => resetPasswordMessage(brand, { to: 'jurgen@example.com', locale: 'de' }, { link: 'https://id.example.com/reset?token=t0k', validMinutes: 30 });

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(value) ? value : value ? [value] : []).flatMap((a) => a.value.map((v) => `${v.name ? `${v.name} ` : ''}<${v.address}>`));
}

/** A pino logger that keeps its lines, as the app's logger would write them. */
function capturingLog(): { log: MailLog; lines: () => string[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      out.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: pino({ level: 'trace' }, stream), lines: () => out };
}

function secretForms(): string[] {
  return [password, encodedPassword, Buffer.from(`\0${user}\0${password}`).toString('base64'), Buffer.from(password).toString('base64')];
}

describe('the SMTP mailer, against a real SMTP server on loopback', () => {
  it('delivers both parts with the right From, To and Subject, German text intact', async () => {
    const config = loadConfig({ LATCH_SMTP_URL: `smtp://${user}:${encodedPassword}@127.0.0.1:${port}`, LATCH_ISSUER: 'https://id.example.com' });
    expect(config.mailFrom).toBe('Latch <no-reply@id.example.com>');
    const mailer = createMailer(config, { log: () => capturingLog().log });
    await mailer.send(message());
    expect(received).toHaveLength(1);
    const [got] = received as [Received];
    expect(got.from).toBe('no-reply@id.example.com');
    expect(got.rcpt).toEqual(['jurgen@example.com']);
    expect(addresses(got.mail.from)).toEqual(['Latch <no-reply@id.example.com>']);
    expect(addresses(got.mail.to)).toEqual(['<jurgen@example.com>']);
    expect(got.mail.subject).toBe('Setzen Sie Ihr Acme Größe-Passwort zurück');
    expect(got.mail.text).toContain('Passwort zurücksetzen:\nhttps://id.example.com/reset?token=t0k');
    expect(got.mail.text).toContain('läuft in 30 Minuten ab');
    expect(got.mail.html).toContain('href="https://id.example.com/reset?token=t0k"');
    expect(got.mail.html).toContain('Acme Größe');
    expect(got.mail.html).toContain('<html lang="de">');
  });

  it('sends from LATCH_MAIL_FROM, and without a login when the URL has no user', async () => {
    const config = loadConfig({ LATCH_SMTP_URL: `smtp://127.0.0.1:${port}`, LATCH_MAIL_FROM: 'Acme Konten <konto@acme.example>' });
    const open = new SMTPServer({ disabledCommands: ['STARTTLS', 'AUTH'], logger: false, onData: (s, _x, cb) => simpleParser(s).then((mail) => (received.push({ from: undefined, rcpt: [], mail }), cb()), cb) });
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
    try {
      const openPort = (open.server.address() as AddressInfo).port;
      await createMailer({ ...config, smtpUrl: `smtp://127.0.0.1:${openPort}` }, { log: () => capturingLog().log }).send(message());
      expect(addresses(received[0]?.mail.from)).toEqual(['Acme Konten <konto@acme.example>']);
    } finally {
      await new Promise<void>((resolve) => open.close(resolve));
    }
  });

  it('refuses a recipient that is not one plain address, before connecting', async () => {
    const mailer = createSmtpMailer({ url: `smtp://${user}:${encodedPassword}@127.0.0.1:${port}`, from: 'a@b.example' });
    for (const to of ['a@b.example, evil@x.example', 'a@b.example\r\nBcc: evil@x.example', 'Evil <evil@x.example>', 'no-at-sign', '']) {
      await expect(mailer.send({ ...message(), to }), to).rejects.toBeInstanceOf(MailAddressError);
    }
    expect(received).toHaveLength(0);
  });

  it('a refused login is MailUnavailableError, and no form of the password reaches the log', async () => {
    const wrong = 'wr0ng-Pa55';
    const mailer = createSmtpMailer({ url: `smtp://${user}:${wrong}@127.0.0.1:${port}`, from: 'a@b.example' });
    const error = await mailer.send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailUnavailableError);
    expect((error as MailUnavailableError).reason).toBe('EAUTH');
    expect(failedLogins).toEqual([user]);
    expect(received).toHaveLength(0);
    const { log, lines } = capturingLog();
    (log as ReturnType<typeof pino>).error({ err: error }, 'email could not be sent');
    const logged = lines().join('\n');
    expect(logged).toContain('LATCH_MAIL_UNAVAILABLE');
    expect(logged).toContain(`smtp://${user}@127.0.0.1:${port}`);
    for (const form of [wrong, Buffer.from(`\0${user}\0${wrong}`).toString('base64'), Buffer.from(wrong).toString('base64')]) {
      expect(logged).not.toContain(form);
    }
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(wrong);
  });
});

describe('an SMTP server that cannot be reached', () => {
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts connections and never says a word: the greeting never comes.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('a closed port is MailUnavailableError at once', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = Date.now();
    const error = await createSmtpMailer({ url: `smtp://127.0.0.1:${closedPort}`, from: 'a@b.example' }).send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailUnavailableError);
    expect((error as MailUnavailableError).retryAfter).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a server that never greets is MailUnavailableError within the greeting timeout', async () => {
    const started = Date.now();
    const mailer = createSmtpMailer({ url: `smtp://${user}:${encodedPassword}@127.0.0.1:${silentPort}`, from: 'a@b.example', timeouts: { greeting: 300 } });
    const error = await mailer.send(message()).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(MailUnavailableError);
    expect((error as MailUnavailableError).reason).toBe('ETIMEDOUT');
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    for (const form of secretForms()) expect((error as Error).message).not.toContain(form);
  });

  it('the whole delivery has a deadline, whatever the phase timeouts', async () => {
    const started = Date.now();
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${silentPort}`, from: 'a@b.example', timeouts: { greeting: 60_000, socket: 60_000, total: 300 } });
    const error = await mailer.send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailUnavailableError);
    expect((error as Error).message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('an unresolvable host is MailUnavailableError', async () => {
    const error = await createSmtpMailer({ url: 'smtp://mail.invalid:25', from: 'a@b.example', timeouts: { connect: 2000, total: 5000 } }).send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailUnavailableError);
  });
});

describe('the log mailer (LATCH_SMTP_URL unset)', () => {
  it('writes one warning that the email was not sent, then the message at info level', async () => {
    const { log, lines } = capturingLog();
    const mailer = createMailer(loadConfig({}), { log: () => log });
    const sent = message();
    await mailer.send(sent);
    const entries = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ level: 40, msg: 'LATCH_SMTP_URL is not set: this email was written to the log instead of being sent', to: sent.to });
    expect(entries[1]).toMatchObject({ level: 30, to: sent.to, subject: sent.subject, text: sent.text });
    expect(String(entries[1]?.text)).toContain('https://id.example.com/reset?token=t0k');
    expect(entries[1]).not.toHaveProperty('html');
    await expect(mailer.send({ ...sent, to: 'a@b.example\nx' })).rejects.toBeInstanceOf(MailAddressError);
    expect(lines()).toHaveLength(2);
  });
});

describe('smtpTransportOptions', () => {
  it('requires STARTTLS before a password goes to a host that is not loopback', () => {
    const t = defaultSmtpTimeouts;
    expect(smtpTransportOptions('smtp://u:p@mail.example.com', t)).toMatchObject({ host: 'mail.example.com', port: 587, secure: false, requireTLS: true, auth: { user: 'u', pass: 'p' } });
    expect(smtpTransportOptions('smtps://u%40x:p%2Fq@mail.example.com', t)).toMatchObject({ port: 465, secure: true, requireTLS: false, auth: { user: 'u@x', pass: 'p/q' } });
    expect(smtpTransportOptions('smtp://mail.example.com:25', t)).toMatchObject({ port: 25, requireTLS: false });
    expect(smtpTransportOptions('smtp://mail.example.com:25', t)).not.toHaveProperty('auth');
    expect(smtpTransportOptions('smtp://u:p@127.0.0.1:2525', t)).toMatchObject({ requireTLS: false });
    expect(smtpTransportOptions('smtp://u:p@[::1]:2525', t)).toMatchObject({ host: '::1', requireTLS: false });
    expect(smtpTransportOptions('smtp://mail.example.com', { ...t, connect: 1, greeting: 2, socket: 3 })).toMatchObject({ connectionTimeout: 1, greetingTimeout: 2, socketTimeout: 3 });
  });
});

describe('redactSmtpUrl', () => {
  it('keeps the scheme, user, host and port, never the password', () => {
    expect(redactSmtpUrl(`smtps://${user}:${encodedPassword}@mail.example.com:465`)).toBe('smtps://latch@mail.example.com:465');
    expect(redactSmtpUrl('smtp://mail.example.com')).toBe('smtp://mail.example.com');
    expect(redactSmtpUrl('not a url :secret')).toBe('(not a URL)');
  });
});
