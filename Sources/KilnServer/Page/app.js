// Kiln's operator page: live tags by device, trends, alarms, approvals and the gateway's health.
//
// Plain JavaScript, no framework and nothing fetched from elsewhere: it runs on a plant network
// with no way out. Rules kept throughout:
//  - text that comes from the API goes into the page with textContent, never innerHTML (a tag's
//    reason or an alarm's message could hold markup); innerHTML is used only for fixed skeletons;
//  - a Bad, stale or not-live value never looks like a good one, with or without colour;
//  - rows are built once per device and then only changed cells are touched (10,000 tags).
'use strict';

(() => {
  const TOKEN_KEY = 'kiln.token';
  const TICK_MS = 1000; // tags and alarms
  const SLOW_TICKS = 3; // health and approvals every third tick
  const FIRST_ROWS = 200; // rows built at once on the first answer: more than a screen
  const ROWS_PER_TASK = 1000; // rows built in each task after that
  const LEARN_STEPS = 8; // timestamp intervals a tag's poll period is learned from
  const NOT_LIVE_MS = 3500; // no answer for this long: the page says nothing on it is live
  const $ = (id) => document.getElementById(id);

  let token = sessionStorage.getItem(TOKEN_KEY);
  let running = false;
  let generation = 0;
  let timer = 0;
  let ticks = 0;
  let lastTagsAt = 0; // Date.now() of the last good /api/v1/tags answer

  // ── API ────────────────────────────────────────────────────────────────────────────────────

  class Unauthorized extends Error {}
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // fetch with the token; a 401 signs out and brings the token prompt back. Answers with a
  // status in `allow` (e.g. 503 of /readyz) are returned rather than thrown.
  async function api(path, { method = 'GET', body, allow = [] } = {}) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (response.status === 401) {
      signOut('The gateway refused the token (401). Enter it again.');
      throw new Unauthorized('401');
    }
    const text = await response.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch (_) {
        json = null;
      }
    }
    if (!response.ok && !allow.includes(response.status)) {
      const message = json && typeof json.error === 'string' ? json.error : `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return { status: response.status, json };
  }

  const segment = (text) => encodeURIComponent(String(text));

  // ── Sign-in ────────────────────────────────────────────────────────────────────────────────

  function showLogin(message) {
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').value = '';
    $('token').focus();
  }

  function signOut(message) {
    stop();
    $('link').textContent = 'Signed out';
    $('link').className = 'link';
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(message);
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const offered = $('token').value.trim();
    if (!offered) return;
    token = offered;
    $('login-error').textContent = 'Checking…';
    try {
      await api('/api/v1/status');
    } catch (error) {
      if (error instanceof Unauthorized) return; // signOut showed the prompt with the reason
      // The gateway could not be asked: keep the token and let the live view say so.
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    $('login-error').textContent = '';
    start();
  });

  $('signout').addEventListener('click', () => signOut(''));

  // ── The loop ───────────────────────────────────────────────────────────────────────────────

  function start() {
    stop();
    running = true;
    ticks = 0;
    loop(++generation);
  }

  function stop() {
    running = false;
    clearTimeout(timer);
    stopTrendTimer();
  }

  async function loop(gen) {
    if (!running || gen !== generation) return;
    const began = performance.now();
    const jobs = [refreshTags(), refreshAlarms()];
    if (ticks % SLOW_TICKS === 0) jobs.push(refreshHealth(), refreshRuns());
    ticks += 1;
    await Promise.allSettled(jobs);
    if (!running || gen !== generation) return;
    timer = setTimeout(() => loop(gen), Math.max(100, TICK_MS - (performance.now() - began)));
  }

  // Says whether what the page shows is live, every second, answer or not.
  function updateLink() {
    const link = $('link');
    if (!running) return;
    if (lastTagsAt === 0) {
      link.textContent = 'Connecting…';
      link.className = 'link';
      return;
    }
    const since = Date.now() - lastTagsAt;
    const lost = since > NOT_LIVE_MS;
    $('devices').classList.toggle('offline', lost);
    link.className = lost ? 'link lost' : 'link';
    link.textContent = lost
      ? `⌛ NOT LIVE: no answer for ${formatSpan(since)}`
      : `● Live, updated ${clock(lastTagsAt)}`;
  }
  setInterval(updateLink, 1000);

  function toast(message, isError) {
    const box = $('toast');
    box.textContent = message;
    box.className = isError ? 'toast error' : 'toast';
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => {
      box.hidden = true;
    }, isError ? 8000 : 4000);
  }

  // ── Formatting ─────────────────────────────────────────────────────────────────────────────

  function formatValue(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'boolean') return v ? 'ON' : 'OFF';
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
      const a = Math.abs(v);
      return v.toFixed(a >= 1000 ? 1 : a >= 1 ? 2 : 3);
    }
    return String(v);
  }

  function formatSpan(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  function formatAge(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'never';
    return formatSpan(ms) + ' ago';
  }

  const two = (n) => String(n).padStart(2, '0');
  function clock(ms) {
    const d = new Date(ms);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  }

  function when(text) {
    if (!text) return '—';
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) return String(text);
    const d = new Date(ms);
    const today = new Date();
    const day = d.toDateString() === today.toDateString() ? '' : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} `;
    return day + clock(ms);
  }

  // ── Quality ────────────────────────────────────────────────────────────────────────────────

  const MARK = { good: '✓ OK', uncertain: '⚠ UNCERTAIN', bad: '✖ BAD', stale: '⌛ STALE' };

  // What a tag's reading is worth to the operator: good, uncertain, bad or stale. Anything the
  // page does not recognise is bad; a value older than three poll periods is stale.
  function classify(t, period) {
    if (t.quality === 'bad' || t.value === null || t.value === undefined || t.timestamp == null) return 'bad';
    if (t.fault === 'stale' || t.status === 'UncertainNoCommunicationLastUsableValue') return 'stale';
    if (period > 0 && typeof t.age_ms === 'number' && t.age_ms > 3 * period) return 'stale';
    if (t.quality === 'uncertain') return 'uncertain';
    if (t.quality === 'good') return 'good';
    return 'bad';
  }

  // ── Tags ───────────────────────────────────────────────────────────────────────────────────

  const ROW =
    '<tr><td><button type="button" class="tn"></button></td><td class="v"></td><td class="u"></td>' +
    '<td class="st"><span class="mark"></span><span class="sn"></span> <span class="why"></span></td>' +
    '<td class="age"></td></tr>';
  const TABLE_HEAD =
    '<colgroup><col class="c-tag"><col class="c-value"><col class="c-unit"><col class="c-status"><col class="c-age"></colgroup>' +
    '<thead><tr><th>Tag</th><th class="num">Value</th><th>Unit</th><th>Status</th><th>Age</th></tr></thead>';

  const view = {
    keys: [], // "device/tag" per index, in the API's order
    rows: [], // cells per index
    shown: [], // what each row shows now, to touch only what changed
    deviceOf: [], // index into devices per tag
    devices: [], // { name, details, tally, tallyText, start, end, open }
    sectionOf: new WeakMap(), // a device's <details> -> its index in devices
    latest: [], // the last tags answer
    lastStamp: [], // per tag: its last timestamp, the shortest interval seen between two,
    period: [], // and how many intervals were seen
    learned: [],
    selected: -1,
    openByName: new Map(),
    renderMs: 0, // the last update of the table, for the benchmark
    building: 0, // which build of the sections the pending row chunks belong to
  };

  async function refreshTags() {
    let answer;
    try {
      answer = await api('/api/v1/tags');
    } catch (error) {
      return;
    }
    const tags = answer.json && answer.json.tags;
    if (!Array.isArray(tags)) return;
    lastTagsAt = Date.now();
    renderTags(tags);
    updateLink();
  }

  function sameKeys(tags) {
    if (tags.length !== view.keys.length) return false;
    for (let i = 0; i < tags.length; i++) {
      if (view.keys[i] !== tags[i].device + '/' + tags[i].tag) return false;
    }
    return true;
  }

  // Builds the device sections at once (a title and a tally each), and their rows in chunks of
  // about ROWS_PER_TASK, first the devices at the top: the first screen of values is painted
  // before the rest of 10,000 rows are built, and the page answers input in between. A
  // device's rows: one skeleton of empty rows through innerHTML (no API data in it), then each
  // tag's name through textContent.
  function buildTags(tags) {
    const container = $('devices');
    const fragment = document.createDocumentFragment();
    view.keys = tags.map((t) => t.device + '/' + t.tag);
    view.rows = new Array(tags.length);
    view.shown = new Array(tags.length);
    view.deviceOf = new Array(tags.length);
    view.lastStamp = new Array(tags.length).fill(null);
    view.period = new Array(tags.length).fill(0);
    view.learned = new Array(tags.length).fill(0);
    view.devices = [];
    view.sectionOf = new WeakMap();
    view.selected = -1;
    view.building += 1;
    let start = 0;
    while (start < tags.length) {
      const name = String(tags[start].device);
      let end = start + 1;
      while (end < tags.length && String(tags[end].device) === name) end++;
      const details = document.createElement('details');
      details.className = 'device';
      const open = view.openByName.has(name) ? view.openByName.get(name) : true;
      details.open = open;
      const summary = document.createElement('summary');
      const title = document.createElement('span');
      title.className = 'dn';
      title.textContent = name;
      const tally = document.createElement('span');
      tally.className = 'tally';
      summary.append(title, tally);
      details.append(summary);
      const device = { name, details, tally, tallyText: '', start, end, open, built: false };
      const d = view.devices.length;
      view.devices.push(device);
      view.sectionOf.set(details, d);
      view.deviceOf.fill(d, start, end);
      details.addEventListener('toggle', () => {
        device.open = details.open;
        view.openByName.set(name, details.open);
        if (details.open) renderDevice(device);
      });
      fragment.append(details);
      start = end;
    }
    container.replaceChildren(fragment);
    $('tag-count').textContent = `${tags.length} in ${view.devices.length} devices`;
  }

  function buildRows(device) {
    const table = document.createElement('table');
    table.className = 'tags';
    table.innerHTML = TABLE_HEAD + '<tbody>' + ROW.repeat(device.end - device.start) + '</tbody>';
    const rows = table.tBodies[0].rows;
    for (let i = device.start; i < device.end; i++) {
      const tr = rows[i - device.start];
      tr.dataset.key = view.keys[i];
      const cells = tr.cells;
      const status = cells[3].children;
      cells[0].firstChild.textContent = view.latest[i] ? String(view.latest[i].tag) : '';
      view.rows[i] = { tr, v: cells[1], u: cells[2], mark: status[0], sn: status[1], why: status[2], age: cells[4] };
      view.shown[i] = { q: '', v: null, u: null, sn: null, why: null, age: null };
    }
    device.built = true;
    renderDevice(device);
    device.details.append(table);
  }

  function renderDevice(device) {
    if (!device.built || !device.open) return;
    for (let i = device.start; i < device.end; i++) {
      const t = view.latest[i];
      if (t) renderRow(i, t, classify(t, view.period[i]));
    }
  }

  // Builds the rows of the devices not built yet, ROWS_PER_TASK at a time, one task after the
  // other; marks when the first chunk and when all rows are on screen (for the benchmark).
  function buildPending(build) {
    if (build !== view.building) return;
    let budget = ROWS_PER_TASK;
    for (const device of view.devices) {
      if (device.built) continue;
      if (budget <= 0) {
        setTimeout(() => buildPending(build), 0);
        return;
      }
      buildRows(device);
      budget -= device.end - device.start;
    }
    performance.mark('kiln-rows-rendered');
    requestAnimationFrame(() => setTimeout(() => performance.mark('kiln-rows-painted'), 0));
  }

  // Learns each tag's poll period from how often its timestamp moves (the shortest of the
  // first LEARN_STEPS intervals seen), unless the API says it (`poll_ms`).
  function notePeriod(i, t) {
    if (typeof t.poll_ms === 'number' && t.poll_ms > 0) {
      view.period[i] = t.poll_ms;
      return;
    }
    if (view.learned[i] >= LEARN_STEPS) return;
    const stamp = t.timestamp;
    const last = view.lastStamp[i];
    if (stamp && last !== stamp) {
      if (last) {
        const step = Date.parse(stamp) - Date.parse(last);
        // Seen only through one-second snapshots, so never taken below a second.
        const seen = Math.max(step, TICK_MS);
        if (step > 0 && (view.period[i] === 0 || seen < view.period[i])) view.period[i] = seen;
        view.learned[i] += 1;
      }
      view.lastStamp[i] = stamp;
    }
  }

  function renderRow(i, t, q) {
    const r = view.rows[i];
    const s = view.shown[i];
    if (s.q !== q) {
      r.tr.className = 'q-' + q + (i === view.selected ? ' selected' : '');
      r.mark.textContent = MARK[q];
      s.q = q;
    }
    const v = formatValue(t.value);
    if (s.v !== v) r.v.textContent = s.v = v;
    const u = t.unit == null ? '' : String(t.unit);
    if (s.u !== u) r.u.textContent = s.u = u;
    const sn = t.status == null ? 'no status' : String(t.status);
    if (s.sn !== sn) r.sn.textContent = s.sn = sn;
    const why = t.reason != null ? String(t.reason) : t.fault && t.fault !== 'none' ? String(t.fault) : '';
    if (s.why !== why) r.why.textContent = s.why = why;
    const age = formatAge(t.age_ms);
    if (s.age !== age) r.age.textContent = s.age = age;
  }

  function renderTags(tags) {
    const began = performance.now();
    view.latest = tags;
    let first = false;
    if (!sameKeys(tags)) {
      buildTags(tags);
      first = true;
    }
    const counts = view.devices.map(() => ({ bad: 0, uncertain: 0, stale: 0 }));
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i];
      notePeriod(i, t);
      const d = view.deviceOf[i];
      const q = classify(t, view.period[i]);
      if (q !== 'good') counts[d][q] += 1;
      if (view.devices[d].open && view.devices[d].built) renderRow(i, t, q);
    }
    view.devices.forEach((device, d) => {
      const c = counts[d];
      const text = `${device.end - device.start}|${c.bad}|${c.uncertain}|${c.stale}`;
      if (text === device.tallyText) return;
      device.tallyText = text;
      const parts = [document.createTextNode(`${device.end - device.start} tags`)];
      for (const [n, label, cls] of [
        [c.bad, 'BAD', 'b'],
        [c.uncertain, 'UNCERTAIN', 'u'],
        [c.stale, 'STALE', 's'],
      ]) {
        if (n === 0) continue;
        const span = document.createElement('span');
        span.className = cls;
        span.textContent = ` · ${n} ${label}`;
        parts.push(span);
      }
      device.tally.replaceChildren(...parts);
    });
    if (first) {
      // The first screen now, the other rows in the tasks that follow.
      const build = view.building;
      let budget = FIRST_ROWS;
      for (const device of view.devices) {
        if (budget <= 0) break;
        buildRows(device);
        budget -= device.end - device.start;
      }
      performance.mark('kiln-first-rows-rendered');
      requestAnimationFrame(() => setTimeout(() => performance.mark('kiln-first-rows-painted'), 0));
      setTimeout(() => buildPending(build), 0);
    }
    view.renderMs = performance.now() - began;
  }

  $('devices').addEventListener('click', (event) => {
    const button = event.target.closest('button.tn');
    if (!button) return;
    const tr = button.closest('tr');
    const device = view.devices[view.sectionOf.get(tr.closest('details'))];
    if (!device) return;
    const i = device.start + tr.sectionRowIndex;
    const t = view.latest[i];
    if (!t) return;
    selectRow(i);
    openTrend(String(t.device), String(t.tag), t.unit == null ? '' : String(t.unit));
  });

  function selectRow(i) {
    if (view.selected >= 0 && view.rows[view.selected]) view.rows[view.selected].tr.classList.remove('selected');
    view.selected = i;
    if (i >= 0 && view.rows[i]) view.rows[i].tr.classList.add('selected');
  }

  // ── Alarms ─────────────────────────────────────────────────────────────────────────────────

  const alarmRows = new Map(); // id -> { tr, cells, shown }
  const ALARM_ROW =
    '<td class="sev"></td><td class="id"></td><td class="state"></td><td class="num val"></td><td class="limit"></td>' +
    '<td class="since"></td><td class="actions"><button type="button" data-act="ack">Acknowledge</button>' +
    '<button type="button" data-act="shelve">Shelve</button><button type="button" data-act="unshelve">Unshelve</button></td>';

  function alarmState(a) {
    const parts = [];
    if (a.active) parts.push(a.acked ? 'ACTIVE, acknowledged' : 'ACTIVE, UNACKNOWLEDGED');
    else parts.push(a.acked ? 'normal' : 'cleared, unacknowledged');
    if (a.shelved) parts.push(a.shelved_until ? `shelved until ${when(a.shelved_until)}` : 'shelved');
    if (a.suppressed) parts.push('suppressed (sensor or device bad)');
    return parts.join(' · ');
  }

  async function refreshAlarms() {
    let answer;
    try {
      answer = await api('/api/v1/alarms');
    } catch (_) {
      return;
    }
    const alarms = answer.json && answer.json.alarms;
    if (!Array.isArray(alarms)) return;
    renderAlarms(alarms);
  }

  function renderAlarms(alarms) {
    const shown = alarms.filter((a) => a.active || a.acked === false || a.shelved);
    const body = $('alarm-rows');
    const seen = new Set();
    let active = 0;
    let unacked = 0;
    shown.forEach((a, position) => {
      const id = String(a.id);
      seen.add(id);
      if (a.active) active++;
      if (!a.acked) unacked++;
      let row = alarmRows.get(id);
      if (!row) {
        const tr = document.createElement('tr');
        tr.innerHTML = ALARM_ROW;
        tr.dataset.id = id;
        row = { tr, cells: tr.cells, shown: '' };
        alarmRows.set(id, row);
      }
      const texts = [
        a.severity == null ? '' : String(a.severity),
        id,
        alarmState(a),
        formatValue(a.value),
        a.limit == null ? '' : String(a.limit),
        when(a.since),
      ];
      const key = texts.join('\u0000') + `|${a.active}|${a.acked}|${a.shelved}`;
      if (row.shown !== key) {
        row.shown = key;
        texts.forEach((text, c) => {
          row.cells[c].textContent = text;
        });
        row.tr.className = [a.active ? 'active' : '', a.acked ? 'acked' : 'unacked', a.shelved ? 'shelved' : '']
          .filter(Boolean)
          .join(' ');
        const [ack, shelve, unshelve] = row.cells[6].children;
        ack.hidden = !!a.acked;
        shelve.hidden = !!a.shelved;
        unshelve.hidden = !a.shelved;
      }
      if (body.children[position] !== row.tr) body.insertBefore(row.tr, body.children[position] || null);
    });
    for (const [id, row] of alarmRows) {
      if (!seen.has(id)) {
        row.tr.remove();
        alarmRows.delete(id);
      }
    }
    $('alarm-table').hidden = shown.length === 0;
    $('alarms-empty').hidden = shown.length !== 0;
    $('alarm-count').textContent = shown.length ? `${active} active, ${unacked} unacknowledged` : '';
  }

  async function alarmCommand(id, act, body) {
    try {
      await api(`/api/v1/alarms/${segment(id)}/${act}`, { method: 'POST', body });
      toast(`${id}: ${act === 'ack' ? 'acknowledged' : act === 'shelve' ? 'shelved' : 'unshelved'}`);
    } catch (error) {
      if (!(error instanceof Unauthorized)) toast(`${id}: ${act} failed: ${error.message}`, true);
    }
    await Promise.allSettled([refreshAlarms(), refreshHealth()]);
  }

  let shelving = null;
  $('alarm-rows').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-act]');
    if (!button) return;
    const id = button.closest('tr').dataset.id;
    const act = button.dataset.act;
    if (act === 'shelve') {
      shelving = id;
      $('shelve-name').textContent = id;
      $('shelve-reason').value = '';
      $('shelve-dialog').showModal();
      return;
    }
    button.disabled = true;
    await alarmCommand(id, act);
    button.disabled = false;
  });

  $('shelve-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = shelving;
    $('shelve-dialog').close();
    if (!id) return;
    const body = { for: $('shelve-for').value };
    const reason = $('shelve-reason').value.trim();
    if (reason) body.reason = reason;
    await alarmCommand(id, 'shelve', body);
  });
  $('shelve-cancel').addEventListener('click', () => $('shelve-dialog').close());

  // ── Remediation approvals ──────────────────────────────────────────────────────────────────

  const RUN_ROW =
    '<td class="rid"></td><td></td><td></td><td class="argv"></td><td></td><td class="actions">' +
    '<button type="button" data-act="approve">Approve</button><button type="button" data-act="reject">Reject</button></td>';

  const shellWord = (w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'");

  async function refreshRuns() {
    let answer;
    try {
      answer = await api('/api/v1/remediations');
    } catch (_) {
      return;
    }
    const runs = answer.json && answer.json.runs;
    if (!Array.isArray(runs)) return;
    renderRuns(runs.filter((r) => r.state === 'awaiting_approval'));
  }

  function renderRuns(runs) {
    const body = $('run-rows');
    const key = JSON.stringify(runs.map((r) => [r.id, r.rule, r.host, r.argv, r.created_at]));
    if (body.dataset.key !== key) {
      body.dataset.key = key;
      const fragment = document.createDocumentFragment();
      for (const r of runs) {
        const tr = document.createElement('tr');
        tr.innerHTML = RUN_ROW;
        tr.dataset.id = String(r.id);
        const argv = Array.isArray(r.argv) ? r.argv.map((w) => shellWord(String(w))).join(' ') : '';
        [`#${r.id}`, r.rule, r.host, argv, when(r.created_at)].forEach((text, c) => {
          tr.cells[c].textContent = text == null ? '' : String(text);
        });
        fragment.append(tr);
      }
      body.replaceChildren(fragment);
    }
    $('run-table').hidden = runs.length === 0;
    $('runs-empty').hidden = runs.length !== 0;
    $('run-count').textContent = runs.length ? String(runs.length) : '';
  }

  $('run-rows').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-act]');
    if (!button) return;
    const id = button.closest('tr').dataset.id;
    const act = button.dataset.act;
    button.disabled = true;
    try {
      await api(`/api/v1/remediations/${segment(id)}/${act}`, { method: 'POST' });
      toast(`Run #${id}: ${act === 'approve' ? 'approved' : 'rejected'}`);
    } catch (error) {
      if (!(error instanceof Unauthorized)) toast(`Run #${id}: ${act} failed: ${error.message}`, true);
    }
    button.disabled = false;
    await Promise.allSettled([refreshRuns(), refreshHealth()]);
  });

  // ── Health ─────────────────────────────────────────────────────────────────────────────────

  function badge(id, text, level) {
    const el = $(id);
    el.textContent = text;
    el.className = 'badge' + (level ? ' ' + level : '');
  }

  async function refreshHealth() {
    const [status, ready] = await Promise.allSettled([api('/api/v1/status'), api('/readyz', { allow: [503] })]);
    if (ready.status === 'fulfilled' && ready.value.json) {
      const r = ready.value.json;
      const failing = Object.entries(r.checks || {})
        .filter(([, ok]) => !ok)
        .map(([name]) => name);
      badge('h-ready', r.ready ? 'Ready' : `NOT READY: ${failing.join(', ') || 'unknown'}`, r.ready ? 'ok' : 'fail');
    } else {
      badge('h-ready', 'Ready: no answer', 'fail');
    }
    if (status.status !== 'fulfilled' || !status.value.json) return;
    const s = status.value.json;
    const pollersOK = s.pollers === 'running';
    badge('h-pollers', `Pollers: ${pollersOK ? 'running' : String(s.pollers).toUpperCase()}`, pollersOK ? 'ok' : 'fail');
    if (s.historian == null) badge('h-historian', 'Historian: none', '');
    else if (s.historian.writable) badge('h-historian', 'Historian: writable', 'ok');
    else badge('h-historian', 'Historian: NOT WRITABLE', 'fail');
    const alarms = Number(s.alarms_active) || 0;
    badge('h-alarms', `Alarms active: ${alarms}`, alarms > 0 ? 'warn' : 'ok');
    const pending = Number(s.remediations_pending) || 0;
    badge('h-remediations', `Approvals waiting: ${pending}`, pending > 0 ? 'warn' : 'ok');
    const uptime = typeof s.uptime_s === 'number' ? formatSpan(s.uptime_s * 1000) : '?';
    $('about').textContent = `Kiln ${s.version ?? ''} · ${s.devices ?? '?'} devices · ${s.tags ?? '?'} tags · up ${uptime}`;
  }

  // ── Trend ──────────────────────────────────────────────────────────────────────────────────

  const RANGES = {
    '15m': { every: '5s', refresh: 5000 },
    '1h': { every: '15s', refresh: 15000 },
    '8h': { every: '2m', refresh: 60000 },
    '24h': { every: '5m', refresh: 60000 },
  };
  const trend = { device: '', tag: '', unit: '', range: '1h', seq: 0, timer: 0 };

  function openTrend(device, tag, unit) {
    Object.assign(trend, { device, tag, unit });
    $('trend-title').textContent = `${device}/${tag}`;
    $('trend').hidden = false;
    document.body.classList.add('trend-open');
    loadTrend();
  }

  function stopTrendTimer() {
    clearTimeout(trend.timer);
  }

  $('trend-close').addEventListener('click', () => {
    $('trend').hidden = true;
    document.body.classList.remove('trend-open');
    stopTrendTimer();
    trend.seq++;
    selectRow(-1);
  });

  $('trend-ranges').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-range]');
    if (!button) return;
    trend.range = button.dataset.range;
    loadTrend();
  });

  async function loadTrend() {
    stopTrendTimer();
    const seq = ++trend.seq;
    const range = RANGES[trend.range];
    for (const b of $('trend-ranges').querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b.dataset.range === trend.range));
    }
    const query = `from=${segment('-' + trend.range)}&to=now&every=${segment(range.every)}&agg=avg`;
    const path = `/api/v1/tags/${segment(trend.device)}/${segment(trend.tag)}/history?${query}`;
    const note = $('trend-note');
    try {
      const { json } = await api(path);
      if (seq !== trend.seq) return;
      const points = json && Array.isArray(json.points) ? json.points : [];
      const from = Date.parse(json && json.from);
      const to = Date.parse(json && json.to);
      const unit = json && json.unit != null ? String(json.unit) : trend.unit;
      $('trend-agg').textContent = json && json.agg ? `${json.agg} per ${json.every}` : 'raw';
      const summary = drawChart($('trend-chart'), points, from, to, unit, stepOf(range.every));
      note.className = 'trend-note';
      note.textContent = `${points.length} points, ${summary.good} good, ${summary.notGood} not good · ${when(json.from)} to ${when(json.to)}`;
    } catch (error) {
      if (seq !== trend.seq || error instanceof Unauthorized) return;
      note.className = 'trend-note error';
      note.textContent = `No trend: ${error.message}`;
      $('trend-chart').replaceChildren();
    }
    if (seq === trend.seq && running && !$('trend').hidden) trend.timer = setTimeout(loadTrend, range.refresh);
  }

  function stepOf(every) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(every || '');
    if (!m) return 0;
    return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2]];
  }

  // ── Chart (inline SVG, drawn here) ─────────────────────────────────────────────────────────

  const SVG = 'http://www.w3.org/2000/svg';
  const W = 640;
  const H = 320;
  const M = { left: 64, right: 14, top: 12, bottom: 34 };

  function el(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Ticks at 1, 2 or 5 times a power of ten covering [min, max].
  function niceTicks(min, max, count) {
    const span = max - min;
    const raw = span / Math.max(1, count);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) || 10 * power;
    const lo = Math.floor(min / step) * step;
    const hi = Math.ceil(max / step) * step;
    const ticks = [];
    for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
    return { lo, hi, ticks, step };
  }

  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map(
    (s) => s * 1000,
  );

  // Draws `points` ({t, value, quality}) over [from, to] into `svg`: axes, gridlines, the line
  // of good points (broken wherever a point is null or not good), uncertain stretches dashed,
  // and bad or uncovered stretches shaded. `step`: a bucket's length (0 for raw points).
  // Returns counts for the caption.
  function drawChart(svg, points, from, to, unit, step) {
    const parsed = [];
    for (const p of points || []) {
      const t = Date.parse(p.t);
      if (!Number.isFinite(t)) continue;
      const usable = typeof p.value === 'number' && Number.isFinite(p.value);
      const q = !usable ? 'bad' : p.quality === 'good' ? 'good' : p.quality === 'uncertain' ? 'uncertain' : 'bad';
      parsed.push({ t, v: usable ? p.value : null, q });
    }
    parsed.sort((a, b) => a.t - b.t);
    if (!Number.isFinite(from)) from = parsed.length ? parsed[0].t : Date.now() - 3600000;
    if (!Number.isFinite(to)) to = parsed.length ? parsed[parsed.length - 1].t : Date.now();
    if (to <= from) to = from + 1000;
    if (!(step > 0)) {
      const gaps = [];
      for (let i = 1; i < parsed.length; i++) gaps.push(parsed[i].t - parsed[i - 1].t);
      gaps.sort((a, b) => a - b);
      step = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
    }

    const values = parsed.filter((p) => p.q !== 'bad').map((p) => p.v);
    let min = values.length ? Infinity : 0;
    let max = values.length ? -Infinity : 1;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min < 1e-9) {
      const pad = Math.abs(max) * 0.05 || 1;
      min -= pad;
      max += pad;
    }
    const y = niceTicks(min, max, 5);
    const x0 = M.left;
    const x1 = W - M.right;
    const y0 = H - M.bottom;
    const y1 = M.top;
    const sx = (t) => x0 + ((t - from) / (to - from)) * (x1 - x0);
    const sy = (v) => y0 - ((v - y.lo) / (y.hi - y.lo || 1)) * (y0 - y1);
    const fx = (n) => n.toFixed(1);

    const nodes = [];
    const defs = el('defs');
    const pattern = el('pattern', {
      id: 'hatch-bad',
      width: 6,
      height: 6,
      patternUnits: 'userSpaceOnUse',
      patternTransform: 'rotate(45)',
    });
    pattern.append(el('rect', { width: 6, height: 6, fill: '#ffd9d9' }), el('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'hatch-line' }));
    defs.append(pattern);
    nodes.push(defs);

    // Bad or uncovered stretches, shaded first so the grid and the line stay on top.
    const bad = [];
    const shade = (a, b) => {
      a = Math.max(a, from);
      b = Math.min(b, to);
      if (b <= a) return;
      const last = bad[bad.length - 1];
      if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else bad.push([a, b]);
    };
    const end = (i) => (i + 1 < parsed.length ? parsed[i + 1].t : parsed[i].t + (step || 0));
    if (parsed.length === 0) shade(from, to);
    else {
      if (parsed[0].t - from > 2 * step) shade(from, parsed[0].t);
      parsed.forEach((p, i) => {
        if (p.q === 'bad') shade(p.t, Math.max(end(i), p.t + (step || 0)));
      });
      const lastEnd = parsed[parsed.length - 1].t + step;
      if (to - lastEnd > 2 * step) shade(lastEnd, to);
    }
    for (const [a, b] of bad) {
      nodes.push(el('rect', { class: 'bad', x: fx(sx(a)), y: y1, width: fx(Math.max(1, sx(b) - sx(a))), height: y0 - y1 }));
    }

    // Grid and axes.
    for (const v of y.ticks) {
      const py = fx(sy(v));
      nodes.push(el('line', { class: 'grid', x1: x0, x2: x1, y1: py, y2: py }));
      const label = Math.abs(y.step) >= 1 ? String(Math.round(v)) : v.toFixed(Math.min(6, Math.ceil(-Math.log10(y.step))));
      nodes.push(el('text', { x: x0 - 6, y: Number(py) + 4, 'text-anchor': 'end' }, label));
    }
    const tStep = TIME_STEPS.find((s) => s >= (to - from) / 6) || 86400000;
    const offset = new Date(from).getTimezoneOffset() * 60000;
    for (let t = Math.ceil((from - offset) / tStep) * tStep + offset; t <= to; t += tStep) {
      const px = fx(sx(t));
      nodes.push(el('line', { class: 'grid', x1: px, x2: px, y1: y1, y2: y0 }));
      const d = new Date(t);
      const label = tStep < 60000 ? clock(t) : `${two(d.getHours())}:${two(d.getMinutes())}`;
      nodes.push(el('text', { x: px, y: y0 + 18, 'text-anchor': 'middle' }, label));
    }
    nodes.push(el('line', { class: 'axis', x1: x0, x2: x0, y1: y1, y2: y0 }));
    nodes.push(el('line', { class: 'axis', x1: x0, x2: x1, y1: y0, y2: y0 }));
    if (unit) nodes.push(el('text', { x: 4, y: y1 + 10 }, unit));

    // The line: one subpath per run of good points; uncertain runs dashed on their own path.
    // A gap longer than 2.5 steps between two points also breaks it.
    const path = (quality) => {
      let d = '';
      let open = false;
      let previous = null;
      for (const p of parsed) {
        const joins = p.q === quality && open && previous && (!step || p.t - previous.t <= 2.5 * step);
        if (p.q !== quality) {
          open = false;
        } else if (joins) {
          d += `L${fx(sx(p.t))} ${fx(sy(p.v))}`;
        } else {
          d += `M${fx(sx(p.t))} ${fx(sy(p.v))}h0.01`;
          open = true;
        }
        previous = p;
      }
      return d;
    };
    const good = path('good');
    const uncertain = path('uncertain');
    if (uncertain) nodes.push(el('path', { class: 'uncertain', d: uncertain, 'stroke-linecap': 'round' }));
    nodes.push(el('path', { class: 'line', d: good, 'stroke-linecap': 'round' }));
    if (!values.length) {
      nodes.push(el('text', { x: (x0 + x1) / 2, y: (y0 + y1) / 2, 'text-anchor': 'middle' }, 'No good data in this range'));
    }
    svg.replaceChildren(...nodes);
    const goodCount = parsed.filter((p) => p.q === 'good').length;
    return { good: goodCount, notGood: parsed.length - goodCount, badStretches: bad.length };
  }

  // For the page's tests and tools/bench/page-first-paint.sh: the pure parts, callable from a
  // browser driver, and how long the last update of the tag table took.
  window.KilnPage = {
    classify,
    drawChart,
    formatAge,
    formatValue,
    stats: () => ({ rows: view.keys.length, renderMs: view.renderMs, tagsAt: lastTagsAt }),
  };

  // ── Start ──────────────────────────────────────────────────────────────────────────────────

  if (token) start();
  else showLogin('');
})();
