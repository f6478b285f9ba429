// A print button where the page asks for one (data-portal-print, its text in data-label): printing needs script.
{
  for (const slot of document.querySelectorAll('[data-portal-print]')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'govuk-button govuk-button--secondary';
    button.textContent = slot.dataset.label || '';
    button.addEventListener('click', () => window.print());
    slot.append(button);
  }
}
