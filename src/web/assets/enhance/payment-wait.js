// Waiting for the bank: an element marked data-payment-wait polls its data-status-url (same origin, the owner's
// session) every two seconds for a few minutes, and reloads the page once the payment is settled. Without
// JavaScript the page's "check again" link does the same by hand.
{
  const wait = document.querySelector('[data-payment-wait]');
  if (wait && wait.dataset.statusUrl) {
    const status = document.createElement('p');
    status.className = 'govuk-body-s';
    status.setAttribute('role', 'status');
    status.textContent = wait.dataset.label || '';
    wait.prepend(status);
    let tries = 0;
    const poll = () => {
      tries += 1;
      fetch(wait.dataset.statusUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : null))
        .then((s) => {
          if (s && s.settled) window.location.reload();
          else if (tries < 90) setTimeout(poll, 2000);
        })
        .catch(() => {
          if (tries < 90) setTimeout(poll, 4000);
        });
    };
    setTimeout(poll, 1000);
  }
}
