// Mail and copies: the inbox (read a mail), compose to members, received
// copies, and the outgoing queue with each job's state and progress.
import { call, h, size, when, ask, showError, sendFiles } from './api.js';

function inboxList(items, open) {
  if (!items.length) return h('p', { class: 'muted' }, 'No mail.');
  return h('ul', { class: 'list', id: 'inbox', 'aria-label': 'Inbox' }, items.map((m) => h('li', { 'data-id': m.id },
    h('button', { type: 'button', class: m.read ? '' : 'unread', onclick: () => open(m.id) },
      h('div', {}, m.subject || '(no subject)'), h('div', { class: 'meta' }, 'from ' + m.from + ' · ' + when(m.received))))));
}

function queueTable(jobs, act) {
  if (!jobs.length) return h('p', { class: 'muted' }, 'Nothing waiting to go out.');
  return h('table', { id: 'queue', 'aria-label': 'Outgoing queue' },
    h('thead', {}, h('tr', {}, ['To', 'What', 'State', 'Progress', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, jobs.map((j) => h('tr', { 'data-id': j.id, 'data-state': j.state },
      h('td', {}, j.to), h('td', {}, j.kind + ': ' + j.summary), h('td', {}, j.state + (j.error ? ' (' + j.error + ')' : '')),
      h('td', { class: 'num' }, j.size ? h('progress', { max: j.size, value: j.progress, 'aria-label': 'progress' }) : '', ' ', size(j.progress) + ' / ' + size(j.size)),
      h('td', {}, j.state === 'delivered' || j.state === 'cancelled' ? '' : h('div', { class: 'row' },
        h('button', { type: 'button', onclick: () => act('retry', j) }, 'Retry now'),
        h('button', { type: 'button', class: 'danger', onclick: () => act('cancel', j) }, 'Cancel')))))));
}

function compose(wgs, sent) {
  const wgSel = h('select', { id: 'mail-wg' }, wgs.map((w) => h('option', { value: w.id }, w.name)));
  const to = h('fieldset', { id: 'mail-to' }, h('legend', {}, 'To'));
  const fillTo = async () => {
    const ms = await call('GET', '/v1/members?' + new URLSearchParams({ workgroup: wgSel.value }));
    to.replaceChildren(h('legend', {}, 'To'), ...ms.map((m) => h('label', {}, h('input', { type: 'checkbox', name: 'to', value: m.name }), ' ' + m.name)));
  };
  wgSel.addEventListener('change', () => fillTo().catch(showError));
  const subject = h('input', { id: 'mail-subject', type: 'text', required: true });
  const body = h('textarea', { id: 'mail-body' });
  const attach = h('textarea', { id: 'mail-attach', rows: 2, placeholder: '/home/me/report.pdf' });
  const upload = h('input', { id: 'mail-upload', type: 'file', multiple: true });
  const progress = h('progress', { id: 'mail-progress', max: 100, value: 0, hidden: true, 'aria-label': 'Attachments sent to the node' });
  const form = h('form', { id: 'compose', onsubmit: async (e) => {
    e.preventDefault();
    const rcpt = [...to.querySelectorAll('input:checked')].map((x) => x.value);
    if (!rcpt.length) { showError('Pick at least one member to send to.'); return; }
    try {
      const files = attach.value.split('\n').map((x) => x.trim()).filter(Boolean);
      const picked = [...upload.files];
      if (picked.length && files.length) throw new Error('Attach either files of this browser or paths of this machine, not both.');
      if (picked.length) {
        await sendFiles(wgSel.value, rcpt, 'mail', picked, { subject: subject.value, body: body.value },
          (x) => { progress.hidden = false; progress.value = Math.round(x * 100); });
      } else {
        await call('POST', '/v1/mail/send', { workgroup: wgSel.value, to: rcpt, subject: subject.value, body: body.value, attach: files.length ? files : undefined });
      }
      form.reset(); progress.hidden = true; showError(''); sent();
    } catch (err) { showError(err); }
  } },
  wgs.length > 1 ? [h('label', { for: 'mail-wg' }, 'Workgroup'), wgSel] : null, to,
  h('label', { for: 'mail-subject' }, 'Subject'), subject, h('label', { for: 'mail-body' }, 'Message'), body,
  h('label', { for: 'mail-upload' }, 'Attach files from this browser (optional)'), upload,
  h('label', { for: 'mail-attach' }, 'Or attach files of this machine by path (absolute paths, one per line; optional)'), attach, progress,
  h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'mail-send' }, 'Send')));
  return { form, ready: wgs.length ? fillTo() : Promise.resolve() };
}

