/**
 * The sandbox gateway's payment page: plain HTML, no script, every value
 * escaped. The two buttons are GET forms to `pay/:txnRef/decide` (relative to
 * the page's own URL, so the global prefix and any reverse proxy path carry
 * over); the app parses neither urlencoded bodies nor needs to.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]);
}

/** vnp_Amount (VND x 100) as a VND amount for people: "70.000 ₫". */
export function formatVndAmount(amountRaw: string): string {
  const minor = Number(amountRaw);
  if (!Number.isSafeInteger(minor)) return `${amountRaw} (x100)`;
  const fmt = new Intl.NumberFormat('vi-VN', {
    maximumFractionDigits: 2,
    minimumFractionDigits: minor % 100 === 0 ? 0 : 2,
  });
  return `${fmt.format(minor / 100)} ₫`;
}

export interface PayPageView {
  tmnCode: string;
  txnRef: string;
  amountRaw: string;
  orderInfo: string;
  status: 'pending' | 'paid' | 'cancelled' | 'refunded';
  /** For an already decided transaction: the signed return URL to go back with. */
  returnUrl?: string;
}

const STATUS_TEXT: Record<PayPageView['status'], string> = {
  pending: 'Chờ thanh toán / Awaiting payment',
  paid: 'Đã thanh toán / Paid',
  cancelled: 'Đã hủy / Cancelled',
  refunded: 'Đã hoàn tiền / Refunded',
};

export function renderPayPage(v: PayPageView): string {
  const action = `pay/${encodeURIComponent(v.txnRef)}/decide`;
  const actions =
    v.status === 'pending'
      ? `<div class="actions">
      <form method="get" action="${escapeHtml(action)}"><input type="hidden" name="outcome" value="pay"><button type="submit" class="pay">Thanh toán / Pay</button></form>
      <form method="get" action="${escapeHtml(action)}"><input type="hidden" name="outcome" value="cancel"><button type="submit" class="cancel">Hủy giao dịch / Cancel</button></form>
    </div>`
      : v.returnUrl
        ? `<p>Giao dịch đã được xử lý. / This transaction is already processed.</p>
    <p><a href="${escapeHtml(v.returnUrl)}">Quay lại trang của đơn vị / Back to the merchant</a></p>`
        : '';
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>VNPay sandbox</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  .banner { background: #fff3cd; border: 1px solid #e0c060; padding: .5rem .75rem; border-radius: 4px; font-size: .9rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
  dt { color: #666; } dd { margin: 0; word-break: break-word; }
  .amount { font-size: 1.4rem; font-weight: 600; }
  .actions { display: flex; gap: 1rem; margin-top: 1.5rem; }
  button { font-size: 1rem; padding: .6rem 1.2rem; border-radius: 4px; border: 1px solid #888; cursor: pointer; }
  button.pay { background: #005baa; color: #fff; border-color: #005baa; }
</style>
</head>
<body>
  <p class="banner">Cổng thanh toán thử nghiệm (sandbox) &mdash; không có giao dịch thật. / Test gateway: no real money moves.</p>
  <h1>VNPay sandbox</h1>
  <dl>
    <dt>Đơn vị / Merchant</dt><dd id="merchant">${escapeHtml(v.tmnCode)}</dd>
    <dt>Mã giao dịch / Reference</dt><dd id="txn-ref">${escapeHtml(v.txnRef)}</dd>
    <dt>Số tiền / Amount</dt><dd id="amount" class="amount">${escapeHtml(formatVndAmount(v.amountRaw))}</dd>
    <dt>Nội dung / Order</dt><dd id="order-info">${escapeHtml(v.orderInfo)}</dd>
    <dt>Trạng thái / Status</dt><dd id="status">${escapeHtml(STATUS_TEXT[v.status])}</dd>
  </dl>
  ${actions}
</body>
</html>
`;
}
