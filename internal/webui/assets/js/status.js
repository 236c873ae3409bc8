// Status: this node's name, peer ID, addresses, uptime, version and
// connected peers, and a live graph of share-transfer bytes in and out
// per second (from transfer.progress events; the node keeps no other
// byte counter).
import { call, h, ms, size } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const WINDOW = 60; // seconds shown

function duration(ns) {
  let s = Math.floor(ns / 1e9);
  const d = Math.floor(s / 86400); s %= 86400;
  const hh = Math.floor(s / 3600); s %= 3600;
  const mm = Math.floor(s / 60); s %= 60;
  return (d ? d + 'd ' : '') + (d || hh ? hh + 'h ' : '') + mm + 'm ' + s + 's';
}

function graph() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'graph');
  svg.setAttribute('viewBox', '0 0 ' + WINDOW + ' 100');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const lines = { in: document.createElementNS(SVG, 'polyline'), out: document.createElementNS(SVG, 'polyline') };
  for (const [k, l] of Object.entries(lines)) { l.setAttribute('class', k); l.setAttribute('vector-effect', 'non-scaling-stroke'); svg.append(l); }
  const hist = { in: new Array(WINDOW).fill(0), out: new Array(WINDOW).fill(0) };
  const cur = { in: 0, out: 0 };
  const legend = h('p', { class: 'meta' });
  const tick = () => {
    for (const k of ['in', 'out']) { hist[k].push(cur[k]); hist[k].shift(); cur[k] = 0; }
    const top = Math.max(1, ...hist.in, ...hist.out);
    for (const k of ['in', 'out']) lines[k].setAttribute('points', hist[k].map((v, i) => i + ',' + (100 - 95 * v / top).toFixed(1)).join(' '));
    svg.setAttribute('aria-label', 'bytes per second, last minute: in ' + size(hist.in[WINDOW - 1]) + '/s, out ' + size(hist.out[WINDOW - 1]) + '/s');
    legend.replaceChildren(h('span', { class: 'legend-in' }, '■ in ' + size(hist.in[WINDOW - 1]) + '/s'), '  ', h('span', { class: 'legend-out' }, '■ out ' + size(hist.out[WINDOW - 1]) + '/s'), '  (peak ' + size(top) + '/s)');
  };
  const seen = new Map();
  const add = (d) => {
    if (!d || !d.id) return;
    const prev = seen.get(d.id) || 0;
    if (d.bytes > prev) {
      const k = d.direction === 'upload' ? 'out' : 'in';
      cur[k] += d.bytes - prev;
      svg.dataset[k] = String(Number(svg.dataset[k] || 0) + d.bytes - prev);
    }
    if (d.done) seen.delete(d.id); else seen.set(d.id, d.bytes);
  };
  tick();
  return { el: h('div', {}, svg, legend), tick, add };
}

export async function render(main, _params, onEvent) {
  const info = h('div', {});
  const g = graph();
  main.append(h('h1', {}, 'Status'), info, h('h2', {}, 'Transfers'), g.el);
  const draw = async () => {
    const st = await call('GET', '/v1/status');
    info.replaceChildren(h('dl', { class: 'kv', id: 'status' },
      h('dt', {}, 'Name'), h('dd', {}, st.name),
      h('dt', {}, 'Peer ID'), h('dd', { class: 'mono' }, st.peer_id),
      h('dt', {}, 'Version'), h('dd', {}, st.version),
      h('dt', {}, 'Up for'), h('dd', {}, duration(st.uptime_ns)),
      h('dt', {}, 'State folder'), h('dd', { class: 'mono' }, st.home),
      h('dt', {}, 'Addresses'), h('dd', {}, h('ul', { class: 'shares' }, (st.addresses || []).map((a) => h('li', { class: 'mono' }, a))))),
    h('h2', {}, 'Connected peers (' + (st.peers || []).length + ')'),
    (st.peers || []).length ? h('table', { 'aria-label': 'Connected peers' },
      h('thead', {}, h('tr', {}, ['Peer', 'Link', 'RTT', 'Address'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, st.peers.map((p) => h('tr', {}, h('td', { class: 'mono' }, p.id.slice(0, 16) + '…'), h('td', {}, p.link + ' (' + p.direction + ')'),
        h('td', { class: 'num' }, ms(p.rtt_ns)), h('td', { class: 'mono hide-narrow' }, p.addr))))) : h('p', { class: 'muted' }, 'No peer connected.'));
  };
  await draw();
  let n = 0;
  const timer = setInterval(() => { g.tick(); if (++n % 5 === 0) draw().catch(() => {}); }, 1000);
  const off = onEvent((k, d) => { if (k === 'transfer.progress') g.add(d); });
  return () => { clearInterval(timer); off(); };
}
