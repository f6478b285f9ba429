import { randomBytes } from 'node:crypto';
import { formatVnpDate, signParams, VNP_SECURE_HASH } from '../../src/payments/vnpay/vnpay.protocol';
import { cannon, histogram, mapLimit, round } from '../lib/load';
import { Env } from '../lib/portal';
import { Probe, ProbeResult } from '../lib/probe';
import { createDrafts } from '../lib/seed';

export interface IpnResult {
  sent: number;
  credits: number;
  expectedCredits: number;
  rps: number;
  durationS: number;
  rspCodes: Record<string, number>;
  expectedRspCodes: Record<string, number>;
  httpStatuses: Record<string, number>;
  receipts: number;
  succeededAttempts: number;
  surplusRefunds: number;
  forgeries: Record<string, number>;
  setupS: number;
  probe: ProbeResult;
}

const JUDICIAL_RECORD = '2.001417';
const FORM = {
  fullName: 'Trần Văn Bench',
  dateOfBirth: '1988-08-08',
  placeOfBirth: 'TP. Hồ Chí Minh',
  certificateType: 1,
  purpose: 'Bổ sung hồ sơ xin việc',
};

interface Attempt {
  dossierId: string;
  txnRef: string;
  amountRaw: string;
  orderInfo: string;
  txnNo: string;
}

/**
 * IPN storm: 1,000 payments started through the API (`POST /payments` on
 * judicial record dossiers awaiting payment, put in that state with SQL as a
 * submission leaves them), then 10,000 IPNs at once:
 * every genuine IPN 8 times (the 8 copies next to each other, so they race)
 * and 2,000 forgeries mixed in. Afterwards the database must show exactly
 * one credit per payment.
 */
