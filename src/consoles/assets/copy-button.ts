/**
 * The copy buttons of LifeTime's pages, served as an external file (`/assets/copy-button.js`) so
 * pages need no inline script: the page CSP lets it run by the page's nonce. It also shows the
 * provider form's client secret field only while the chosen client authentication sends a secret.
 */
export const COPY_BUTTON_SCRIPT = `document.addEventListener('click', function (event) {
  var button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  var field = document.getElementById(button.getAttribute('data-copy'));
  if (!field) return;
  field.focus();
  field.select();
  var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy'; }, 2000); };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
  else { document.execCommand('copy'); done(); }
});
// The provider form's client secret field is shown only for the methods that send a secret.
document.addEventListener('change', function (event) {
  var select = event.target instanceof HTMLSelectElement && event.target.name === 'clientAuth' ? event.target : null;
  var field = select && select.form ? select.form.querySelector('[data-client-secret]') : null;
  if (field) field.hidden = select.value === 'private_key_jwt';
});
`;
