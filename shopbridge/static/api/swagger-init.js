// Starts Swagger UI on /api/docs. Kept out of the page because the Content-Security-Policy forbids inline
// scripts. The spec URL comes from the page; validatorUrl: null stops Swagger UI from sending the document to
// an outside validator (shops' networks often cannot reach it, and the document is nobody else's business).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
