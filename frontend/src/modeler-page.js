// The modeler page: opens the diagram the server rendered into #modeler-data, and wires the toolbar
// (save draft, check, deploy, download, upload, open version) to the server's JSON endpoints.
// Every text shown comes translated from the page (data.labels); none is written here.

const data = JSON.parse(document.getElementById('modeler-data').textContent);
const labels = data.labels;
const api = window.HotlineModeler;
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const statusLine = document.getElementById('modeler-status');
const problemList = document.getElementById('problems');
const problemCount = document.getElementById('problem-count');
const dirtyFlag = document.getElementById('dirty-flag');
const dialog = document.getElementById('deploy-dialog');
const modeler = api.create(document.getElementById('canvas'), document.getElementById('properties'), data.language);
let dirty = false;
let lastCheck = 0;
let checkTimer = null;
let fileName = `${data.key}.bpmn`;

function format(text, params) {
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

function say(text, kind) {
  statusLine.textContent = text;
  statusLine.className = `modeler-status ${kind || ''}`;
}

function setDirty(value) {
  dirty = value;
  dirtyFlag.hidden = !value;
  document.body.dataset.dirty = value ? 'true' : 'false';
}

async function load(xml) {
  try {
    // What bpmn-js could not read of the file (an element or attribute it does not know), counted for
    // the tests that import diagrams drawn elsewhere.
    const warnings = await api.open(modeler, xml);
    document.body.dataset.importWarnings = String(warnings.length);
    api.fitBesidePalette(modeler);
  } catch (err) {
    say(format(labels.import_failed, { error: err.message }), 'error');
    return false;
  }
  setDirty(false);
  clearTimeout(checkTimer);  // importing is no edit: whoever loads decides whether to check
  return true;
}

function problemItem(problem, kind) {
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = kind;
  button.dataset.element = problem.element_id || '';
  button.dataset.code = problem.code || '';
  const where = document.createElement('strong');
  where.textContent = problem.element_name
    ? `${problem.element_name} (${problem.element_id})` : (problem.element_id || labels.whole_diagram);
  const what = document.createElement('span');
  what.textContent = problem.message;
  button.append(where, what);
  button.addEventListener('click', () => api.selectElement(modeler, problem.element_id));
  item.append(button);
  return item;
}

// Problems keep the diagram from being deployed; warnings (listed after them) do not.
function showProblems(problems, warnings = []) {
  problemList.replaceChildren();
  problemCount.textContent = String(problems.length);
  problemCount.classList.toggle('bad', problems.length > 0);
  if (!problems.length) {
    const none = document.createElement('li');
    none.className = 'empty';
    none.textContent = labels.no_problems;
    problemList.append(none);
  }
  problemList.append(...problems.map((problem) => problemItem(problem, 'problem')));
  problemList.append(...warnings.map((warning) => problemItem(warning, 'warning')));
  api.markProblems(modeler, problems.map((p) => p.element_id).filter(Boolean));
}

async function send(url, body) {
  const isForm = body instanceof FormData;
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: isForm ? { 'X-CSRFToken': csrfToken }
      : { 'X-CSRFToken': csrfToken, 'Content-Type': 'application/json' },
    body: isForm ? body : JSON.stringify(body),
  });
  const isJson = (response.headers.get('content-type') || '').includes('application/json');
  if (!isJson) {
    // The endpoints answer JSON; an HTML page means the session ended (the sign-in page, or the
    // CSRF refusal of a request without a session). The edits stay on the canvas.
    const signedOut = response.status === 400
      || (response.redirected && new URL(response.url).pathname === data.urls.login);
    return { status: response.status, ok: false,
      answer: { error: signedOut ? labels.signed_out : format(labels.failed, { status: response.status }) } };
  }
  return { status: response.status, ok: response.ok, answer: await response.json() };
}

function refused(result) {
  say(result.answer.error || format(labels.failed, { status: result.status }), 'error');
}

// An uploaded diagram may hold another process than the one the page opened: the server files it
// under the key in the diagram, and the page follows.
function followKey(key) {
  if (!key || key === data.key) {
    return;
  }
  data.urls.edit = data.urls.edit.replace(/[^/]+$/, encodeURIComponent(key));
  data.key = key;
  document.getElementById('process-key').textContent = key;
  const versionChoice = document.getElementById('open-version');
  if (versionChoice) {
    versionChoice.disabled = true;
    document.getElementById('open-version-go').disabled = true;
  }
}

function addVersion(version) {
  const choice = document.getElementById('open-version');
  if (!choice || choice.disabled) {
    return;
  }
  const option = document.createElement('option');
  option.value = String(version);
  option.textContent = format(labels.version, { version });
  choice.prepend(option);
  choice.value = option.value;
}

