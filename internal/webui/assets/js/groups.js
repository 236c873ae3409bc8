// Groups of a workgroup (admins): each group with its members, add or
// remove a member, remove a group, make a new group. A group is a name in
// members' certificates (share rules group:G apply to them): it exists
// while one member is in it, and every change is the same call as
// `peerhood members groups` (POST /v1/members/NAME/groups).
import { call, h, ask, showError } from './api.js';

const change = (wg, name, body) => call('POST', '/v1/members/' + encodeURIComponent(name) + '/groups', { workgroup: wg.id, ...body });

export function groupsPanel(wg, members, redraw) {
  const groups = new Map();
  for (const m of members) for (const g of m.groups || []) groups.set(g, (groups.get(g) || []).concat(m.name));
  const names = [...groups.keys()].sort((a, b) => a.localeCompare(b));
  const act = async (fn) => { try { showError(''); await fn(); redraw(); } catch (e) { showError(e); } };
  const slug = (g) => wg.id.slice(0, 8) + '-' + g.replace(/[^A-Za-z0-9_-]/g, '_');
  const row = (g) => {
    const inside = groups.get(g).sort();
    const outside = members.map((m) => m.name).filter((n) => !inside.includes(n)).sort();
    const pick = h('select', { id: 'gadd-' + slug(g), 'aria-label': 'Member to add to ' + g }, outside.map((n) => h('option', { value: n }, n)));
    return h('tr', { 'data-group': g },
      h('th', { scope: 'row' }, g),
      h('td', {}, h('ul', { class: 'chips', 'aria-label': 'Members of ' + g }, inside.map((n) => h('li', { 'data-member': n }, n,
        h('button', { type: 'button', class: 'small', 'data-action': 'ungroup', 'aria-label': 'Take ' + n + ' out of ' + g,
          onclick: () => act(() => change(wg, n, { remove: [g] })) }, '×'))))),
      h('td', {}, outside.length ? h('div', { class: 'row' }, pick,
        h('button', { type: 'button', class: 'small', 'data-action': 'group-add', onclick: () => act(() => change(wg, pick.value, { add: [g] })) }, 'Add')) : h('span', { class: 'muted' }, 'everyone is in it')),
      h('td', {}, h('button', { type: 'button', class: 'danger small', 'data-action': 'group-remove', onclick: () => act(async () => {
        if (!await ask('Remove the group ' + g + '? ' + inside.join(', ') + ' leave it, and share rules group:' + g + ' match nobody.')) return;
        for (const n of inside) await change(wg, n, { remove: [g] });
      }) }, 'Remove group')));
  };
  const gname = h('input', { id: 'gnew-' + wg.id.slice(0, 8), name: 'group', required: true, pattern: '[^,\\s]+', placeholder: 'e.g. family' });
  const who = h('fieldset', { class: 'checks' }, h('legend', {}, 'Members'), members.map((m) => h('label', {}, h('input', { type: 'checkbox', name: 'member', value: m.name }), ' ' + m.name)));
  const add = h('form', { class: 'group-new', 'aria-label': 'New group in ' + wg.name, onsubmit: (e) => {
    e.preventDefault();
    const picked = [...who.querySelectorAll('input:checked')].map((x) => x.value);
    if (!picked.length) { showError('Pick at least one member: a group exists while someone is in it.'); return; }
    act(async () => { for (const n of picked) await change(wg, n, { add: [gname.value.trim()] }); });
  } }, h('label', { for: gname.id }, 'New group'), gname, who, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-action': 'group-new' }, 'Make the group')));
  return h('div', { class: 'groups', id: 'groups-' + wg.id.slice(0, 8) }, h('h3', {}, 'Groups'),
    names.length ? h('table', { 'aria-label': 'Groups of ' + wg.name },
      h('thead', {}, h('tr', {}, ['Group', 'Members', 'Add a member', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, names.map(row))) : h('p', { class: 'muted' }, 'No groups yet. Share rules can name a group (group:NAME=rw) once it has members.'),
    add);
}
