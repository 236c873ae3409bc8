// Files: a member's share, #/files/WG/NODE/SHARE/path. Listing with
// breadcrumbs and sorting, downloads, and for a share this node may
// write: upload (picker or drop, a progress bar per file), new folder,
// rename and delete.
import { call, upload, h, size, when, ask, showError } from './api.js';

const join = (...p) => p.filter((x) => x && x !== '.').join('/');

function hashOf(wg, node, share, path) {
  return '#/files/' + [wg, node, share].concat(path ? path.split('/') : []).map(encodeURIComponent).join('/');
}

function crumbs(wg, node, share, path) {
  const items = [h('li', {}, h('a', { href: '#/' }, 'Neighborhood')), h('li', {}, node),
    h('li', {}, h('a', { href: hashOf(wg, node, share, '') }, share))];
  let acc = '';
  for (const part of path ? path.split('/') : []) {
    acc = join(acc, part);
    items.push(h('li', {}, h('a', { href: hashOf(wg, node, share, acc) }, part)));
  }
  items[items.length - 1].firstChild.setAttribute?.('aria-current', 'page');
  return h('ol', { class: 'crumbs', 'aria-label': 'Folder path' }, items);
}

const sorters = {
  name: (a, b) => a.name.localeCompare(b.name),
  size: (a, b) => a.size - b.size,
  mtime: (a, b) => a.mtime_ns - b.mtime_ns,
};

// writeControls are the upload picker, the drop zone and New folder of a
// writable folder; each upload gets a line in uploads with its progress.
function writeControls({ wg, share, path, target, act, refresh, uploads }) {
  const send = (fs) => fs.forEach((f) => {
    const li = h('li', { 'data-name': f.name, 'data-mtime': String(f.lastModified || 0) });
    uploads.append(li);
    start(f, li);
  });
  // start runs one upload in li: a progress bar and Stop; a stopped or
  // cut upload offers Resume (only the bytes the member lacks are sent).
  const start = async (f, li) => {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Upload of ' + f.name });
    const pct = h('span', { class: 'num' }, '0%');
    let xhr = null;
    const stop = h('button', { type: 'button', class: 'small', 'data-action': 'stop-upload', 'aria-label': 'Stop the upload of ' + f.name, onclick: () => xhr && xhr.abort() }, 'Stop');
    li.className = ''; delete li.dataset.done;
    li.replaceChildren(h('span', {}, f.name + ' (' + size(f.size) + ')'), bar, pct, stop);
    try {
      const res = await upload(target(join(path, f.name)), wg, f,
        (x) => { bar.value = Math.round(x * 100); pct.textContent = bar.value + '%'; li.dataset.progress = String(bar.value); },
        (x, offset) => { xhr = x; li.dataset.sent = String(f.size - offset); });
      bar.value = 100; pct.textContent = 'done'; stop.remove();
      li.dataset.resumedFrom = String(res.resumed_from || 0);
      if (res.resumed_from > 0) pct.textContent = 'done (resumed at ' + size(res.resumed_from) + ')';
      li.dataset.done = '1';
      await refresh();
    } catch (e) {
      li.className = 'failed'; li.dataset.done = 'error';
      li.replaceChildren(h('span', {}, f.name + ': ' + e.message + (bar.value > 0 && bar.value < 100 ? ' (' + bar.value + '% sent: Resume sends the rest)' : '')),
        h('button', { type: 'button', class: 'small', 'data-action': 'resume-upload', 'aria-label': 'Resume the upload of ' + f.name, onclick: () => start(f, li) }, 'Resume'));
    }
  };
  const picker = h('input', { type: 'file', id: 'upload-input', multiple: true, class: 'sr-only', onchange: (ev) => { send([...ev.target.files]); ev.target.value = ''; } });
  const drop = h('div', { class: 'drop', id: 'drop' }, 'Drop files here to upload them');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); send([...e.dataTransfer.files]); });
  const pick = (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); picker.click(); } };
  return [h('div', { class: 'toolbar' },
    h('label', { for: 'upload-input', class: 'button primary', tabindex: 0, onkeydown: pick }, 'Upload files…'), picker,
    h('button', { type: 'button', id: 'mkdir', onclick: () => act(async () => {
      const name = await ask('New folder in ' + (path || share) + ':', { label: 'Folder name', value: '' });
      if (name) await call('POST', '/v1/files/mkdir', { target: target(join(path, name)), workgroup: wg });
    }) }, 'New folder')), drop, uploads];
}

