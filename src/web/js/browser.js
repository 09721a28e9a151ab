// What the page asks of the browser beyond web-sys' comfort: browser storage, file
// downloads and uploads, the clipboard and cross-window messages. Every function fails soft:
// a sandboxed frame without storage or clipboard gets a rejected promise, never a crash.

const DB = 'vae-playground';
const STORE = 'models';

function openDb() {
  return new Promise((ok, fail) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
}

function transact(mode, work) {
  return openDb().then((db) => new Promise((ok, fail) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); ok(result.result); };
    tx.onerror = () => { db.close(); fail(tx.error); };
    tx.onabort = () => { db.close(); fail(tx.error); };
  }));
}

export function storePut(key, bytes) {
  const copy = bytes.slice(); // `bytes` is a view into wasm memory: copy before waiting
  return transact('readwrite', (s) => s.put(copy, key));
}

export async function storeGet(key) {
  const value = await transact('readonly', (s) => s.get(key));
  return value instanceof Uint8Array ? value : null;
}

/** Gzip-decompressed `bytes`, by the browser's own inflater (the wasm then carries none). */
export async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function storeDelete(key) {
  return transact('readwrite', (s) => s.delete(key));
}

export function download(name, bytes) {
  save(name, new Blob([bytes.slice()], { type: 'application/octet-stream' }));
}

/** The bytes of the file chosen in `input`, or null; refuses files over `maxBytes`. */
export async function readChosenFile(input, maxBytes) {
  const file = input.files && input.files[0];
  if (!file) return null;
  if (file.size > maxBytes) throw new Error(`${file.name} is ${file.size} bytes; the limit is ${maxBytes}`);
  return new Uint8Array(await file.arrayBuffer());
}

/** The largest ZIP archive the page opens, in bytes. */
const MAX_ZIP = 256 * 1024 * 1024;

const u16 = (v, at) => v.getUint16(at, true);
const u32 = (v, at) => v.getUint32(at, true);

/** `blob` inflated (raw deflate), refused past `maxBytes`: a ZIP bomb stops there. */
async function inflateRaw(blob, maxBytes) {
  const reader = blob.stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`it inflates past the ${maxBytes} bytes an image file may have`);
    }
    parts.push(value);
  }
  return new Blob(parts);
}

/**
 * The files in a ZIP archive, with their paths inside it: [{path, blob}] or [{path, error}].
 * Folders, dot-files and macOS' `__MACOSX` copies are left out. A file that is not a ZIP, or
 * is cut short or lies about its sizes, is refused whole with the reason.
 */
async function zipEntries(file, maxBytes, maxFiles) {
  if (file.size > MAX_ZIP) throw new Error(`${file.name} is ${file.size} bytes; a ZIP may have at most ${MAX_ZIP}`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const view = new DataView(bytes.buffer);
  const bad = (why) => new Error(`${file.name} is not a ZIP archive the page can read: ${why}`);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB, at the end.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(view, at) === 0x06054b50) { end = at; break; }
  }
  if (end < 0) throw bad('no central directory');
  const count = u16(view, end + 10);
  const dirSize = u32(view, end + 12);
  const dirAt = u32(view, end + 16);
  if (count === 0xffff || dirAt === 0xffffffff) throw bad('ZIP64 archives are not supported');
  if (dirAt + dirSize > end) throw bad('its directory points outside the file');
  const out = [];
  let at = dirAt;
  const names = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || u32(view, at) !== 0x02014b50) throw bad('a damaged directory entry');
    const method = u16(view, at + 10);
    const packed = u32(view, at + 20);
    const size = u32(view, at + 24);
    const nameLength = u16(view, at + 28);
    const local = u32(view, at + 42);
    const path = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + u16(view, at + 30) + u16(view, at + 32);
    const base = path.split('/').pop();
    if (path.endsWith('/') || path.startsWith('__MACOSX/') || base.startsWith('.')) continue;
    if (out.length >= maxFiles) throw new Error(`${file.name} holds more than the ${maxFiles} images a set may have`);
    if (size > maxBytes) {
      out.push({ path, error: `${size} bytes, more than the ${maxBytes} an image file may have` });
      continue;
    }
    if (local + 30 > bytes.length || u32(view, local) !== 0x04034b50) throw bad(`${path}'s header is missing`);
    const data = local + 30 + u16(view, local + 26) + u16(view, local + 28);
    if (data + packed > bytes.length) throw bad(`${path} is cut short`);
    const raw = new Blob([bytes.subarray(data, data + packed)]);
    if (method === 0) out.push({ path, blob: raw });
    else if (method === 8) {
      try {
        out.push({ path, blob: await inflateRaw(raw, maxBytes) });
      } catch (e) {
        out.push({ path, error: e instanceof Error && /inflates past/.test(e.message) ? e.message : 'its compressed data is damaged' });
      }
    } else out.push({ path, error: `compressed with method ${method}, which the page cannot read` });
  }
  return out;
}

