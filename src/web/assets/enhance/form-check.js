// Inline check of a filing form (form[data-form-check]): when the citizen leaves a field (input[data-check] or
// textarea/select[data-check]), its constraints (required once changed, minlength, maxlength, pattern, whole
// number, min, max) are checked and the GOV.UK error message shown or cleared. The messages are the field's
// data-msg-* attributes, rendered from the catalogue; the server checks everything again on save.
{
  const form = document.querySelector('form[data-form-check]');
  if (form) {
    const prefix = form.getAttribute('data-error-prefix') || '';
    const changed = new WeakSet();
    const problem = (el) => {
      const v = el.value.trim();
      const msg = (k) => el.getAttribute(`data-msg-${k}`);
      if (v === '') return changed.has(el) ? msg('required') : null;
      if (msg('minlength') && v.length < Number(el.getAttribute('minlength'))) return msg('minlength');
      if (msg('maxlength') && v.length > Number(el.getAttribute('maxlength'))) return msg('maxlength');
      if (msg('pattern')) {
        try {
          if (!new RegExp(`^(?:${el.getAttribute('pattern')})$`, 'v').test(v)) return msg('pattern');
        } catch {
          // A pattern this browser cannot read: the server decides.
        }
      }
      const plain = el.hasAttribute('data-money') ? v.replace(/[\s.,₫]/g, '') : v.replace(/\s/g, '');
      if (msg('integer') && !/^-?\d+$/.test(plain)) return msg('integer');
      if (msg('number') && !Number.isFinite(Number(plain.replace(',', '.')))) return msg('number');
      const n = Number(plain.replace(',', '.'));
      if (msg('min') && n < Number(el.getAttribute('data-min'))) return msg('min');
      if (msg('max') && n > Number(el.getAttribute('data-max'))) return msg('max');
      return null;
    };
    const show = (el, text) => {
      const group = el.closest('.govuk-form-group');
      const id = `${el.id}-error`;
      let p = document.getElementById(id);
      const described = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== id);
      const base =
        el.tagName === 'TEXTAREA' ? 'govuk-textarea' : el.tagName === 'SELECT' ? 'govuk-select' : 'govuk-input';
      if (!text) {
        if (p) p.remove();
        group?.classList.remove('govuk-form-group--error');
        el.classList.remove(`${base}--error`);
        if (described.length) el.setAttribute('aria-describedby', described.join(' '));
        else el.removeAttribute('aria-describedby');
        return;
      }
      if (!p) {
        p = document.createElement('p');
        p.id = id;
        p.className = 'govuk-error-message';
        const anchor = el.closest('.govuk-input__wrapper') || el;
        anchor.parentNode.insertBefore(p, anchor);
      }
      p.textContent = '';
      const hidden = document.createElement('span');
      hidden.className = 'govuk-visually-hidden';
      hidden.textContent = `${prefix} `;
      p.append(hidden, text);
      group?.classList.add('govuk-form-group--error');
      el.classList.add(`${base}--error`);
      el.setAttribute('aria-describedby', [...described, id].join(' '));
    };
    form.addEventListener('input', (ev) => {
      if (ev.target instanceof HTMLElement && ev.target.hasAttribute('data-check')) changed.add(ev.target);
    });
    // Leaving a field for a button (save, add, remove) shows nothing: a message appearing under the pointer would
    // move the button away before the click lands; the server answers the submission anyway.
    let pressing = false;
    form.addEventListener('pointerdown', (ev) => {
      pressing = ev.target instanceof Element && !!ev.target.closest('button');
    });
    document.addEventListener('pointerup', () => setTimeout(() => (pressing = false), 0));
    form.addEventListener(
      'blur',
      (ev) => {
        const el = ev.target;
        const toButton = ev.relatedTarget instanceof Element && ev.relatedTarget.closest('button');
        if (pressing || toButton) return;
        if (el instanceof HTMLElement && el.hasAttribute('data-check')) show(el, problem(el));
      },
      true,
    );
  }
}

// Conditional reveal (input[data-reveal="<id>"]): the element shows while that radio is checked. GOV.UK's own
// reveal marks the radio aria-expanded, which ARIA does not allow on a radio; this one does not.
{
  for (const radio of document.querySelectorAll('input[type=radio][data-reveal]')) {
    const target = document.getElementById(radio.getAttribute('data-reveal'));
    if (!target || !radio.form) continue;
    const sync = () => target.classList.toggle('govuk-radios__conditional--hidden', !radio.checked);
    for (const other of radio.form.querySelectorAll(`input[type=radio][name="${radio.name}"]`)) {
      other.addEventListener('change', sync);
    }
    sync();
  }
}
