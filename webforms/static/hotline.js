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