async function saveDraft() {
  const result = await send(data.urls.save, { xml: await api.currentXML(modeler) });
  if (!result.ok) {
    refused(result);
    return;
  }
  showProblems(result.answer.problems);
  setDirty(false);
  followKey(result.answer.key);
  const count = result.answer.problems.length;
  say(count ? format(labels.saved_with_problems, { count }) : labels.saved, count ? 'warn' : 'success');
}

// Checks run on opening, shortly after each edit and on request; only the newest answer is shown.
async function latestCheck() {
  const mine = ++lastCheck;
  const result = await send(data.urls.validate, { xml: await api.currentXML(modeler) });
  return mine === lastCheck ? result : null;
}

async function check() {
  const result = await latestCheck();
  if (!result) {
    return;
  }
  if (!result.ok) {
    refused(result);
    return;
  }
  const count = result.answer.problems.length;
  showProblems(result.answer.problems, result.answer.warnings);
  say(count ? format(labels.problems, { count }) : labels.valid, count ? 'error' : 'success');
}

async function checkQuietly() {
  const result = await latestCheck();
  if (result && result.ok) {
    showProblems(result.answer.problems, result.answer.warnings);
  }
}

function checkSoon() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkQuietly, 1200);
}

async function deploy(event) {
  event.preventDefault();
  const comment = document.getElementById('deploy-comment').value.trim();
  const error = document.getElementById('deploy-error');
  if (!comment) {
    error.textContent = labels.comment_needed;
    error.hidden = false;
    return;
  }
  error.hidden = true;
  const result = await send(data.urls.deploy, { xml: await api.currentXML(modeler), comment });
  if (result.status === 422) {
    dialog.close();
    showProblems(result.answer.problems);
    say(labels.deploy_refused, 'error');
    return;
  }
  if (!result.ok) {
    error.textContent = result.answer.error || format(labels.failed, { status: result.status });
    error.hidden = false;
    return;
  }
  dialog.close();
  followKey(result.answer.key);
  document.getElementById('deploy-comment').value = '';
  showProblems([], result.answer.warnings);
  setDirty(false);
  say(result.answer.message, 'success');
  if (result.answer.deployed) {
    addVersion(result.answer.version);
    // The page now shows what was just deployed: the header says so.
    document.getElementById('opened-from').textContent = format(
      labels.opened_from, { source: format(labels.version, { version: result.answer.version }) });
    const next = document.createElement('a');
    next.id = 'link-migrate';
    next.href = result.answer.migrate_url;
    next.textContent = labels.migrate;
    statusLine.append(' ', next);
  }
}

async function download() {
  const xml = await api.currentXML(modeler);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function upload(event) {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) {
    return;
  }
  if (file.size > data.max_bytes) {
    say(format(labels.too_large, { size: file.size, limit: data.max_bytes }), 'error');
    return;
  }
  const form = new FormData();
  form.append('file', file);
  const result = await send(data.urls.upload, form);
  if (!result.ok) {
    refused(result);
    return;
  }
  if (await load(result.answer.xml)) {
    fileName = file.name;
    setDirty(true);
    // A check of the diagram shown before (the one run on opening, say) may still be on its way: its
    // answer is not about this file and must not replace this file's problems.
    lastCheck += 1;
    showProblems(result.answer.problems, result.answer.warnings);
    say(format(labels.opened, { file: file.name }), result.answer.problems.length ? 'warn' : 'success');
  }
}

document.getElementById('save-draft').addEventListener('click', saveDraft);
document.getElementById('validate').addEventListener('click', check);
document.getElementById('download').addEventListener('click', download);
document.getElementById('upload-file').addEventListener('change', upload);
document.getElementById('upload').addEventListener('click', () => document.getElementById('upload-file').click());
document.getElementById('deploy').addEventListener('click', () => {
  document.getElementById('deploy-error').hidden = true;
  dialog.showModal();
  document.getElementById('deploy-comment').focus();
});
document.getElementById('deploy-form').addEventListener('submit', deploy);
document.getElementById('deploy-cancel').addEventListener('click', () => dialog.close());
const versionChoice = document.getElementById('open-version');
if (versionChoice) {
  document.getElementById('open-version-go').addEventListener('click', () => {
    window.location.assign(`${data.urls.edit}?version=${encodeURIComponent(versionChoice.value)}`);
  });
}
document.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
    event.preventDefault();
    saveDraft();
  }
});
window.addEventListener('beforeunload', (event) => {
  if (dirty) {
    event.preventDefault();
    event.returnValue = labels.unsaved;
  }
});

api.onChange(modeler, () => {
  setDirty(true);
  checkSoon();
});
load(data.xml).then((ok) => {
  document.body.dataset.modelerReady = ok ? 'true' : 'failed';
  if (ok) {
    checkQuietly();
  }
});
