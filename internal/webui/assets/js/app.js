// The page's router: #/ (neighborhood), #/files/WG/NODE/SHARE/path,
// #/mail, #/chat/WG/room|dm/NAME, #/admin, #/status. Each page module exports render(main,
// params) and may return a function that stops its live updates.
import { call, listen, showError } from './api.js';
import * as neighborhood from './neighborhood.js';
import * as files from './files.js';
import * as mail from './mail.js';
import * as admin from './admin.js';
import * as status from './status.js';
import * as chat from './chat.js';

const pages = { '': neighborhood, files, mail, chat, admin, status };
const main = document.getElementById('main');
let stop = null;
let seq = 0;

// Every event of the node, fanned out to the page that wants it.
const kinds = ['presence.changed', 'member.joined', 'member.removed', 'mail.arrived', 'job.changed', 'share.changed', 'transfer.progress', 'chat.message', 'room.changed'];
const subscribers = new Set();
export function onEvent(fn) { subscribers.add(fn); return () => subscribers.delete(fn); }
// The nav's count of unread chat messages, over every workgroup.
const unreadBadge = document.getElementById('chat-unread');
let unreadTimer = null;
async function countUnread() {
  try {
    let n = 0;
    for (const w of await call('GET', '/v1/workgroups') || []) {
      for (const u of await call('GET', '/v1/chat/unread?' + new URLSearchParams({ workgroup: w.id })) || []) n += u.count;
    }
    unreadBadge.textContent = String(n);
    unreadBadge.setAttribute('aria-label', n + ' unread');
    unreadBadge.hidden = !n;
  } catch (e) { unreadBadge.hidden = true; }
}
const recount = () => { clearTimeout(unreadTimer); unreadTimer = setTimeout(countUnread, 700); };
subscribers.add((k) => { if (k === 'chat.message') recount(); });
const live = document.getElementById('live');
listen(kinds, (k, d, ev) => { for (const fn of subscribers) fn(k, d, ev); }, (up) => {
  live.classList.toggle('on', up);
  live.textContent = up ? 'live' : 'reconnecting…';
  document.body.dataset.live = up ? '1' : '0';
});

async function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = parts[0] in pages ? parts[0] : '';
  for (const a of document.querySelectorAll('nav a')) {
    const cur = a.dataset.page === (name || 'neighborhood') || (name === 'files' && a.dataset.page === 'neighborhood');
    if (cur) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (stop) { stop(); stop = null; }
  showError('');
  const mine = ++seq;
  main.replaceChildren();
  try {
    const s = await pages[name].render(main, parts.slice(1), onEvent);
    if (mine === seq) stop = s || null; else if (s) s();
  } catch (e) {
    showError(e);
  }
  document.body.dataset.page = name || 'neighborhood';
  recount();
  document.body.dataset.ready = String(mine);
}

window.addEventListener('hashchange', route);
route();
