// The OrleansConnect console: a view over the Kafka Connect REST API of the silo that served it.
// Every value from the API reaches the page through textContent, never as HTML: names and traces are user data.

const PageSize = 50;
const RefreshMs = 2000;
const $ = (id) => document.getElementById(id);

let connectors = [];   // [{ name, status, info }]
let metrics = {};      // name -> GET /connectors/{name}/metrics, for the connectors on screen only
let page = 0;

const api = async (method, path, body) => {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* a body that is not JSON: keep the text */ }
  if (!response.ok) {
    const message = json && json.message ? json.message : `${response.status} ${response.statusText}`;
    throw Object.assign(new Error(message), { status: response.status, body: json });
  }
  return json;
};

const path = (name) => `/connectors/${encodeURIComponent(name)}`;

function showError(message) {
  const error = $('error');
  error.textContent = message || '';
  error.hidden = !message;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

const stateBadge = (state) => el('span', { class: `state state-${state}`, text: state });

// "OrleansConnect restarts FAILED tasks automatically: attempt 2 scheduled at …" heads a FAILED task's trace.
function restartsOf(trace) {
  const line = (trace || '').split('\n')[0];
  const scheduled = /attempt (\d+) scheduled at (\S+)\./.exec(line);
  if (scheduled) return `attempt ${scheduled[1]}, next at ${new Date(scheduled[2]).toLocaleTimeString()}`;
  const done = /: (\d+) attempt\(s\) so far\./.exec(line);
  return done ? `${done[1]} so far` : '';
}

async function refresh() {
  try {
    const all = await api('GET', '/connectors?expand=status&expand=info');
    connectors = Object.entries(all || {})
      .map(([name, entry]) => ({ name, status: entry.status, info: entry.info }))
      .sort((a, b) => a.name.localeCompare(b.name));
    showError('');
  } catch (e) {
    showError(`Could not load connectors: ${e.message}`);
  }
  await refreshMetrics();
  render();
}

// Metrics cost a call to every task, wherever it runs: only the connectors on screen (a page of 50 at most) ask.
async function refreshMetrics() {
  const name = currentName();
  const names = name !== null ? [name] : visible().map((c) => c.name);
  const fetched = await Promise.all(names.map((n) => api('GET', `${path(n)}/metrics`).catch(() => null)));
  metrics = Object.fromEntries(names.map((n, i) => [n, fetched[i]]).filter(([, m]) => m));
}

const rate = (value) => value === undefined ? '–' : value >= 100 ? value.toFixed(0) : value.toFixed(1);
const count = (value) => value === undefined || value === null ? '–' : String(value);
const sum = (tasks, field) => tasks.length === 0 ? undefined : tasks.reduce((total, t) => total + (t[field] || 0), 0);

function matches(connector, query) {
  if (!query) return true;
  const status = connector.status || {};
  const haystack = [
    connector.name,
    connector.info?.config?.['connector.class'] || '',
    status.type || '',
    status.connector?.state || '',
    ...(status.tasks || []).map((t) => `${t.state} ${t.worker_id}`),
  ].join(' ').toLowerCase();
  return query.toLowerCase().split(/\s+/).every((word) => haystack.includes(word));
}

function taskSummary(tasks) {
  const counts = {};
  for (const task of tasks) counts[task.state] = (counts[task.state] || 0) + 1;
  return Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
}

function filtered() {
  const query = $('search').value.trim();
  return connectors.filter((c) => matches(c, query));
}

function visible() {
  const shown = filtered();
  const pages = Math.max(1, Math.ceil(shown.length / PageSize));
  page = Math.min(page, pages - 1);
  return shown.slice(page * PageSize, (page + 1) * PageSize);
}

function renderList() {
  const shown = filtered();
  const pages = Math.max(1, Math.ceil(shown.length / PageSize));
  const rows = visible().map((c) => {
    const status = c.status || { connector: {}, tasks: [] };
    const silos = [...new Set(status.tasks.map((t) => t.worker_id).filter(Boolean))].sort();
    const tasks = metrics[c.name]?.tasks || [];
    const sink = (status.type || c.info?.type) === 'sink';
    return el('tr', { 'data-connector': c.name },
      el('td', {}, el('a', { href: `#/connectors/${encodeURIComponent(c.name)}`, text: c.name })),
      el('td', { text: status.type || c.info?.type || '' }),
      el('td', {}, stateBadge(status.connector.state || 'UNKNOWN')),
      el('td', { class: 'tasks', text: taskSummary(status.tasks) }),
      el('td', { class: 'number', 'data-metric': 'in-rate', text: rate(sum(tasks, 'records_in_rate')) }),
      el('td', { class: 'number', 'data-metric': 'out-rate', text: rate(sum(tasks, 'records_out_rate')) }),
      el('td', { class: 'number', 'data-metric': 'lag', text: sink ? count(sum(tasks, 'consumer_lag')) : '' }),
      el('td', { class: 'number', 'data-metric': 'errors', text: count(sum(tasks, 'total_record_errors')) }),
      el('td', { text: silos.join(', ') }));
  });
  $('connectors').tBodies[0].replaceChildren(...rows);
  const failed = connectors.filter((c) => c.status?.connector?.state === 'FAILED' || c.status?.tasks?.some((t) => t.state === 'FAILED')).length;
  $('summary').textContent = `${shown.length} of ${connectors.length} connectors` + (failed ? `, ${failed} with failures` : '');
  $('page').textContent = `Page ${page + 1} of ${pages}`;
  $('prev').disabled = page === 0;
  $('next').disabled = page >= pages - 1;
}

function currentName() {
  const match = /^#\/connectors\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

function renderDetail(name) {
  const connector = connectors.find((c) => c.name === name);
  $('detail-title').textContent = name;
  if (!connector) {
    $('detail-summary').textContent = 'This connector does not exist (any more).';
    $('tasks').tBodies[0].replaceChildren();
    $('traces').replaceChildren();
    $('config').textContent = '';
    return;
  }
  const status = connector.status || { connector: {}, tasks: [] };
  $('detail-summary').replaceChildren(
    `${status.type || ''} connector `, el('code', { text: connector.info?.config?.['connector.class'] || '' }),
    ', state ', stateBadge(status.connector.state || 'UNKNOWN'), ` on ${status.connector.worker_id || '?'}`);
  const taskMetrics = Object.fromEntries((metrics[name]?.tasks || []).map((t) => [t.id, t]));
  const sink = status.type === 'sink';
  $('tasks').tBodies[0].replaceChildren(...status.tasks.map((task) => el('tr', { 'data-task': String(task.id) },
    el('td', { text: String(task.id) }),
    el('td', {}, stateBadge(task.state)),
    el('td', { text: task.worker_id || '' }),
    el('td', { class: 'number', 'data-metric': 'in-rate', text: rate(taskMetrics[task.id]?.records_in_rate) }),
    el('td', { class: 'number', 'data-metric': 'out-rate', text: rate(taskMetrics[task.id]?.records_out_rate) }),
    el('td', { class: 'number', 'data-metric': 'lag', text: sink ? count(taskMetrics[task.id]?.consumer_lag) : '' }),
    el('td', { class: 'number', 'data-metric': 'errors', text: count(taskMetrics[task.id]?.total_record_errors) }),
    el('td', { class: 'number', 'data-metric': 'dlq', text: count(taskMetrics[task.id]?.deadletterqueue_produce_requests) }),
    el('td', { text: restartsOf(task.trace) }),
    el('td', {}, el('button', { type: 'button', text: `Restart task ${task.id}`, onclick: () => act(name, 'restart-task', task.id) })))));
  const traces = [];
  if (status.connector.trace) traces.push(['Connector', status.connector.trace]);
  for (const task of status.tasks) if (task.trace) traces.push([`Task ${task.id} (${task.state})`, task.trace]);
  $('traces').replaceChildren(...traces.map(([title, trace]) =>
    el('div', { class: 'trace' }, el('h4', { text: `${title} trace` }), el('pre', { text: trace }))));
  $('config').textContent = JSON.stringify(connector.info?.config || {}, null, 2);
}

// Re-rendering replaces elements and so drops keyboard focus: skip it when nothing shown has changed.
let lastRendered = '';

function render() {
  const name = currentName();
  const key = JSON.stringify([name, metrics, name === null ? [connectors, $('search').value, page] : connectors.find((c) => c.name === name)]);
  if (key === lastRendered) return;
  lastRendered = key;
  $('list').hidden = name !== null;
  $('detail').hidden = name === null;
  if (name === null) renderList();
  else renderDetail(name);
}

const actions = {
  pause: { question: (n) => `Pause connector ${n}?`, run: (n) => api('PUT', `${path(n)}/pause`) },
  resume: { question: (n) => `Resume connector ${n}?`, run: (n) => api('PUT', `${path(n)}/resume`) },
  stop: { question: (n) => `Stop connector ${n}? Its tasks shut down until it is resumed.`, run: (n) => api('PUT', `${path(n)}/stop`) },
  restart: { question: (n) => `Restart connector ${n} and all its tasks?`, run: (n) => api('POST', `${path(n)}/restart?includeTasks=true&onlyFailed=false`) },
  'restart-task': { question: (n, t) => `Restart task ${t} of ${n}?`, run: (n, t) => api('POST', `${path(n)}/tasks/${t}/restart`) },
  delete: { question: (n) => `Delete connector ${n}? Its config is removed; its offsets stay in Kafka.`, run: async (n) => { await api('DELETE', path(n)); location.hash = '#/'; } },
};

function confirmDialog(question) {
  const dialog = $('confirm');
  $('confirm-text').textContent = question;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    $('confirm-ok').focus();
  });
}

