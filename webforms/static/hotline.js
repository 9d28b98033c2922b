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
