// The Flexprice console: a few pages over the public API, with the caller's API key kept in
// sessionStorage (this tab only). Everything it shows comes from the same routes a client uses.
(function () {
  'use strict';
  const KEY = 'flexprice.apiKey';
  const $ = id => document.getElementById(id);
  const pageSize = 25;
  let customersOffset = 0;
  let eventsCursor = {};

  // --- API ------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(path, body) {
    const init = { headers: { 'x-api-key': sessionStorage.getItem(KEY) || '' } };
    if (body !== undefined) {
      init.method = 'POST';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (response.status === 401) { signOut('Your API key was refused; sign in again.'); }
    if (!response.ok) throw new ApiError(response.status, (json && json.error) || `${response.status} ${response.statusText}`);
    return json;
  }

  // --- helpers --------------------------------------------------------------------------------
  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }

  function show(viewId) {
    for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== viewId;
    for (const link of document.querySelectorAll('#nav a')) {
      link.classList.toggle('active', viewId.startsWith('view-' + link.dataset.view));
    }
  }

  function localToIso(value) { return value ? new Date(value).toISOString() : ''; }

  // --- sign in --------------------------------------------------------------------------------
  function signOut(message) {
    sessionStorage.removeItem(KEY);
    $('signin-error').textContent = message || '';
    render();
  }

  $('signin-form').addEventListener('submit', async event => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    sessionStorage.setItem(KEY, key);
    try {
      await api('/v1/customers?limit=1');
      $('api-key').value = '';
      $('signin-error').textContent = '';
      if (!location.hash || location.hash === '#/') location.hash = '#/customers'; else render();
    } catch (error) {
      sessionStorage.removeItem(KEY);
      $('signin-error').textContent = error.status === 401 ? 'That API key was refused.' : error.message;
    }
  });

  $('signout').addEventListener('click', () => signOut());

  // --- customers ------------------------------------------------------------------------------
  async function renderCustomers() {
    show('view-customers');
    const page = await api(`/v1/customers?limit=${pageSize}&offset=${customersOffset}`);
    const body = $('customers-table').tBodies[0];
    body.replaceChildren();
    for (const customer of page.items) {
      const row = body.insertRow();
      row.className = 'clickable';
      row.dataset.customer = customer.external_id;
      const link = document.createElement('a');
      link.href = '#/customers/' + encodeURIComponent(customer.external_id);
      link.textContent = customer.external_id;
      cell(row, '').appendChild(link);
      cell(row, customer.name);
      cell(row, customer.id).className = 'muted';
      cell(row, when(customer.created_at));
      row.addEventListener('click', e => { if (e.target.tagName !== 'A') location.hash = link.hash; });
    }
    const total = page.pagination.total;
    $('customers-empty').hidden = total > 0;
    $('customers-page').textContent = total ? `${customersOffset + 1}–${customersOffset + page.items.length} of ${total}` : '';
    $('customers-prev').disabled = customersOffset === 0;
    $('customers-next').disabled = customersOffset + page.items.length >= total;
  }

  $('customers-prev').addEventListener('click', () => { customersOffset = Math.max(0, customersOffset - pageSize); renderCustomers(); });
  $('customers-next').addEventListener('click', () => { customersOffset += pageSize; renderCustomers(); });

  // --- one customer: usage table and chart ----------------------------------------------------
  let current = null;

  async function renderCustomer(externalId) {
    show('view-customer');
    $('customer-title').textContent = externalId;
    $('customer-events').href = '#/events?customer=' + encodeURIComponent(externalId);
    const usage = await api('/v1/customers/' + encodeURIComponent(externalId) + '/usage');
    current = { externalId, features: usage.features };
    const body = $('usage-table').tBodies[0];
    body.replaceChildren();
    const select = $('chart-feature');
    select.replaceChildren();
    for (const feature of usage.features) {
      const row = body.insertRow();
      row.dataset.feature = feature.feature_name;
      cell(row, feature.feature_name, 'name');
      cell(row, feature.event_name);
      cell(row, feature.aggregation_type);
      cell(row, feature.value, 'num value');
      cell(row, feature.event_count, 'num count');
      select.add(new Option(feature.feature_name, feature.feature_id));
    }
    $('usage-empty').hidden = usage.features.length > 0;
    $('chart-form').hidden = usage.features.length === 0;
    if (usage.features.length > 0) await renderChart(); else $('chart').replaceChildren();
  }

  async function renderChart() {
    const seconds = Number($('chart-range').value);
    const zone = $('chart-zone').value.trim() || 'UTC';
    // The range ends a minute ahead, so that an event sent a moment ago is inside it.
    const end = new Date(Math.ceil((Date.now() + 60_000) / 60_000) * 60_000);
    const start = new Date(end.getTime() - seconds * 1000);
    $('chart-error').textContent = '';
    try {
      const answer = await api('/v1/events/usage/meter', {
        feature_id: $('chart-feature').value,
        external_customer_id: current.externalId,
        window_size: $('chart-window').value,
        timezone: zone,
        start_time: start.toISOString(),
        end_time: end.toISOString(),
      });
      const windows = answer.results.map(w => ({
        start: new Date(w.window_start), end: new Date(w.window_end), value: Number(w.value), label: String(w.value), count: w.event_count,
      }));
      $('chart-summary').textContent = `${answer.type} over the range: ${answer.value} (${answer.event_count} events, ${windows.length} windows with events) · source: ${answer.source}`;
      $('chart-summary').dataset.value = String(answer.value);
      window.drawUsageChart($('chart'), windows, { start, end }, answer.timezone);
    } catch (error) {
      $('chart-error').textContent = error.message;
      $('chart').replaceChildren();
    }
  }

  $('chart-form').addEventListener('submit', event => { event.preventDefault(); renderChart(); });

  // --- event debugger -------------------------------------------------------------------------
  async function renderEvents(params) {
    show('view-events');
    if (params.has('customer')) $('ev-customer').value = params.get('customer');
    await searchEvents({});
  }

  async function searchEvents(cursor) {
    eventsCursor = cursor;
    const query = new URLSearchParams({ page_size: String(pageSize) });
    const add = (name, value) => { if (value) query.set(name, value); };
    add('external_customer_id', $('ev-customer').value.trim());
    add('event_name', $('ev-name').value.trim());
    add('event_id', $('ev-id').value.trim());
    add('start_time', localToIso($('ev-start').value));
    add('end_time', localToIso($('ev-end').value));
    add('iter_last_key', cursor.older);
    add('iter_first_key', cursor.newer);
    $('events-error').textContent = '';
    try {
      const page = await api('/v1/events?' + query);
      const body = $('events-table').tBodies[0];
      body.replaceChildren();
      for (const e of page.events) {
        const row = body.insertRow();
        row.className = 'clickable';
        row.dataset.eventId = e.id;
        cell(row, when(e.timestamp));
        cell(row, e.id).className = 'props';
        cell(row, e.external_customer_id);
        cell(row, e.event_name);
        cell(row, e.source);
        cell(row, JSON.stringify(e.properties), 'props');
        row.addEventListener('click', () => lookup(e.id, e.external_customer_id));
      }
      $('events-summary').textContent = `${page.total_count} matching events`;
      $('events-older').disabled = !(page.has_more || cursor.newer) || page.events.length === 0;
      $('events-newer').disabled = !(cursor.older || (cursor.newer && page.has_more));
      $('events-older').onclick = () => searchEvents({ older: page.iter_last_key });
      $('events-newer').onclick = () => searchEvents({ newer: page.iter_first_key });
    } catch (error) {
      $('events-error').textContent = error.message;
    }
  }

  async function lookup(id, customer) {
    const answer = await api(`/v1/events/lookup?id=${encodeURIComponent(id)}&external_customer_id=${encodeURIComponent(customer)}`);
    $('lookup').hidden = false;
    $('lookup-id').textContent = id;
    $('lookup-status').textContent = `${answer.status} · ingested ${when(answer.event.ingested_at)}`;
    $('lookup-json').textContent = JSON.stringify(answer.event, null, 2);
    const body = $('lookup-features').tBodies[0];
    body.replaceChildren();
    for (const f of answer.features) {
      const row = body.insertRow();
      cell(row, f.feature_name);
      cell(row, f.meter_id).className = 'muted';
      cell(row, f.aggregation_type);
      cell(row, f.quantity, 'num');
    }
    $('lookup-none').hidden = answer.features.length > 0;
    $('lookup').scrollIntoView({ behavior: 'smooth' });
  }

  $('events-form').addEventListener('submit', event => { event.preventDefault(); searchEvents({}); });

  // --- rejections -----------------------------------------------------------------------------
  async function renderRejections() {
    show('view-rejections');
    const answer = await api('/v1/events/rejections');
    const body = $('rejections-table').tBodies[0];
    body.replaceChildren();
    for (const r of answer.rejections) {
      const row = body.insertRow();
      cell(row, when(r.time));
      cell(row, r.route);
      cell(row, r.status);
      cell(row, r.reason);
      const pre = document.createElement('pre');
      pre.textContent = r.request_head;
      cell(row, '').appendChild(pre);
    }
    $('rejections-empty').hidden = answer.rejections.length > 0;
  }

  // --- routing --------------------------------------------------------------------------------
  async function render() {
    const signedIn = !!sessionStorage.getItem(KEY);
    $('signin').hidden = signedIn;
    $('nav').hidden = !signedIn;
    $('signout').hidden = !signedIn;
    if (!signedIn) {
      for (const view of document.querySelectorAll('.view')) view.hidden = true;
      return;
    }

    const [path, search] = (location.hash.slice(1) || '/customers').split('?');
    const params = new URLSearchParams(search || '');
    const parts = path.split('/').filter(Boolean);
    try {
      if (parts[0] === 'customers' && parts.length > 1) await renderCustomer(decodeURIComponent(parts.slice(1).join('/')));
      else if (parts[0] === 'events') await renderEvents(params);
      else if (parts[0] === 'rejections') await renderRejections();
      else await renderCustomers();
    } catch (error) {
      if (error.status !== 401) alert(error.message);
    }
  }

  function init() {
    $('chart-zone').value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
    for (const zone of zones) $('zones').appendChild(new Option(zone));
    window.addEventListener('hashchange', render);
    render();
  }

  init();
})();
