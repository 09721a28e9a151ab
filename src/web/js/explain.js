// Explanations and the tour's spotlight, where web-sys is verbose. The texts are the page's
// own (`page::explain`, rendered hidden as `#explain-<id>`): this gives each element with a
// `data-testid` that has one an `aria-describedby` (kept as elements come and go), and shows
// the text in a popover on hover, focus or tap. A panel's text shows from the "?" beside its
// heading. The popover never takes the pointer: clicks go through to what is under it.

const STEM = /^(.*)-[^-]+$/;

/** The hidden text explaining `id`, or its pattern's (`run-name-3` → `run-name-*`). */
function textFor(id) {
  if (!id) return null;
  const own = document.getElementById(`explain-${id}`);
  if (own) return own;
  const stem = STEM.exec(id);
  return stem ? document.getElementById(`explain-${stem[1]}-n`) : null;
}

const INTERACTIVE = 'button, input, select, textarea, [role=button], [tabindex]';

const EXPLAINED = '[data-testid], [data-explains]';

function describe(root) {
  const els = root.querySelectorAll ? [...root.querySelectorAll(EXPLAINED)] : [];
  if (root.matches && root.matches(EXPLAINED)) els.push(root);
  for (const el of els) {
    const text = textFor(el.dataset.explains || el.dataset.testid);
    const own = el.getAttribute('aria-describedby');
    // An element described by its own text (the tour's card) keeps it.
    if (!text || (own && !own.startsWith('explain-'))) continue;
    if (own !== text.id) el.setAttribute('aria-describedby', text.id);
    // A picture inside a button (a thumbnail): the button is what is focused.
    const host = el.matches(INTERACTIVE) ? null : el.parentElement && el.parentElement.closest(INTERACTIVE);
    if (host && !host.dataset.testid && !host.hasAttribute('aria-describedby')) host.setAttribute('aria-describedby', text.id);
  }
}

let pop = null;
let shownFor = null;
let shownBy = null;
/** The "?" whose text a tap opened: the next tap on it closes it. */
let pinned = null;

function explained(target) {
  // The tour's card says what its buttons do; a popover there would cover its text.
  if (!(target instanceof Element) || target.closest('.tour-card')) return null;
  for (let el = target; el; el = el.parentElement) {
    const id = el.dataset.explains || el.dataset.testid;
    const text = textFor(id);
    if (text && (el.classList.contains('info') || text.dataset.kind !== 'panel')) return [el, text];
    const ref = el.getAttribute('aria-describedby');
    if (ref && ref.startsWith('explain-') && el.matches(INTERACTIVE)) {
      const described = document.getElementById(ref);
      if (described) return [el, described];
    }
  }
  return null;
}

function show(el, text, by) {
  pop.replaceChildren(...[...text.childNodes].map((n) => n.cloneNode(true)));
  pop.dataset.explains = text.id.slice('explain-'.length);
  pop.hidden = false;
  shownFor = el;
  shownBy = by;
  pinned = null;
  place();
}

/** Below the element, or above it where the window ends, within the window's width. */
function place() {
  if (!shownFor || !shownFor.isConnected) { hide(); return; }
  const r = shownFor.getBoundingClientRect();
  const w = pop.offsetWidth;
  const h = pop.offsetHeight;
  const left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8));
  let top = r.bottom + 6;
  if (top + h > window.innerHeight - 8) top = Math.max(8, r.top - h - 6);
  pop.style.left = `${left}px`;
  pop.style.top = `${top}px`;
}

function hide() {
  if (!pop) return;
  pop.hidden = true;
  shownFor = null;
  shownBy = null;
  pinned = null;
}

function onPoint(e, by) {
  const found = explained(e.target);
  if (found) {
    if (shownFor !== found[0]) show(found[0], found[1], by);
  } else if (shownBy === by || by === 'tap') {
    hide();
  }
}

/** Start describing the page's elements and showing their explanations. */
export function startExplaining() {
  pop = document.createElement('div');
  pop.id = 'explain-pop';
  pop.className = 'explain-pop';
  pop.setAttribute('role', 'tooltip');
  pop.hidden = true;
  document.body.append(pop);
  describe(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') describe(r.target);
      for (const n of r.addedNodes) if (n.nodeType === 1) describe(n);
    }
  }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-testid'] });
  document.addEventListener('mouseover', (e) => onPoint(e, 'hover'));
  document.addEventListener('focusin', (e) => onPoint(e, 'focus'));
  document.addEventListener('focusout', () => { if (shownBy === 'focus') hide(); });
  document.addEventListener('click', (e) => {
    const info = e.target instanceof Element && e.target.closest('.info');
    if (info && pinned === info) { hide(); return; }
    onPoint(e, 'tap');
    if (info && shownFor === info) { shownBy = 'tap'; pinned = info; }
  });
  // The popover follows its element as the page scrolls (a tap may scroll it into view first).
  document.addEventListener('scroll', () => { if (shownFor) place(); }, { passive: true });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    hide();
    const stop = document.querySelector('[data-testid=tour-stop]');
    if (stop) stop.click();
  });
}

const TOUR_KEY = 'vae-playground-tour-done';

/** Whether this browser has finished or skipped the tour (no storage: not done). */
export function tourDone() {
  try { return localStorage.getItem(TOUR_KEY) === '1'; } catch { return false; }
}

export function setTourDone() {
  try { localStorage.setItem(TOUR_KEY, '1'); } catch { /* a sandboxed frame: not remembered */ }
}

/**
 * Mark the tour's current stop (`data-tour-target`) and bring it into view, with the focus on
 * the tour's Next button; with no stop, the focus goes back to the Tour button.
 */
export function spotlight(target, running) {
  for (const el of document.querySelectorAll('[data-tour-target]')) el.removeAttribute('data-tour-target');
  const el = target ? document.querySelector(`[data-testid="${target}"]`) : null;
  if (el) {
    el.setAttribute('data-tour-target', '');
    el.scrollIntoView({ block: 'center' });
  }
  const focus = document.querySelector(running ? '[data-testid=tour-next]' : '[data-testid=tour-start]');
  if (focus && document.activeElement !== focus) focus.focus({ preventScroll: running });
}
