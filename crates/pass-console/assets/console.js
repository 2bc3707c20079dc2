// The PASS console's script layer, written for this project (no library).
// It keeps the API token in this tab's session storage (taken once from the
// page's #token=… fragment or asked for), sends it as a bearer header, and
// places the sections the server renders. Data arrives as text the server
// already escaped, or is set with textContent here: never as raw input.
'use strict';

(function () {
  const TOKEN_KEY = 'pass.console.token';
  const $ = (selector, root) => (root || document).querySelector(selector);

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function takeTokenFromFragment() {
    const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (match) {
      const value = decodeURIComponent(match[1]);
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      // The fragment never reached the server; drop it from the address bar
      // and the history too.
      history.replaceState(null, '', location.pathname + location.search);
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function say(text, kind) {
    const box = $('#message');
    box.textContent = text || '';
    box.dataset.kind = kind || 'error';
    box.hidden = !text;
  }

  function askToken(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    const form = $('#token-form');
    form.hidden = false;
    $('#sign-out').hidden = true;
    say(reason, 'error');
    $('#token-input').focus();
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json', Authorization: 'Bearer ' + (token() || '') };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (error) {
      throw new ApiError(0, 'network', 'The PASS API cannot be reached: ' + error.message);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const code = (data && data.error) || 'http_' + response.status;
      const message = (data && data.message) || response.statusText;
      if (response.status === 401) {
        askToken('The server refused the token (401 ' + code + '): ' + message +
          '. Enter the PASS_API_TOKEN the server was started with.');
      }
      throw new ApiError(response.status, code, message);
    }
    return data;
  }

  function report(error) {
    if (error instanceof ApiError && error.status === 401) return;
    say(error instanceof ApiError ? error.code + ': ' + error.message : String(error), 'error');
  }

  function cell(row, text, tag) {
    const td = document.createElement(tag || 'td');
    if (text instanceof Node) td.appendChild(text);
    else td.textContent = text == null ? '' : String(text);
    row.appendChild(td);
    return td;
  }

  // ---- the list of runs -------------------------------------------------

  let rows = [];

  function renderRuns() {
    const query = $('#search').value.trim().toLowerCase();
    const body = $('#runs tbody');
    body.replaceChildren();
    const shown = rows.filter((r) => !query ||
      r.title.toLowerCase().includes(query) ||
      r.project.toLowerCase().includes(query) ||
      r.run_id.startsWith(query) || r.short_id.startsWith(query));
    for (const r of shown) {
      const tr = document.createElement('tr');
      const link = document.createElement('a');
      link.href = '/ui/runs/' + encodeURIComponent(r.run_id);
      link.textContent = r.title;
      cell(tr, link);
      cell(tr, r.project);
      cell(tr, r.revision);
      const status = document.createElement('span');
      status.className = 'status';
      status.dataset.status = r.status;
      status.textContent = r.status;
      cell(tr, status);
      cell(tr, r.plan_state || '—');
      const code = document.createElement('code');
      code.textContent = r.short_id;
      cell(tr, code);
      cell(tr, r.created_at);
      body.appendChild(tr);
    }
    $('#runs-count').textContent = shown.length + ' of ' + rows.length + ' runs';
  }

  async function loadRuns() {
    const list = await api('GET', '/views/runs');
    rows = list.runs;
    renderRuns();
  }

  function prdTitle(text) {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
    const heading = lines.find((l) => /^#+\s*\S/.test(l));
    const raw = heading ? heading.replace(/^#+/, '') : lines.find((l) => l && !l.startsWith('---') && !l.startsWith('<'));
    return (raw || '').replace(/^[*_`\s]+|[*_`\s]+$/g, '').slice(0, 80).trim();
  }

  async function fileOrText(fileInput, textArea) {
    const file = fileInput.files && fileInput.files[0];
    return file ? await file.text() : textArea.value;
  }

  async function createRun(event) {
    event.preventDefault();
    const status = $('#new-run-status');
    try {
      const prd = await fileOrText($('#new-prd-file'), $('#new-prd'));
      if (!prd.trim()) throw new Error('the PRD is empty');
      const org = await fileOrText($('#new-org-file'), $('#new-org'));
      const name = $('#new-project').value.trim() || prdTitle(prd) || 'Untitled PRD';
      status.textContent = 'Creating the run…';
      const found = await api('GET', '/projects?name=' + encodeURIComponent(name));
      const project = found.projects.length
        ? found.projects[0].project
        : (await api('POST', '/projects', { name })).project;
      const input = { prd_text: prd, project_id: project.project_id };
      if (org.trim()) input.org_constraints_yaml = org;
      const created = await api('POST', '/runs', input);
      await api('POST', '/runs/' + created.run.run_id + '/dispatch');
      location.assign('/ui/runs/' + created.run.run_id);
    } catch (error) {
      status.textContent = '';
      report(error);
    }
  }

  // ---- one run ------------------------------------------------------------

  const runId = decodeURIComponent(location.pathname.split('/').pop() || '');
  const shownHtml = new Map();
  let timer = null;

  function userIsEditing(node) {
    const active = document.activeElement;
    if (!active || !node.contains(active)) return false;
    return active.tagName === 'TEXTAREA' || active.tagName === 'INPUT';
  }

  function placeSections(view) {
    const container = $('#sections');
    const wanted = new Set(view.sections.map((s) => s.id));
    for (const node of Array.from(container.children)) {
      if (!wanted.has(node.dataset.section)) {
        node.remove();
        shownHtml.delete(node.dataset.section);
      }
    }
    let previous = null;
    for (const s of view.sections) {
      let node = container.querySelector('section[data-section="' + s.id + '"]');
      if (!node) {
        node = document.createElement('section');
        node.dataset.section = s.id;
        node.id = s.id;
        node.setAttribute('aria-labelledby', s.id + '-h');
        const h = document.createElement('h2');
        h.id = s.id + '-h';
        node.appendChild(h);
        const body = document.createElement('div');
        body.className = 'body';
        node.appendChild(body);
      }
      const position = previous ? previous.nextSibling : container.firstChild;
      if (node !== position) container.insertBefore(node, position);
      node.firstChild.textContent = s.title;
      if (shownHtml.get(s.id) !== s.html && !userIsEditing(node)) {
        // Rendered and escaped by the server's templates.
        node.lastChild.innerHTML = s.html;
        shownHtml.set(s.id, s.html);
      }
      previous = node;
    }
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const view = await api('GET', '/views/runs/' + encodeURIComponent(runId));
      document.title = view.title + ' — PASS';
      $('#run-title').textContent = view.title;
      $('#live').textContent = view.live
        ? 'Live: ' + view.status + ' (updates as the agents report)'
        : 'Status: ' + view.status;
      document.body.dataset.status = view.status;
      document.body.dataset.live = view.live ? 'true' : 'false';
      placeSections(view);
      timer = setTimeout(refresh, view.live ? 800 : 4000);
    } catch (error) {
      report(error);
      if (!(error instanceof ApiError && (error.status === 401 || error.status === 404))) {
        timer = setTimeout(refresh, 4000);
      }
    }
  }

  function result(text) {
    const box = $('#sections .action-result');
    if (box) box.textContent = text;
    say(text, 'info');
  }

  async function act(form, action, data) {
    const run = '/runs/' + encodeURIComponent(runId);
    if (action === 'approve') {
      const accept = form.querySelector('input[name="accept_defaults"]');
      await api('POST', run + '/approve', { accept_defaults: !!(accept && accept.checked) });
      result('Plan approved.');
    } else if (action === 'dispatch') {
      const out = await api('POST', run + '/dispatch/' + data.workflow);
      result(data.workflow + ' ' + out.execution.status + '.');
    } else if (action === 'answer') {
      const answer = form.querySelector('textarea[name="answer"]').value.trim();
      if (!answer) throw new Error('write an answer first');
      const out = await api('POST', run + '/clarifications/' + encodeURIComponent(data.qid) + '/answer', { answer });
      if (out.revision_run_id) {
        location.assign('/ui/runs/' + out.revision_run_id);
        return;
      }
      result('Answered ' + data.qid + '.');
    } else if (action === 'accept-default') {
      await api('POST', run + '/clarifications/' + encodeURIComponent(data.qid) + '/accept-default', {});
      result('Accepted the default of ' + data.qid + '.');
    } else if (action === 'refine') {
      const request = form.querySelector('textarea[name="request"]').value.trim();
      if (!request) throw new Error('say what should change first');
      const out = await api('POST', '/projects/' + encodeURIComponent(data.project) + '/refinements', { request });
      location.assign('/ui/runs/' + out.run.run_id);
      return;
    }
    if (document.activeElement) document.activeElement.blur();
    await refresh();
  }

  function onSectionsEvent(event) {
    const target = event.type === 'submit' ? event.target : event.target.closest('button[data-action]');
    if (!target || !target.dataset.action) return;
    if (event.type === 'click' && target.type === 'submit') return;
    event.preventDefault();
    const form = target.closest('form') || target;
    const data = Object.assign({}, form.dataset, target.dataset);
    target.disabled = true;
    act(form, target.dataset.action, data)
      .catch(report)
      .finally(() => { target.disabled = false; });
  }

  // ---- start ----------------------------------------------------------------

  function start() {
    const page = document.body.dataset.page;
    say('');
    $('#sign-out').hidden = false;
    $('#token-form').hidden = true;
    if (page === 'index') {
      loadRuns().catch(report);
    } else if (page === 'run') {
      refresh();
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    takeTokenFromFragment();
    $('#token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('#token-input').value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $('#token-input').value = '';
      start();
    });
    $('#sign-out').addEventListener('click', () => askToken('Signed out: the token is forgotten in this tab.'));
    const page = document.body.dataset.page;
    if (page === 'index') {
      $('#search').addEventListener('input', renderRuns);
      $('#new-run').addEventListener('submit', createRun);
    } else if (page === 'run') {
      $('#sections').addEventListener('submit', onSectionsEvent);
      $('#sections').addEventListener('click', onSectionsEvent);
    }
    // A link with a token opened in a tab already on this page only changes
    // the fragment: no reload, so sign in here.
    window.addEventListener('hashchange', () => {
      if (/(?:^#|&)token=/.test(location.hash)) {
        takeTokenFromFragment();
        if (token()) start();
      }
    });
    if (token()) start();
    else askToken('');
  });
})();