export async function render(main, _params, onEvent) {
  const wgs = await call('GET', '/v1/workgroups') || [];
  const inbox = h('div', {});
  const reader = h('div', { id: 'reader', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Pick a mail to read it.'));
  const copies = h('div', {});
  const queue = h('div', {});
  const open = async (id) => {
    try {
      const m = await call('GET', '/v1/mail/' + encodeURIComponent(id));
      reader.replaceChildren(h('h2', {}, m.subject || '(no subject)'), h('p', { class: 'meta' }, 'from ' + m.from + ' · ' + when(m.received)),
        h('div', { class: 'mail-body' }, m.body), (m.files || []).length ? h('p', { class: 'meta' }, 'attachments: ' + m.files.map((f) => f.path).join(', ')) : null,
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (await ask('Delete this mail?')) { await call('DELETE', '/v1/mail/' + encodeURIComponent(id)).catch(showError); reader.replaceChildren(); draw(); }
        } }, 'Delete')));
      draw();
    } catch (e) { showError(e); }
  };
  const act = async (what, j) => {
    try { await call('POST', '/v1/queue/' + encodeURIComponent(j.id) + '/' + what); draw(); } catch (e) { showError(e); }
  };
  const accept = async (f) => {
    const dest = await ask('Accept the copy from ' + f.from + ' into which folder of this machine?', { label: 'Folder (absolute path)', value: '' });
    if (!dest) return;
    try {
      const res = await call('POST', '/v1/inbox/' + encodeURIComponent(f.id) + '/accept', { dest });
      showError(''); draw();
      copies.prepend(h('p', { class: 'meta' }, 'Placed ' + res.files.length + ' file(s) in ' + res.dest + '.'));
    } catch (e) { showError(e); }
  };
  const draw = async () => {
    try {
      const [mail, files, jobs] = await Promise.all([call('GET', '/v1/mail'), call('GET', '/v1/inbox'), call('GET', '/v1/queue')]);
      inbox.replaceChildren(inboxList(mail || [], open));
      copies.replaceChildren((files || []).length ? h('ul', { class: 'list', id: 'copies' }, files.map((f) => h('li', { 'data-id': f.id }, h('div', { class: 'row' },
        h('span', {}, f.files.map((x) => x.path).join(', ') + ' from ' + f.from + ' (' + size(f.size) + ', ' + f.state + ')'),
        h('button', { type: 'button', onclick: () => accept(f) }, 'Accept into…'))))) : h('p', { class: 'muted' }, 'No copies received.'));
      queue.replaceChildren(queueTable(jobs || [], act));
      main.dataset.drawn = String(Date.now());
    } catch (e) { showError(e); }
  };
  const c = compose(wgs, draw);
  main.append(h('h1', {}, 'Mail and copies'),
    h('div', { class: 'split' }, h('section', { 'aria-label': 'Inbox' }, h('h2', {}, 'Inbox'), inbox), h('section', {}, reader)),
    h('h2', {}, 'Write a mail'), wgs.length ? c.form : h('p', { class: 'muted' }, 'Join a workgroup first.'),
    h('h2', {}, 'Copies received'), copies,
    h('h2', {}, 'Outgoing queue'), queue);
  // Events are heard from before the first draw: mail that arrives while
  // it reads the inbox redraws after it.
  let t = null;
  const off = onEvent((k) => { if (k === 'mail.arrived' || k === 'job.changed' || k === 'gap') { clearTimeout(t); t = setTimeout(draw, 150); } });
  const stop = () => { off(); clearTimeout(t); };
  try {
    await Promise.all([draw(), c.ready]);
  } catch (e) {
    stop();
    throw e;
  }
  return stop;
}