async function act(name, action, task) {
  if (action === 'edit') return openEditor(name);
  const { question, run } = actions[action];
  if (!await confirmDialog(question(name, task))) return;
  try {
    await run(name, task);
    showError('');
  } catch (e) {
    showError(`${action} failed: ${e.message}`);
  }
  await refresh();
}

function openEditor(name) {
  const existing = name ? connectors.find((c) => c.name === name) : null;
  $('editor-title').textContent = existing ? `Edit ${name}` : 'New connector';
  $('editor-json').value = JSON.stringify(existing
    ? { name, config: existing.info?.config || {} }
    : { name: '', config: { 'connector.class': '', 'tasks.max': '1' } }, null, 2);
  $('editor-json').dataset.editing = existing ? name : '';
  $('editor-result').replaceChildren();
  $('editor').showModal();
  $('editor-json').focus();
}

function showEditorResult(...children) {
  $('editor-result').replaceChildren(...children);
}

async function saveEditor() {
  const editing = $('editor-json').dataset.editing || null;
  let parsed;
  try {
    parsed = JSON.parse($('editor-json').value);
  } catch (e) {
    return showEditorResult(el('p', { text: `Not valid JSON: ${e.message}` }));
  }
  const config = { ...(parsed.config || parsed) };
  const name = editing || parsed.name || config.name;
  if (!name) return showEditorResult(el('p', { text: 'The connector needs a "name".' }));
  config.name = name;
  const connectorClass = config['connector.class'];
  if (!connectorClass) return showEditorResult(el('p', { text: 'The config needs "connector.class".' }));

  try {
    const validation = await api('PUT', `/connector-plugins/${encodeURIComponent(connectorClass)}/config/validate`, config);
    if (validation.error_count > 0) {
      const errors = validation.configs.filter((c) => c.value.errors.length > 0);
      return showEditorResult(
        el('p', { text: `${validation.error_count} error(s); nothing was saved.` }),
        el('ul', { class: 'validation-errors' }, ...errors.map((c) => el('li', { 'data-field': c.value.name },
          el('span', { class: 'field', text: c.value.name }), `: ${c.value.errors.join(' ')}`))));
    }
    if (editing) await api('PUT', `${path(name)}/config`, config);
    else await api('POST', '/connectors', { name, config });
  } catch (e) {
    return showEditorResult(el('p', { text: e.message }));
  }
  $('editor').close('saved');
  location.hash = `#/connectors/${encodeURIComponent(name)}`;
  await refresh();
}

function start() {
  const dashboard = document.body.dataset.dashboard;
  if (dashboard) {
    $('dashboard-link').href = dashboard;
    $('dashboard-link').hidden = false;
  }
  $('search').addEventListener('input', () => { page = 0; render(); });
  $('prev').addEventListener('click', () => { page -= 1; render(); });
  $('next').addEventListener('click', () => { page += 1; render(); });
  $('new-connector').addEventListener('click', () => openEditor(null));
  $('editor-submit').addEventListener('click', saveEditor);
  for (const button of document.querySelectorAll('#detail [data-action]'))
    button.addEventListener('click', () => act(currentName(), button.dataset.action));
  window.addEventListener('hashchange', render);
  refresh();
  // Polling keeps the page current; a hidden tab does not poll.
  setInterval(() => { if (!document.hidden) refresh(); }, RefreshMs);
}

start();