export async function render(main, params) {
  const [wg, node, share, ...rest] = params;
  const path = rest.filter(Boolean).join('/');
  if (!wg || !node || !share) { main.append(h('p', {}, 'Pick a share on the ', h('a', { href: '#/' }, 'neighborhood'), ' page.')); return null; }
  const target = (p) => node + ':' + join(share, p);
  const [offer, st, members] = await Promise.all([
    call('GET', '/v1/files/ls?' + new URLSearchParams({ target: node + ':', workgroup: wg })),
    call('GET', '/v1/status'),
    call('GET', '/v1/members?' + new URLSearchParams({ workgroup: wg })),
  ]);
  const info = (offer.shares || []).find((s) => s.name === share);
  const self = (members || []).some((m) => m.name === node && m.peer_id === st.peer_id);
  const writable = !!info && info.right === 'rw' && !self;
  main.append(h('h1', {}, share, ' ', h('span', { class: 'muted' }, 'on ' + node)), crumbs(wg, node, share, path));
  if (self) main.append(h('p', { class: 'muted' }, 'This is one of this node\'s own shares: change its files in their folder.'));
  else if (!writable) main.append(h('p', { class: 'muted', id: 'readonly' }, node + ' lets you read this share, not change it.'));
  const table = h('table', { 'aria-label': 'Files' });
  const uploads = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  let sortKey = 'name', desc = false, entries = [];

  const act = async (fn) => { try { showError(''); await fn(); await refresh(); } catch (e) { showError(e); } };
  const head = () => h('thead', {}, h('tr', {}, [['name', 'Name', ''], ['size', 'Size', 'num'], ['mtime', 'Modified', 'hide-narrow']].map(([k, label, cls]) =>
    h('th', { class: cls, scope: 'col', 'aria-sort': sortKey === k ? (desc ? 'descending' : 'ascending') : null },
      h('button', { type: 'button', 'data-sort': k, onclick: () => { desc = sortKey === k ? !desc : false; sortKey = k; draw(); } }, label + (sortKey === k ? (desc ? ' ▼' : ' ▲') : '')))),
  writable ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null));

  const row = (e) => {
    const p = join(path, e.name);
    const zip = '/api/v1/files/zip?' + new URLSearchParams({ target: target(p), workgroup: wg });
    const link = e.dir
      ? [h('a', { href: hashOf(wg, node, share, p), class: 'entry dir' }, '📁 ' + e.name), ' ', h('a', { href: zip, download: e.name + '.zip', class: 'zip badge', 'aria-label': 'Download ' + e.name + ' as zip' }, 'zip')]
      : h('a', { href: '/api/v1/files/content?' + new URLSearchParams({ target: target(p), workgroup: wg }), download: e.name, class: 'entry file' }, e.name);
    const actions = writable ? h('td', {}, h('div', { class: 'row' },
      h('button', { type: 'button', 'data-action': 'rename', 'aria-label': 'Rename ' + e.name, onclick: () => act(async () => {
        const to = await ask('Rename ' + e.name + ' to:', { label: 'New name', value: e.name });
        if (to && to !== e.name) await call('POST', '/v1/files/mv', { target: target(p), to: join(path, to), workgroup: wg });
      }) }, 'Rename'),
      h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': 'Delete ' + e.name, onclick: () => act(async () => {
        if (await ask('Delete ' + (e.dir ? 'the folder ' + e.name + ' and everything in it' : e.name) + ' on ' + node + '? This cannot be undone.'))
          await call('POST', '/v1/files/rm', { target: target(p), recursive: !!e.dir, workgroup: wg });
      }) }, 'Delete'))) : null;
    return h('tr', { 'data-name': e.name }, h('td', {}, link), h('td', { class: 'num' }, e.dir ? '' : size(e.size)),
      h('td', { class: 'hide-narrow' }, when(e.mtime_ns)), actions);
  };
  const draw = () => {
    const s = entries.slice().sort((a, b) => (b.dir ? 1 : 0) - (a.dir ? 1 : 0) || (desc ? -1 : 1) * sorters[sortKey](a, b));
    const body = s.length ? s.map(row) : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'This folder is empty.'))];
    table.replaceChildren(head(), h('tbody', {}, body));
  };
  const refresh = async () => {
    const res = await call('GET', '/v1/files/ls?' + new URLSearchParams({ target: target(path), workgroup: wg }));
    entries = res.entries || [];
    draw();
    table.dataset.loaded = String(Date.now());
  };

  if (writable) main.append(...writeControls({ wg, share, path, target, act, refresh, uploads }));
  main.append(h('p', { class: 'meta' }, h('a', { href: '/api/v1/files/zip?' + new URLSearchParams({ target: target(path), workgroup: wg }), download: (path ? path.split('/').pop() : share) + '.zip', id: 'zip-here' }, 'Download this folder as zip')), table);
  await refresh();
  return null;
}
