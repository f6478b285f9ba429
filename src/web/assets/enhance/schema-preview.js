// The form's live preview on the administrator's version page: an element marked data-schema-preview re-renders
// its [data-preview-body] from the textarea named by data-source, a moment after typing stops, by POSTing it
// (with the form's CSRF token) to data-preview-url, which answers the preview's HTML. Without JavaScript the
// page's "Preview" button does the same with a full page.
{
  const region = document.querySelector('[data-schema-preview]');
  const source = region && document.getElementById(region.dataset.source || '');
  const body = region && region.querySelector('[data-preview-body]');
  if (region && source && body && source.form && region.dataset.previewUrl) {
    const status = document.createElement('p');
    status.className = 'govuk-visually-hidden';
    status.setAttribute('role', 'status');
    region.append(status);
    let timer = 0;
    let latest = 0;
    const refresh = () => {
      const token = source.form.querySelector('input[name="_csrf"]');
      const data = new URLSearchParams({ _csrf: token ? token.value : '', formSchema: source.value });
      const mine = ++latest;
      fetch(region.dataset.previewUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: data,
      })
        .then((r) => (r.ok ? r.text() : null))
        .then((html) => {
          if (html === null || mine !== latest) return;
          body.innerHTML = html;
          region.dataset.previewState = String(mine);
          status.textContent = region.dataset.updated || '';
        })
        .catch(() => {});
    };
    source.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }
}
