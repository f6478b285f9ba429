// The staff queue's "load more": the next page's rows appended to the table (the link works without it).
{
  const more = document.querySelector('a[data-queue-more]');
  const status = document.getElementById('queue-status');
  const rows = document.getElementById('queue-rows');
  if (more && rows) {
    more.addEventListener('click', async (event) => {
      event.preventDefault();
      if (more.getAttribute('aria-disabled') === 'true') return;
      more.setAttribute('aria-disabled', 'true');
      if (status) status.textContent = more.dataset.labelLoading || '';
      try {
        const res = await fetch(more.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
        if (!res.ok) throw new Error(String(res.status));
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const added = [...(doc.querySelectorAll('#queue-rows > tr') || [])];
        const first = added[0];
        for (const tr of added) rows.appendChild(document.importNode(tr, true));
        const next = doc.querySelector('a[data-queue-more]');
        if (next) {
          more.href = next.getAttribute('href');
          more.removeAttribute('aria-disabled');
        } else {
          more.parentElement.remove();
        }
        if (status) status.textContent = (more.dataset.labelLoaded || '').replace('{n}', String(added.length));
        // Focus the first new dossier's link, so a keyboard user goes on from there.
        const link = first && rows.querySelector(`tr[data-id="${first.dataset.id}"] a`);
        if (link) link.focus();
      } catch {
        window.location.href = more.href;
      }
    });
  }
}
