// Neighborhood: one section per workgroup, each member a card with its
// presence, link, shares and services (a forwarded http service links to
// its local port); files dropped on a card are queued as a copy; presence
// events update the cards in place.
import { call, h, ago, ms, showError, sendFiles } from './api.js';

function presenceText(m) {
  return m.presence_text ? m.presence + ': ' + m.presence_text : m.presence;
}

// servicesList shows the TCP services m lets this node use, with the
// right; a service this node forwards shows its local address (for kind
// http a link to it), any other offers to open a local forward.
function servicesList(wg, m, forwards, redraw) {
  const svcs = m.services || [];
  if (!svcs.length) return null;
  const mine = (s) => forwards.find((f) => f.member === m.name && f.service === s.name && (!f.workgroup || f.workgroup === wg.id));
  return h('ul', { class: 'services', 'aria-label': 'services of ' + m.name }, svcs.map((s) => {
    const f = mine(s);
    let local;
    if (f && f.listening && s.kind === 'http') {
      local = h('a', { href: 'http://' + f.local + '/', target: '_blank', rel: 'noopener noreferrer', class: 'forward', 'aria-label': 'Open ' + s.name + ' of ' + m.name + ' (on ' + f.local + ')' }, f.local);
    } else if (f) {
      local = h('span', { class: 'mono forward' }, f.local + (f.listening ? '' : ' (not listening)'));
    } else {
      local = h('button', { type: 'button', class: 'small', 'data-action': 'forward', 'aria-label': 'Open a local port to ' + s.name + ' of ' + m.name, onclick: async () => {
        try { showError(''); await call('POST', '/v1/forwards', { workgroup: wg.id, member: m.name, service: s.name }); redraw(); } catch (e) { showError(e); }
      } }, 'Open a local port');
    }
    return h('li', { 'data-service': s.name, 'data-kind': s.kind },
      h('span', {}, s.name), h('span', { class: 'badge', title: 'service kind' }, s.kind || 'tcp'),
      h('span', { class: 'badge', title: 'your right: you may use it' }, s.right || 'use'), local);
  }));
}

function card(wg, m, self, forwards, redraw) {
  const off = m.presence === 'offline';
  const link = m.link ? (m.link === 'self' ? 'this node' : m.link + (m.rtt_ns ? ', ' + ms(m.rtt_ns) : '')) : 'not connected';
  const shares = (m.shares || []).map((s) => h('li', {},
    h('a', { href: '#/files/' + [wg.id, m.name, s.name].map(encodeURIComponent).join('/') }, s.name),
    h('span', { class: 'badge', title: s.right === 'rw' ? 'you may read and write' : 'you may read' }, s.right)));
  const el = h('article', { class: 'card' + (off ? ' offline' : ''), 'data-peer': m.peer_id, 'data-name': m.name, 'data-presence': m.presence, 'aria-label': m.name + ', ' + m.presence },
    h('h3', {}, h('span', { class: 'dot ' + m.presence, 'aria-hidden': 'true' }), m.name, self ? h('span', { class: 'badge' }, 'you') : null),
    h('p', { class: 'meta presence' }, presenceText(m)),
    off && m.last_seen ? h('p', { class: 'meta' }, 'last seen ' + ago(m.last_seen)) : null,
    h('p', { class: 'meta' }, 'link: ' + link),
    (m.roles || []).length ? h('p', { class: 'meta' }, 'roles: ' + m.roles.join(', ')) : null,
    shares.length ? h('ul', { class: 'shares', 'aria-label': 'shares of ' + m.name }, shares) : h('p', { class: 'meta' }, self ? 'shares nothing' : off ? 'shares: unknown while offline' : 'no shares for you'),
    self ? null : servicesList(wg, m, forwards, redraw));
  if (!self) copyTarget(el, wg, m);
  return el;
}

// copyTarget makes a member's card take files: dropped on it or picked
// with its Send files button, they are queued as a copy to its inbox
// (delivered when it is reachable, like `peerhood copy`).
function copyTarget(el, wg, m) {
  const id = 'send-' + wg.id + '-' + m.name;
  const status = h('p', { class: 'meta sending', 'aria-live': 'polite' });
  const send = async (files) => {
    if (!files.length) return;
    const what = files.length === 1 ? files[0].name : files.length + ' files';
    status.textContent = 'Sending ' + what + ' to ' + m.name + '…';
    delete el.dataset.queued;
    try {
      const jobs = await sendFiles(wg.id, [m.name], 'file', files, null, (x) => { status.textContent = 'Sending ' + what + ': ' + Math.round(x * 100) + '%'; });
      status.textContent = 'Queued ' + what + ' for ' + m.name + ' (see Mail and copies).';
      el.dataset.queued = jobs.map((j) => j.id).join(' ');
    } catch (e) { status.textContent = ''; showError(e); }
  };
  const picker = h('input', { type: 'file', id, multiple: true, class: 'sr-only', onchange: (e) => { send([...e.target.files]); e.target.value = ''; } });
  const pick = (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); picker.click(); } };
  el.append(h('div', { class: 'row' }, h('label', { for: id, class: 'button small', tabindex: 0, onkeydown: pick, 'data-action': 'send-files', title: 'or drop files on the card' }, 'Send files…'), picker), status);
  el.addEventListener('dragover', (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) { e.preventDefault(); el.classList.add('over'); } });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => { e.preventDefault(); el.classList.remove('over'); send([...e.dataTransfer.files]); });
}

