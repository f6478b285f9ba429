/**
 * The workers baseline: a bare Node loop doing, per message, the I/O a
 * notification job must do, and nothing else: one email to the SMTP sink
 * (nodemailer, pooled connections, the same text the portal renders), one SMS
 * to the SMS sink (fetch, keep-alive) and one INSERT recording both as sent
 * (one round trip, one commit), with `CONCURRENCY` messages in flight, the
 * email and the SMS of a message sent side by side. No queue, no framework,
 * no claim before sending, no context read: what BullMQ, Nest and the
 * portal's exactly-once bookkeeping add is what the ratio shows.
 *
 * Run as a child process of bench/run.ts (its own event loop, like the
 * worker). It prints "baseline ready"; each SIGUSR2 sends the next of
 * `BENCH_ROUNDS` equal shares of the messages and prints one JSON line
 * (`{"completed", "failed", "durationS"}`) when they are done (the bench runs
 * one share before the portal and one after, so a change in the machine's
 * load during the section weighs on both sides).
 */
import { readFileSync } from 'node:fs';
import { createTransport } from 'nodemailer';
import { Pool } from 'pg';

export interface BaselineMessage {
  dossierId: string;
  recipientId: string;
  sourceId: string;
  to: string;
  phone: string;
  subject: string;
  text: string;
  sms: string;
}

async function main(): Promise<void> {
  const messages: BaselineMessage[] = JSON.parse(readFileSync(process.env.BENCH_MESSAGES!, 'utf8'));
  const concurrency = Number(process.env.CONCURRENCY);
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 20) });
  const mail = createTransport({ url: process.env.SMTP_URL, pool: true, maxConnections: concurrency } as never);
  const smsUrl = process.env.SMS_API_URL!;
  const smsKey = process.env.SMS_API_KEY!;
  const from = process.env.MAIL_FROM ?? 'Cổng dịch vụ công <no-reply@portal.local>';
  await pool.query('SELECT 1');

  const one = async (m: BaselineMessage): Promise<void> => {
    const [info, sms] = await Promise.all([
      mail.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: `<${m.sourceId}-email@portal.local>`,
      }) as Promise<{ messageId: string }>,
      fetch(smsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': smsKey },
        body: JSON.stringify({ clientRef: `${m.sourceId}-sms`, phone: m.phone, text: m.sms }),
        signal: AbortSignal.timeout(10_000),
      }).then(async (res) => {
        if (!res.ok) throw new Error(`SMS gateway answered HTTP ${res.status}`);
        return ((await res.json()) as { messageId?: string }).messageId ?? m.sourceId;
      }),
    ]);
    await pool.query(
      `INSERT INTO notifications (dossier_id, event, channel, source_id, recipient_id, status, attempts, sent_at, provider_message_id)
       VALUES ($1, 'bench-baseline', 'email', $2, $3, 'sent', 1, now(), $4), ($1, 'bench-baseline', 'sms', $2, $3, 'sent', 1, now(), $5)`,
      [m.dossierId, m.sourceId, m.recipientId, info.messageId, sms],
    );
  };

  const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
  let round = 0;
  const run = async () => {
    const share = Math.ceil(messages.length / rounds);
    const mine = messages.slice(round * share, ++round * share);
    let next = 0;
    let completed = 0;
    let failed = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < mine.length) {
          const m = mine[next++];
          await one(m).then(
            () => completed++,
            (e: Error) => {
              if (failed++ === 0) console.error(e.message);
            },
          );
        }
      }),
    );
    const durationS = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(`${JSON.stringify({ completed, failed, durationS })}\n`);
  };

  process.on('SIGUSR2', () => void run());
  const stop = () => {
    mail.close();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write('baseline ready\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