const isZip = (file) => /\.zip$/i.test(file.name) || file.type === 'application/zip' || file.type === 'application/x-zip-compressed';

/** Files with their paths, ZIP archives opened: [{path, blob}] or [{path, error}]. */
async function expand(files, maxBytes, maxFiles) {
  const out = [];
  for (const { path, file } of files) {
    if (isZip(file)) out.push(...await zipEntries(file, maxBytes, maxFiles));
    else out.push({ path, blob: file });
    if (out.length > maxFiles) {
      throw new Error(`${out.length} or more files were given; a set holds at most ${maxFiles} images`);
    }
  }
  return out;
}

/**
 * Each file decoded by the browser: [{path, width, height, rgba}] or [{path, error}]. Files
 * over `maxBytes` are not read; images over `maxSide` on a side are not drawn.
 */
async function decodeImages(files, maxSide, maxBytes) {
  const out = [];
  for (const { path, blob, error } of files) {
    if (error) {
      out.push({ path, error });
      continue;
    }
    if (blob.size > maxBytes) {
      out.push({ path, error: `${blob.size} bytes, more than the ${maxBytes} an image file may have` });
      continue;
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      out.push({ path, error: 'not an image this browser can decode' });
      continue;
    }
    const { width, height } = bitmap;
    if (width > maxSide || height > maxSide) {
      bitmap.close();
      out.push({ path, error: `${width}x${height} pixels; images may be at most ${maxSide}x${maxSide}` });
      continue;
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer);
    out.push({ path, width, height, rgba });
  }
  return out;
}

/**
 * The image files chosen in `input` (a folder's, or inside ZIP archives, too), each decoded:
 * see `decodeImages`. More than `maxFiles` files is refused whole.
 */
