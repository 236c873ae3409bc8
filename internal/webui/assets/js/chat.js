// Chat: #/chat/WG/room/NAME or #/chat/WG/dm/MEMBER. The side lists the
// workgroup's rooms (unread counts, join, a new room) and the members to
// write to directly (unread counts); the conversation shows the history
// (GET /v1/chat/history, marked read) and the chat.message events of it
// as they arrive, with a send box (and, to a member, an alert).
import { call, h, when, showError } from './api.js';

const hashOf = (wg, kind, name) => '#/chat/' + [wg, kind, name].map(encodeURIComponent).join('/');

// view applies edits, deletes and reactions to the texts they are about.
function view(msgs) {
  const byID = new Map();
  const out = [];
  for (const m of msgs) {
    if (m.kind === 'edit' || m.kind === 'delete' || m.kind === 'reaction') {
      const t = byID.get(m.target);
      if (!t) continue;
      if (m.kind === 'edit') { t.text = m.text; t.edited = true; }
      if (m.kind === 'delete') t.deleted = true;
      if (m.kind === 'reaction') t.reactions = (t.reactions || []).concat(m.text);
      continue;
    }
    const c = { ...m };
    byID.set(m.id, c);
    out.push(c);
  }
  return out;
}

function line(m) {
  const cls = 'msg ' + m.kind + (m.deleted ? ' deleted' : '');
  return h('li', { class: cls, 'data-id': m.id, 'data-kind': m.kind },
    h('span', { class: 'meta' }, when(m.time)), ' ',
    m.kind === 'topic' ? h('em', {}, m.author + ' set the topic: ' + m.text) : [
      h('strong', {}, m.author), m.kind === 'alert' ? h('span', { class: 'badge alert' }, 'alert') : null, ' ',
      h('span', { class: 'text' }, m.deleted ? '(deleted)' : m.text),
      m.edited && !m.deleted ? h('span', { class: 'meta' }, ' (edited)') : null,
      (m.reactions || []).length ? h('span', { class: 'meta' }, ' ' + m.reactions.join(' ')) : null]);
}

async function side(wg, cur, members, me, redraw) {
  const [rooms, unread] = await Promise.all([call('GET', '/v1/rooms?' + new URLSearchParams({ workgroup: wg.id })), call('GET', '/v1/chat/unread?' + new URLSearchParams({ workgroup: wg.id }))]);
  const dmUnread = new Map((unread || []).filter((u) => u.peer).map((u) => [u.peer, u.count]));
  const count = (n) => n ? h('span', { class: 'badge count', 'aria-label': n + ' unread' }, String(n)) : null;
  const isCur = (kind, name) => cur && cur.kind === kind && cur.name === name;
  const roomItems = (rooms || []).map((r) => h('li', { 'data-room': r.name },
    h('a', { href: hashOf(wg.id, 'room', r.name), 'aria-current': isCur('room', r.name) ? 'page' : null }, '#' + r.name), count(r.unread),
    r.joined ? null : h('button', { type: 'button', class: 'small', 'data-action': 'join-room', onclick: async () => {
      try { await call('POST', '/v1/rooms/' + encodeURIComponent(r.name) + '/join', { workgroup: wg.id }); redraw(); } catch (e) { showError(e); }
    } }, 'Join')));
  const dmItems = members.filter((m) => m.peer_id !== me).map((m) => h('li', { 'data-peer': m.name },
    h('a', { href: hashOf(wg.id, 'dm', m.name), 'aria-current': isCur('dm', m.name) ? 'page' : null }, m.name), count(dmUnread.get(m.name))));
  const name = h('input', { id: 'room-new-' + wg.id.slice(0, 8), name: 'room', required: true, placeholder: 'new room', 'aria-label': 'New room name' });
  const add = h('form', { class: 'row room-new', onsubmit: async (e) => {
    e.preventDefault();
    try { const r = await call('POST', '/v1/rooms', { workgroup: wg.id, name: name.value.trim() }); location.hash = hashOf(wg.id, 'room', r.name); } catch (err) { showError(err); }
  } }, name, h('button', { type: 'submit', class: 'small' }, 'Create'));
  return h('aside', { class: 'chat-side', 'aria-label': 'Rooms and members of ' + wg.name, 'data-workgroup': wg.id },
    h('h2', {}, wg.name), h('h3', {}, 'Rooms'), roomItems.length ? h('ul', { class: 'rooms' }, roomItems) : h('p', { class: 'muted' }, 'No rooms yet.'), add,
    h('h3', {}, 'Direct'), h('ul', { class: 'dms' }, dmItems));
}

