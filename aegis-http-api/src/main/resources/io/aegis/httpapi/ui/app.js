// The status page of aegis: no framework, no build step, nothing fetched from elsewhere.
// Every string from the API reaches the page through textContent or setAttribute, never innerHTML.
'use strict';

(function () {
  const TOKEN_KEY = 'aegis.token';
  const EVENT_TYPES = ['StateChanged', 'CheckCompleted', 'RecoveryStarted', 'RecoveryFinished', 'RecoveryEscalated',
    'RecoveryConcluded', 'RecoveryBudgetExhausted', 'ServiceIsolated', 'WorkloadExited', 'AlertFired',
    'AlertResolved', 'OperatorAction', 'IncidentClosed', 'AnomalyDetected', 'AnomalyResolved', 'ConfigReloaded'];
  const MAX_LATENCIES = 30;
  const MAX_TRANSITIONS = 20;

  // Colour group of each state: bad = red, warn = amber, idle = grey, ok = green. Unknown words are grey.
  const GROUP = {
    HEALTHY: 'ok',
    DEGRADED: 'warn', FLAPPING: 'warn', RECOVERING: 'warn',
    UNHEALTHY: 'bad', FAILED: 'bad',
    ISOLATED: 'idle', STOPPED: 'idle', UNKNOWN: 'idle', STARTING: 'idle'
  };
  const GROUP_RANK = { bad: 0, warn: 1, idle: 2, ok: 3 };

  const ACTIONS = [
    { name: 'restart', label: 'Restart', danger: true,
      explain: 'restarts its workload now, outside the recovery ladder and its budget.' },
    { name: 'reset', label: 'Reset', danger: true,
      explain: 'starts over: the incident and the recovery budget are cleared, the alerts resolved and the workload restarted.' },
    { name: 'pause', label: 'Pause', whenPaused: false,
      explain: 'puts it in maintenance: checks go on, but no recovery and no alerts until it is resumed.' },
    { name: 'resume', label: 'Resume', whenPaused: true,
      explain: 'ends maintenance: the service is judged again at once and recovered if it needs it.' },
    { name: 'isolate', label: 'Isolate', danger: true,
      explain: 'takes its workload out of traffic and keeps it running for debugging; no automatic recovery until it is reset.' }
  ];

  const $ = (id) => document.getElementById(id);
  const list = $('services');

  /** name -> { data, el, parts, order, lastAction } */
  const services = new Map();
  let info = { version: '', actionsAllowed: false, tokenRequired: false };
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let source = null;
  let lastEventId = null;
  let lostSince = 0;
  let reconnectDelay = 1000;
  const refetchTimers = new Map();

  // ---- small helpers ------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function groupOf(state) {
    return GROUP[state] || 'idle';
  }

  function parseTime(iso) {
    const ms = iso ? Date.parse(iso) : NaN;
    return Number.isNaN(ms) ? null : ms;
  }

  function span(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min' + (m < 10 && s % 60 ? ' ' + (s % 60) + ' s' : '');
    const h = Math.floor(m / 60);
    if (h < 48) return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
    return Math.floor(h / 24) + ' d';
  }

  function ago(ms) {
    if (ms === null) return 'never';
    const d = Date.now() - ms;
    return d < 1500 ? 'just now' : span(d) + ' ago';
  }

  function absolute(ms) {
    return ms === null ? '' : new Date(ms).toLocaleString();
  }

  function latencyText(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return '';
    return value < 10 ? value.toFixed(1) + ' ms' : Math.round(value) + ' ms';
  }

  function lower(word) {
    return String(word || '').toLowerCase();
  }

  // A <time> whose text the one-second tick keeps fresh: mode "ago" ("12 s ago") or "for" ("3 min").
  function setTime(node, iso, mode) {
    const ms = parseTime(iso);
    node.dataset.time = ms === null ? '' : String(ms);
    node.dataset.mode = mode;
    if (ms !== null) {
      node.setAttribute('datetime', new Date(ms).toISOString());
      node.title = absolute(ms);
    } else {
      node.removeAttribute('datetime');
      node.removeAttribute('title');
    }
    refreshTime(node);
  }

  function refreshTime(node) {
    const ms = node.dataset.time ? Number(node.dataset.time) : null;
    if (node.dataset.mode === 'for') node.textContent = ms === null ? '—' : span(Date.now() - ms);
    else node.textContent = ago(ms);
  }

  // ---- the API ------------------------------------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || (path + ' answered ' + response.status));
    return body;
  }

  async function post(path, body) {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    return { status: response.status, ok: response.ok, body: answer };
  }

  // ---- one service card ---------------------------------------------------------------------------------------

  function createCard(name) {
    const card = el('li', 'service');
    card.dataset.service = name;
    const headingId = 'svc-' + Math.random().toString(36).slice(2);
    card.setAttribute('aria-labelledby', headingId);

    const head = el('div', 'service-head');
    const title = el('h2', 'service-name', name);
    title.id = headingId;
    const badge = el('span', 'badge');
    const paused = el('span', 'tag tag-paused', 'paused');
    paused.hidden = true;
    head.append(title, badge, paused);

    const reason = el('p', 'reason');

    const facts = el('dl', 'facts');
    function fact(label) {
      const wrap = el('div', 'fact');
      const dd = el('dd');
      const dt = el('dt', null, label);
      wrap.append(dt, dd);
      facts.append(wrap);
      return { dt, dd };
    }
    const sinceFact = fact('Up for');
    const sinceLabel = sinceFact.dt;
    const sinceDd = sinceFact.dd;
    const since = el('time', 'since');
    sinceDd.append(since);

    const ladderDd = fact('Ladder step').dd;
    const ladder = el('span', 'ladder');
    ladderDd.append(ladder);

    const checkFact = fact('Last check');
    checkFact.dd.parentNode.classList.add('fact-wide');
    const checkAge = el('time', 'check-age');
    const checkLatency = el('span', 'check-latency');
    const checkMessage = el('span', 'check-message');
    checkFact.dd.append(checkAge, checkLatency, checkMessage);

    const latencyFact = fact('Latency');
    latencyFact.dd.parentNode.classList.add('fact-wide');
    const spark = el('span', 'sparkline');
    latencyFact.dd.append(spark);

    const target = el('p', 'target');

    const alertsBox = el('div', 'alerts');
    alertsBox.hidden = true;

    const lastAction = el('p', 'last-action');
    lastAction.hidden = true;
    const lastActionText = el('span');
    const lastActionTime = el('time');
    lastAction.append(lastActionText, document.createTextNode(' · '), lastActionTime);

    const actions = el('div', 'actions');
    actions.setAttribute('role', 'group');
    actions.setAttribute('aria-label', 'Actions on ' + name);
    const buttons = {};
    for (const action of ACTIONS) {
      const button = el('button', 'action action-' + action.name, action.label);
      button.type = 'button';
      button.dataset.action = action.name;
      button.setAttribute('aria-label', action.label + ' ' + name);
      button.hidden = true;
      button.addEventListener('click', () => askToConfirm(name, action, button));
      buttons[action.name] = button;
      actions.append(button);
    }

    card.append(head, reason, facts, alertsBox, lastAction, target, actions);
    return {
      card,
      parts: { badge, paused, reason, sinceLabel, since, checkAge, checkLatency, checkMessage, spark, ladder, target, alertsBox,
        lastAction, lastActionText, lastActionTime, actions, buttons }
    };
  }

  function render(entry) {
    const data = entry.data;
    const p = entry.parts;
    const state = String(data.state || 'UNKNOWN');
    const group = groupOf(state);
    entry.card.dataset.state = state;
    entry.card.dataset.group = group;
    entry.card.classList.toggle('is-paused', !!data.paused);

    p.badge.textContent = state;
    p.badge.className = 'badge badge-' + group;
    p.paused.hidden = !data.paused;

    const transitions = Array.isArray(data.transitions) ? data.transitions : [];
    const latest = transitions.length ? transitions[transitions.length - 1] : null;
    const why = latest && latest.to === state && latest.reason ? latest.reason : '';
    p.reason.textContent = why;
    p.reason.hidden = !why || group === 'ok';

    // "Up for 2 h" when healthy; otherwise how long it has been in the state it is in.
    p.sinceLabel.textContent = state === 'HEALTHY' ? 'Up for' : label(state) + ' for';
    setTime(p.since, data.since, 'for');

    const check = data.lastCheck;
    if (check) {
      setTime(p.checkAge, check.at, 'ago');
      const parts = [];
      if (check.status) parts.push(lower(check.status));
      const latency = latencyText(check.latencyMs);
      if (latency) parts.push(latency);
      p.checkLatency.textContent = parts.length ? ' · ' + parts.join(' · ') : '';
      p.checkLatency.className = 'check-latency' + (check.passing === false ? ' failing' : '');
      const message = check.message || check.reason || '';
      p.checkMessage.textContent = message ? ' — ' + message : '';
      p.checkMessage.className = 'check-message' + (check.passing === false ? ' failing' : '');
    } else {
      setTime(p.checkAge, null, 'ago');
      p.checkAge.textContent = 'not checked yet';
      p.checkLatency.textContent = '';
      p.checkMessage.textContent = '';
    }

    drawSparkline(p.spark, Array.isArray(data.latencies) ? data.latencies : []);

    const step = data.ladderStep;
    p.ladder.textContent = (step ? step : 'none') + (data.recoveries ? ' · ' + data.recoveries
      + (data.recoveries === 1 ? ' recovery' : ' recoveries') : '');
    p.ladder.classList.toggle('muted', !step);

    const check2 = data.check || {};
    const targetParts = [];
    if (check2.type) targetParts.push(check2.type + (check2.endpoint ? ' ' + check2.endpoint : ''));
    if (data.workload) targetParts.push('workload: ' + data.workload);
    p.target.textContent = targetParts.join(' · ');
    p.target.hidden = !targetParts.length;

    renderAlerts(p.alertsBox, Array.isArray(data.alerts) ? data.alerts : []);
    renderLastAction(entry);
    renderButtons(entry);
  }

  function renderAlerts(box, alerts) {
    box.replaceChildren();
    box.hidden = alerts.length === 0;
    if (!alerts.length) return;
    const heading = el('p', 'alerts-title', alerts.length === 1 ? '1 active alert' : alerts.length + ' active alerts');
    const ul = el('ul', 'alert-list');
    for (const alert of alerts) {
      const li = el('li', 'alert' + (alert.silenced ? ' silenced' : ''));
      li.append(el('span', 'severity severity-' + lower(alert.severity).replace(/[^a-z]/g, ''), alert.severity || '?'));
      li.append(el('span', 'alert-name', alert.name || ''));
      const time = el('time', 'alert-age');
      setTime(time, alert.startsAt, 'ago');
      li.append(time);
      if (alert.silenced) li.append(el('span', 'tag', 'silenced'));
      ul.append(li);
    }
    box.append(heading, ul);
  }

  function renderLastAction(entry) {
    const p = entry.parts;
    const action = entry.lastAction;
    p.lastAction.hidden = !action;
    if (!action) return;
    p.lastAction.dataset.lastAction = action.kind;
    p.lastActionText.textContent = action.text;
    setTime(p.lastActionTime, action.at, 'ago');
  }

  function actionsVisible() {
    return !!info.actionsAllowed && (!info.tokenRequired || !!token);
  }

  function renderButtons(entry) {
    const data = entry.data;
    const visible = actionsVisible();
    for (const action of ACTIONS) {
      let show = visible;
      if (action.whenPaused !== undefined && action.whenPaused !== !!data.paused) show = false;
      entry.parts.buttons[action.name].hidden = !show;
    }
    entry.parts.actions.hidden = !visible;
  }

  function drawSparkline(holder, values) {
    const numbers = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
    holder.replaceChildren();
    if (numbers.length < 2) {
      holder.append(el('span', 'muted', numbers.length ? latencyText(numbers[0]) : '—'));
      return;
    }
    const width = 160;
    const height = 28;
    const max = Math.max.apply(null, numbers) || 1;
    const min = Math.min.apply(null, numbers);
    const step = width / (numbers.length - 1);
    const points = numbers.map((v, i) => (i * step).toFixed(1) + ',' + (height - 2 - (v / max) * (height - 4)).toFixed(1));
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('role', 'img');
    const last = numbers[numbers.length - 1];
    const label = 'Latency of the last ' + numbers.length + ' checks: last ' + latencyText(last) + ', lowest '
      + latencyText(min) + ', highest ' + latencyText(max);
    svg.setAttribute('aria-label', label);
    const titleNode = document.createElementNS(ns, 'title');
    titleNode.textContent = label;
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', 'currentColor');
    line.setAttribute('stroke-width', '1.5');
    line.setAttribute('stroke-linejoin', 'round');
    const dot = document.createElementNS(ns, 'circle');
    const lastPoint = points[points.length - 1].split(',');
    dot.setAttribute('cx', lastPoint[0]);
    dot.setAttribute('cy', lastPoint[1]);
    dot.setAttribute('r', '2.5');
    dot.setAttribute('fill', 'currentColor');
    svg.append(titleNode, line, dot);
    holder.append(svg, el('span', 'spark-last', latencyText(last)));
  }

  // ---- the list -----------------------------------------------------------------------------------------------

  function upsert(data, order) {
    let entry = services.get(data.name);
    if (!entry) {
      const created = createCard(data.name);
      entry = { data, card: created.card, parts: created.parts, order, lastAction: null };
      services.set(data.name, entry);
    }
    entry.data = data;
    if (order !== undefined) entry.order = order;
    render(entry);
    return entry;
  }

  // Failing first, then amber, grey and healthy; in configuration order inside each group. Nodes are moved only
  // when the order changes, so focus and a half-typed dialog are not disturbed by every check.
  function arrange() {
    const sorted = Array.from(services.values()).sort((a, b) =>
      (GROUP_RANK[groupOf(a.data.state)] - GROUP_RANK[groupOf(b.data.state)]) || (a.order - b.order));
    const current = Array.from(list.children);
    const same = sorted.length === current.length && sorted.every((entry, i) => entry.card === current[i]);
    if (!same) {
      const focused = document.activeElement;
      for (const entry of sorted) list.append(entry.card);
      if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
    }
    summarize();
  }

  function summarize() {
    const all = Array.from(services.values());
    const counts = new Map();
    let worst = 'ok';
    let firing = 0;
    for (const entry of all) {
      const state = String(entry.data.state || 'UNKNOWN');
      const group = groupOf(state);
      const word = group === 'bad' ? 'failing' : lower(state);
      counts.set(word, (counts.get(word) || 0) + 1);
      if (GROUP_RANK[group] < GROUP_RANK[worst]) worst = group;
      firing += (entry.data.alerts || []).filter((a) => !a.silenced).length;
    }
    const order = ['failing', 'flapping', 'recovering', 'degraded', 'starting', 'unknown', 'isolated', 'stopped', 'healthy'];
    const words = Array.from(counts.keys()).sort((a, b) => {
      const ia = order.indexOf(a) < 0 ? 99 : order.indexOf(a);
      const ib = order.indexOf(b) < 0 ? 99 : order.indexOf(b);
      return ia - ib;
    });
    const summary = $('summary');
    if (!all.length) {
      summary.textContent = 'No services configured.';
    } else {
      summary.textContent = all.length + (all.length === 1 ? ' service: ' : ' services: ')
        + words.map((w) => counts.get(w) + ' ' + w).join(', ')
        + (firing ? ' · ' + firing + (firing === 1 ? ' alert firing' : ' alerts firing') : '');
    }
    summary.dataset.worst = all.length ? worst : 'idle';
    const failing = counts.get('failing') || 0;
    document.title = (failing ? failing + ' failing · ' : worst === 'ok' && all.length ? 'All healthy · ' : '') + 'Aegis';
    drawFavicon(all.length ? worst : 'idle');
  }

  const FAVICON_COLOURS = { ok: '#1a7f37', warn: '#bf8700', bad: '#cf222e', idle: '#6e7781' };
  let faviconGroup = null;
  function drawFavicon(group) {
    if (group === faviconGroup) return;
    faviconGroup = group;
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1 2 3v5c0 3.5 2.6 6.2 6 7 3.4-.8 6-3.5 6-7V3z" fill="'
      + FAVICON_COLOURS[group] + '"/></svg>';
    $('favicon').setAttribute('href', 'data:image/svg+xml,' + encodeURIComponent(svg));
  }

  async function loadAll() {
    try {
      const body = await getJson('/api/v1/services');
      const names = new Set();
      (body.services || []).forEach((data, index) => {
        names.add(data.name);
        upsert(data, index);
      });
      for (const [name, entry] of services) {
        if (!names.has(name)) {
          entry.card.remove();
          services.delete(name);
        }
      }
      arrange();
      hideBanner('load');
    } catch (error) {
      showBanner('load', 'Could not load the services: ' + error.message);
    }
  }

  function refetch(name) {
    if (refetchTimers.has(name)) return;
    // Events come in bursts (a state change, a recovery, an alert): one request for the lot.
    refetchTimers.set(name, setTimeout(async () => {
      refetchTimers.delete(name);
      try {
        const data = await getJson('/api/v1/services/' + encodeURIComponent(name));
        const entry = services.get(name);
        upsert(data, entry ? entry.order : services.size);
        arrange();
      } catch (error) {
        loadAll(); // a service that is gone, or one we had not seen: the whole list
      }
    }, 250));
  }

  // ---- the event stream ---------------------------------------------------------------------------------------

  function connect() {
    const url = '/api/v1/events' + (lastEventId !== null ? '?lastEventId=' + encodeURIComponent(lastEventId) : '');
    source = new EventSource(url);
    let failed = false;
    source.onopen = () => {
      reconnectDelay = 1000;
      setConnection('live');
      if (failed || lostSince) {
        failed = false;
        lostSince = 0;
        loadAll(); // whatever happened while the stream was down, in one request
      }
    };
    source.onerror = () => {
      failed = true;
      if (!lostSince) lostSince = Date.now();
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (the server answered something other than a stream): try again ourselves.
        source.close();
        setConnection('offline');
        setTimeout(connect, reconnectDelay);
        reconnectDelay = Math.min(reconnectDelay * 2, 30000);
      } else {
        setConnection('reconnecting');
      }
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, (event) => onEvent(type, event));
    // More happened while we were away than the server kept: read the whole state again.
    source.addEventListener('gap', (event) => {
      if (event.lastEventId) lastEventId = event.lastEventId;
      loadAll();
    });
  }

  function onEvent(type, event) {
    if (event.lastEventId) lastEventId = event.lastEventId;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return; // not ours to show; the API promises one-line JSON
    }
    const name = data.service;
    if (type === 'ConfigReloaded' || !name) {
      loadAll();
      return;
    }
    const entry = services.get(name);
    if (!entry) {
      refetch(name);
      return;
    }
    const at = parseTime(data.at);
    if (type === 'StateChanged') {
      const since = parseTime(entry.data.since);
      if (at === null || since === null || at >= since) {
        entry.data.state = data.to;
        entry.data.since = data.at;
        const transitions = (entry.data.transitions || []).concat([{ at: data.at, from: data.from, to: data.to, reason: data.reason }]);
        entry.data.transitions = transitions.slice(-MAX_TRANSITIONS);
        render(entry);
        arrange();
      }
      refetch(name); // ladder step, recoveries and alerts move with the state
    } else if (type === 'CheckCompleted') {
      const previous = entry.data.lastCheck ? parseTime(entry.data.lastCheck.at) : null;
      if (at === null || previous === null || at > previous) {
        entry.data.lastCheck = {
          at: data.at, status: data.status, passing: data.passing, latencyMs: data.latencyMs,
          message: data.message, reason: data.reason || null
        };
        if (typeof data.latencyMs === 'number') {
          entry.data.latencies = (entry.data.latencies || []).concat([data.latencyMs]).slice(-MAX_LATENCIES);
        }
        render(entry);
      }
    } else {
      if (type === 'OperatorAction') {
        const kind = String(data.kind || data.action || 'action').toUpperCase();
        const reason = data.reason ? ' — ' + data.reason : '';
        entry.lastAction = { kind, at: data.at, text: label(kind) + ' by an operator' + reason, fromEvent: true };
        render(entry);
      }
      refetch(name);
    }
  }

  function label(kind) {
    const word = lower(kind);
    return word.charAt(0).toUpperCase() + word.slice(1);
  }

  function setConnection(stateName) {
    const node = $('connection');
    node.dataset.connection = stateName;
    const text = { live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline', connecting: 'Connecting…' }[stateName];
    node.querySelector('.connection-text').textContent = text;
    node.title = stateName === 'live' ? 'Following the event stream' : 'The event stream is lost; the page shows what it last knew';
    if (stateName === 'live') hideBanner('stream');
    else if (stateName !== 'connecting') updateLostBanner();
  }

  function updateLostBanner() {
    if (!lostSince) return;
    showBanner('stream', 'Live updates lost ' + ago(lostSince) + '; reconnecting. What you see may be out of date.');
  }

  // ---- banner, toast ------------------------------------------------------------------------------------------

  const banners = new Map();
  function showBanner(key, text) {
    banners.set(key, text);
    drawBanner();
  }
  function hideBanner(key) {
    if (banners.delete(key)) drawBanner();
  }
  function drawBanner() {
    const banner = $('banner');
    banner.textContent = Array.from(banners.values()).join(' ');
    banner.hidden = banners.size === 0;
  }

  let toastTimer = null;
  function toast(text, kind) {
    const node = $('toast');
    node.textContent = text;
    node.dataset.kind = kind || 'ok';
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 6000);
  }

  // ---- actions ------------------------------------------------------------------------------------------------

  let pending = null; // { name, action, opener }

  function askToConfirm(name, action, opener) {
    pending = { name, action, opener };
    $('confirm-title').textContent = action.label + ' ' + name + '?';
    $('confirm-text').textContent = action.label + ' ' + name + ': ' + action.explain;
    $('confirm-reason').value = '';
    $('confirm-reason').placeholder = action.name + ' from the status page';
    const ok = $('confirm-ok');
    ok.textContent = action.label;
    ok.disabled = false;
    ok.dataset.confirm = action.name;
    ok.classList.toggle('danger', !!action.danger);
    const error = $('confirm-error');
    error.hidden = true;
    error.textContent = '';
    $('confirm').showModal();
    $('confirm-reason').focus();
  }

  function closeDialog() {
    const dialog = $('confirm');
    if (dialog.open) dialog.close();
    if (pending && pending.opener && document.contains(pending.opener)) pending.opener.focus();
    pending = null;
  }

  async function confirmPending(event) {
    event.preventDefault();
    if (!pending) return;
    const { name, action } = pending;
    const ok = $('confirm-ok');
    ok.disabled = true;
    const reason = $('confirm-reason').value.trim() || (action.name + ' from the status page');
    const sentAt = Date.now();
    let answer;
    try {
      answer = await post('/api/v1/services/' + encodeURIComponent(name) + '/' + action.name, { reason });
    } catch (error) {
      answer = { status: 0, ok: false, body: { error: 'The request did not reach aegis: ' + error.message } };
    }
    ok.disabled = false;
    if (answer.ok) {
      const entry = services.get(name);
      // The engine's OperatorAction often arrives on the stream before this answer: keep it, it says more.
      const heard = entry && entry.lastAction && entry.lastAction.fromEvent
        && entry.lastAction.kind === action.name.toUpperCase() && parseTime(entry.lastAction.at) >= sentAt - 5000;
      if (entry && !heard) {
        entry.lastAction = { kind: action.name.toUpperCase(), at: new Date().toISOString(), text: action.label + ' requested' };
        render(entry);
      }
      closeDialog();
      toast(action.label + ' of ' + name + ' requested.');
      refetch(name);
      return;
    }
    const error = $('confirm-error');
    const message = answer.body && answer.body.error ? answer.body.error : 'aegis answered ' + answer.status + '.';
    if (answer.status === 401) {
      forgetToken();
      error.textContent = 'The token was refused: ' + message + ' Enter it again above.';
    } else {
      error.textContent = message;
    }
    error.hidden = false;
  }

  // ---- the token ----------------------------------------------------------------------------------------------

  function renderAccess() {
    const needsToken = info.actionsAllowed && info.tokenRequired;
    $('token-form').hidden = !needsToken || !!token;
    $('token-set').hidden = !needsToken || !token;
    $('actions-off').hidden = info.actionsAllowed;
    for (const entry of services.values()) renderButtons(entry);
  }

  function forgetToken() {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    renderAccess();
  }

  // ---- start --------------------------------------------------------------------------------------------------

  function wire() {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token-input').value.trim();
      if (!value) return;
      token = value;
      sessionStorage.setItem(TOKEN_KEY, value);
      $('token-input').value = '';
      renderAccess();
      toast('Actions unlocked. The token is kept in this tab only.');
    });
    $('token-forget').addEventListener('click', () => {
      forgetToken();
      $('token-input').focus();
    });
    $('confirm-form').addEventListener('submit', confirmPending);
    $('confirm-cancel').addEventListener('click', closeDialog);
    $('confirm').addEventListener('cancel', () => { pending = null; });

    setInterval(() => {
      for (const node of document.querySelectorAll('time[data-mode]')) refreshTime(node);
      if (lostSince) updateLostBanner();
    }, 1000);
  }

  async function start() {
    wire();
    try {
      info = await getJson('/api/v1/info');
      $('version').textContent = 'Aegis ' + (info.version || '');
    } catch (error) {
      showBanner('info', 'Could not read /api/v1/info: ' + error.message + ' Actions are hidden.');
    }
    renderAccess();
    await loadAll();
    connect();
  }

  start();
})();
