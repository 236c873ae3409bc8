// The control API as the pages call it: /api/v1/... on this origin, the
// session cookie and the CSRF token on every request, errors in words.
const csrf = document.querySelector('meta[name="csrf-token"]').content;

// call sends one control-API request and returns its JSON reply.
export async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api' + path, init);
  } catch (e) {
    throw new Error('The node does not answer (is it still running?).');
  }
  return reply(res.status, await res.text());
}

// reply turns a status and body into the JSON value or an Error with the
// node's own explanation.
function reply(status, text) {
  let v = null;
  try { v = text ? JSON.parse(text) : null; } catch (e) { v = null; }
  if (status >= 200 && status < 300) return v;
  if (status === 401) throw new Error('Your session has ended: run "peerhood open" again.');
  const msg = v && v.error ? v.error : (text || 'HTTP ' + status).trim();
  throw new Error(msg.replace(/^[A-Z][a-z]+: /, ''));
}

// upload PUTs file to target with progress (0..1 of the whole file),
// resuming a cut upload: the node says how many bytes the member already
// holds (GET /v1/files/resume) and only the rest is sent, with
// Content-Range. It resolves to the node's reply (the entry, and
// resumed_from, the offset the member resumed at); onStart(xhr, offset)
// lets the caller abort.
export async function upload(target, workgroup, file, onProgress, onStart) {
  const q = { target, workgroup, mtime_ms: String(file.lastModified || 0) };
  const { offset } = await call('GET', '/v1/files/resume?' + new URLSearchParams({ ...q, size: String(file.size) }));
  try {
    return await put(q, file, offset > 0 && offset < file.size ? offset : 0, onProgress, onStart);
  } catch (e) {
    if (e.status !== 409) throw e;
    return put(q, file, 0, onProgress, onStart); // the member lost the bytes: from the start
  }
}

function put(q, file, offset, onProgress, onStart) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', '/api/v1/files/content?' + new URLSearchParams(q));
    x.setRequestHeader('X-CSRF-Token', csrf);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    if (offset > 0) x.setRequestHeader('Content-Range', 'bytes ' + offset + '-' + (file.size - 1) + '/' + file.size);
    x.upload.onprogress = (e) => { if (e.lengthComputable && file.size) onProgress((offset + e.loaded) / file.size); };
    x.onload = () => {
      try { resolve(reply(x.status, x.responseText)); } catch (e) { e.status = x.status; reject(e); }
    };
    x.onerror = () => reject(new Error('The upload was cut off.'));
    x.onabort = () => { const e = new Error('Upload stopped.'); e.aborted = true; reject(e); };
    if (onStart) onStart(x, offset);
    x.send(offset > 0 ? file.slice(offset) : file);
  });
}

// stage uploads file to the node's staging area (POST /v1/uploads) with
// progress (0..1) and resolves to {id, name, size}.
export function stage(file, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/api/v1/uploads?' + new URLSearchParams({ name: file.name }));
    x.setRequestHeader('X-CSRF-Token', csrf);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    x.onload = () => { try { resolve(reply(x.status, x.responseText)); } catch (e) { reject(e); } };
    x.onerror = () => reject(new Error('The upload was cut off.'));
    x.send(file);
  });
}

// sendFiles stages files, then sends them as a copy (kind 'file') or a
// mail's attachments (kind 'mail', with subject and body) to the members
// to: the same send as `peerhood copy` and `peerhood mail send`.
// onProgress sees the staged share of all the bytes (0..1).
export async function sendFiles(workgroup, to, kind, files, extra, onProgress) {
  const total = files.reduce((n, f) => n + f.size, 0) || 1;
  let done = 0;
  const ids = [];
  for (const f of files) {
    const u = await stage(f, (x) => onProgress && onProgress((done + x * f.size) / total));
    done += f.size;
    ids.push(u.id);
  }
  return call('POST', '/v1/uploads/send', { workgroup, to, kind, uploads: ids, ...(extra || {}) });
}

// listen subscribes to the node's events; onEvent(kind, payload, event)
// runs for each (event is the envelope: seq, kind, workgroup, time,
// data), and onState(true|false) when the stream connects or drops.
export function listen(kinds, onEvent, onState) {
  const es = new EventSource('/api/v1/events?kinds=' + kinds.join(','));
  for (const k of kinds.concat(['gap'])) {
    es.addEventListener(k, (e) => {
      let ev = null;
      try { ev = JSON.parse(e.data); } catch (x) { ev = null; }
      onEvent(k, ev && ev.data !== undefined ? ev.data : null, ev);
    });
  }
  es.onopen = () => onState && onState(true);
  es.onerror = () => onState && onState(false);
  return es;
}

// h builds an element: h('a', {href: '#'}, 'text', child...). Text is
// always text (no HTML is parsed from data).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// size formats a byte count.
export function size(n) {
  if (n < 1024) return n + ' B';
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
}

// when formats a date (a Date, an RFC 3339 string or nanoseconds).
export function when(v) {
  if (v === undefined || v === null || v === '') return '';
  const d = typeof v === 'number' ? new Date(v / 1e6) : new Date(v);
  if (isNaN(d) || d.getFullYear() < 1971) return '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// ago formats how long ago a date was.
export function ago(v) {
  if (!v) return '';
  const s = Math.max(0, (Date.now() - new Date(v).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return when(v);
}

// ms formats nanoseconds as milliseconds.
export function ms(ns) { return ns ? (ns / 1e6).toFixed(ns < 1e7 ? 1 : 0) + ' ms' : ''; }

// ask shows the page's dialog: a question, optionally with a text field.
// It resolves to the text (or true) on OK, null on cancel.
export function ask(text, field) {
  const d = document.getElementById('ask');
  const input = document.getElementById('ask-input');
  const label = document.getElementById('ask-label');
  document.getElementById('ask-text').textContent = text;
  input.hidden = label.hidden = !field;
  input.required = !!field;
  if (field) { label.textContent = field.label; input.value = field.value || ''; }
  d.returnValue = '';
  d.showModal();
  if (field) { input.focus(); input.select(); } else document.getElementById('ask-ok').focus();
  return new Promise((resolve) => {
    d.addEventListener('close', () => {
      if (d.returnValue !== 'ok') resolve(null);
      else resolve(field ? input.value : true);
    }, { once: true });
  });
}

// showError puts a message in the page's alert area ('' hides it).
export function showError(e) {
  const el = document.getElementById('error');
  el.textContent = e ? (e.message || String(e)) : '';
  el.hidden = !e;
}
