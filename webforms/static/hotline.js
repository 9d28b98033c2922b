// A department list that follows the chosen category until the person picks a department
// themselves (C1: cases are routed by category; the operator may send one elsewhere).
document.querySelectorAll("select[data-suggest-from]").forEach(function (department) {
  var category = document.getElementById(department.dataset.suggestFrom);
  var routes = JSON.parse(department.dataset.routes || "{}");
  var chosenByPerson = department.value !== "";
  department.addEventListener("change", function () { chosenByPerson = department.value !== ""; });
  if (!category) { return; }
  category.addEventListener("change", function () {
    if (!chosenByPerson && routes[category.value]) { department.value = routes[category.value]; }
  });
});

// A forwarded case's platform number and deadline are asked only when the chosen source is a platform
// or authority (U1); the server drops them otherwise, so without JavaScript they are merely shown.
document.querySelectorAll("[data-upstream-of]").forEach(function (field) {
  var source = document.getElementById(field.dataset.upstreamOf);
  if (!source) { return; }
  function follow() {
    var chosen = source.options[source.selectedIndex];
    field.hidden = !(chosen && chosen.dataset.upstream === "true");
  }
  source.addEventListener("change", follow);
  follow();
});

// A field with a minimum length says so while what is typed is shorter, counting as the server does
// (engine.bpmn.form_fields.length_toward_minimum): a Chinese (wide) character counts as two.
function lengthTowardMinimum(text) {
  var wide = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/;
  var count = 0;
  for (var ch of text) {
    var code = ch.codePointAt(0);
    count += wide.test(ch) || (code >= 0x1F300 && code <= 0x1FAFF) || code > 0x1FFFF ? 2 : 1;
  }
  return count;
}
document.querySelectorAll("[data-min-length]").forEach(function (field) {
  var hint = document.getElementById("min-" + field.name);
  var least = parseInt(field.dataset.minLength, 10);
  if (!hint || !least) { return; }
  field.addEventListener("input", function () {
    var text = field.value.trim();
    hint.hidden = !(text && lengthTowardMinimum(text) < least);
  });
});

// A Print button (the chase notice): the page's security policy runs no inline onclick handler.
document.querySelectorAll("button.print-page").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});

// An action that cannot be undone from the same page (revoking an API client, removing a webhook or a
// report recipient, disabling an account) asks first; the question is on the form, in the page's language.
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  });
});
