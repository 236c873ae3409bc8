// Workgroups: create, join with a token, invite (token, QR code, copy),
// members with roles and groups (change groups, remove), the groups
// (groups.js: add, remove, members in and out), and this
// node's shares with their access lists as a form.
import { call, h, when, ask, showError } from './api.js';
import { groupsPanel } from './groups.js';

const field = (id, label, input) => [h('label', { for: id }, label), input];
const form = (id, onsubmit, ...children) => h('form', { id, onsubmit: async (e) => {
  e.preventDefault();
  try { showError(''); await onsubmit(e.target); } catch (err) { showError(err); }
} }, ...children);

function invitePanel(wg) {
  const out = h('div', { id: 'invite-out', 'aria-live': 'polite' });
  return h('div', {}, h('div', { class: 'row' },
    h('button', { type: 'button', id: 'invite', class: 'primary', onclick: async () => {
      try {
        const inv = await call('POST', '/v1/invites', { workgroup: wg.id });
        const tok = h('textarea', { id: 'invite-token', readonly: true, rows: 4, 'aria-label': 'Invite token' }, inv.token);
        out.replaceChildren(h('p', {}, 'Invite to ' + wg.name + ', good for ' + inv.uses + ' join(s) until ' + when(inv.expires) + ':'), tok,
          h('div', { class: 'row' }, h('button', { type: 'button', onclick: async () => {
            try { await navigator.clipboard.writeText(inv.token); } catch (e) { tok.select(); document.execCommand('copy'); }
          } }, 'Copy token')),
          h('img', { class: 'qr', src: '/qr.png?' + new URLSearchParams({ text: inv.token }), alt: 'QR code of the invite token' }));
      } catch (e) { showError(e); }
    } }, 'Make an invite')), out);
}

function membersTable(wg, members, me, redraw) {
  return h('table', { id: 'members', 'aria-label': 'Members of ' + wg.name },
    h('thead', {}, h('tr', {}, ['Name', 'Roles', 'Groups', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, members.map((m) => h('tr', { 'data-name': m.name },
      h('td', {}, m.name), h('td', {}, (m.roles || []).join(', ')), h('td', {}, (m.groups || []).join(', ')),
      h('td', {}, wg.admin && m.peer_id !== me ? h('div', { class: 'row' },
        h('button', { type: 'button', onclick: async () => {
          const g = await ask('Groups of ' + m.name + ' (comma separated):', { label: 'Groups', value: (m.groups || []).join(', ') });
          if (g === null) return;
          const set = g.split(',').map((x) => x.trim()).filter(Boolean);
          try { await call('POST', '/v1/members/' + encodeURIComponent(m.name) + '/groups', { workgroup: wg.id, replace: true, set }); redraw(); } catch (e) { showError(e); }
        } }, 'Groups…'),
        h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!await ask('Remove ' + m.name + ' from ' + wg.name + '? Its certificate is revoked for every member.')) return;
          try { await call('DELETE', '/v1/members/' + encodeURIComponent(m.name) + '?' + new URLSearchParams({ workgroup: wg.id })); redraw(); } catch (e) { showError(e); }
        } }, 'Remove')) : '')))));
}

function sharesPanel(shares, wgs, redraw) {
  const wgName = (id) => (wgs.find((w) => w.id === id) || { name: id.slice(0, 8) }).name;
  const rows = shares.map((s) => {
    const rules = h('textarea', { rows: 3, id: 'rules-' + s.name, 'aria-label': 'Access list of ' + s.name }, (s.rules || []).map((r) => r.who + '=' + r.right).join('\n'));
    return h('tr', { 'data-share': s.name }, h('td', {}, s.name), h('td', {}, wgName(s.workgroup)), h('td', { class: 'mono' }, s.path),
      h('td', {}, form('share-' + s.name, async () => {
        const allow = rules.value.split('\n').map((x) => x.trim()).filter(Boolean);
        await call('PUT', '/v1/shares/' + encodeURIComponent(s.name) + '/access', { allow }); redraw();
      }, rules, h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save access'),
        h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!await ask('Stop sharing ' + s.name + '? Its files stay in ' + s.path + '.')) return;
          try { await call('DELETE', '/v1/shares/' + encodeURIComponent(s.name)); redraw(); } catch (e) { showError(e); }
        } }, 'Stop sharing')))));
  });
  const add = form('share-add', async (f) => {
    const allow = f.elements.allow.value.split('\n').map((x) => x.trim()).filter(Boolean);
    await call('POST', '/v1/shares', { name: f.elements.name.value, path: f.elements.path.value, workgroup: f.elements.workgroup.value, allow });
    redraw();
  }, field('sa-name', 'Share name', h('input', { id: 'sa-name', name: 'name', required: true })),
  field('sa-path', 'Folder (absolute path on this machine)', h('input', { id: 'sa-path', name: 'path', required: true })),
  field('sa-wg', 'Workgroup', h('select', { id: 'sa-wg', name: 'workgroup' }, wgs.map((w) => h('option', { value: w.id }, w.name)))),
  field('sa-allow', 'Access, one per line: NAME, group:G or * then =ro, =rw or =none (empty: everyone reads)', h('textarea', { id: 'sa-allow', name: 'allow', rows: 3 })),
  h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Share')));
  return h('div', {}, shares.length ? h('table', { id: 'shares', 'aria-label': 'This node\'s shares' },
    h('thead', {}, h('tr', {}, ['Share', 'Workgroup', 'Folder', 'Access (WHO=ro|rw|none)'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)) : h('p', { class: 'muted' }, 'This node shares no folder.'), h('h3', {}, 'Share a folder'), add);
}

export async function render(main) {
  const body = h('div', {});
  main.append(h('h1', {}, 'Workgroups'), body);
  const draw = async () => {
    const [wgs, shares, st] = await Promise.all([call('GET', '/v1/workgroups'), call('GET', '/v1/shares'), call('GET', '/v1/status')]);
    const parts = [];
    for (const wg of wgs || []) {
      const members = await call('GET', '/v1/members?' + new URLSearchParams({ workgroup: wg.id }));
      parts.push(h('section', { 'data-workgroup': wg.id }, h('h2', {}, wg.name, ' ', h('span', { class: 'muted' }, wg.admin ? '(you are an admin)' : '')),
        wg.admin ? invitePanel(wg) : null, membersTable(wg, members || [], st.peer_id, () => draw().catch(showError)),
        wg.admin ? groupsPanel(wg, members || [], () => draw().catch(showError)) : null));
    }
    parts.push(h('h2', {}, 'Join a workgroup'), form('join', async (f) => {
      await call('POST', '/v1/join', { token: f.elements.token.value.trim(), name: f.elements.jname.value.trim() || undefined });
      f.reset(); await draw();
    }, field('join-token', 'Invite token', h('textarea', { id: 'join-token', name: 'token', rows: 3, required: true })),
    field('join-name', 'Your name in it (empty: this node\'s name)', h('input', { id: 'join-name', name: 'jname' })),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'join-submit' }, 'Join'))));
    parts.push(h('h2', {}, 'Create a workgroup'), form('create', async (f) => {
      await call('POST', '/v1/workgroups', { name: f.elements.wname.value.trim() }); await draw();
    }, field('create-name', 'Name', h('input', { id: 'create-name', name: 'wname', required: true })),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create'))));
    parts.push(h('h2', {}, 'This node\'s shares'), sharesPanel(shares || [], wgs || [], () => draw().catch(showError)));
    body.replaceChildren(...parts);
  };
  await draw();
  return null;
}
