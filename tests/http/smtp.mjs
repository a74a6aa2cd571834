// A real SMTP server on loopback for the tests (smtp-server from npm), with
// every message parsed by mailparser. Stop it and start it again on the
// same port to simulate a relay that is down.

import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { freePort } from './stack.mjs';

export async function startSmtp({ port } = {}) {
  const smtp = {
    port: port ?? (await freePort()),
    messages: [], // {raw, parsed, envelope}
    server: null,

    async start() {
      smtp.server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, session, done) {
          const chunks = [];
          stream.on('data', (c) => chunks.push(c));
          stream.on('end', async () => {
            const raw = Buffer.concat(chunks);
            try {
              const parsed = await simpleParser(raw);
              smtp.messages.push({
                raw: raw.toString('latin1'),
                parsed,
                envelope: {
                  from: session.envelope.mailFrom.address,
                  to: session.envelope.rcptTo.map((r) => r.address),
                },
              });
              done();
            } catch (err) {
              done(err);
            }
          });
        },
      });
      await new Promise((resolve, reject) => {
        smtp.server.once('error', reject);
        smtp.server.listen(smtp.port, '127.0.0.1', resolve);
      });
    },

    async stop() {
      if (!smtp.server) return;
      const s = smtp.server;
      smtp.server = null;
      await new Promise((resolve) => s.close(resolve));
    },

    /** Messages to `address`, newest last. */
    to(address) {
      return smtp.messages.filter((m) => m.envelope.to.includes(address));
    },

    /** Wait until `count` messages reached `address`; returns them. */
    async waitFor(address, count = 1, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const got = smtp.to(address);
        if (got.length >= count) return got;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${count} message(s) to ${address}; got ${smtp.to(address).length}`);
    },
  };
  await smtp.start();
  return smtp;
}

/** The confirm token in a confirmation message's link ("/confirm#<token>"). */
export function confirmToken(message) {
  const m = /\/confirm#([A-Za-z0-9_-]{43})/.exec(message.parsed.text ?? '');
  if (!m) throw new Error('no confirmation link in the message');
  return m[1];
}
