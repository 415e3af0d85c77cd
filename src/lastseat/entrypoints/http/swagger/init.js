// Starts Swagger UI on /api/docs. A file of its own rather than the inline script FastAPI's
// page carries, so that the page's Content-Security-Policy allows scripts from 'self' only.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // never send the API description to a validator elsewhere
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