async function section(wg, me, forwards, redraw) {
  const members = await call('GET', '/v1/browse?workgroup=' + encodeURIComponent(wg.id));
  members.sort((a, b) => (a.presence === 'offline') - (b.presence === 'offline') || a.name.localeCompare(b.name));
  const online = members.filter((m) => m.presence !== 'offline').length;
  return h('section', { 'aria-labelledby': 'wg-' + wg.id, 'data-workgroup': wg.id },
    h('h2', { id: 'wg-' + wg.id }, wg.name, ' ', h('span', { class: 'muted' }, online + ' of ' + members.length + ' online')),
    h('div', { class: 'cards' }, members.map((m) => card(wg, m, m.peer_id === me, forwards, redraw))));
}

// myPresence is the form that sets how this node appears to the others.
function myPresence(p) {
  const state = h('select', { id: 'my-state', name: 'state' }, ['online', 'away', 'busy'].map((s) => h('option', { value: s, selected: p.state === s }, s)));
  const text = h('input', { id: 'my-text', name: 'text', value: p.text || '', placeholder: 'e.g. in a meeting until 3' });
  const shown = h('span', { class: 'meta' });
  const toggle = h('button', { type: 'button', id: 'logon', onclick: () => send(p.logged_on ? '/v1/logoff' : '/v1/logon') });
  const show = () => {
    shown.textContent = p.logged_on ? 'others see you ' + p.shown : 'logged off: you appear offline';
    toggle.textContent = p.logged_on ? 'Log off' : 'Log on';
  };
  const send = async (path, body) => {
    try { p = await call('POST', path, body); show(); showError(''); } catch (e) { showError(e); }
  };
  show();
  return h('form', { id: 'presence', class: 'row', 'aria-label': 'Your presence', onsubmit: (e) => { e.preventDefault(); send('/v1/presence', { state: state.value, text: text.value }); } },
    h('label', { for: 'my-state', class: 'sr-only' }, 'Your state'), state,
    h('label', { for: 'my-text', class: 'sr-only' }, 'Your status text'), text,
    h('button', { type: 'submit' }, 'Set'),
    toggle, shown);
}

export async function render(main, _params, onEvent) {
  const [wgs, st, me] = await Promise.all([call('GET', '/v1/workgroups'), call('GET', '/v1/status'), call('GET', '/v1/presence')]);
  main.append(h('h1', {}, 'Neighborhood'), myPresence(me));
  if (!wgs || wgs.length === 0) {
    main.append(h('p', {}, 'This node is in no workgroup yet. ', h('a', { href: '#/admin' }, 'Create one or join with an invite.')));
    return null;
  }
  const body = h('div', { id: 'sections' });
  main.append(body);
  const draw = async () => {
    try {
      const forwards = await call('GET', '/v1/forwards').catch(() => []) || [];
      const secs = await Promise.all(wgs.map((wg) => section(wg, st.peer_id, forwards, draw)));
      body.replaceChildren(...secs);
      main.dataset.drawn = String(Date.now());
    } catch (e) { showError(e); }
  };
  // Events are heard from before the first draw: one that comes while
  // it reads the members redraws after it (heard only once drawn, a
  // change in between stayed unseen until the next event).
  let timer = null;
  const later = (delay) => { clearTimeout(timer); timer = setTimeout(draw, delay); };
  const off = onEvent((kind, d) => {
    if (kind === 'presence.changed' && d) {
      // At once on the card; the full redraw (link, shares) follows.
      for (const c of body.querySelectorAll('[data-peer="' + CSS.escape(d.peer) + '"]')) {
        c.dataset.presence = d.state;
        c.classList.toggle('offline', d.state === 'offline');
        c.querySelector('.dot').className = 'dot ' + d.state;
        c.querySelector('.presence').textContent = d.text ? d.state + ': ' + d.text : d.state;
      }
      later(1000);
    } else if (kind === 'member.joined' || kind === 'member.removed' || kind === 'gap') {
      later(200);
    }
  });
  await draw();
  return () => { off(); clearTimeout(timer); };
}
