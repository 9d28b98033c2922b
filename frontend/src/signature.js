// Drawn signatures: a canvas with [data-signature-for="<input id>"] writes a PNG data URL
// into that hidden input whenever a stroke ends; a [data-signature-clear] button empties both.
// A value already in the input (a form sent back with errors) is drawn again.
import SignaturePad from 'signature_pad';

function attach(canvas) {
  const input = document.getElementById(canvas.dataset.signatureFor);
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio;
  canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext('2d').scale(ratio, ratio);
  const pad = new SignaturePad(canvas, { backgroundColor: 'rgb(255,255,255)' });
  if (input.value.startsWith('data:image/png;base64,')) {
    pad.fromDataURL(input.value); // sent back with a validation error: show what was signed
  }
  pad.addEventListener('endStroke', () => {
    input.value = pad.isEmpty() ? '' : pad.toDataURL('image/png');
  });
  const clear = document.querySelector(`[data-signature-clear="${canvas.dataset.signatureFor}"]`);
  if (clear) {
    clear.addEventListener('click', (event) => {
      event.preventDefault();
      pad.clear();
      input.value = '';
    });
  }
  return pad;
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('canvas[data-signature-for]').forEach(attach);
});
