// The decision table editor page: dmn-js's decision table view on the table the server rendered into
// #decision-data, and a toolbar (save draft, check, deploy) calling the server's JSON endpoints.
// Every text shown comes translated from the page (data.labels); none is written here.
import DmnModeler from 'dmn-js/lib/Modeler';

const data = JSON.parse(document.getElementById('decision-data').textContent);
const labels = data.labels;
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const statusLine = document.getElementById('decision-status');
const problemList = document.getElementById('decision-problems');
const modeler = new DmnModeler({ container: document.getElementById('decision-table') });

function format(text, params) {
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

function say(text, kind) {
  statusLine.textContent = text;
  statusLine.className = `modeler-status ${kind || ''}`;
}

function showProblems(problems) {
  problemList.replaceChildren(...problems.map((problem) => {
    const item = document.createElement('li');
    item.className = 'problem';
    item.textContent = problem;
    return item;
  }));
  document.body.dataset.problems = String(problems.length);
}

async function post(url, body) {
  const { xml } = await modeler.saveXML({ format: true });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken },
    body: JSON.stringify({ xml, ...body }),
  });
  return { status: response.status, answer: await response.json().catch(() => ({})) };
}

async function open() {
  try {
    await modeler.importXML(data.xml);
    const table = modeler.getViews().find((view) => view.type === 'decisionTable');
    if (table) { await modeler.open(table); }
    document.body.dataset.ready = 'true';
  } catch (err) {
    say(format(labels.import_failed, { error: err.message }), 'error');
  }
}

document.getElementById('save-draft').addEventListener('click', async () => {
  const { answer } = await post(data.urls.save, {});
  showProblems(answer.problems || []);
  say(labels.saved, 'ok');
});

document.getElementById('validate').addEventListener('click', async () => {
  const { answer } = await post(data.urls.check, {});
  showProblems(answer.problems || []);
  say(answer.problems && answer.problems.length ? '' : labels.valid, 'ok');
});

document.getElementById('deploy').addEventListener('click', async () => {
  const comment = window.prompt(labels.comment);
  if (!comment) { return; }
  const { status, answer } = await post(data.urls.deploy, { comment });
  if (status !== 200) {
    showProblems(answer.problems || []);
    say(answer.error || String(status), 'error');
    return;
  }
  showProblems([]);
  say(format(answer.deployed ? labels.deployed : labels.unchanged, answer), 'ok');
  document.body.dataset.deployedVersion = String(answer.version);
});

open();
