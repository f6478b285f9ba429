// Upload progress: a form marked data-upload-progress is sent with XMLHttpRequest (its fields, the CSRF token
// included), with a <progress> bar and a label from the page; then the page the server redirected to is loaded.
// A refusal (the server's error page) is left to the plain form: it is sent again the ordinary way.
{
  for (const form of document.querySelectorAll('form[data-upload-progress]')) {
    form.addEventListener('submit', (event) => {
      if (form.dataset.sending === 'plain') return;
      event.preventDefault();
      if (form.dataset.sending === 'xhr') return;
      form.dataset.sending = 'xhr';
      const box = document.createElement('div');
      box.className = 'govuk-form-group portal-upload-progress';
      const label = document.createElement('label');
      label.className = 'govuk-label';
      label.textContent = form.dataset.labelProgress || '';
      const bar = document.createElement('progress');
      bar.max = 100;
      bar.value = 0;
      bar.id = `${form.querySelector('input[type=file]')?.id || 'upload'}-progress`;
      label.htmlFor = bar.id;
      const status = document.createElement('p');
      status.className = 'govuk-body-s';
      status.setAttribute('role', 'status');
      box.append(label, bar, status);
      form.append(box);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        const pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        status.textContent = `${pct}%`;
      });
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
          bar.value = 100;
          status.textContent = form.dataset.labelDone || '';
          window.location.assign(xhr.responseURL);
        } else {
          box.remove();
          form.dataset.sending = 'plain';
          form.submit();
        }
      });
      xhr.addEventListener('error', () => {
        box.remove();
        form.dataset.sending = 'plain';
        form.submit();
      });
      xhr.send(new FormData(form));
    });
  }
}
