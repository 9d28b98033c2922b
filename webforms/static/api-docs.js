// The API's browsable page: Swagger UI (bundled from npm into vendor/) over the served OpenAPI document.
(function () {
  var root = document.getElementById('api-docs');
  window.SwaggerUIBundle({ url: root.dataset.spec, domNode: root, deepLinking: true });
})();
