import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { execute, selectOne, updateRows } from '../../database/query-result';

export type SandboxTxnStatus = 'pending' | 'paid' | 'cancelled' | 'refunded';

/** One row of the gateway's own ledger (sandbox_vnpay_transactions). */
export interface SandboxTxn {
  txn_ref: string;
  tmn_code: string;
  amount_raw: string;
  order_info: string;
  return_url: string;
  create_date: string;
  status: SandboxTxnStatus;
  transaction_no: string | null;
  bank_code: string | null;
  pay_date: string | null;
  ipn_attempts: number;
  ipn_last_response: string | null;
}

/** What a pay request records (the vnp_* fields of the same names). */
export interface SandboxTxnOpening {
  txnRef: string;
  tmnCode: string;
  amountRaw: string;
  orderInfo: string;
  returnUrl: string;
  createDate: string;
}

/** What a refund request names: the transaction and the amount asked back. */
export interface SandboxRefundRequest {
  txnRef: string | undefined;
  tmnCode: string | undefined;
  /** The payment's vnp_CreateDate ('' when not given). */
  transactionDate: string;
  amount: string | undefined;
  /** '02' full refund, '03' partial. */
  transactionType: string | undefined;
  /** The gateway's transaction number, or '' to match any. */
  transactionNo: string;
}

/**
 * The VNPay sandbox gateway's own ledger: sandbox_vnpay_transactions (and its
 * sequence sandbox_vnpay_transaction_no). The only place that reads or writes
 * it. Decisions and refunds are compare-and-set from the expected status, so
 * of two racing requests one wins and the other reads the winner's row.
 */
@Injectable()
export class SandboxVnpayRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a pay request once per txn_ref (a second one is a no-op). */
  async insertPending(t: SandboxTxnOpening): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO sandbox_vnpay_transactions (txn_ref, tmn_code, amount_raw, order_info, return_url, create_date, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending')
       ON CONFLICT (txn_ref) DO NOTHING`,
      [t.txnRef, t.tmnCode, t.amountRaw, t.orderInfo, t.returnUrl, t.createDate],
    );
  }

  async find(txnRef: string): Promise<SandboxTxn | null> {
    return (
      (await selectOne<SandboxTxn>(this.db, `SELECT * FROM sandbox_vnpay_transactions WHERE txn_ref = $1`, [txnRef])) ??
      null
    );
  }

  /**
   * Pays (with a new transaction number) or cancels a pending transaction;
   * the updated row, or undefined when it was not pending (or is unknown).
   */
  async decideIfPending(
    txnRef: string,
    outcome: 'pay' | 'cancel',
    bankCode: string,
    payDate: string,
  ): Promise<SandboxTxn | undefined> {
    const sql =
      outcome === 'pay'
        ? `UPDATE sandbox_vnpay_transactions
              SET status = 'paid', transaction_no = nextval('sandbox_vnpay_transaction_no')::text,
                  bank_code = $2, pay_date = $3, updated_at = now()
            WHERE txn_ref = $1 AND status = 'pending'
        RETURNING *`
        : `UPDATE sandbox_vnpay_transactions
              SET status = 'cancelled', bank_code = $2, pay_date = $3, updated_at = now()
            WHERE txn_ref = $1 AND status = 'pending'
        RETURNING *`;
    const [row] = await updateRows<SandboxTxn>(this.db, sql, [txnRef, bankCode, payDate]);
    return row;
  }

  /**
   * Refunds a paid transaction matching the request (reference, terminal,
   * creation date, transaction number when given; an amount not above the
   * paid one, and equal to it for a full refund); the refunded row, or
   * undefined when none matched.
   */
  async refundIfPaid(r: SandboxRefundRequest): Promise<SandboxTxn | undefined> {
    const [row] = await updateRows<SandboxTxn>(
      this.db,
      `UPDATE sandbox_vnpay_transactions SET status = 'refunded', updated_at = now()
        WHERE txn_ref = $1 AND tmn_code = $2 AND create_date = $3 AND status = 'paid'
          AND amount_raw::numeric >= $4::numeric AND ($5 <> '02' OR amount_raw::numeric = $4::numeric)
          AND ($6 = '' OR transaction_no = $6)
        RETURNING *`,
      [r.txnRef, r.tmnCode, r.transactionDate, r.amount, r.transactionType, r.transactionNo],
    );
    return row;
  }

  /** Counts one IPN try and keeps the merchant's answer (or why there was none). */
  async recordIpnAttempt(txnRef: string, lastResponse: string): Promise<void> {
    await execute(
      this.db,
      `UPDATE sandbox_vnpay_transactions
          SET ipn_attempts = ipn_attempts + 1, ipn_last_response = $2, updated_at = now()
        WHERE txn_ref = $1`,
      [txnRef, lastResponse],
    );
  }
}