function conversation(wg, cur, onSent) {
  const list = h('ol', { class: 'messages', id: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const text = h('input', { id: 'chat-text', autocomplete: 'off', required: true, 'aria-label': 'Message', placeholder: cur.kind === 'room' ? 'Message #' + cur.name : 'Message ' + cur.name });
  const alert = cur.kind === 'dm' ? h('input', { type: 'checkbox', id: 'chat-alert' }) : null;
  const form = h('form', { id: 'chat-send', class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    const body = cur.kind === 'room' ? { workgroup: wg.id, room: cur.name, text: text.value }
      : { workgroup: wg.id, member: cur.name, text: text.value, alert: alert.checked };
    try {
      await call('POST', cur.kind === 'room' ? '/v1/chat/say' : '/v1/chat/msg', body);
      text.value = ''; if (alert) alert.checked = false; showError(''); onSent();
    } catch (err) { showError(err); }
  } }, text, alert ? h('label', { for: 'chat-alert', title: 'a pop-up on the member\'s screen' }, alert, ' alert') : null,
  h('button', { type: 'submit', class: 'primary', id: 'chat-submit' }, 'Send'));
  return { el: h('section', { class: 'chat-main', 'aria-label': cur.kind === 'room' ? 'Room ' + cur.name : 'Conversation with ' + cur.name },
    h('h2', {}, cur.kind === 'room' ? '#' + cur.name : cur.name), list, form), list, text };
}

export async function render(main, params, onEvent) {
  const wgs = await call('GET', '/v1/workgroups') || [];
  main.append(h('h1', {}, 'Chat'));
  if (!wgs.length) { main.append(h('p', {}, 'Join a workgroup first.')); return null; }
  const wg = wgs.find((w) => w.id === params[0]) || wgs[0];
  const cur = params[1] === 'room' || params[1] === 'dm' ? { kind: params[1], name: params[2] || '' } : null;
  const [members, st] = await Promise.all([call('GET', '/v1/members?' + new URLSearchParams({ workgroup: wg.id })), call('GET', '/v1/status')]);
  const sideBox = h('div', {});
  const drawSide = async () => { try { sideBox.replaceChildren(await side(wg, cur, members || [], st.peer_id, drawSide)); } catch (e) { showError(e); } };
  const layout = h('div', { class: 'chat' }, sideBox);
  if (wgs.length > 1) main.append(h('p', { class: 'row' }, wgs.map((w) => h('a', { href: '#/chat/' + encodeURIComponent(w.id), 'aria-current': w.id === wg.id ? 'page' : null }, w.name))));
  main.append(layout);
  let msgs = [];
  let conv = null;
  const q = cur ? { workgroup: wg.id, ...(cur.kind === 'room' ? { room: cur.name } : { peer: cur.name }) } : null;
  const drawMsgs = () => {
    conv.list.replaceChildren(...view(msgs).map(line));
    conv.list.lastElementChild?.scrollIntoView({ block: 'end' });
    conv.list.dataset.count = String(msgs.length);
  };
  // The events are heard from before the history is asked for: one that
  // comes while the history and the side load is kept (early) and added
  // to the history once it is drawn, unless the history has it already.
  // Subscribing after them lost a message stored meanwhile: not in the
  // history asked for, its event gone by (TestBrowser, under load).
  let loaded = false;
  const early = [];
  let t = null, r = null;
  const mine = (m) => cur && m.workgroup === wg.id && (cur.kind === 'room' ? m.room === cur.name : m.peer === cur.name && !m.room);
  // markSoon marks the conversation read 300 ms after a message came live.
  const markSoon = () => { clearTimeout(r); r = setTimeout(() => call('GET', '/v1/chat/history?' + new URLSearchParams({ ...q, limit: '1', mark: '1' })).catch(() => {}), 300); };
  const add = (d) => {
    if (msgs.some((m) => m.id === d.id)) return;
    msgs.push(d); drawMsgs();
    markSoon();
  };
  // reload reads the history again; the events that come meanwhile wait
  // in early, and are kept (on a failure too, after what was shown).
  const reload = async () => {
    loaded = false;
    try {
      msgs = await call('GET', '/v1/chat/history?' + new URLSearchParams({ ...q, limit: '200', mark: '1' })) || [];
    } finally {
      let came = false;
      for (const d of early) if (!msgs.some((m) => m.id === d.id)) { msgs.push(d); came = true; }
      early.length = 0;
      if (came) markSoon();
      loaded = true;
      drawMsgs();
    }
  };
  const off = onEvent((k, d) => {
    if (k === 'chat.message' && d && d.workgroup === wg.id) {
      if (mine(d)) {
        if (loaded) add(d); else early.push(d);
      }
      clearTimeout(t); t = setTimeout(drawSide, 400);
    } else if (k === 'room.changed' || k === 'gap') {
      // gap: events were dropped; the conversation is read again.
      if (k === 'gap' && conv && loaded) reload().catch(showError);
      clearTimeout(t); t = setTimeout(drawSide, 200);
    }
  });
  const stop = () => { off(); clearTimeout(t); clearTimeout(r); };
  try {
    if (cur) {
      conv = conversation(wg, cur, () => {});
      layout.append(conv.el);
      await reload();
    } else {
      layout.append(h('p', { class: 'muted chat-main' }, 'Pick a room or a member.'));
    }
    await drawSide();
  } catch (e) {
    stop();
    throw e;
  }
  if (conv) conv.text.focus();
  return stop;
}