export async function benchIpn(
  env: Env,
  o: { payments: number; copies: number; forgeries: number; connections: number },
): Promise<IpnResult> {
  const { ctx, demo } = env;
  const t0 = Date.now();
  const drafts = await createDrafts(ctx.pool, {
    procedure: demo.procedures[JUDICIAL_RECORD],
    citizens: env.citizens,
    count: o.payments,
    formData: FORM,
    documentKeys: ['id_card'],
    document: env.document,
  });
  // The dossiers as a submission leaves them (awaiting payment, what they owe open); the payments are started through the API.
  await ctx.pool.query(
    `WITH d AS (
       UPDATE dossiers SET state = 'awaiting_payment', code = 'IPN-' || $2::text || '-' || id::text, submitted_at = now(),
              attention_at = now(), version = version + 1, updated_at = now()
        WHERE id = ANY($1::uuid[]) RETURNING id
     )
     INSERT INTO payment_requests (dossier_id, stage, items, amount_vnd)
     SELECT id, 'before_receipt', $3::jsonb, 200000 FROM d`,
    [
      drafts.map((d) => d.id),
      ctx.runId,
      JSON.stringify([{ kind: 'fee', name: 'Phí cung cấp thông tin lý lịch tư pháp', amount: 200000 }]),
    ],
  );
  const attempts: Attempt[] = await mapLimit(drafts, 16, async (d, i) => {
    const started = await fetch(`${env.apiUrl}/api/v1/applications/${d.id}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.tokens.get(d.applicantId)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'vnpay' }),
    });
    if (started.status !== 201) throw new Error(`start payment: HTTP ${started.status} ${await started.text()}`);
    const url = new URL(((await started.json()) as { redirectUrl: string }).redirectUrl);
    return {
      dossierId: d.id,
      txnRef: url.searchParams.get('vnp_TxnRef')!,
      amountRaw: url.searchParams.get('vnp_Amount')!,
      orderInfo: url.searchParams.get('vnp_OrderInfo')!,
      txnNo: String(15_000_000 + i),
    };
  });
  const setupS = (Date.now() - t0) / 1000;

  // The gateway's IPN for each payment: signed as the VNPay sandbox signs it.
  const payDate = formatVnpDate(new Date());
  const genuine = (a: Attempt): Record<string, string> => {
    const p: Record<string, string> = {
      vnp_Amount: a.amountRaw,
      vnp_BankCode: 'NCB',
      vnp_BankTranNo: `VNP${a.txnNo}`,
      vnp_CardType: 'ATM',
      vnp_OrderInfo: a.orderInfo,
      vnp_PayDate: payDate,
      vnp_ResponseCode: '00',
      vnp_TmnCode: ctx.tmnCode,
      vnp_TransactionNo: a.txnNo,
      vnp_TransactionStatus: '00',
      vnp_TxnRef: a.txnRef,
    };
    return { ...p, [VNP_SECURE_HASH]: signParams(p, ctx.vnpaySecret) };
  };
  const forgeryKinds = ['random-hash', 'wrong-secret', 'amount-raised', 'txnref-swapped'] as const;
  const forge = (kind: (typeof forgeryKinds)[number], a: Attempt, other: Attempt): Record<string, string> => {
    const p = genuine(a);
    switch (kind) {
      case 'random-hash':
        return { ...p, [VNP_SECURE_HASH]: randomBytes(64).toString('hex') };
      case 'wrong-secret': {
        const { [VNP_SECURE_HASH]: _, ...unsigned } = p;
        return { ...unsigned, [VNP_SECURE_HASH]: signParams(unsigned, 'not-the-merchant-secret-0123456789') };
      }
      case 'amount-raised':
        return { ...p, vnp_Amount: String(Number(p.vnp_Amount) * 10) };
      case 'txnref-swapped':
        return { ...p, vnp_TxnRef: other.txnRef };
    }
  };

  // Groups of (copies genuine + share of forgeries), shuffled inside the group; groups in order.
  const paths: string[] = [];
  const forgeries: string[] = [];
  let f = 0;
  attempts.forEach((a, i) => {
    const group: string[] = [];
    const q = new URLSearchParams(genuine(a)).toString();
    for (let c = 0; c < o.copies; c++) group.push(q);
    const share =
      Math.floor((o.forgeries * (i + 1)) / attempts.length) - Math.floor((o.forgeries * i) / attempts.length);
    for (let k = 0; k < share; k++) {
      const kind = forgeryKinds[f++ % forgeryKinds.length];
      forgeries.push(kind);
      group.push(new URLSearchParams(forge(kind, a, attempts[(i + 1) % attempts.length])).toString());
    }
    for (let k = group.length - 1; k > 0; k--) {
      const j = Math.floor(Math.random() * (k + 1));
      [group[k], group[j]] = [group[j], group[k]];
    }
    for (const g of group) paths.push(`/api/v1/payments/vnpay/ipn?${g}`);
  });

  let next = 0;
  const codes: string[] = [];
  const statuses: number[] = [];
  const probe = new Probe(ctx.pool, ctx.dbName, { api: env.api.pid }).start();
  const t1 = process.hrtime.bigint();
  await cannon(
    {
      url: env.apiUrl,
      connections: o.connections,
      amount: paths.length,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => {
            req.path = paths[next++ % paths.length];
            return req;
          },
          onResponse: (status, body) => {
            statuses.push(status);
            try {
              codes.push(JSON.parse(body).RspCode ?? 'none');
            } catch {
              codes.push('unparsable');
            }
          },
        },
      ],
    },
    'ipn storm',
  );
  const elapsedS = Number(process.hrtime.bigint() - t1) / 1e9;
  const probed = probe.stop(statuses.length);

  const refs = attempts.map((a) => a.txnRef);
  const [counts] = (
    await ctx.pool.query(
      `SELECT (SELECT count(*)::int FROM payment_requests r WHERE r.dossier_id = ANY($2::uuid[]) AND r.status = 'paid') AS credits,
            (SELECT count(*)::int FROM payment_receipts rc JOIN payment_attempts a ON a.id = rc.attempt_id WHERE a.txn_ref = ANY($1::text[])) AS receipts,
            (SELECT count(*)::int FROM payment_attempts a WHERE a.txn_ref = ANY($1::text[]) AND a.state = 'succeeded') AS succeeded,
            (SELECT count(*)::int FROM payment_refunds f JOIN payment_attempts a ON a.id = f.attempt_id WHERE a.txn_ref = ANY($1::text[])) AS refunds`,
      [refs, attempts.map((a) => a.dossierId)],
    )
  ).rows;
  return {
    sent: statuses.length,
    credits: counts.credits,
    expectedCredits: attempts.length,
    rps: round(statuses.length / elapsedS, 1),
    durationS: round(elapsedS, 2),
    rspCodes: histogram(codes),
    expectedRspCodes: { '00': attempts.length, '02': attempts.length * (o.copies - 1), '97': forgeries.length },
    httpStatuses: histogram(statuses),
    receipts: counts.receipts,
    succeededAttempts: counts.succeeded,
    surplusRefunds: counts.refunds,
    forgeries: histogram(forgeries),
    setupS: round(setupS, 1),
    probe: probed,
  };
}
