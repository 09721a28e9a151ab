// Drives the embedded playgrounds from the article's links, over the documented postMessage
// API. The frames are served from this site, so their origin is ours.
const origin = window.location.origin;
const frames = [...document.querySelectorAll('iframe')];
const byId = (id) => document.getElementById(id);
const explorer = byId('explorer');
const trainer = byId('trainer');
const live = byId('live');
const slowFrame = byId('step');
const stageCaption = byId('stage');

function send(frame, message) {
  frame.contentWindow.postMessage(message, origin === 'null' ? '*' : origin);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-z], a[data-beta], a[data-command], a[data-params], a[data-slowmo], button[data-sweep]');
  if (!a) return;
  e.preventDefault();
  const frame = a.dataset.frame ? byId(a.dataset.frame) : trainer;
  if (a.dataset.z) {
    const [z1, z2] = a.dataset.z.split(',').map(Number);
    send(explorer, { type: 'vae:set-z', z: [z1, z2] });
  } else if (a.dataset.slowmo) {
    // The frame loads lazily: bring it in, and it opens at the stage once its model is in.
    frame.scrollIntoView({ block: 'nearest' });
    send(frame, { type: 'vae:slowmo', stage: a.dataset.slowmo });
  } else if (a.dataset.beta) {
    send(frame, { type: 'vae:set-hyperparameters', beta: Number(a.dataset.beta) });
    send(frame, { type: 'vae:train' });
  } else if (a.dataset.sweep) {
    send(trainer, { type: 'vae:sweep', betas: a.dataset.sweep.split(',').map(Number), epochs: Number(a.dataset.epochs) });
    trainer.scrollIntoView({ block: 'nearest' });
  } else if (a.dataset.params !== undefined) {
    // Settings the host API does not change (the decoder) go in the frame's own link.
    const src = new URL(frame.src, window.location.href);
    const base = src.search.split('&').filter((p) => /^\??(embed|panels=)/.test(p)).join('&');
    frame.src = `${src.pathname}${base}${a.dataset.params ? `&${a.dataset.params}` : ''}`;
  } else {
    send(frame, a.dataset.until ? { type: `vae:${a.dataset.command}`, until: a.dataset.until } : { type: `vae:${a.dataset.command}` });
  }
});

// Each frame reports the height that shows all of it (vae:resize): follow it, as the embed
// code's host script does.
window.addEventListener('message', (e) => {
  if (e.origin !== origin || !e.data || e.data.type !== 'vae:resize') return;
  for (const frame of frames) {
    if (frame.contentWindow === e.source) frame.style.height = `${e.data.height}px`;
  }
});

const fmt = (v) => (v === null || v === undefined ? '–' : v.toFixed(1));
window.addEventListener('message', (e) => {
  if (e.origin !== origin || e.source !== trainer.contentWindow) return;
  const m = e.data;
  if (m && m.type === 'vae:ready') send(trainer, { type: 'vae:subscribe' });
  if (m && m.type === 'vae:metrics') {
    live.textContent = `step ${m.step}, KL ${fmt(m.kl)} + reconstruction ${fmt(m.recon)} = −ELBO ${fmt(m.elbo)} nats per image${m.training ? ' (training)' : ''}`;
    live.dataset.step = String(m.step);
  }
});
// The slow-motion frame's stage, as its metrics name it.
const STAGES = {
  waiting: 'the step is being taken…', batch: 'the batch drawn', encode: 'encoded', sample: 'z sampled',
  decode: 'decoded', loss: 'the loss', step: 'the gradient step',
};
window.addEventListener('message', (e) => {
  if (e.origin !== origin || e.source !== slowFrame.contentWindow) return;
  const m = e.data;
  if (m && m.type === 'vae:ready') send(slowFrame, { type: 'vae:subscribe' });
  if (m && m.type === 'vae:metrics') {
    stageCaption.textContent = m.slowmo ? STAGES[m.slowmo] : 'not in slow motion';
    stageCaption.dataset.stage = m.slowmo ?? '';
  }
});
// A frame that was ready before this script ran: ask anyway (subscribing twice is harmless).
for (const frame of [trainer, slowFrame]) {
  frame.addEventListener('load', () => setTimeout(() => send(frame, { type: 'vae:subscribe' }), 0));
}