export async function decodeChosenImages(input, maxSide, maxBytes, maxFiles) {
  const files = Array.from(input.files || []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
  if (files.length > maxFiles) {
    throw new Error(`${files.length} files were chosen; a set holds at most ${maxFiles} images`);
  }
  return decodeImages(await expand(files, maxBytes, maxFiles), maxSide, maxBytes);
}

/** Every file below a dropped folder, with its path from the folder (`folder/class/a.png`). */
async function folderFiles(entry, maxFiles) {
  const out = [];
  const walk = async (dir) => {
    const reader = dir.createReader();
    for (;;) {
      // readEntries gives a batch at a time (100 in Chromium) until an empty one.
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) return;
      for (const e of batch) {
        if (e.isDirectory) await walk(e);
        else {
          if (out.length >= maxFiles) throw new Error(`the dropped folders hold more than the ${maxFiles} images a set may have`);
          const file = await new Promise((ok, fail) => e.file(ok, fail));
          out.push({ path: e.fullPath.replace(/^\//, ''), file });
        }
      }
    }
  };
  await walk(entry);
  return out;
}

/**
 * What was dropped on the page (files, folders, ZIP archives), each image decoded: see
 * `decodeImages`. The drop's items are taken before the first wait, while the browser still
 * lets them be read; call this from the drop event itself.
 */
export function decodeDroppedImages(dataTransfer, maxSide, maxBytes, maxFiles) {
  const taken = Array.from(dataTransfer?.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => ({ entry: item.webkitGetAsEntry?.(), file: item.getAsFile() }));
  return (async () => {
    const files = [];
    for (const { entry, file } of taken) {
      if (entry?.isDirectory) files.push(...await folderFiles(entry, maxFiles));
      else if (file) files.push({ path: file.name, file });
      if (files.length > maxFiles) {
        throw new Error(`${files.length} or more files were dropped; a set holds at most ${maxFiles} images`);
      }
    }
    return decodeImages(await expand(files, maxBytes, maxFiles), maxSide, maxBytes);
  })();
}

// What an exported chart keeps of each element's computed style: the page's CSS (its theme's
// variables) is not in the file, so the look is written onto the elements, as presentation
// attributes (a `style` attribute would be an inline style, which the page's CSP refuses).
const CHART_STYLE = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray',
  'stroke-opacity', 'stroke-linejoin', 'opacity', 'font-size', 'font-family', 'font-weight',
  'paint-order'];

function styledCopy(svg) {
  const copy = svg.cloneNode(true);
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [copy, ...copy.querySelectorAll('*')];
  from.forEach((el, i) => {
    const cs = getComputedStyle(el);
    for (const p of CHART_STYLE) to[i].setAttribute(p, cs.getPropertyValue(p));
    for (const a of ['class', 'tabindex', 'role', 'data-testid']) to[i].removeAttribute(a);
  });
  copy.querySelectorAll('.hover-mark').forEach((m) => m.remove());
  return copy;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The chart in `figure` as one standalone SVG: its legend, then each plot under the last. */
function chartSvg(figure) {
  const plots = [...figure.querySelectorAll('svg.chart')];
  if (plots.length === 0) throw new Error('there is no chart to export');
  const background = getComputedStyle(figure.closest('.panel') || document.body).backgroundColor;
  const ink = getComputedStyle(figure).color;
  const width = Math.max(...plots.map((p) => p.getBoundingClientRect().width));
  const out = document.createElementNS(SVG_NS, 'svg');
  out.setAttribute('xmlns', SVG_NS);
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', background);
  out.append(bg);
  let y = 8;
  const keys = [...figure.querySelectorAll('.chart-legend .key')];
  keys.forEach((key) => {
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('x', '30');
    text.setAttribute('y', String(y + 12));
    Object.entries({ fill: ink, 'font-size': '12px', 'font-family': 'sans-serif' }).forEach(([k, v]) => text.setAttribute(k, v));
    text.textContent = key.textContent;
    const swatch = document.createElementNS(SVG_NS, 'rect');
    Object.entries({ x: 8, y: y + 6, width: 16, height: 3 }).forEach(([k, v]) => swatch.setAttribute(k, String(v)));
    swatch.setAttribute('fill', getComputedStyle(key).getPropertyValue('--run').trim() || ink);
    out.append(swatch, text);
    y += 16;
  });
  y += 6;
  for (const plot of plots) {
    const { height } = plot.getBoundingClientRect();
    const copy = styledCopy(plot);
    copy.setAttribute('x', '0');
    copy.setAttribute('y', String(y));
    out.append(copy);
    y += height + 6;
  }
  out.setAttribute('width', String(Math.ceil(width)));
  out.setAttribute('height', String(Math.ceil(y)));
  out.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(y)}`);
  return { text: new XMLSerializer().serializeToString(out), width: Math.ceil(width), height: Math.ceil(y) };
}

function save(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Download the chart drawn in `figure` as `vae-chart.svg` or, drawn at twice its size, `.png`. */
export async function exportChart(figure, format) {
  const svg = chartSvg(figure);
  const blob = new Blob([svg.text], { type: 'image/svg+xml' });
  if (format === 'svg') return save('vae-chart.svg', blob);
  const url = URL.createObjectURL(blob);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = svg.width * 2;
    canvas.height = svg.height * 2;
    const ctx = canvas.getContext('2d');
    ctx.scale(2, 2);
    ctx.drawImage(image, 0, 0, svg.width, svg.height);
    const png = await new Promise((ok) => canvas.toBlob(ok, 'image/png'));
    if (!png) throw new Error('the browser could not encode a PNG');
    save('vae-chart.png', png);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (plain http, some iframes): the old way.
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    if (!done) throw new Error('the browser refused to copy');
  }
}

/** Calls `handler(origin, jsonText, source)` for every message; data that is not JSON-able gives ''. */
export function listenForMessages(handler) {
  window.addEventListener('message', (e) => {
    let text = '';
    try { text = typeof e.data === 'string' ? e.data : JSON.stringify(e.data) ?? ''; } catch { text = ''; }
    handler(e.origin, text, e.source);
  });
}

export function postJson(target, json, origin) {
  try { target.postMessage(JSON.parse(json), origin); } catch { /* closed or cross-origin: drop */ }
}

export function parentWindow() {
  return window.parent !== window ? window.parent : null;
}

/**
 * The parent's origin when it can be known: readable when same-origin, else from
 * `location.ancestorOrigins` (Chromium, WebKit) or the referrer (Firefox has neither list).
 * Posting to another origin than the parent's is an error in Firefox's console.
 */
export function parentOrigin() {
  if (window.parent === window) return null;
  try { return window.parent.location.origin; } catch { /* cross-origin */ }
  const ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0];
  try { return document.referrer ? new URL(document.referrer).origin : null; } catch { return null; }
}

export function replaceQuery(query) {
  const url = new URL(window.location.href);
  url.search = query;
  try { history.replaceState(history.state, '', url); } catch { /* sandboxed: keep the old URL */ }
}


/**
 * Calls `handler(height)` with the page's content height (CSS px) whenever it changes, when the
 * page is in a frame. Returns whether it could (no ResizeObserver, or no frame: false).
 */
export function observeHeight(handler) {
  const main = document.querySelector('main');
  if (window.parent === window || typeof ResizeObserver !== 'function' || !main) return false;
  new ResizeObserver(() => handler(contentHeight())).observe(main);
  return true;
}

/** The page's content height (CSS px): where its `main` ends, with the body's margin. */
export function contentHeight() {
  const main = document.querySelector('main');
  if (!main) return 0;
  const margin = parseFloat(getComputedStyle(document.body).marginBottom) || 0;
  return Math.ceil(main.getBoundingClientRect().bottom + window.scrollY + margin);
}
